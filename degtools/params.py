"""The parameter schema shared by the notebook, the CLI and batch runs.

papermill only warns about a parameter name the notebook does not define, so a misspelt
``-p targte B`` would silently run the default analysis. Every entry point therefore passes
its parameters through :func:`validate_params`, which knows every name, type and range.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from degtools.errors import ParamsError


@dataclass(frozen=True)
class Param:
    """One notebook parameter: its default, type, allowed range and help text."""

    name: str
    default: Any
    kind: type
    help: str
    check: Callable[[Any], bool] | None = None
    expected: str = ""


PARAMETERS: tuple[Param, ...] = (
    Param("input_table", "", str, "DE results table; empty: the bundled demo dataset (GSE15852)"),
    Param("target", "logFC", str, "column to predict: a header of the table or a canonical name"),
    Param("dataset_name", "", str, "name used in titles and file names; empty: from the file name"),
    Param("test_size", 0.2, float, "fraction of rows held out as the test set",
          lambda value: 0.05 <= value <= 0.5, "a number between 0.05 and 0.5"),
    Param("cv_folds", 5, int, "number of cross-validation folds on the training part",
          lambda value: 2 <= value <= 20, "an integer between 2 and 20"),
    Param("seed", 42, int, "random seed for the split, the folds and the models",
          lambda value: value >= 0, "a non-negative integer"),
    Param("max_rows", 0, int, "use a seeded random subset of at most this many rows; 0: all rows",
          lambda value: value == 0 or value >= 50, "0 (all rows) or at least 50"),
    Param("top_n", 15, int, "number of genes listed in each gene table",
          lambda value: 1 <= value <= 500, "an integer between 1 and 500"),
    Param("results_json", "", str, "write the machine-readable results here; empty: not written"),
    # Reader options (degtools.read_de_table); see README, "Reading your table".
    Param("column_map", "", str, "map headers by hand: 'HEADER:canonical, HEADER2:canonical' (e.g. 'fold:logFC')"),
    Param("sheet", "", str, "sheet of an .xlsx workbook; empty: its only sheet"),
    Param("collapse", False, bool, "keep one row per gene (symbol, else ID): the one with the largest |statistic|"),
    Param("id_map", "", str, "two-column file (ID, symbol) giving symbols to a table with IDs only"),
    Param("cluster", "", str, "Seurat FindAllMarkers: keep the rows of this cluster only"),
    Param("features", "independent", str,
          "independent (features the leakage audit clears, plus an all-features leaderboard), all, or column names",
          lambda value: value.strip() != "", "'independent', 'all' or a comma-separated list of column names"),
    Param("derived_features", False, bool, "also offer -log10 p, |t| and log mean expression as features"),
    Param("models", "all", str, "all, or a comma-separated subset of the model registry",
          lambda value: value.strip() != "", "'all' or a comma-separated list of model names"),
    Param("tuning", "fast", str, "how hard to search model settings: none, fast or thorough",
          lambda value: value in ("none", "fast", "thorough"), "one of none, fast, thorough"),
    Param("padj_threshold", 0.05, float, "adjusted p-value below which a gene counts as significant",
          lambda value: 0 < value < 1, "a number between 0 and 1 (exclusive)"),
    Param("n_jobs", 2, int, "worker processes for the model comparison (each model single-threaded)",
          lambda value: 1 <= value <= 64, "an integer between 1 and 64"),
    Param("lfc_threshold", 1.0, float, "smallest absolute log2 fold change of an up or down gene",
          lambda value: value >= 0, "a non-negative number"),
    Param("gene_sets", "", str, "GMT file of gene sets; empty: the bundled MSigDB Hallmark sets"),
    Param("gsea_permutations", 1000, int, "gene-set permutations of the preranked GSEA",
          lambda value: 100 <= value <= 100000, "an integer between 100 and 100000"),
    Param("pathway_features", False, bool, "also fit models with gene-set membership as features"),
    Param("reference_table", "", str,
          "other DE tables (comma-separated or YAML list) joined by gene symbol as evidence features; empty: none"),
    # The evidence layer (degtools.evidence); see README, "What is known independently".
    Param("gene_features", "", str,
          "per-gene covariate files (comma-separated or YAML list; bundled: sophie, biotype); "
          "empty: sophie for the demo table, none for yours; 'none': none"),
    Param("contrast", "", str, "a file with several contrasts: the one to analyse (the others become features)"),
    Param("evidence_pathways", False, bool,
          "gene-set membership (at most 10 sets) and annotation depth join the evidence features"),
)

BY_NAME = {param.name: param for param in PARAMETERS}


def defaults() -> dict[str, Any]:
    """Every parameter with its default value."""
    return {param.name: param.default for param in PARAMETERS}


def _coerce(param: Param, value: Any) -> Any:
    if param.kind is str:
        if isinstance(value, (str, Path)):
            return str(value)
        if isinstance(value, (list, tuple)) and value and all(isinstance(item, str) for item in value):
            return ",".join(value)  # a YAML list of names, e.g. features: [baseMean, lfcSE]
        if value is None:
            return ""
    elif param.kind is int:
        if isinstance(value, bool):
            pass
        elif isinstance(value, int):
            return value
        elif isinstance(value, float) and value.is_integer():
            return int(value)
        elif isinstance(value, str):
            try:
                return int(value)
            except ValueError:
                pass
    elif param.kind is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
    elif param.kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no"):
            return value.lower() in ("true", "yes")
    raise ParamsError(
        f"parameter {param.name!r} must be {param.expected or 'a ' + param.kind.__name__}; "
        f"got {value!r}. ({param.help})"
    )


def validate_params(values: Mapping[str, Any]) -> dict[str, Any]:
    """Check names, types and ranges; return every parameter, defaults filled in.

    Raises
    ------
    ParamsError
        For an unknown (e.g. misspelt) name, a value of the wrong type or out of range.
    """
    unknown = [name for name in values if name not in BY_NAME]
    if unknown:
        name = unknown[0]
        close = difflib.get_close_matches(name, BY_NAME, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ParamsError(
            f"unknown parameter {name!r}: {hint}valid parameters are {', '.join(BY_NAME)}."
        )
    checked = defaults()
    for name, value in values.items():
        param = BY_NAME[name]
        value = _coerce(param, value)
        if param.check is not None and not param.check(value):
            raise ParamsError(
                f"parameter {name!r} must be {param.expected}; got {value!r}. ({param.help})"
            )
        checked[name] = value
    return checked


_IPYTHON_NAMES = {"In", "Out", "exit", "quit", "get_ipython", "open"}


def parameters_from_namespace(namespace: Mapping[str, Any]) -> dict[str, Any]:
    """The parameter values a notebook holds right after papermill injected its own.

    Takes the notebook's ``globals()``: every public name that is not a module, function
    or class counts as a parameter, so an injected misspelt name is caught.
    """
    found = {}
    for name, value in namespace.items():
        if name.startswith("_") or name in _IPYTHON_NAMES:
            continue
        if isinstance(value, (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, type)):
            continue
        found[name] = value
    return found


def check_notebook_parameters(namespace: Mapping[str, Any]) -> dict[str, Any]:
    """Validate the parameters defined in a notebook namespace (its ``globals()``)."""
    return validate_params(parameters_from_namespace(namespace))


def load_params_file(path: str | Path) -> dict[str, Any]:
    """Read a params YAML file; relative input paths are taken from the file's folder."""
    path = Path(path)
    if not path.is_file():
        raise ParamsError(f"params file {str(path)!r} does not exist; pass the path of a YAML file in params/.")
    try:
        values = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        line = str(error).splitlines()[0]
        raise ParamsError(f"params file {path.name} is not valid YAML ({line}); expected name: value lines.") from None
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise ParamsError(
            f"params file {path.name} must hold a mapping of name: value; found a {type(values).__name__}."
        )
    values = dict(values)
    for key in PATH_PARAMETERS:
        if values.get(key):
            values[key] = resolve_path_parameter(key, values[key], path.parent)
    return values


