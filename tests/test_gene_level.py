"""One row per gene: the collapse, the ranking metric, and the one up/down rule the plots share."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED_TABLES
from limma_frames import limma_frame, write_table

from degtools import plots, read_de_table
from degtools.gene_level import (
    DOWN,
    NOT_SIGNIFICANT,
    UP,
    call_regulation,
    gene_level,
    ranking_metric,
    regulated_genes,
)


def test_gene_level_splits_multi_gene_symbols_and_collapses_duplicates(tmp_path):
    frame = limma_frame(["A", "A", "B /// C", "", "C"], [1.0, -3.0, 2.0, 5.0, 0.5])
    table = read_de_table(write_table(tmp_path, frame))
    level = gene_level(table)
    assert list(level.index) == ["A", "B", "C"]  # no empty symbol, one row per gene
    assert level.loc["A", "metric"] == -3.0  # largest |t| speaks for A
    assert level.loc["A", "gene_id"] == "p1"
    assert level.loc["B", "metric"] == 2.0 and level.loc["C", "metric"] == 2.0
    assert level.index.is_unique


def test_ranking_metric_for_an_unsigned_statistic_uses_the_sign_of_logfc():
    table = read_de_table(SHARED_TABLES["edgeR"])
    metric, sentence = ranking_metric(table)
    assert "sign(logFC)" in sentence
    expected = np.sign(table.data["logFC"]) * -np.log10(
        table.data["PValue" if "PValue" in table.data else "pvalue"]
    )
    np.testing.assert_allclose(metric.to_numpy(), expected.to_numpy())


def test_regulated_genes_use_both_thresholds():
    level = pd.DataFrame(
        {"logFC": [2.0, 0.5, -1.5, -3.0], "padj": [0.01, 0.01, 0.2, 0.001], "metric": [1.0, 1.0, -1.0, -1.0]},
        index=["a", "b", "c", "d"],
    )
    assert regulated_genes(level, padj_threshold=0.05, lfc_threshold=1.0) == {
        "up": ["a"],
        "down": ["d"],
    }
    assert regulated_genes(level, padj_threshold=0.5, lfc_threshold=0.0) == {
        "up": ["a", "b"],
        "down": ["c", "d"],
    }


def test_call_regulation_thresholds_are_inclusive_and_need_a_change():
    change = pd.Series([1.0, 0.99, -1.0, -0.99, 0.0, 2.0, np.nan], index=list("abcdefg"))
    significant = pd.Series([True, True, True, True, True, False, True], index=change.index)
    state = call_regulation(change, significant, lfc_threshold=1.0)
    assert state.to_dict() == {"a": UP, "b": NOT_SIGNIFICANT, "c": DOWN, "d": NOT_SIGNIFICANT,
                               "e": NOT_SIGNIFICANT, "f": NOT_SIGNIFICANT, "g": NOT_SIGNIFICANT}
    loose = call_regulation(change, significant, lfc_threshold=0.0)
    assert loose["b"] == UP and loose["d"] == DOWN and loose["e"] == NOT_SIGNIFICANT  # 0 is no change


def legend_counts(figure) -> dict[str, int]:
    """``{"up": n, "down": n, ...}`` from a volcano or MA plot's legend ("up (1,234)")."""
    counts = {}
    for text in figure.axes[0].get_legend().get_texts():
        label, _, number = text.get_text().rpartition(" (")
        counts[label] = int(number.rstrip(")").replace(",", ""))
    return counts


@pytest.mark.parametrize("padj_threshold, lfc_threshold", [(0.05, 1.0), (0.05, 0.0), (0.01, 1.5)])
def test_volcano_ma_and_ora_lists_call_the_same_genes(tmp_path, padj_threshold, lfc_threshold):
    """One gene per row, values on the thresholds: the plots colour exactly the genes ORA tests."""
    logfc = [1.0, 1.5, 0.99, 2.0, -1.0, -1.5, -0.99, -2.0, 0.0, 3.0, -3.0, 1.2]
    padj = [0.01, 0.049, 0.001, 0.05, 0.01, 0.009, 0.001, 0.05, 0.001, 0.2, 0.01, np.nan]
    symbols = [f"G{i}" for i in range(len(logfc))]
    frame = limma_frame(symbols, [4 * value for value in logfc], logfc=logfc, padj=padj)
    frame["AveExpr"] = np.linspace(4, 10, len(logfc))
    table = read_de_table(write_table(tmp_path, frame))
    lists = regulated_genes(gene_level(table), padj_threshold=padj_threshold, lfc_threshold=lfc_threshold)
    options = {"padj_threshold": padj_threshold, "lfc_threshold": lfc_threshold, "n_labels": 0}
    for figure in (plots.plot_volcano(table, **options), plots.plot_ma(table, **options)):
        counts = legend_counts(figure)
        assert counts[UP] == len(lists[UP]) and counts[DOWN] == len(lists[DOWN])
    if (padj_threshold, lfc_threshold) == (0.05, 1.0):
        assert lists == {UP: ["G0", "G1"], DOWN: ["G10", "G4", "G5"]}
