"""One function per figure. Each takes ``ax=None`` (or ``axes``), draws, and returns the Figure."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from degtools.compare import ModelComparison
from degtools.errors import InputError
from degtools.figure_text import place_labels, with_alt_text
from degtools.figure_text import plain_text as _plain_text
from degtools.gene_level import DOWN, NOT_SIGNIFICANT, UP, call_regulation
from degtools.io import DETable
from degtools.io.genes import MULTI_GENE_SEPARATOR
from degtools.numeric import P_VALUE_FLOOR, neg_log10_p


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


#: most histograms :func:`plot_distributions` draws; a wider table shows its first columns and says so.
MAX_DISTRIBUTION_PLOTS = 40


@with_alt_text("Histograms of every numeric column of the table: number of genes per value")
def plot_distributions(table: DETable, *, axes: np.ndarray | None = None, bins: int = 50) -> Figure:
    """Histogram of every numeric column (the first :data:`MAX_DISTRIBUTION_PLOTS`), titled with the user's header."""
    columns = table.numeric_columns
    hidden = len(columns) - MAX_DISTRIBUTION_PLOTS
    columns = columns[:MAX_DISTRIBUTION_PLOTS]
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
    if hidden > 0:
        axes[0].figure.suptitle(f"first {MAX_DISTRIBUTION_PLOTS} of {len(columns) + hidden:,} numeric columns "
                                f"({hidden:,} not drawn)", fontsize=10)
    return axes[0].figure


@with_alt_text(
    "Bar chart of each model's mean cross-validated R² with its standard deviation; the dummy "
    "baseline is a dashed line"
)
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


@with_alt_text(
    "Scatter plot of the best model's prediction against the observed value for each test gene; the "
    "dashed diagonal is a perfect prediction"
)
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


@with_alt_text(
    "Scatter plot of each test gene's residual (observed minus predicted) against its prediction; the"
    " dashed line is zero"
)
def plot_residuals(predictions: pd.DataFrame, *, label: str = "target", ax: Axes | None = None) -> Figure:
    """Residual (observed - predicted) against prediction on the test set."""
    ax = _axes(ax, (4.5, 4.5))
    ax.scatter(predictions["predicted"], predictions["residual"], s=4, alpha=0.4, color="#55a868")
    ax.axhline(0, color="black", linewidth=1, linestyle="--")
    ax.set_xlabel(f"predicted {label}")
    ax.set_ylabel("residual (observed - predicted)")
    return ax.figure


@with_alt_text("Bar chart of feature importances")
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


@with_alt_text("Bar chart of each model's mean cross-validated R² under each feature set, side by side")
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


@with_alt_text(
    "Bar chart comparing ways of ranking the test genes: Spearman correlation with |logFC| and AUC "
    "for significance"
)
def plot_ranking_comparison(ranking, *, ax: Axes | None = None) -> Figure:
    """Spearman with |logFC| and AUC for significance of each way of ranking held-out genes (95% intervals)."""
    table = ranking.table
    ax = _axes(ax, (7, 0.9 * len(table) + 1.2))
    metrics = [column for column in table.columns if column != "ranking by" and "95% CI" not in column]
    positions = np.arange(len(table))[::-1]
    height = 0.38
    for number, (metric, colour) in enumerate(zip(metrics, ["#8172b2", "#dd8452"], strict=False)):
        values = table[metric].to_numpy(dtype=float)
        prefix = "Spearman" if metric.startswith("Spearman") else "AUC"
        error = None
        if f"{prefix} 95% CI low" in table:  # mean over repeated splits: draw its 95% interval
            low, high = table[f"{prefix} 95% CI low"].to_numpy(float), table[f"{prefix} 95% CI high"].to_numpy(float)
            error = np.nan_to_num(np.vstack([values - low, high - values]))
        ax.barh(positions + (0.5 - number) * height, np.nan_to_num(values), height=height, color=colour,
                label=metric, xerr=error, capsize=2 if error is not None else 0)
    labels = [text if len(text) <= 60 else text[:58] + "…" for text in table["ranking by"]]
    ax.set_yticks(positions, labels, fontsize=8)
    lowest = float(np.nanmin(table[metrics].to_numpy(dtype=float)))
    ax.set_xlim(min(0.0, lowest) - 0.05, 1.05)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("score on held-out genes, mean over splits with 95% interval (higher is better)")
    ax.legend(loc="lower right", fontsize=8)
    return ax.figure