#: parameters that hold file paths (resolved against a params file's folder).
PATH_PARAMETERS = ("input_table", "gene_sets", "reference_table", "id_map", "gene_features")
#: path parameters that may name several files (comma-separated, or a YAML list).
LIST_PATH_PARAMETERS = ("reference_table", "gene_features")
#: values of path parameters that are not paths: bundled gene-feature tables by short name, and 'none'.
NOT_PATHS = ("sophie", "biotype", "none")


def path_list(value: Any) -> list[str]:
    """The entries of a (possibly comma-separated, or YAML-list) path parameter, stripped, empty ones dropped."""
    if isinstance(value, (list, tuple)):
        items = [str(item) for item in value]
    else:
        items = str(value or "").split(",")
    return [item.strip() for item in items if item.strip()]


def resolve_path_parameter(name: str, value: Any, base: Path | None = None) -> str:
    """The value of path parameter ``name`` with every path made absolute (against ``base``, else the
    working directory); bundled short names (``sophie``) and ``none`` stay as they are."""
    entries = path_list(value) if name in LIST_PATH_PARAMETERS else [str(value)]
    resolved = []
    for entry in entries:
        if entry.lower() in NOT_PATHS and name in LIST_PATH_PARAMETERS:
            resolved.append(entry.lower())
            continue
        candidate = Path(entry).expanduser()
        if not candidate.is_absolute() and base is not None:
            candidate = base / candidate
        resolved.append(str(candidate.resolve()))
    return ",".join(resolved)
