"""degtools: differential-expression results as regression, rendered as honest HTML reports."""

from importlib import metadata

from degtools.errors import DegtoolsError, InputError, ParamsError
from degtools.evaluate import ModelComparison, compare_models, predictions, regression_metrics
from degtools.params import check_notebook_parameters, validate_params
from degtools.prepare import Design, describe_numeric, prepare_design
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
    "ModelComparison",
    "ParamsError",
    "check_notebook_parameters",
    "compare_models",
    "describe_numeric",
    "predictions",
    "prepare_design",
    "read_de_table",
    "regression_metrics",
    "resolve_target",
    "validate_params",
]
