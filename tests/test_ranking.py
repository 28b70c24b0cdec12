"""Regression or classification for ranking the test genes."""

from __future__ import annotations

import numpy as np
import pandas as pd

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
    auc = ranking.table["AUC for significance"]
    assert auc.iloc[:2].between(0, 1).all() and np.isnan(auc.iloc[2])
    assert ranking.table.columns[1] == "Spearman with |logFC|"
    assert ranking.significant_test > 0

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
