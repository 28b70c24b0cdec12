"""Regression or classification? How well each ranks held-out genes by the size of their change.

Both sides are treated alike: the same features as the main leaderboard, the same model family
(histogram gradient boosting) at its default settings (neither side tuned), the same seeded
splits, repeated; each score is the mean over splits with a 95% Student-t interval.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupShuffleSplit, ShuffleSplit
from threadpoolctl import threadpool_limits

from degtools.leakage import TEST_COLUMNS
from degtools.numeric import mean_interval, spearman
from degtools.prepare import Design, gene_groups

#: seeded train/test splits the comparison is repeated over.
RANKING_REPEATS = 5


@dataclass
class RankingComparison:
    """Regression of |change| vs classification of significance, for ranking held-out genes.

    ``table``: one row per way of ranking (``ranking by``), with ``Spearman with |logFC|`` and ``AUC for
    significance`` (means over ``repeats`` splits) and their 95% intervals (``... 95% CI low/high``).
    """

    table: pd.DataFrame
    threshold: float
    significant_train: int
    significant_test: int
    magnitude_label: str
    notes: list[str] = field(default_factory=list)
    repeats: int = RANKING_REPEATS
    scores: pd.DataFrame | None = None


def _splits(X: pd.DataFrame, groups: pd.Series | None, *, test_share: float, seed: int, repeats: int):
    if groups is None:
        return ShuffleSplit(n_splits=repeats, test_size=test_share, random_state=seed).split(X)
    return GroupShuffleSplit(n_splits=repeats, test_size=test_share, random_state=seed).split(X, groups=groups)


def compare_ranking(
    design: Design, table, *, padj_threshold: float = 0.05, seed: int = 42, repeats: int = RANKING_REPEATS
) -> RankingComparison | None:
    """Does binarising the target (significant or not) lose what regression keeps?

    A regressor learns |log fold change| directly (not the absolute value of a signed prediction);
    a classifier learns "adjusted p below ``padj_threshold``". Both use the main leaderboard's
    features (less the fold change itself, should it be one), default settings and the same
    ``repeats`` seeded train/test splits (by gene when genes repeat, with the design's test share).
    On each split's held-out genes: Spearman of each ranking with the observed |log fold change|
    and AUC for significance. A row for the observed 0/1 label shows what the label itself keeps.

    Returns None (nothing to compare) when the table has no adjusted p-value or a class is absent.
    """
    if "padj" not in table.data.columns:
        return None
    data = table.data.drop_duplicates("gene_id")
    genes = data.set_index("gene_id")
    magnitude_column = "logFC" if "logFC" in genes.columns else design.target
    features = [f for f in design.features if f != magnitude_column]
    if not features:
        return None
    X = pd.concat([design.X_train, design.X_test])
    X = X.loc[~X.index.duplicated(keep="first"), features]
    magnitude = genes[magnitude_column].reindex(X.index).abs()
    keep = magnitude.notna().to_numpy()
    X, magnitude = X.loc[keep], magnitude.loc[keep].to_numpy(dtype=float)
    # DESeq2 leaves padj empty for filtered genes: they were not called significant.
    significant = (genes["padj"].reindex(X.index) < padj_threshold).to_numpy()
    if significant.all() or not significant.any():
        return None
    groups = gene_groups(data)
    if groups is not None:
        groups = pd.Series(groups.to_numpy(), index=data["gene_id"].to_numpy()).reindex(X.index)
    test_share = len(design.X_test) / (len(design.X_train) + len(design.X_test))
    magnitude_label = f"|{table.display_name(magnitude_column)}|"
    approaches = (
        f"genes ranked by predicted {magnitude_label} (regression: HistGradientBoostingRegressor on "
        f"{magnitude_label})",
        f"genes ranked by predicted probability of {table.display_name('padj')} < {padj_threshold:g} "
        "(classification: HistGradientBoostingClassifier)",
        f"genes ranked by the observed label: {table.display_name('padj')} < {padj_threshold:g} or not (0/1)",
    )
    records = []
    for repeat, (train, test) in enumerate(_splits(X, groups, test_share=test_share, seed=seed, repeats=repeats)):
        if significant[train].all() or not significant[train].any():
            continue
        with threadpool_limits(limits=1):
            regressor = HistGradientBoostingRegressor(random_state=seed).fit(X.iloc[train], magnitude[train])
            classifier = HistGradientBoostingClassifier(random_state=seed).fit(X.iloc[train], significant[train])
            scores = (regressor.predict(X.iloc[test]), classifier.predict_proba(X.iloc[test])[:, 1],
                      significant[test].astype(float))
        both = significant[test].any() and not significant[test].all()
        for approach, score in zip(approaches, scores, strict=True):
            records.append({
                "split": repeat, "ranking by": approach, "spearman": spearman(score, magnitude[test]),
                "auc": float(roc_auc_score(significant[test], score)) if both and approach != approaches[2]
                else np.nan,
            })
    if not records:
        return None
    scores = pd.DataFrame(records)
    rows = []
    for approach in approaches:
        mine = scores.loc[scores["ranking by"] == approach]
        # an interval of a correlation stays within [-1, 1], of an AUC within [0, 1]
        spearman_low, spearman_high = np.clip(mean_interval(mine["spearman"]), -1.0, 1.0)
        auc_low, auc_high = np.clip(mean_interval(mine["auc"]), 0.0, 1.0)
        rows.append({
            "ranking by": approach,
            f"Spearman with {magnitude_label}": float(mine["spearman"].mean()),
            "Spearman 95% CI low": float(spearman_low), "Spearman 95% CI high": float(spearman_high),
            "AUC for significance": float(mine["auc"].mean()) if mine["auc"].notna().any() else np.nan,
            "AUC 95% CI low": float(auc_low), "AUC 95% CI high": float(auc_high),
        })
    splits = int(scores["split"].nunique())
    share = f"{100 * test_share:.0f}%"
    notes = [
        f"Both sides use the main leaderboard's features ({', '.join(design.feature_labels[f] for f in features)}), "
        f"histogram gradient boosting at its default settings (neither side tuned) and the same {splits} seeded "
        f"splits ({share} of genes held out{', by gene' if groups is not None else ''}); scores are the mean over "
        "splits with a 95% t-interval.",
        f"Significant: {table.display_name('padj')} < {padj_threshold:g} ({int(significant.sum()):,} of "
        f"{len(significant):,} genes); genes without an adjusted p-value count as not significant.",
    ]
    if magnitude_column in design.features:
        notes.append(f"{table.display_name(magnitude_column)} itself is left out of the features here: it is what "
                     "the regression predicts.")
    from_test = [design.feature_labels[f] for f in features if f in TEST_COLUMNS]
    if from_test:
        notes.append(
            f"{', '.join(from_test)} {'is a feature' if len(from_test) == 1 else 'are features'} "
            "here, and significance is computed from the same test: an AUC near 1 is arithmetic."
        )
    in_train = X.index.isin(design.X_train.index)
    return RankingComparison(pd.DataFrame(rows), padj_threshold, int(significant[in_train].sum()),
                             int(significant[~in_train].sum()),
                             magnitude_label, notes, splits, scores)
