"""The report's figures: each returns a Figure, draws on a given axes, and shows what it says."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from degtools import compare_models, plots, predictions, prepare_design, read_de_table


@pytest.fixture(scope="module")
def comparison_and_design(tmp_path_factory):
    from tests.conftest import DEMO

    path = tmp_path_factory.mktemp("t") / "slice.tsv"
    path.write_text("".join(DEMO.read_text(encoding="utf-8").splitlines(keepends=True)[:401]), encoding="utf-8")
    table = read_de_table(path)
    design = prepare_design(table, target="logFC", seed=0)
    return table, design, compare_models(design, models=["DummyRegressor", "LinearRegression"], cv_folds=3, seed=0)


def test_distributions_one_panel_per_numeric_column(comparison_and_design):
    table, _, _ = comparison_and_design
    fig = plots.plot_distributions(table)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["adj.P.Val", "P.Value", "t", "B", "logFC"]


def test_model_comparison_draws_on_given_axes_with_baseline(comparison_and_design):
    _, _, comparison = comparison_and_design
    fig, ax = plt.subplots()
    assert plots.plot_model_comparison(comparison, ax=ax) is fig
    labels = [tick.get_text() for tick in ax.get_yticklabels()]
    assert set(labels) == {"DummyRegressor", "LinearRegression"}
    widths = sorted(patch.get_width() for patch in ax.patches)
    expected = sorted(np.mean(result.cv_scores["r2"]) for result in comparison.results)
    assert widths == pytest.approx(expected)
    assert any(line.get_label() == "dummy baseline" for line in ax.get_lines())


def test_prediction_plots_show_every_test_gene(comparison_and_design):
    _, design, comparison = comparison_and_design
    frame = predictions(comparison.best, design)
    fig = plots.plot_predicted_vs_observed(frame, label="logFC")
    assert isinstance(fig, Figure) and fig.axes[0].get_xlabel() == "observed logFC"
    assert len(fig.axes[0].collections[0].get_offsets()) == len(design.y_test)
    fig = plots.plot_residuals(frame, label="logFC")
    offsets = fig.axes[0].collections[0].get_offsets()
    assert np.allclose(offsets[:, 1], frame["residual"].to_numpy())


def test_importance_bars_in_given_order():
    frame = pd.DataFrame({"feature": ["t", "B"], "importance": [0.8, 0.1], "sd": [0.01, 0.02]})
    fig = plots.plot_importances(frame, title="x")
    ax = fig.axes[0]
    assert [tick.get_text() for tick in ax.get_yticklabels()] == ["B", "t"]
    assert ax.get_title() == "x"
