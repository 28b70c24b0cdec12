"""Regression or classification for ranking the test genes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.model_selection import GroupShuffleSplit, ShuffleSplit
from threadpoolctl import threadpool_limits

from degtools import (
    add_derived_columns,
    compare_ranking,
    prepare_design,
    read_de_table,
)


def test_regression_and_classification_rank_held_out_genes_fairly(demo_slice):
    table = add_derived_columns(read_de_table(demo_slice))
    design = prepare_design(table, target="logFC", max_rows=0).with_features(["pvalue", "B"])
    ranking = compare_ranking(design, table, padj_threshold=0.05, seed=0, repeats=4)
    assert ranking is not None and ranking.repeats == 4
    assert list(ranking.table["ranking by"]) == [
        "genes ranked by predicted |logFC| (regression: HistGradientBoostingRegressor on |logFC|)",
        "genes ranked by predicted probability of adj.P.Val < 0.05 (classification: HistGradientBoostingClassifier)",
        "genes ranked by the observed label: adj.P.Val < 0.05 or not (0/1)",
    ]
    # Recomputed independently for the first split: the regression predicts |logFC| itself (not |prediction|),
    # the classifier significance, both untuned on the same features and rows; AUC as Mann-Whitney U / (n1 n0).
    genes = table.data.drop_duplicates("gene_id").set_index("gene_id")
    X = pd.concat([design.X_train, design.X_test])[["pvalue", "B"]]
    magnitude = genes["logFC"].reindex(X.index).abs().to_numpy()
    significant = (genes["padj"].reindex(X.index) < 0.05).to_numpy()
    symbols = genes["symbol"].reindex(X.index)
    share = len(design.X_test) / len(X)
    if symbols.dropna().duplicated().any():
        groups = ("gene:" + symbols.astype(str)).where(symbols.notna(), "row:" + X.index.astype(str))
        train, test = next(GroupShuffleSplit(n_splits=4, test_size=share, random_state=0).split(X, groups=groups))
    else:
        train, test = next(ShuffleSplit(n_splits=4, test_size=share, random_state=0).split(X))
    with threadpool_limits(limits=1):
        regression = HistGradientBoostingRegressor(random_state=0).fit(X.iloc[train], magnitude[train])
        classifier = HistGradientBoostingClassifier(random_state=0).fit(X.iloc[train], significant[train])
    predicted = regression.predict(X.iloc[test])
    probability = classifier.predict_proba(X.iloc[test])[:, 1]
    sig_test = significant[test]

    def auc_by_mann_whitney(score):
        u = stats.mannwhitneyu(score[sig_test], score[~sig_test], alternative="two-sided").statistic
        return u / (sig_test.sum() * (~sig_test).sum())

    first = ranking.scores.loc[ranking.scores["split"] == 0].set_index("ranking by")
    rows = list(ranking.table["ranking by"])
    assert first.loc[rows[0], "auc"] == pytest.approx(auc_by_mann_whitney(predicted), rel=1e-9)
    assert first.loc[rows[1], "auc"] == pytest.approx(auc_by_mann_whitney(probability), rel=1e-9)
    assert first.loc[rows[0], "spearman"] == pytest.approx(stats.spearmanr(predicted, magnitude[test]).statistic)
    assert first.loc[rows[2], "spearman"] == pytest.approx(stats.spearmanr(sig_test, magnitude[test]).statistic)
    # the table: mean over the splits and the 95% t-interval
    for row, approach in zip(ranking.table.itertuples(index=False), rows, strict=True):
        values = ranking.scores.loc[ranking.scores["ranking by"] == approach, "spearman"].to_numpy()
        half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
        assert row[1] == pytest.approx(values.mean())
        assert (row[2], row[3]) == pytest.approx((values.mean() - half, values.mean() + half))
    assert np.isnan(ranking.table["AUC for significance"].iloc[2])
    assert ranking.table.columns[1] == "Spearman with |logFC|"
    assert "neither side tuned" in ranking.notes[0] and "same 4 seeded splits" in ranking.notes[0]


def test_ranking_needs_an_adjusted_p_value(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"ID": [f"g{i}" for i in range(100)], "logFC": rng.normal(size=100), "AveExpr": rng.normal(size=100)}
    )
    frame.to_csv(tmp_path / "t.csv", index=False)
    table = read_de_table(tmp_path / "t.csv")
    design = prepare_design(table, target="logFC")
    assert compare_ranking(design, table) is None
