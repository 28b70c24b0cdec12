"""One function per figure. Each takes ``ax=None`` (or ``axes``), draws, and returns the Figure."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from degtools.evaluate import ModelComparison
from degtools.tables import DETable


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def plot_distributions(table: DETable, *, axes: np.ndarray | None = None, bins: int = 50) -> Figure:
    """Histogram of every numeric column, titled with the user's header."""
    columns = table.numeric_columns
    if axes is None:
        ncols = min(4, len(columns))
        nrows = math.ceil(len(columns) / ncols)
        fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 2.5 * nrows), layout="constrained",
                                 squeeze=False)
    axes = np.asarray(axes).ravel()
    for ax, column in zip(axes, columns):
        values = table.data[column].dropna()
        ax.hist(values, bins=bins, color="#4c72b0")
        ax.set_title(table.display_name(column), fontsize=10)
        ax.set_ylabel("genes")
    for ax in axes[len(columns):]:
        ax.set_visible(False)
    return axes[0].figure


def plot_model_comparison(comparison: ModelComparison, *, ax: Axes | None = None) -> Figure:
    """Mean CV R² per model with ± sd error bars; the dummy baseline as a dashed line."""
    table = comparison.table()
    ax = _axes(ax, (7, 0.45 * len(table) + 1.2))
    order = table.iloc[::-1]
    colors = ["#999999" if name == "DummyRegressor" else
              ("#c44e52" if name == comparison.best_name else "#4c72b0") for name in order["model"]]
    ax.barh(order["model"], order["CV R²"], xerr=order["CV R² sd"], color=colors, capsize=3)
    if "DummyRegressor" in set(table["model"]):
        baseline = float(table.loc[table["model"] == "DummyRegressor", "CV R²"].iloc[0])
        ax.axvline(baseline, color="black", linestyle="--", linewidth=1, label="dummy baseline")
        ax.legend(loc="lower right", fontsize=8)
    ax.set_xlabel(f"R² in {comparison.cv_folds}-fold cross-validation (mean ± sd)")
    low = min(0.0, float((order["CV R²"] - order["CV R² sd"]).min()))
    ax.set_xlim(max(low, -1.0) - 0.05, 1.05)
    return ax.figure


def plot_predicted_vs_observed(predictions: pd.DataFrame, *, label: str = "target", ax: Axes | None = None) -> Figure:
    """Test-set prediction against observation, with the identity line."""
    ax = _axes(ax, (4.5, 4.5))
    ax.scatter(predictions["observed"], predictions["predicted"], s=4, alpha=0.4, color="#4c72b0")
    low = float(min(predictions["observed"].min(), predictions["predicted"].min()))
    high = float(max(predictions["observed"].max(), predictions["predicted"].max()))
    ax.plot([low, high], [low, high], color="black", linewidth=1, linestyle="--", label="perfect prediction")
    ax.set_xlabel(f"observed {label}")
    ax.set_ylabel(f"predicted {label}")
    ax.legend(loc="upper left", fontsize=8)
    return ax.figure


def plot_residuals(predictions: pd.DataFrame, *, label: str = "target", ax: Axes | None = None) -> Figure:
    """Residual (observed - predicted) against prediction on the test set."""
    ax = _axes(ax, (4.5, 4.5))
    ax.scatter(predictions["predicted"], predictions["residual"], s=4, alpha=0.4, color="#55a868")
    ax.axhline(0, color="black", linewidth=1, linestyle="--")
    ax.set_xlabel(f"predicted {label}")
    ax.set_ylabel("residual (observed - predicted)")
    return ax.figure


def plot_importances(importances: pd.DataFrame, *, title: str = "", ax: Axes | None = None) -> Figure:
    """Horizontal bars of a feature-importance table (``feature``, ``importance``, optional ``sd``)."""
    ax = _axes(ax, (5.5, 0.4 * len(importances) + 1.2))
    order = importances.iloc[::-1]
    xerr = order["sd"] if "sd" in order else None
    ax.barh(order["feature"], order["importance"], xerr=xerr, color="#8172b2", capsize=3)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("importance")
    if title:
        ax.set_title(title, fontsize=10)
    return ax.figure


def plot_leaderboards(leaderboards, *, ax: Axes | None = None) -> Figure:
    """Mean CV R² per model under each feature set, side by side: what the leakage buys."""
    frame = leaderboards.side_by_side()
    columns = [column for column in frame.columns if column.startswith("CV R²")]
    ax = _axes(ax, (7, 0.5 * len(frame) + 1.4))
    order = frame.iloc[::-1]
    positions = np.arange(len(order))
    height = 0.8 / max(len(columns), 1)
    colours = ["#4c72b0", "#c44e52", "#55a868"]
    for number, column in enumerate(columns):
        ax.barh(positions + number * height - 0.4 + height / 2, order[column].fillna(0), height=height,
                color=colours[number % len(colours)], label=column.removeprefix("CV R², "))
    ax.set_yticks(positions, order.index)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("mean R² in cross-validation")
    ax.set_xlim(max(min(0.0, float(np.nanmin(order[columns].to_numpy()))), -1.0) - 0.05, 1.05)
    ax.legend(loc="best", fontsize=8)
    return ax.figure


def plot_ranking_comparison(ranking, *, ax: Axes | None = None) -> Figure:
    """Spearman with |logFC| and AUC for significance of each way of ranking the test genes."""
    table = ranking.table
    ax = _axes(ax, (7, 0.9 * len(table) + 1.2))
    metrics = [column for column in table.columns if column != "ranking by"]
    positions = np.arange(len(table))[::-1]
    height = 0.38
    for number, (metric, colour) in enumerate(zip(metrics, ["#8172b2", "#dd8452"], strict=False)):
        values = table[metric].to_numpy(dtype=float)
        ax.barh(positions + (0.5 - number) * height, np.nan_to_num(values), height=height, color=colour,
                label=metric)
    labels = [text if len(text) <= 48 else text[:46] + "…" for text in table["ranking by"]]
    ax.set_yticks(positions, labels, fontsize=8)
    lowest = float(np.nanmin(table[metrics].to_numpy(dtype=float)))
    ax.set_xlim(min(0.0, lowest) - 0.05, 1.05)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("score on the test genes (higher is better)")
    ax.legend(loc="lower right", fontsize=8)
    return ax.figure
