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


def test_fold_scores_equal_scikit_learns_cross_validate_on_the_same_folds(synthetic_design):
    from sklearn.base import clone
    from sklearn.model_selection import cross_validate

    comparison = compare_models(synthetic_design, models=FEW, seed=4)
    splits = list(synthetic_design.cv_splitter(5, 4).split(
        synthetic_design.X_train, synthetic_design.y_train, synthetic_design.groups_train))
    for result in comparison.results:
        scores = cross_validate(clone(result.pipeline), synthetic_design.X_train, synthetic_design.y_train,
                                cv=splits, scoring={"r2": "r2", "rmse": "neg_root_mean_squared_error",
                                                    "mae": "neg_mean_absolute_error"})
        np.testing.assert_allclose(result.cv_scores["r2"], scores["test_r2"], rtol=1e-12)
        np.testing.assert_allclose(result.cv_scores["rmse"], -scores["test_rmse"], rtol=1e-12)
        np.testing.assert_allclose(result.cv_scores["mae"], -scores["test_mae"], rtol=1e-12)


def test_boards_in_one_pool_give_what_each_board_gives_alone(synthetic_design):
    from degtools.compare import Board, compare_boards

    narrow = synthetic_design.with_features(synthetic_design.features[:1])
    together = compare_boards([Board("one", narrow, FEW, "fast"), Board("all", synthetic_design, FEW[:2])],
                              seed=2, n_jobs=2)
    alone = compare_models(narrow, models=FEW, tuning="fast", seed=2, label="one")
    pd.testing.assert_frame_equal(together["one"].metric_table(), alone.metric_table())
    pd.testing.assert_frame_equal(together["all"].metric_table(),
                                  compare_models(synthetic_design, models=FEW[:2], seed=2).metric_table())
    assert together["one"].features == alone.features and together["all"].label == "all"


def test_no_worker_process_outlives_a_parallel_comparison(synthetic_design):
    import psutil

    compare_models(synthetic_design, models=FEW[:2], seed=1, n_jobs=2)
    children = psutil.Process().children(recursive=True)
    # the workers end (loky's small resource tracker stays with the process, as in every joblib user)
    assert not [child for child in children if "popen_loky" in " ".join(child.cmdline())]
