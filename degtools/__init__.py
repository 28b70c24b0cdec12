"""degtools: differential-expression results as regression, rendered as honest HTML reports."""

from importlib import metadata

from degtools.cache import shared_call
from degtools.errors import DegtoolsError, InputError, ParamsError
from degtools.io import DETable, read_de_table
from degtools.params import check_notebook_parameters, validate_params

#: names imported on first use: scikit-learn costs ~1-2 s of start-up that `degtools inspect` does not need.
_LAZY = {
    "ModelComparison": "degtools.compare", "compare_models": "degtools.compare",
    "predictions": "degtools.compare", "regression_metrics": "degtools.stats",
    "Design": "degtools.prepare", "describe_numeric": "degtools.prepare", "prepare_design": "degtools.prepare",
    "Leaderboards": "degtools.leaderboards", "compare_feature_sets": "degtools.leaderboards",
    "compare_ranking": "degtools.ranking", "LeakageReport": "degtools.leakage",
    "audit_leakage": "degtools.leakage",
    "add_derived_columns": "degtools.targets", "explain_target": "degtools.targets",
    "resolve_target": "degtools.targets",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'degtools' has no attribute {name!r}")

try:
    __version__ = metadata.version("degtools")
except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"

__all__ = [
    "DETable",
    "DegtoolsError",
    "Design",
    "InputError",
    "LeakageReport",
    "Leaderboards",
    "ModelComparison",
    "ParamsError",
    "add_derived_columns",
    "audit_leakage",
    "check_notebook_parameters",
    "compare_feature_sets",
    "compare_models",
    "compare_ranking",
    "describe_numeric",
    "explain_target",
    "predictions",
    "prepare_design",
    "read_de_table",
    "regression_metrics",
    "resolve_target",
    "shared_call",
    "validate_params",
]
