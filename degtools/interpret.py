"""What drives the predictions, and which genes stand out."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance

from degtools.compare import ModelComparison, ModelResult, predictions
from degtools.errors import InputError
from degtools.io import DETable
from degtools.io.genes import split_symbols
from degtools.numeric import finite_or_none
from degtools.prepare import Design

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


def _residual_reason(
    row: pd.Series, *, target: str, target_label: str, residual_sd: float, probes_per_gene: dict
) -> str:
    """A sentence on why one badly predicted gene deserves a look."""
    size = abs(row["residual"]) / residual_sd if residual_sd > 0 else float("nan")
    direction = "higher" if row["residual"] > 0 else "lower"
    parts = [f"observed {target_label} is {size:.1f} residual sd {direction} than the other columns predict"]
    symbol = row.get("symbol")
    symbols = split_symbols(symbol)
    if not symbols:
        parts.append("the probe has no gene symbol (control or unannotated probe: check what it measures)")
    elif len(symbols) > 1:
        parts.append("the probe maps to several genes, so its signal may mix them")
    elif probes_per_gene.get(symbols[0], 1) > 1:
        parts.append(f"{symbols[0]} has {probes_per_gene[symbols[0]]} rows in the table: compare them, "
                     "a disagreeing probe points to a splice form or a poor probe")
    elif target != "logFC":
        parts.append("its other columns point elsewhere: check the gene's expression level and per-sample "
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
    most genes (e.g. a fold change far from what its t statistic and p-value imply): noisy or
    multi-gene probes, very low expression, or genuinely unusual genes.
    """
    frame = predictions(result, design)
    residual_sd = float(frame["residual"].std(ddof=1)) if len(frame) > 1 else 0.0
    order = np.argsort(-frame["residual"].abs().to_numpy(), kind="stable")[:n]
    worst = frame.iloc[order]
    genes = table.data.set_index("gene_id", drop=False)
    genes = genes.loc[~genes.index.duplicated(keep="first"), _gene_columns(table)]
    merged = genes.reindex(worst.index).join(worst)
    probes_per_gene: dict[str, int] = {}
    if "symbol" in table.data:
        for symbols in table.data["symbol"].map(split_symbols):
            if len(symbols) == 1:
                probes_per_gene[symbols[0]] = probes_per_gene.get(symbols[0], 0) + 1
    merged["why look"] = [
        _residual_reason(row, target=design.target, target_label=design.target_label, residual_sd=residual_sd,
                         probes_per_gene=probes_per_gene)
        for _, row in merged.iterrows()
    ]
    label = design.target_label
    merged = merged.rename(columns={"observed": f"observed {label}", "predicted": f"predicted {label}"})
    return merged.rename(columns=table.display_name).reset_index(drop=True)


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

    def to_json(self) -> dict:
        """Per-model R² without and with the extra features, and the top importances."""
        def r2(comparison: ModelComparison) -> dict:
            return {result.name: {"cv_r2": float(np.mean(result.cv_scores["r2"])),
                                  "test_r2": float(result.test["r2"])} for result in comparison.results}

        top = self.importances.head(20).to_dict("records")
        entry = {
            "features": list(self.extra_features),
            "rows": len(self.design.X_train) + len(self.design.X_test),
            "without": r2(self.base),
            "with": r2(self.extended),
            "importance": [{"feature": row["feature"], "importance": finite_or_none(row["importance"]),
                            "sd": finite_or_none(row["sd"])} for row in top],
        }
        if self.alone is not None:
            entry["alone"] = r2(self.alone)
        return entry


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
    from degtools.compare import compare_models
    from degtools.prepare import prepare_design

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


@dataclass
class ReferenceJoin:
    """A second DE table joined to this one by gene symbol."""

    name: str
    features: pd.DataFrame
    rows: int
    reference_rows: int
    genes: int
    reference_genes: int
    shared_genes: int
    matched_rows: int
    pearson: float
    spearman: float

    @property
    def matched_ids(self) -> pd.Index:
        """Gene IDs of this table that received reference values."""
        return self.features.index[self.features.notna().any(axis=1)]

    def summary(self) -> pd.DataFrame:
        """Overlap counts and the correlation of the two studies' logFC, for the report."""
        rows = [
            ("rows in this table / in the reference", f"{self.rows:,} / {self.reference_rows:,}"),
            ("gene symbols in this table / in the reference", f"{self.genes:,} / {self.reference_genes:,}"),
            ("gene symbols in both", f"{self.shared_genes:,}"),
            ("rows of this table given reference values", f"{self.matched_rows:,}"),
            ("correlation of the two studies' logFC per gene (Pearson / Spearman)",
             f"{self.pearson:.3f} / {self.spearman:.3f}"),
        ]
        return pd.DataFrame(rows, columns=["item", "value"])

    def to_json(self) -> dict:
        """Overlap counts and correlations."""
        return {"name": self.name, "rows": self.rows, "reference_rows": self.reference_rows,
                "genes": self.genes,
                "reference_genes": self.reference_genes, "shared_genes": self.shared_genes,
                "matched_rows": self.matched_rows, "pearson_logFC": finite_or_none(self.pearson),
                "spearman_logFC": finite_or_none(self.spearman)}


def join_reference(table: DETable, reference: DETable) -> ReferenceJoin:
    """Join ``reference`` to ``table`` by gene symbol: its logFC and statistic become features.

    Both tables are collapsed to one value per gene first (``A /// B`` rows count for each gene;
    of several rows per gene the one with the largest \\|statistic\\| speaks for it). A row of
    ``table`` takes the values of its first symbol.

    Raises
    ------
    InputError
        If either table has no gene symbols.
    """
    from degtools.enrich import gene_level

    for which, frame in (("input table", table), ("reference_table", reference)):
        if not frame.has_symbols:
            raise InputError(
                f"the {which} {frame.path.name} has no gene-symbol column; reference_table joins by symbol. "
                "Give both tables a symbol column (or map IDs with id_map)."
            )
    own_genes = gene_level(table)
    reference_genes = gene_level(reference)
    name = reference.path.name.split(".")[0]
    values = pd.DataFrame(index=reference_genes.index)
    if "logFC" in reference_genes:
        values[f"{name} logFC"] = reference_genes["logFC"].astype(float)
    values[f"{name} statistic"] = reference_genes["metric"].astype(float)
    symbols = table.data["symbol"].map(split_symbols)
    first_symbol = symbols.map(lambda names: names[0] if names else None)
    features = values.reindex(first_symbol.to_numpy())
    features.index = table.data["gene_id"].to_numpy()
    features = features[~features.index.duplicated(keep="first")]
    shared = own_genes.index.intersection(reference_genes.index)
    pearson = spearman = float("nan")
    if len(shared) > 2 and "logFC" in own_genes and "logFC" in reference_genes:
        own = own_genes.loc[shared, "logFC"].astype(float)
        other = reference_genes.loc[shared, "logFC"].astype(float)
        pearson = float(own.corr(other))
        spearman = float(own.corr(other, method="spearman"))
    matched = int(features.notna().any(axis=1).sum())
    if matched == 0:
        raise InputError(
            f"no gene symbol of {table.path.name} occurs in the reference table {reference.path.name}; "
            "expected two studies of the same organism with gene symbols."
        )
    return ReferenceJoin(name, features, len(table.data), len(reference.data), len(own_genes),
                         len(reference_genes), len(shared), matched, pearson, spearman)