# --- Biological interpretation: volcano, MA, gene-set dot plot -------------------------------------

#: colours of up- and down-regulated genes (and of the rest).
UP_COLOR, DOWN_COLOR, OTHER_COLOR = "#c44e52", "#4c72b0", "#bbbbbb"


def _gene_labels(table: DETable) -> pd.Series:
    """The first symbol of each row, or its gene ID where there is no symbol."""
    ids = table.data["gene_id"].astype(str)
    if "symbol" not in table.data:
        return ids
    symbols = table.data["symbol"].fillna("").astype(str)
    first = symbols.str.split(MULTI_GENE_SEPARATOR, regex=False).str[0].str.strip()
    return first.where(first.ne(""), ids)


def _significance(table: DETable) -> tuple[pd.Series, str]:
    data = table.data
    if "padj" in data and data["padj"].notna().any():
        return data["padj"], table.display_name("padj")
    return data["pvalue"], table.display_name("pvalue")


def _scatter_by_state(ax: Axes, frame: pd.DataFrame, x: str, y: str) -> None:
    """Not-significant genes in grey below, then down and up genes in colour, counts in the legend."""
    for state, color in ((NOT_SIGNIFICANT, OTHER_COLOR), (DOWN, DOWN_COLOR), (UP, UP_COLOR)):
        part = frame[frame["state"] == state]
        ax.scatter(part[x], part[y], s=5, alpha=0.6, color=color, linewidths=0,
                   label=f"{state} ({len(part):,})", rasterized=True)


def _finish_regulation_plot(ax: Axes, frame: pd.DataFrame, x: str, y: str, *, title: str, n_labels: int,
                            margins: tuple[float, float]) -> None:
    """Title, a legend outside the axes (never under a gene label), and the strongest genes labelled."""
    ax.set_title(title, fontsize=9)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=7, markerscale=2, frameon=False)
    ax.margins(x=margins[0], y=margins[1])
    labelled = frame[frame["state"] != NOT_SIGNIFICANT].nsmallest(n_labels, "p")
    ax.figure.canvas.draw()
    place_labels(ax, labelled[x].to_numpy(), labelled[y].to_numpy(), labelled["label"].tolist())


@with_alt_text(
    "Volcano plot: each dot is a gene, its log fold change against -log10 p-value; up- and down-"
    "regulated genes coloured, the strongest labelled"
)
def plot_volcano(
    table: DETable,
    *,
    padj_threshold: float = 0.05,
    lfc_threshold: float = 1.0,
    n_labels: int = 15,
    ax: Axes | None = None,
) -> Figure:
    """Volcano plot: logFC against -log10 p-value; up/down genes coloured, the strongest labelled.

    Genes count as up (down) when their adjusted p-value is below ``padj_threshold`` and their
    logFC is at least ``lfc_threshold`` (at most ``-lfc_threshold``). The ``n_labels`` significant
    genes with the smallest p-values are labelled by symbol (or ID), without overlapping labels.
    """
    data = table.data
    if "logFC" not in data or "pvalue" not in data:
        raise InputError(
            f"{table.path.name} lacks a log fold change or a p-value column; a volcano plot needs both."
        )
    ax = _axes(ax, (7.5, 5))
    significance, significance_label = _significance(table)
    frame = pd.DataFrame({"logFC": data["logFC"], "p": data["pvalue"],
                          "sig": significance, "label": _gene_labels(table)}).dropna(subset=["logFC", "p"])
    frame["y"] = neg_log10_p(frame["p"])
    significant = frame["sig"] < padj_threshold
    frame["state"] = call_regulation(frame["logFC"], significant, lfc_threshold=lfc_threshold)
    _scatter_by_state(ax, frame, "logFC", "y")
    ax.axvline(lfc_threshold, color="black", linewidth=0.7, linestyle=":")
    ax.axvline(-lfc_threshold, color="black", linewidth=0.7, linestyle=":")
    passing = frame.loc[frame["sig"] < padj_threshold, "p"]
    if not passing.empty:
        ax.axhline(float(neg_log10_p(passing.max())), color="black", linewidth=0.7, linestyle=":")
    ax.set_xlabel(f"{table.display_name('logFC')} (log2 fold change)")
    ax.set_ylabel(f"-log10 {table.display_name('pvalue')}")
    title = f"{significance_label} < {padj_threshold:g} and |logFC| ≥ {lfc_threshold:g}"
    _finish_regulation_plot(ax, frame, "logFC", "y", title=title, n_labels=n_labels, margins=(0.12, 0.08))
    return ax.figure


