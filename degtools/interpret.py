"""What drives the predictions, and which genes stand out."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance

from degtools.evaluate import ModelComparison, ModelResult, predictions
from degtools.prepare import Design
from degtools.tables import DETable

#: models whose fitted estimator exposes impurity-based importances worth showing.
TREE_ENSEMBLES = ("RandomForestRegressor", "GradientBoostingRegressor", "HistGradientBoostingRegressor")


def permutation_importances(
    result: ModelResult, design: Design, *, n_repeats: int = 10, seed: int = 42
) -> pd.DataFrame:
    """Drop in test R² when each feature is shuffled (mean and sd over repeats), largest first."""
    outcome = permutation_importance(
        result.pipeline, design.X_test, design.y_test, scoring="r2", n_repeats=n_repeats, random_state=seed
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


def top_genes(table: DETable, *, column: str = "logFC", n: int = 15, direction: str = "up") -> pd.DataFrame:
    """The ``n`` genes with the largest (``up``) or smallest (``down``) value of ``column``."""
    if direction not in ("up", "down"):
        raise ValueError(f"direction must be 'up' or 'down'; got {direction!r}")
    shown = _gene_columns(table) + [c for c in ("logFC", "mean_expr", "stat", "pvalue", "padj") if c in table.data]
    data = table.data.dropna(subset=[column])
    picked = data.nlargest(n, column) if direction == "up" else data.nsmallest(n, column)
    picked = picked[list(dict.fromkeys(shown + [column]))]
    return picked.rename(columns=table.display_name).reset_index(drop=True)


def worst_predicted_genes(result: ModelResult, design: Design, table: DETable, *, n: int = 15) -> pd.DataFrame:
    """Test-set genes with the largest absolute residual (observed - predicted) of ``result``."""
    frame = predictions(result, design)
    order = np.argsort(-frame["residual"].abs().to_numpy(), kind="stable")[:n]
    worst = frame.iloc[order]
    genes = table.data.set_index("gene_id", drop=False)
    genes = genes.loc[~genes.index.duplicated(keep="first"), _gene_columns(table)]
    merged = genes.reindex(worst.index).join(worst)
    target_label = design.target_label
    merged = merged.rename(columns={"observed": f"observed {target_label}", "predicted": f"predicted {target_label}"})
    return merged.rename(columns=table.display_name).reset_index(drop=True)
