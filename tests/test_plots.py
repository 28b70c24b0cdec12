"""Biology plots: volcano, MA, gene-set dot plot, and the label repel they share."""

from __future__ import annotations

import itertools

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from conftest import SHARED_TABLES
from matplotlib.figure import Figure
from matplotlib.text import Annotation, Text

from degtools import plots, read_de_table
from degtools.errors import InputError


def label_boxes(ax) -> list:
    renderer = ax.figure.canvas.get_renderer()
    return [
        Text.get_window_extent(child, renderer)
        for child in ax.get_children()
        if isinstance(child, Annotation)
    ]


def assert_no_overlap(ax) -> int:
    boxes = label_boxes(ax)
    for first, second in itertools.combinations(boxes, 2):
        assert not first.overlaps(second), "two gene labels overlap"
    return len(boxes)


@pytest.fixture(scope="module")
def airway():
    return read_de_table(SHARED_TABLES["airway"])


def test_volcano_colours_thresholds_and_labels(airway):
    figure = plots.plot_volcano(airway, padj_threshold=0.05, lfc_threshold=1.0, n_labels=15)
    assert isinstance(figure, Figure)
    ax = figure.axes[0]
    assert ax.get_xlabel().startswith("log2FoldChange") and ax.get_ylabel() == "-log10 pvalue"
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    data = airway.data
    up = int(
        ((data["padj"] < 0.05) & (data["log2FoldChange" if "log2FoldChange" in data else "logFC"] >= 1)).sum()
    )
    assert any(text == f"up ({up:,})" for text in legend)
    assert any(text.startswith("down (") for text in legend)
    placed = assert_no_overlap(ax)
    assert 5 <= placed <= 15
    labels = {child.get_text() for child in ax.get_children() if isinstance(child, Annotation)}
    assert labels <= set(data["symbol"].dropna()) | set(data["gene_id"])


def test_volcano_thresholds_change_the_counts(airway):
    strict = plots.plot_volcano(airway, padj_threshold=0.001, lfc_threshold=2.0, n_labels=0)
    legend = [text.get_text() for text in strict.axes[0].get_legend().get_texts()]
    up = int(((airway.data["padj"] < 0.001) & (airway.data["logFC"] >= 2)).sum())
    assert f"up ({up:,})" in legend
    assert "0.001" in strict.axes[0].get_title()


def test_ma_plot_uses_a_log_axis_for_basemean(airway):
    figure = plots.plot_ma(airway, n_labels=10)
    ax = figure.axes[0]
    assert ax.get_xscale() == "log"
    assert ax.get_xlabel().startswith("baseMean") and ax.get_ylabel().startswith("log2FoldChange")
    assert_no_overlap(ax)


def test_ma_plot_needs_mean_expression():
    table = read_de_table(SHARED_TABLES["GSE15852"])  # GEO2R table without AveExpr
    with pytest.raises(InputError, match="no mean-expression column"):
        plots.plot_ma(table)


def test_volcano_without_symbols_labels_gene_ids():
    table = read_de_table(SHARED_TABLES["pasilla"])
    figure = plots.plot_volcano(table, n_labels=8)
    labels = [child.get_text() for child in figure.axes[0].get_children() if isinstance(child, Annotation)]
    assert labels and all(label.startswith("FBgn") for label in labels)


def test_label_repel_never_overlaps_even_when_crowded():
    fig, ax = plt.subplots(figsize=(4, 3))
    rng = np.random.default_rng(0)
    x, y = rng.normal(0, 0.05, 60), rng.normal(0, 0.05, 60)
    ax.scatter(x, y)
    ax.set_xlim(-1, 1)
    ax.set_ylim(-1, 1)
    fig.canvas.draw()
    drawn = plots.place_labels(ax, x, y, [f"GENE{i}" for i in range(60)])
    assert 0 < len(drawn) < 60  # crowded: some labels are left out rather than stacked
    assert assert_no_overlap(ax) == len(drawn)


def test_enrichment_dot_plot_for_gsea_and_ora():
    gsea = pd.DataFrame(
        {
            "set": ["A $x$ (GO:1)", "B"],
            "direction": ["up", "down"],
            "size": [50, 20],
            "overlap": [10, 5],
            "nes": [2.0, -1.5],
            "pvalue": [0.0, 0.01],
            "fdr": [0.0, 0.02],
        }
    )
    figure = plots.plot_enrichment_dots(gsea, title="GSEA")
    ax = figure.axes[0]
    assert ax.get_xlabel().startswith("normalised enrichment score")
    ticks = [label.get_text() for label in ax.get_yticklabels()]
    assert ticks == ["B", r"A \$x\$ (GO:1)"]  # best first at the top; '$' drawn literally
    figure.canvas.draw()  # mathtext would fail on an unescaped '$x$ ('
    ora = gsea.drop(columns="nes")
    figure = plots.plot_enrichment_dots(ora)
    assert figure.axes[0].get_xlabel().startswith("% of the set")
    empty = plots.plot_enrichment_dots(gsea.iloc[:0])
    assert "no gene set" in empty.axes[0].texts[0].get_text()


def test_dot_plot_has_a_dot_size_legend_matching_the_dots():
    sets = pd.DataFrame({"set": ["A", "B", "C", "D"], "direction": ["up"] * 4, "size": [10, 40, 25, 200],
                         "overlap": [5, 10, 5, 20], "nes": [2.0, 1.5, -1.0, 0.5], "pvalue": [0.01] * 4,
                         "fdr": [0.02] * 4})
    figure = plots.plot_enrichment_dots(sets, title="GSEA")
    legend = figure.legends[0]
    assert legend.get_title().get_text() == "genes in the set"
    labels = [text.get_text() for text in legend.get_texts()]
    assert labels == ["10", "32", "200"]  # smallest, median (32.5 -> 32) and largest set
    dots = figure.axes[0].collections[0]
    area = dict(zip(sets["size"].iloc[::-1], dots.get_sizes(), strict=True))  # drawn bottom-up, best on top
    handles = legend.legend_handles
    # a legend marker of the smallest and the largest set has the area (points²) of that set's dot
    assert handles[0].get_markersize() ** 2 == pytest.approx(area[10])
    assert handles[-1].get_markersize() ** 2 == pytest.approx(area[200])


def test_figures_carry_alt_text_that_reaches_the_png_metadata(airway):
    from IPython.core.formatters import DisplayFormatter

    figure = plots.plot_ma(airway)
    alt = figure.degtools_alt
    assert alt.startswith("MA plot: each dot is a gene")
    assert "x axis: baseMean (mean expression, log scale)" in alt and "y axis: log2FoldChange" in alt
    up = sum(1 for text in figure.axes[0].get_legend().get_texts() if text.get_text().startswith("up ("))
    assert up == 1 and "legend: not significant (" in alt
    formatter = DisplayFormatter()
    formatter.formatters["image/png"].for_type(Figure, lambda fig: b"PNG")  # as the inline backend registers
    data, metadata = formatter.format(figure)
    assert data["image/png"] == b"PNG" and metadata["image/png"] == {"alt": alt}