@with_alt_text(
    "MA plot: each dot is a gene, its mean expression against its log fold change; up- and down-"
    "regulated genes coloured, the strongest labelled"
)
def plot_ma(
    table: DETable,
    *,
    padj_threshold: float = 0.05,
    lfc_threshold: float = 1.0,
    n_labels: int = 15,
    ax: Axes | None = None,
) -> Figure:
    """MA plot: mean expression against logFC, coloured and labelled as in :func:`plot_volcano`.

    A linear mean (DESeq2's baseMean) is drawn on a log10 axis; log-scale means (AveExpr, logCPM) as they are.
    """
    data = table.data
    if "mean_expr" not in data or "logFC" not in data or not data["mean_expr"].notna().any():
        raise InputError(
            f"{table.path.name} has no mean-expression column (AveExpr, baseMean or logCPM); "
            "an MA plot needs one."
        )
    ax = _axes(ax, (7.5, 5))
    significance, significance_label = _significance(table)
    frame = pd.DataFrame({"mean": data["mean_expr"], "logFC": data["logFC"], "sig": significance,
                          "p": data["pvalue"] if "pvalue" in data else significance,
                          "label": _gene_labels(table)}).dropna(subset=["mean", "logFC"])
    if table.mean_scale == "linear":
        frame = frame[frame["mean"] > 0]
        ax.set_xscale("log")
    significant = frame["sig"] < padj_threshold
    frame["state"] = call_regulation(frame["logFC"], significant, lfc_threshold=lfc_threshold)
    _scatter_by_state(ax, frame, "mean", "logFC")
    ax.axhline(0, color="black", linewidth=0.8)
    for level in (lfc_threshold, -lfc_threshold):
        ax.axhline(level, color="black", linewidth=0.7, linestyle=":")
    ax.set_xlabel(f"{table.display_name('mean_expr')} (mean expression" +
                  (", log scale)" if table.mean_scale == "linear" else ")"))
    ax.set_ylabel(f"{table.display_name('logFC')} (log2 fold change)")
    title = f"{significance_label} < {padj_threshold:g} and |logFC| ≥ {lfc_threshold:g}"
    _finish_regulation_plot(ax, frame, "mean", "logFC", title=title, n_labels=n_labels, margins=(0.08, 0.12))
    return ax.figure


def _dot_area(sizes, largest: float):
    """Marker area (points²) of a gene set with ``sizes`` genes, the largest set drawn at 200."""
    return 20 + 180 * np.asarray(sizes, dtype=float) / largest


def _dot_size_legend(ax: Axes, sizes: pd.Series, largest: float) -> None:
    """A legend of dot sizes (genes in the set): the smallest, a middle and the largest set shown."""
    values = sorted({int(round(float(value))) for value in np.quantile(sizes.astype(float), [0, 0.5, 1])})
    handles = [Line2D([], [], linestyle="", marker="o", markersize=math.sqrt(float(_dot_area([value], largest)[0])),
                      markerfacecolor="white", markeredgecolor="black", markeredgewidth=0.4) for value in values]
    labels = [f"{value:,}" for value in values]
    options = {"title": "genes in the set", "fontsize": 7, "title_fontsize": 7, "frameon": False,
               "ncol": len(values)}
    if ax.figure.get_layout_engine() is not None and ax.figure.axes[0] is ax:  # our own figure: below the plot
        ax.figure.legend(handles, labels, loc="outside lower center", **options)
    else:
        ax.legend(handles, labels, loc="best", **options)


