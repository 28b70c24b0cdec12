"""Multi-contrast DE files: contrast detection and splitting (built fixtures and the MOSuite table)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from degtools.contrasts import detect_contrasts, log2_fold_change, parse_header, split_contrasts
from degtools.errors import InputError
from degtools.io import read_de_table

DATA = Path(__file__).resolve().parent / "data"
ROOT = Path(__file__).resolve().parents[1]
MOSUITE = DATA / "mosuite_limma_voom_3contrasts_mouse.csv.gz"


@pytest.mark.parametrize(("header", "expected"), [
    ("B-A_logFC", ("logFC", "B-A")),
    ("B-A_adjpval", ("padj", "B-A")),
    ("B-A_FC", ("fold_change", "B-A")),
    ("logFC.drugA", ("logFC", "drugA")),
    ("drugA.logFC", ("logFC", "drugA")),
    ("logFC_24h", ("logFC", "24h")),
    ("log2FoldChange_treated_vs_control", ("logFC", "treated_vs_control")),
    ("treated_vs_control_padj", ("padj", "treated_vs_control")),
    ("p.value.adj.x", ("padj", "x")),
    ("Coef.x", ("logFC", "x")),
    ("adj.P.Val.B", ("padj", "B")),
    ("logFC", None), ("P.Value", None), ("adj.P.Val", None), ("F", None), ("Gene.symbol", None),
    ("avg_log2FC", None), ("unshrunk.logFC", None), ("p_val_adj", None), ("pct.1", None),
])
def test_parse_header(header, expected):
    assert parse_header(header) == expected


def test_limma_topTable_of_several_coefficients(tmp_path: Path):
    frame = pd.read_csv(DATA / "limma_multicoef_toptable.tsv", sep="\t")
    contrasts = detect_contrasts(list(frame.columns))
    assert [c.name for c in contrasts] == ["drugA", "drugB"]
    assert contrasts[1].columns == {"logFC": "logFC.drugB", "stat": "t.drugB"}
    table, others = split_contrasts(frame, contrasts, target_contrast="drugB")
    # the F test's F, P.Value and adj.P.Val are over both coefficients: left out, with a note
    assert list(table.columns) == ["ID", "AveExpr", "Gene.symbol", "logFC", "t"]
    assert any("F, P.Value, adj.P.Val" in note for note in table.attrs["notes"])
    assert list(others.columns) == ["drugA: logFC", "drugA: t"]
    np.testing.assert_array_equal(others["drugA: logFC"], frame["logFC.drugA"])
    table.to_csv(tmp_path / "drugB.csv", index=False)
    read = read_de_table(tmp_path / "drugB.csv")
    assert {"logFC", "stat", "mean_expr", "symbol"} <= set(read.data.columns)
    np.testing.assert_array_equal(read.data["logFC"], frame["logFC.drugB"])


def test_time_course_one_fold_change_per_time_point():
    frame = pd.read_csv(DATA / "timecourse_logfc.csv")
    contrasts = detect_contrasts(list(frame.columns))
    assert [c.name for c in contrasts] == ["2h", "6h", "24h"]
    table, others = split_contrasts(frame, contrasts, target_contrast="6h")
    assert list(table.columns) == ["gene", "AveExpr", "logFC"]
    assert list(others.columns) == ["2h: logFC", "24h: logFC"]
    assert not table.attrs["notes"]


def test_deseq2_contrasts_side_by_side_in_both_orders(tmp_path: Path):
    prefix = pd.read_csv(DATA / "deseq2_contrasts_prefix.csv")
    suffix = pd.read_csv(DATA / "deseq2_contrasts_suffix.tsv", sep="\t")
    found = [detect_contrasts(list(frame.columns)) for frame in (prefix, suffix)]
    for contrasts in found:
        assert [c.name for c in contrasts] == ["treated_vs_control", "knockdown_vs_control"]
        assert set(contrasts[0].columns) == {"logFC", "lfcSE", "stat", "pvalue", "padj"}
    assert found[0][1].padj == "padj_knockdown_vs_control"
    assert found[1][1].padj == "knockdown_vs_control_padj"
    splits = [split_contrasts(frame, contrasts, target_contrast="knockdown_vs_control")
              for frame, contrasts in zip((prefix, suffix), found, strict=True)]
    pd.testing.assert_frame_equal(splits[0][0], splits[1][0])
    pd.testing.assert_frame_equal(splits[0][1], splits[1][1])
    table, others = splits[0]
    assert list(table.columns) == ["gene_id", "symbol", "baseMean", "logFC", "t", "P.Value", "adj.P.Val",
                                   "lfcSE"]
    assert list(others.columns) == ["treated_vs_control: logFC", "treated_vs_control: t"]
    table.to_csv(tmp_path / "knockdown.csv", index=False)
    read = read_de_table(tmp_path / "knockdown.csv")
    assert {"logFC", "stat", "pvalue", "padj", "lfcSE", "mean_expr"} <= set(read.data.columns)
    np.testing.assert_array_equal(read.data["padj"], prefix["padj_knockdown_vs_control"])


def test_mosuite_three_contrasts_one_arithmetic_of_the_others(tmp_path: Path):
    frame = pd.read_csv(MOSUITE)
    contrasts = detect_contrasts(list(frame.columns))
    assert [c.name for c in contrasts] == ["B-A", "C-A", "B-C"]
    assert contrasts[2].to_json() == {"name": "B-C", "logFC": "B-C_logFC", "stat": "B-C_tstat",
                                      "pvalue": "B-C_pval", "padj": "B-C_adjpval", "fold_change": "B-C_FC"}
    table, others = split_contrasts(frame, contrasts, target_contrast="B-C")
    assert list(table.columns) == ["Gene", "A1", "A2", "A3", "B1", "B2", "B3", "C1", "C2", "C3",
                                   "logFC", "t", "P.Value", "adj.P.Val"]
    assert list(others.columns) == ["B-A: logFC", "B-A: t", "C-A: logFC", "C-A: t"]
    # B-C = B-A - C-A exactly: the split says the other contrasts give the answer away
    assert any("arithmetic of the other contrasts" in note for note in table.attrs["notes"])
    table.to_csv(tmp_path / "B-C.csv", index=False)
    read = read_de_table(tmp_path / "B-C.csv")
    assert read.data["logFC"].notna().sum() == 7_943
    assert read.stat_kind == "t"


def test_linear_fold_change_alone_gives_the_log2_fold_change():
    frame = pd.read_csv(MOSUITE)
    without_log = frame.drop(columns=[column for column in frame.columns if column.endswith("_logFC")])
    contrasts = detect_contrasts(list(without_log.columns))
    table, others = split_contrasts(without_log, contrasts, target_contrast="C-A")
    np.testing.assert_allclose(table["logFC"], frame["C-A_logFC"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(others["B-A: logFC"], frame["B-A_logFC"], rtol=1e-9, atol=1e-12)
    assert any("linear fold change" in note for note in table.attrs["notes"])
    assert log2_fold_change(pd.Series([4.0, -4.0, 1.0])).tolist() == [2.0, -2.0, 0.0]


@pytest.mark.parametrize("path", [ROOT / "degtools" / "data" / "GSE15852.top.table.tsv",
                                  ROOT / "data" / "airway_deseq2_results.csv",
                                  DATA / "seurat_findmarkers.csv", DATA / "edger_glmtreat.tsv"])
def test_single_contrast_tables_have_no_contrasts(path: Path):
    assert detect_contrasts(list(read_de_table(path).column_map)) == []


def test_unknown_contrast_lists_the_contrasts_and_a_close_name():
    frame = pd.read_csv(MOSUITE, nrows=20)
    contrasts = detect_contrasts(list(frame.columns))
    with pytest.raises(InputError) as error:
        split_contrasts(frame, contrasts, target_contrast="B_A")
    message = str(error.value)
    assert "\n" not in message
    assert "'B-A', 'C-A', 'B-C'" in message and "Did you mean 'B-A'" in message
    with pytest.raises(InputError, match="no per-contrast columns"):
        split_contrasts(frame[["Gene"]], [], target_contrast="B-A")
