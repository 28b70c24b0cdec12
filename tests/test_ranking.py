"""Regression or classification for ranking the test genes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.ensemble import HistGradientBoostingClassifier
from threadpoolctl import threadpool_limits

from degtools import (
    add_derived_columns,
    compare_models,
    compare_ranking,
    prepare_design,
    read_de_table,
)


def test_regression_and_classification_rank_the_test_genes(demo_slice):
    table = add_derived_columns(read_de_table(demo_slice))
    design = prepare_design(table, target="logFC", max_rows=0)
    comparison = compare_models(design, models=("DummyRegressor", "LinearRegression"), seed=0)
    ranking = compare_ranking(comparison.best, design, table, padj_threshold=0.05, seed=0)
    assert ranking is not None
    assert len(ranking.table) == 3
    # Recomputed independently: significance of the test genes, both rankings, AUC as Mann-Whitney U / (n1 n0).
    genes = table.data.drop_duplicates("gene_id").set_index("gene_id")
    sig_train = (genes["padj"].reindex(design.X_train.index) < 0.05).to_numpy()
    sig_test = (genes["padj"].reindex(design.X_test.index) < 0.05).to_numpy()
    fitted = np.abs(comparison.best.pipeline.predict(design.X_train))  # logFC is signed: rank by |prediction|
    orientation = np.sign(stats.spearmanr(fitted, sig_train.astype(float)).statistic)
    regression_score = orientation * np.abs(comparison.best.pipeline.predict(design.X_test))
    with threadpool_limits(limits=1):
        classifier = HistGradientBoostingClassifier(random_state=0).fit(design.X_train, sig_train)
        probability = classifier.predict_proba(design.X_test)[:, 1]

    def auc_by_mann_whitney(score):
        u = stats.mannwhitneyu(score[sig_test], score[~sig_test], alternative="two-sided").statistic
        return u / (sig_test.sum() * (~sig_test).sum())

    auc = ranking.table["AUC for significance"]
    assert auc.iloc[0] == pytest.approx(auc_by_mann_whitney(regression_score), rel=1e-9)
    assert auc.iloc[1] == pytest.approx(auc_by_mann_whitney(probability), rel=1e-9)
    assert np.isnan(auc.iloc[2])
    assert ranking.table.columns[1] == "Spearman with |logFC|"
    magnitude = genes["logFC"].reindex(design.X_test.index).abs().to_numpy()
    assert ranking.table.iloc[0, 1] == pytest.approx(stats.spearmanr(regression_score, magnitude).statistic)
    assert ranking.table.iloc[2, 1] == pytest.approx(stats.spearmanr(sig_test, magnitude).statistic)
    assert ranking.significant_test == int(sig_test.sum()) and ranking.significant_train == int(sig_train.sum())

def test_ranking_needs_an_adjusted_p_value(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"ID": [f"g{i}" for i in range(100)], "logFC": rng.normal(size=100), "AveExpr": rng.normal(size=100)}
    )
    frame.to_csv(tmp_path / "t.csv", index=False)
    table = read_de_table(tmp_path / "t.csv")
    design = prepare_design(table, target="logFC")
    comparison = compare_models(design, models=("DummyRegressor", "LinearRegression"), seed=0)
    assert compare_ranking(comparison.best, design, table) is None