@with_alt_text(
    "Dot plot of gene sets, one row per set: position is the enrichment, dot size the number of genes"
    " in the set, colour -log10 FDR"
)
def plot_enrichment_dots(
    results: pd.DataFrame, *, n: int = 20, title: str = "", fdr_floor: float = P_VALUE_FLOOR, ax: Axes | None = None
) -> Figure:
    """Dot plot of gene-set results: one row per set, best first.

    GSEA results (with ``nes``) are placed by normalised enrichment score; ORA results by the
    fraction of the set found in the up or down list (negative for down). Dot area = genes in
    the set, colour = -log10 FDR, with FDRs below ``fdr_floor`` (e.g. 1/permutations, the
    resolution of a permutation test) drawn at the floor.
    """
    shown = results.head(n).iloc[::-1]
    ax = _axes(ax, (7.5, 0.3 * max(len(shown), 1) + 1.5))
    if shown.empty:
        ax.text(0.5, 0.5, "no gene set to show", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return ax.figure
    if "nes" in shown:
        x = shown["nes"].astype(float)
        xlabel = "normalised enrichment score (NES; > 0: up)"
    else:
        sign = np.where(shown["direction"] == "down", -1.0, 1.0)
        x = 100 * sign * shown["overlap"].astype(float) / shown["size"].astype(float).clip(lower=1)
        xlabel = "% of the set in the list (up > 0, down < 0)"
    fdr = shown["fdr"].astype(float).clip(lower=fdr_floor)
    labels = [_plain_text(name) for name in shown["set"]]
    if "nes" not in shown:  # ORA lists a set once per direction: say which
        labels = [f"{label} ({direction})" for label, direction in zip(labels, shown["direction"], strict=True)]
    positions = np.arange(len(shown))
    largest = max(float(shown["size"].max()), 1.0)
    dots = ax.scatter(x, positions, s=_dot_area(shown["size"], largest),
                      c=neg_log10_p(fdr), cmap="viridis", edgecolors="black", linewidths=0.4)
    _dot_size_legend(ax, shown["size"], largest)
    ax.set_yticks(positions, labels, fontsize=7)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel(xlabel)
    colorbar = ax.figure.colorbar(dots, ax=ax, pad=0.01)
    capped = bool((shown["fdr"].astype(float) < fdr_floor).any())
    colorbar.set_label("-log10 FDR" + (f" (values below {fdr_floor:.2g} drawn at it)" if capped else ""))
    if title:
        ax.set_title(_plain_text(title, limit=90), fontsize=10)
    return ax.figure


@with_alt_text("Bar chart of the drop in test R² when each pathway-membership feature is shuffled")
def plot_pathway_importances(importances: pd.DataFrame, *, n: int = 15, title: str = "",
                             ax: Axes | None = None) -> Figure:
    """Permutation importance of ``pathway: <set>`` features, named by their set, on a wide figure."""
    shown = importances.head(n).copy()
    shown["feature"] = [_plain_text(str(name).removeprefix("pathway: ")) for name in shown["feature"]]
    ax = _axes(ax, (9, 0.35 * max(len(shown), 1) + 1.4))
    return plot_importances(shown, title=title, ax=ax)


@with_alt_text("Bar chart of how much cross-validated R² each evidence source adds: the drop when it is left "
               "out, with its 95% interval over folds")
def plot_source_contributions(table: pd.DataFrame, *, ax: Axes | None = None) -> Figure:
    """Drop in CV R² without each evidence source (mean over folds, with its interval), one bar per source.

    ``table`` is :attr:`degtools.evidence.SourceContributions.table` (``source``, ``drop_mean``,
    ``drop_low``, ``drop_high``); source names are user text, drawn literally.
    """
    shown = table.iloc[::-1]
    ax = _axes(ax, (8, 0.45 * max(len(shown), 1) + 1.4))
    means = shown["drop_mean"].to_numpy(dtype=float)
    low = np.nan_to_num(means - shown["drop_low"].to_numpy(dtype=float))
    high = np.nan_to_num(shown["drop_high"].to_numpy(dtype=float) - means)
    positions = np.arange(len(shown))
    ax.barh(positions, means, xerr=[low, high], color="tab:blue", alpha=0.8, capsize=3)
    ax.set_yticks(positions, [_plain_text(str(name)) for name in shown["source"]])
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("drop in CV R² without the source (95% interval over folds)")
    ax.set_title("What each source of independent features adds")
    return ax.figure
