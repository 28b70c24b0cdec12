"""The leaderboards: independent features beside all features, and what leakage buys."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from degtools import (
    audit_leakage,
    compare_feature_sets,
    compare_models,
    compare_ranking,
    prepare_design,
    read_de_table,
)
from degtools.results import leaderboard_entries


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
    assert any("Tuning (fast) is spent on the independent leaderboard" in note for note in boards.notes)
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

def test_selecting_a_derived_feature_needs_the_switch(synthetic_table):
    from degtools import ParamsError

    table = read_de_table(synthetic_table)
    design = prepare_design(table, target="logFC")
    audit = audit_leakage(table, target="logFC", features=design.features)
    with pytest.raises(ParamsError, match="derived columns need derived_features: true"):
        compare_feature_sets(design, audit, features=["neg_log10_p"], models=("DummyRegressor",))

def test_leaderboard_and_ranking_figures(synthetic_table, demo_slice):
    from degtools import plots

    table = read_de_table(synthetic_table)
    design = prepare_design(table, target="logFC")
    audit = audit_leakage(table, target="logFC", features=design.features)
    boards = compare_feature_sets(design, audit, models=("DummyRegressor", "LinearRegression"), seed=0)
    figure = plots.plot_leaderboards(boards)
    ax = figure.axes[0]
    # one bar per model and leaderboard, as long as that model's mean CV R² on that leaderboard
    expected = [np.mean(result.cv_scores["r2"]) for board in boards.boards.values() for result in board.results]
    assert sorted(patch.get_width() for patch in ax.patches) == pytest.approx(sorted(expected))
    assert ax.get_xlabel() == "mean R² in cross-validation"
    assert [text.get_text() for text in ax.get_legend().get_texts()] == [
        "independent features",
        "all features",
    ]
    demo = read_de_table(demo_slice)
    demo_design = prepare_design(demo, target="logFC")
    ranking = compare_ranking(demo_design, demo, seed=0)
    assert any("arithmetic" in note for note in ranking.notes)
    ranking_ax = plots.plot_ranking_comparison(ranking).axes[0]
    assert len(ranking_ax.get_yticklabels()) == 3
    assert ranking_ax.get_xlim()[0] <= min(0.0, ranking.table.iloc[:, 1].min())
    # two bars per row (Spearman, AUC), each with its 95% interval over the repeated splits
    from matplotlib.container import BarContainer

    bars = [container for container in ranking_ax.containers if isinstance(container, BarContainer)]
    assert len(ranking_ax.patches) == 6 and len(bars) == 2
    assert all(container.errorbar is not None for container in bars)

@pytest.mark.slow
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
    # the contrast board runs the requested models of leaderboards.CONTRAST_MODELS only
    assert {entry["name"] for entry in results["leaderboards"]["all"]} == {"DummyRegressor", "Ridge"}
    assert {entry["name"] for entry in results["leaderboards"]["independent"]} == {
        "DummyRegressor", "Ridge", "KNeighborsRegressor"}
    assert results["models"] == [
        {key: entry[key] for key in ("name", "cv", "test", "fit_seconds", "cv_seconds", "tuning_seconds")}
        for entry in results["leaderboards"]["independent"]
    ]
    assert results["target_explanation"].startswith("log2FoldChange is the log2 fold change")
    # airway has an adjusted p-value with significant genes on both sides of the split: the ranking is there
    ranking = results["ranking"]
    assert ranking is not None and ranking["threshold"] == 0.05 and len(ranking["rows"]) == 3
    approaches = [row["ranking by"] for row in ranking["rows"]]
    assert approaches[0] == ("genes ranked by predicted |log2FoldChange| (regression: HistGradientBoostingRegressor "
                             "on |log2FoldChange|)")
    assert approaches[1] == ("genes ranked by predicted probability of padj < 0.05 (classification: "
                             "HistGradientBoostingClassifier)")
    assert approaches[2].startswith("genes ranked by the observed label")
    assert [row["AUC for significance"] is None for row in ranking["rows"]] == [False, False, True]
    for row in ranking["rows"][:2]:  # each score with its 95% interval over the repeated splits
        assert row["AUC 95% CI low"] <= row["AUC for significance"] <= row["AUC 95% CI high"]
        assert row["Spearman 95% CI low"] <= row["Spearman with |log2FoldChange|"] <= row["Spearman 95% CI high"]


def test_the_contrast_board_runs_the_faster_models_only(synthetic_table):
    from degtools.leaderboards import contrast_models

    models = ("DummyRegressor", "LinearRegression", "RandomForestRegressor", "KNeighborsRegressor", "SVR")
    assert contrast_models(models) == ("DummyRegressor", "LinearRegression")
    assert contrast_models("all") == ("DummyRegressor", "LinearRegression", "Ridge", "Lasso", "ElasticNet",
                                      "HistGradientBoostingRegressor")
    assert contrast_models(("DummyRegressor", "SVR")) == ("DummyRegressor", "SVR")  # nothing cheap: keep them
    table = read_de_table(synthetic_table)
    design = prepare_design(table, target="logFC", seed=0)
    audit = audit_leakage(table, target="logFC", features=design.features)
    boards = compare_feature_sets(design, audit, models=models, seed=0, cv_folds=3)
    assert boards.main == "independent"
    assert [r.name for r in boards.boards["independent"].results] == list(models)
    assert [r.name for r in boards.boards["all"].results] == list(contrast_models(models))
    assert any("leaves RandomForestRegressor, KNeighborsRegressor, SVR to the independent leaderboard" in note
               for note in boards.notes)
