"""degtools: differential-expression results as regression, rendered as honest HTML reports."""

from importlib import metadata

from degtools.errors import DegtoolsError, InputError, ParamsError
from degtools.evaluate import (
    Leaderboards,
    ModelComparison,
    compare_feature_sets,
    compare_models,
    compare_ranking,
    predictions,
    regression_metrics,
)
from degtools.leakage import LeakageReport, audit_leakage
from degtools.params import check_notebook_parameters, validate_params
from degtools.prepare import Design, add_derived_columns, describe_numeric, explain_target, prepare_design
from degtools.tables import DETable, read_de_table, resolve_target

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
    "validate_params",
]
