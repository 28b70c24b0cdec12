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
    "Design": "degtools.prepare", "describe_numeric": "degtools.prepare", "design_rows": "degtools.prepare",
    "Leaderboards": "degtools.leaderboards", "compare_ranking": "degtools.ranking",
    "LeakageReport": "degtools.leakage",
    "add_derived_columns": "degtools.targets", "explain_target": "degtools.targets",
    "resolve_target": "degtools.targets",
    "describe_models": "degtools.models", "resolve_models": "degtools.models",
    "residual_outliers": "degtools.interpret",
    # the notebook's steps, timed (and shared in a batch) by degtools.steps
    **dict.fromkeys(("read_input_table", "prepare_design", "audit_leakage", "choose_features", "compare_feature_sets",
                     "permutation_importances", "impurity_importances", "plot_volcano", "plot_ma", "read_gmt",
                     "run_enrichment", "compare_pathway_features", "compare_reference", "build_results",
                     "find_surprising_genes", "report_headline", "gather_evidence", "with_evidence",
                     "evidence_contributions"),
                    "degtools.api"),
    # what the notebook shows
    **dict.fromkeys(("html_table", "markdown", "show_notes", "show_source", "show_checks", "show_design",
                     "show_models", "show_main_leaderboard", "show_leaderboards", "show_ranking", "show_best_model",
                     "show_impurity", "show_regulated_genes", "show_gene_sets", "show_gsea", "show_ora",
                     "show_pathway_features", "show_pathway_importances", "show_reference", "show_methods",
                     "reserve_headline", "show_headline", "show_evidence"),
                    "degtools.display"),
    "write_results": "degtools.results",
    "show_gene_table": "degtools.display_genes", "show_surprising_genes": "degtools.display_genes",
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
    "Leaderboards",
    "LeakageReport",
    "ModelComparison",
    "ParamsError",
    "add_derived_columns",
    "audit_leakage",
    "build_results",
    "check_notebook_parameters",
    "choose_features",
    "compare_feature_sets",
    "compare_models",
    "compare_pathway_features",
    "compare_ranking",
    "compare_reference",
    "describe_models",
    "describe_numeric",
    "design_rows",
    "explain_target",
    "find_surprising_genes",
    "html_table",
    "impurity_importances",
    "markdown",
    "permutation_importances",
    "plot_ma",
    "plot_volcano",
    "predictions",
    "prepare_design",
    "read_de_table",
    "read_gmt",
    "read_input_table",
    "regression_metrics",
    "report_headline",
    "reserve_headline",
    "residual_outliers",
    "resolve_models",
    "resolve_target",
    "run_enrichment",
    "shared_call",
    "show_best_model",
    "show_checks",
    "show_design",
    "show_gene_sets",
    "show_gene_table",
    "show_gsea",
    "show_headline",
    "show_impurity",
    "show_leaderboards",
    "show_main_leaderboard",
    "show_methods",
    "show_models",
    "show_notes",
    "show_ora",
    "show_pathway_features",
    "show_pathway_importances",
    "show_ranking",
    "show_reference",
    "show_regulated_genes",
    "show_source",
    "show_surprising_genes",
    "validate_params",
    "write_results",
]
