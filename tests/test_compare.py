"""Comparisons you can trust: paired folds, the best by CV, determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from degtools import (
    compare_models,
    predictions,
    prepare_design,
    read_de_table,
)

FEW = ("DummyRegressor", "LinearRegression", "RandomForestRegressor", "KNeighborsRegressor")

@pytest.fixture
def synthetic_design(synthetic_table):
    return prepare_design(read_de_table(synthetic_table), target="logFC")

def test_same_inputs_and_seed_give_identical_metric_tables(synthetic_design):
    first = compare_models(synthetic_design, models=FEW + ("MLPRegressor",), tuning="fast", seed=3)
    second = compare_models(synthetic_design, models=FEW + ("MLPRegressor",), tuning="fast", seed=3)
    pd.testing.assert_frame_equal(first.metric_table(), second.metric_table())
    assert [r.best_params for r in first.results] == [r.best_params for r in second.results]

def test_worker_processes_do_not_change_the_numbers(synthetic_design):
    serial = compare_models(synthetic_design, models=FEW, seed=5)
    parallel = compare_models(synthetic_design, models=FEW, seed=5, n_jobs=2)
    pd.testing.assert_frame_equal(serial.metric_table(), parallel.metric_table())
    # the slowest start first in parallel, but the results keep the order the models were asked in
    assert [r.name for r in parallel.results] == [r.name for r in serial.results] == list(FEW)

def test_table_marks_the_best_and_what_cannot_be_told_apart(synthetic_design):
    comparison = compare_models(synthetic_design, models=FEW, seed=0)
    table = comparison.table()
    assert table.loc[0, "model"] == comparison.best_name != "DummyRegressor"
    dummy = table.set_index("model").loc["DummyRegressor"]
    assert not dummy["indistinguishable from best"] and dummy["p vs best"] < 0.05
    assert table.loc[0, "indistinguishable from best"]
    assert (table["test R² low"] <= table["test R²"]).all() and (
        table["test R²"] <= table["test R² high"]
    ).all()
    assert table["gain over dummy"].iloc[0] == pytest.approx(table["CV R²"].iloc[0] - dummy["CV R²"])
    shown = comparison.display_table()
    assert shown.loc[0, "model"].endswith("(best)") and shown.loc[0, "same as best? (p)"] == "best"
    frame = predictions(comparison.best, synthetic_design)
    assert list(frame.columns) == ["observed", "predicted", "residual"]

def test_nearest_neighbours_never_ask_for_more_neighbours_than_a_fold_has(synthetic_table):
    from degtools import read_de_table
    from degtools.compare import compare_models
    from degtools.prepare import prepare_design

    table = read_de_table(synthetic_table)
    table.data = table.data.head(30)
    design = prepare_design(table, target="logFC", seed=0)
    comparison = compare_models(design, models="KNeighborsRegressor", cv_folds=2, seed=0)
    folds_train_rows = len(design.X_train) // 2
    assert 15 > folds_train_rows  # the registry's default would ask for more neighbours than that
    assert comparison["KNeighborsRegressor"].pipeline.named_steps["model"].n_neighbors <= folds_train_rows
    assert all(np.isfinite(comparison["KNeighborsRegressor"].cv_scores["r2"]))
