"""What drives the predictions, and which genes stand out."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from joblib import parallel_config
from sklearn.inspection import permutation_importance
from threadpoolctl import threadpool_limits

from degtools.compare import ModelComparison, ModelResult, predictions
from degtools.io import DETable
from degtools.io.genes import split_symbols
from degtools.leakage import TEST_COLUMNS
from degtools.prepare import Design
from degtools.resources import job_cap

#: models whose fitted estimator exposes impurity-based importances worth showing.
TREE_ENSEMBLES = ("RandomForestRegressor", "GradientBoostingRegressor", "HistGradientBoostingRegressor")


def permutation_importances(
    result: ModelResult, design: Design, *, n_repeats: int = 5, seed: int = 42, n_jobs: int = 2
) -> pd.DataFrame:
    """Drop in test R² when each feature is shuffled (mean and sd over repeats), largest first.

    The features are shuffled in ``n_jobs`` threads (the models' predictions release the GIL); every
    feature's shuffles come from one seed drawn up front, so the numbers do not depend on ``n_jobs``.
    """
    cap = job_cap()
    with parallel_config(backend="threading"), threadpool_limits(limits=1):
        outcome = permutation_importance(
            result.pipeline, design.X_test, design.y_test, scoring="r2", n_repeats=n_repeats, random_state=seed,
            n_jobs=max(1, min(n_jobs, cap or n_jobs, len(design.features))),
        )
    frame = pd.DataFrame(
        {
            "feature": [design.feature_labels[feature] for feature in design.features],
            "importance": outcome.importances_mean,
            "sd": outcome.importances_std,
        }
    )
    return frame.sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)


def impurity_importances(comparison: ModelComparison, design: Design) -> pd.DataFrame:
    """Impurity (mean decrease in squared error) importances of the tree ensembles, one column per model."""
    columns = {}
    for result in comparison.results:
        if result.name in TREE_ENSEMBLES:
            model = result.pipeline.named_steps["model"]
            if hasattr(model, "feature_importances_"):
                columns[result.name] = model.feature_importances_
    frame = pd.DataFrame(columns, index=[design.feature_labels[feature] for feature in design.features])
    frame.index.name = "feature"
    return frame


def _gene_columns(table: DETable) -> list[str]:
    return [column for column in ("gene_id", "symbol", "title") if column in table.data.columns]


def all_predictions(result: ModelResult, design: Design) -> pd.DataFrame:
    """The model's prediction for every gene of the design (training and test), indexed by gene ID.

    ``in_test`` marks the held-out genes: only their predictions are out-of-sample.
    """
    X = pd.concat([design.X_train, design.X_test])
    y = pd.concat([design.y_train, design.y_test])
    frame = pd.DataFrame({"observed": y.to_numpy(), "predicted": result.pipeline.predict(X)}, index=X.index)
    frame["residual"] = frame["observed"] - frame["predicted"]
    frame["in_test"] = frame.index.isin(design.X_test.index)
    return frame[~frame.index.duplicated(keep="first")]


def regulated_genes_table(
    table: DETable, result: ModelResult, design: Design, *, n: int = 15, direction: str = "up"
) -> pd.DataFrame:
    """Top up- (largest logFC) or down-regulated genes with the best model's prediction and residual.

    Columns: symbol, title, logFC, adjusted p (the table's own headers), ``predicted <target>``,
    ``residual`` and ``held out`` (whether the gene was in the test set, i.e. the prediction is
    out-of-sample).
    """
    if direction not in ("up", "down"):
        raise ValueError(f"direction must be 'up' or 'down'; got {direction!r}")
    column = "logFC" if "logFC" in table.data else design.target
    data = table.data.dropna(subset=[column])
    picked = data.nlargest(n, column) if direction == "up" else data.nsmallest(n, column)
    shown = [c for c in ("gene_id", "symbol", "title", "logFC", "padj") if c in picked]
    frame = picked[list(dict.fromkeys(shown + [column]))].set_index("gene_id", drop=False)
    model_view = all_predictions(result, design).reindex(frame.index)
    frame[f"predicted {design.target_label}"] = model_view["predicted"].to_numpy()
    frame["residual"] = model_view["residual"].to_numpy()
    held_out = model_view["in_test"].map({True: "yes", False: "no"})
    frame["held out"] = held_out.fillna("not modelled (max_rows subset)").to_numpy()
    return frame.rename(columns=table.display_name).reset_index(drop=True)


#: tools whose rows are genes (RNA-seq counts, single cells), never microarray probes.
_GENE_ROW_TOOLS = ("DESeq2", "PyDESeq2", "edgeR", "limma-voom", "Seurat")
#: gene identifiers (Ensembl gene, optionally versioned; Entrez numbers): rows named so are genes, not probes.
_GENE_ID = re.compile(r"^(ENS[A-Z]*G\d{6,}(\.\d+)?|\d+)$")


def rows_are_probes(table: DETable) -> bool:
    """Whether the table's rows are microarray probes (not genes): neither an RNA-seq tool nor gene IDs."""
    if table.tool.startswith(_GENE_ROW_TOOLS):
        return False
    ids = table.data["gene_id"].astype(str) if "gene_id" in table.data else pd.Series(dtype=str)
    return bool(len(ids)) and not bool(ids.str.match(_GENE_ID).mean() > 0.5)


def _residual_reason(
    row: pd.Series, *, target: str, target_label: str, residual_sd: float, rows_per_gene: dict,
    saw_statistics: bool, probes: bool, has_symbols: bool = True,
) -> str:
    """A sentence on why one badly predicted gene deserves a look, in terms of what the model saw.

    ``saw_statistics``: a statistic or p-value was among the features (only then can a change be
    "larger than its statistics imply"); ``probes``: the rows are microarray probes (only then is a
    row called a probe); ``has_symbols``: the table names genes by symbol at all.
    """
    size = abs(row["residual"]) / residual_sd if residual_sd > 0 else float("nan")
    direction = "higher" if row["residual"] > 0 else "lower"
    parts = [f"observed {target_label} is {size:.1f} residual sd {direction} than the model's features predict"]
    row_word = "probe" if probes else "row"
    symbols = split_symbols(row.get("symbol"))
    if has_symbols and not symbols:
        parts.append(f"the {row_word} has no gene symbol"
                     + (" (control or unannotated probe: check what it measures)" if probes else
                        " (check what it measures before following it up)"))
    elif len(symbols) > 1:
        parts.append(f"the {row_word} maps to several genes ({', '.join(symbols[:3])}), so its signal may mix them")
    elif symbols and rows_per_gene.get(symbols[0], 1) > 1:
        count = rows_per_gene[symbols[0]]
        parts.append(f"{symbols[0]} has {count} rows in the table: compare them, "
                     + ("a disagreeing probe points to a splice form or a poor probe" if probes else
                        "they may be transcripts, versions or duplicated entries of one gene"))
    elif target != "logFC" or not saw_statistics:
        parts.append("the model's features point elsewhere: check the gene's expression level and per-sample "
                     "values, it may be a genuine exception worth following up")
    elif abs(row["observed"]) > abs(row["predicted"]):
        parts.append("a larger change than its statistics imply, i.e. a noisy one: a few samples or a "
                     "subgroup may drive it, so check the per-sample values before trusting it")
    else:
        parts.append("a smaller change than its statistics imply, i.e. an unusually consistent one: a small "
                     "but reliable shift, easy to overlook when genes are ranked by fold change")
    return "; ".join(parts) + "."


def residual_outliers(result: ModelResult, design: Design, table: DETable, *, n: int = 15) -> pd.DataFrame:
    """Held-out genes the model explains worst (largest \\|residual\\|), each with a reason to look.

    A large residual means the gene's target does not follow the relationship that holds for
    most genes; each reason names only what the model saw (a fold change "larger than its
    statistics imply" only when a statistic was a feature) and calls rows probes only in a
    microarray table.
    """
    frame = predictions(result, design)
    residual_sd = float(frame["residual"].std(ddof=1)) if len(frame) > 1 else 0.0
    order = np.argsort(-frame["residual"].abs().to_numpy(), kind="stable")[:n]
    worst = frame.iloc[order]
    genes = table.data.set_index("gene_id", drop=False)
    genes = genes.loc[~genes.index.duplicated(keep="first"), _gene_columns(table)]
    merged = genes.reindex(worst.index).join(worst)
    rows_per_gene: dict[str, int] = {}
    if "symbol" in table.data:
        for symbols in table.data["symbol"].map(split_symbols):
            if len(symbols) == 1:
                rows_per_gene[symbols[0]] = rows_per_gene.get(symbols[0], 0) + 1
    saw_statistics = any(feature in TEST_COLUMNS for feature in design.features)
    probes = rows_are_probes(table)
    merged["why look"] = [
        _residual_reason(row, target=design.target, target_label=design.target_label, residual_sd=residual_sd,
                         rows_per_gene=rows_per_gene, saw_statistics=saw_statistics, probes=probes,
                         has_symbols="symbol" in table.data)
        for _, row in merged.iterrows()
    ]
    label = design.target_label
    merged = merged.rename(columns={"observed": f"observed {label}", "predicted": f"predicted {label}"})
    return merged.rename(columns=table.display_name).reset_index(drop=True)
