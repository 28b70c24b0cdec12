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
