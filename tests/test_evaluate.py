"""Comparisons you can trust: paired tests, intervals, leaderboards, determinism."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from degtools import (
    add_derived_columns,
    audit_leakage,
    compare_feature_sets,
    compare_models,
    compare_ranking,
    predictions,
    prepare_design,
    read_de_table,
)
from degtools.evaluate import (
    bootstrap_intervals,
    corrected_resampled_ttest,
    leaderboard_entries,
    tune_pipeline,
)

FEW = ("DummyRegressor", "LinearRegression", "RandomForestRegressor", "KNeighborsRegressor")


@pytest.fixture
def synthetic_design(synthetic_table):
    return prepare_design(read_de_table(synthetic_table), target="logFC")


def test_corrected_ttest_matches_the_formula_by_hand():
    a = np.array([0.80, 0.82, 0.79, 0.85, 0.81])
    b = np.array([0.78, 0.80, 0.80, 0.80, 0.79])
    d = a - b
    variance = np.sum((d - d.mean()) ** 2) / 4
    t_by_hand = d.mean() / np.sqrt((1 / 5 + 100 / 400) * variance)
    t, p = corrected_resampled_ttest(a, b, n_train=400, n_test=100)
    assert t == pytest.approx(t_by_hand)
    assert p == pytest.approx(2 * (1 - stats.t.cdf(abs(t_by_hand), 4)))
    # The correction widens the interval: the naive paired t-test is more confident.
    assert p > stats.ttest_rel(a, b).pvalue
    assert corrected_resampled_ttest(a, a, n_train=4, n_test=1) == (0.0, 1.0)
    with pytest.raises(ValueError, match="at least 2 paired folds"):
        corrected_resampled_ttest([1.0], [0.5], n_train=4, n_test=1)


def test_bootstrap_intervals_bracket_the_estimate_and_repeat():
    rng = np.random.default_rng(0)
    y = rng.normal(size=300)
    predicted = y + rng.normal(scale=0.5, size=300)
    first = bootstrap_intervals(y, predicted, seed=1)
    assert first == bootstrap_intervals(y, predicted, seed=1)
    r2 = 1 - np.sum((y - predicted) ** 2) / np.sum((y - y.mean()) ** 2)
    assert first["r2"][0] < r2 < first["r2"][1]
    rmse = np.sqrt(np.mean((y - predicted) ** 2))
    assert first["rmse"][0] < rmse < first["rmse"][1]
    # Against a plain loop over resamples drawn the same way.
    draws = np.random.default_rng(1).integers(0, 300, size=(200, 300))
    loop = [np.mean(np.abs(y[rows] - predicted[rows])) for rows in draws]
    small = bootstrap_intervals(y, predicted, seed=1, resamples=200)
    assert small["mae"] == pytest.approx(tuple(np.percentile(loop, [2.5, 97.5])))


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


def test_tuning_searches_inside_the_training_part(synthetic_design):
    pipeline, chosen, seconds = tune_pipeline("Ridge", synthetic_design, tuning="fast", seed=0)
    assert set(chosen) == {"alpha"} and seconds > 0
    assert pipeline.get_params()["model__alpha"] == chosen["alpha"]
    _, nothing, no_time = tune_pipeline("LinearRegression", synthetic_design, tuning="thorough", seed=0)
    assert nothing == {} and no_time == 0.0
    _, halving, _ = tune_pipeline("KNeighborsRegressor", synthetic_design, tuning="thorough", seed=0)
    assert set(halving) == {"n_neighbors", "weights"}


def test_two_leaderboards_show_what_leakage_buys(synthetic_table):
    table = read_de_table(synthetic_table)
    design = prepare_design(table, target="logFC")
    audit = audit_leakage(table, target="logFC", features=design.features)
    boards = compare_feature_sets(design, audit, models=("DummyRegressor", "LinearRegression"), seed=0)
    assert boards.main == "independent"
    assert boards.comparison.features == ["AveExpr"]
    assert boards.boards["all"].features == ["AveExpr", "t", "P.Value", "adj.P.Val", "B"]
    side = boards.side_by_side()
    assert "R² bought by leakage" in side.columns
    assert side.loc["LinearRegression", "R² bought by leakage"] > 0.3
    entries = leaderboard_entries(boards.boards["independent"])
    assert entries[0]["features"] == ["AveExpr"]
    assert {
        "name",
        "cv",
        "test",
        "fit_seconds",
        "cv_seconds",
        "test_ci95",
        "tuning_seconds",
        "indistinguishable_from_best",
        "p_vs_best",
        "gain_over_dummy_r2",
    } <= set(entries[0])
    json.dumps(entries, allow_nan=False)


def test_tuning_goes_to_the_main_leaderboard(synthetic_table, demo_slice):
    models = ("DummyRegressor", "Ridge")
    table = read_de_table(synthetic_table)
    design = prepare_design(table, target="logFC")
    audit = audit_leakage(table, target="logFC", features=design.features)
    boards = compare_feature_sets(design, audit, models=models, seed=0, tuning="fast")
    assert (boards.boards["independent"].tuning, boards.boards["all"].tuning) == ("fast", "none")
    assert boards.boards["independent"]["Ridge"].best_params and not boards.boards["all"]["Ridge"].best_params
    assert "Tuning (fast) is spent on the independent leaderboard" in boards.notes[-1]
    # the contrast board is exactly an untuned comparison on all features
    untuned = compare_models(design, models=models, seed=0, label="all")
    pd.testing.assert_frame_equal(boards.boards["all"].metric_table(), untuned.metric_table())
    # without independent features the all-features board is the main one, and it is tuned
    table = read_de_table(demo_slice)
    design = prepare_design(table, target="logFC")
    audit = audit_leakage(table, target="logFC", features=design.features)
    boards = compare_feature_sets(design, audit, models=models, seed=0, tuning="fast")
    assert boards.main == "all" and boards.comparison.tuning == "fast"
    assert boards.comparison["Ridge"].best_params


def test_no_independent_feature_left_does_not_crash(demo_slice):
    table = read_de_table(demo_slice)
    design = prepare_design(table, target="logFC")
    audit = audit_leakage(table, target="logFC", features=design.features)
    assert audit.independent == []
    boards = compare_feature_sets(design, audit, models=("DummyRegressor", "Ridge"), seed=0)
    assert boards.boards["independent"] is None
    assert boards.main == "all"
    assert "No feature is left" in boards.notes[0]
    assert boards.comparison.best_name == "Ridge"


def test_selected_features_are_flagged_when_they_leak(synthetic_table):
    table = read_de_table(synthetic_table)
    design = prepare_design(table, target="logFC")
    audit = audit_leakage(table, target="logFC", features=design.features)
    boards = compare_feature_sets(
        design, audit, features=["mean_expr", "stat"], models=("DummyRegressor",), seed=0
    )
    assert boards.main == "selected"
    assert boards.comparison.features == ["AveExpr", "t"]
    assert "t" in boards.notes[0]
    only_all = compare_feature_sets(design, audit, features="all", models=("DummyRegressor",), seed=0)
    assert list(only_all.boards) == ["all"]


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


def test_leaderboard_and_ranking_figures(synthetic_table, demo_slice):
    from matplotlib.figure import Figure

    from degtools import plots

    table = read_de_table(synthetic_table)
    design = prepare_design(table, target="logFC")
    audit = audit_leakage(table, target="logFC", features=design.features)
    boards = compare_feature_sets(design, audit, models=("DummyRegressor", "LinearRegression"), seed=0)
    figure = plots.plot_leaderboards(boards)
    assert isinstance(figure, Figure)
    ax = figure.axes[0]
    assert ax.get_xlabel() == "mean R² in cross-validation"
    assert [text.get_text() for text in ax.get_legend().get_texts()] == [
        "independent features",
        "all features",
    ]
    demo = read_de_table(demo_slice)
    demo_design = prepare_design(demo, target="logFC")
    best = compare_models(demo_design, models=("DummyRegressor", "LinearRegression"), seed=0).best
    ranking = compare_ranking(best, demo_design, demo, seed=0)
    assert any("arithmetic" in note for note in ranking.notes)
    ranking_ax = plots.plot_ranking_comparison(ranking).axes[0]
    assert len(ranking_ax.get_yticklabels()) == 3
    assert ranking_ax.get_xlim()[0] <= min(0.0, ranking.table.iloc[:, 1].min())


def test_report_shows_the_audit_both_leaderboards_and_the_ranking(tmp_path):
    from conftest import SHARED_TABLES

    from degtools.render import render_report

    html_path, json_path = render_report(
        {
            "input_table": str(SHARED_TABLES["airway"]),
            "target": "log2FoldChange",
            "max_rows": 400,
            "models": "Ridge,KNeighborsRegressor",
            "tuning": "none",
            "n_jobs": 1,
        },
        out_dir=tmp_path,
    )
    page = html_path.read_text(encoding="utf-8")
    for heading in (
        "Leakage audit",
        "Regression or classification?",
        "independent features:",
        "all features:",
    ):
        assert heading in page
    assert "log2FoldChange = lfcSE × stat for every row" in page
    assert "Traceback" not in page
    results = json.loads(json_path.read_text(encoding="utf-8"))
    verdicts = {entry["feature"]: entry["verdict"] for entry in results["leakage"]}
    assert verdicts == {
        "baseMean": "independent",
        "lfcSE": "partly",
        "stat": "leaks",
        "pvalue": "partly",
        "padj": "partly",
    }
    assert results["main_leaderboard"] == "independent"
    assert [entry["features"] for entry in results["leaderboards"]["independent"]][0] == ["baseMean"]
    assert {entry["name"] for entry in results["leaderboards"]["all"]} == {
        "DummyRegressor",
        "Ridge",
        "KNeighborsRegressor",
    }
    assert results["models"] == [
        {key: entry[key] for key in ("name", "cv", "test", "fit_seconds", "cv_seconds", "tuning_seconds")}
        for entry in results["leaderboards"]["independent"]
    ]
    assert results["target_explanation"].startswith("log2FoldChange is the log2 fold change")
    assert results["ranking"] is None or len(results["ranking"]["rows"]) == 3


def test_selecting_a_derived_feature_needs_the_switch(synthetic_table):
    from degtools import ParamsError

    table = read_de_table(synthetic_table)
    design = prepare_design(table, target="logFC")
    audit = audit_leakage(table, target="logFC", features=design.features)
    with pytest.raises(ParamsError, match="derived columns need derived_features: true"):
        compare_feature_sets(design, audit, features=["neg_log10_p"], models=("DummyRegressor",))


def test_nearest_neighbours_never_ask_for_more_neighbours_than_a_fold_has(synthetic_table):
    from degtools import read_de_table
    from degtools.evaluate import compare_models
    from degtools.prepare import prepare_design

    table = read_de_table(synthetic_table)
    table.data = table.data.head(30)
    design = prepare_design(table, target="logFC", seed=0)
    comparison = compare_models(design, models="KNeighborsRegressor", cv_folds=2, seed=0)
    folds_train_rows = len(design.X_train) // 2
    assert 15 > folds_train_rows  # the registry's default would ask for more neighbours than that
    assert comparison["KNeighborsRegressor"].pipeline.named_steps["model"].n_neighbors <= folds_train_rows
    assert all(np.isfinite(comparison["KNeighborsRegressor"].cv_scores["r2"]))
