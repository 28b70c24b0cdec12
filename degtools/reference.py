"""Features from outside the table: added columns (pathways, another study) and the reference join.

:func:`compare_feature_variant` refits a few models with and without the extra columns on the same
rows and split (a second DE table joined by gene symbol, see :mod:`degtools.studies`, gives such columns).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from degtools.compare import ModelComparison, compare_models
from degtools.interpret import permutation_importances
from degtools.io import DETable
from degtools.prepare import Design, prepare_design

#: the models refitted when pathway or reference features are added (cheap, and one of them linear
#: so its weights can be read); tree ensembles with dozens of extra columns would cost minutes.
VARIANT_MODELS = ("LinearRegression", "GradientBoostingRegressor")


def with_extra_features(table: DETable, extra: pd.DataFrame) -> DETable:
    """A copy of ``table`` with the numeric columns of ``extra`` (indexed by gene ID) added as features."""
    data = table.data.copy()
    column_map = dict(table.column_map)
    aligned = extra.reindex(data["gene_id"].to_numpy())
    for column in extra.columns:
        data[column] = aligned[column].to_numpy(dtype=float)
        column_map[column] = column
    return replace(table, data=data, column_map=column_map)


@dataclass
class FeatureVariant:
    """Models with and without a group of extra features, on the same rows and split."""

    label: str
    extra_features: list[str]
    base: ModelComparison
    extended: ModelComparison
    design: Design
    importances: pd.DataFrame
    alone: ModelComparison | None = None

    def _variants(self) -> list[tuple[str, ModelComparison]]:
        variants = [("table's own features", self.base), (f"own features + {self.label}", self.extended)]
        if self.alone is not None:
            variants.append((f"{self.label} only", self.alone))
        return variants

    def table(self) -> pd.DataFrame:
        """CV and test R² of every variant model without and with the extra features (and with them alone)."""
        rows = []
        for name in (result.name for result in self.base.results):
            for variant, comparison in self._variants():
                result = comparison[name]
                summary = result.cv_summary()
                rows.append({"model": name, "features": variant, "CV R²": summary["r2_mean"],
                             "CV R² sd": summary["r2_sd"], "test R²": result.test["r2"]})
        return pd.DataFrame(rows)



def compare_feature_variant(
    table: DETable,
    extra: pd.DataFrame,
    *,
    target: str,
    label: str,
    rows: pd.Index | None = None,
    test_size: float = 0.2,
    seed: int = 42,
    max_rows: int = 0,
    cv_folds: int = 5,
    models: tuple[str, ...] = VARIANT_MODELS,
    alone: bool = False,
) -> FeatureVariant:
    """Fit ``models`` on the table's own features, then with ``extra`` added, on the same split.

    ``rows`` (gene IDs) restricts both fits to those genes (e.g. the genes a reference study
    covers), so that the two R² compare like with like; ``alone`` also fits the extra features
    without the table's own. The importance of each extra feature is
    the permutation importance (drop in test R²) in the better extended model.
    """
    extended_table = with_extra_features(table, extra)
    if rows is not None:
        keep = extended_table.data["gene_id"].isin(rows)
        extended_table = replace(extended_table, data=extended_table.data.loc[keep].reset_index(drop=True))
    base_features = [column for column in table.numeric_columns if column != target]
    extra_features = [column for column in extra.columns if extended_table.data[column].notna().any()]
    common = {"target": target, "test_size": test_size, "seed": seed, "max_rows": max_rows}
    base_design = prepare_design(extended_table, features=base_features, **common)
    design = prepare_design(extended_table, features=base_features + extra_features, **common)
    base = compare_models(base_design, models=models, cv_folds=cv_folds, seed=seed)
    extended = compare_models(design, models=models, cv_folds=cv_folds, seed=seed)
    importances = permutation_importances(extended.best, design, n_repeats=5, seed=seed)
    importances = importances[importances["feature"].isin(extra_features)].reset_index(drop=True)
    alone_comparison = None
    if alone:
        alone_design = prepare_design(extended_table, features=extra_features, **common)
        alone_comparison = compare_models(alone_design, models=models, cv_folds=cv_folds, seed=seed)
    return FeatureVariant(label, extra_features, base, extended, design, importances, alone_comparison)
