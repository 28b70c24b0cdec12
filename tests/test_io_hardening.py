"""Hostile or unusual input to the reader: non-regular files, extreme values, stray bytes, odd workbooks."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from degtools.errors import InputError
from degtools.io import read_de_table
from degtools.io.split import MAX_COLUMNS
from degtools.planning import plan_jobs
from degtools.plots import MAX_DISTRIBUTION_PLOTS, plot_distributions
from degtools.prepare import prepare_design

CORPUS = Path(__file__).resolve().parent / "data"
ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------------------------
# 1. A FIFO (or any non-regular file) is refused before it is opened
# --------------------------------------------------------------------------------------------


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes on this platform")
    path = tmp_path / "table.csv"
    os.mkfifo(path)
    return path


def test_inspect_refuses_a_fifo_without_hanging(fifo):
    # Without the check, reading a FIFO nobody writes to blocks forever: the timeout turns that into a failure.
    done = subprocess.run([sys.executable, "-m", "degtools.cli", "inspect", str(fifo)], capture_output=True, text=True,
                          timeout=60, check=False, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert "is a named pipe (FIFO), not a regular file" in lines[0] and str(fifo) in lines[0]


def test_batch_planning_flags_a_fifo_input(fifo, tmp_path):
    params = tmp_path / "pipe.yaml"
    params.write_text(f"input_table: {fifo}\ntarget: logFC\n", encoding="utf-8")
    (job,) = plan_jobs([params])
    assert job.problem is not None and "named pipe (FIFO)" in job.problem


# --------------------------------------------------------------------------------------------
# 2. Values whose square overflows a float; a NUL byte past the sniffed head
# --------------------------------------------------------------------------------------------


def test_values_near_the_largest_float_are_read_as_missing_with_a_note_and_a_warning():
    table = read_de_table(CORPUS / "sanity_extreme_values.csv")
    frame = pd.read_csv(CORPUS / "sanity_extreme_values.csv")
    huge = {"logFC": [4, 17], "AveExpr": [8, 9, 30]}
    for original, rows in huge.items():
        assert (frame[original].abs() > 1e300).sum() == len(rows)  # the fixture holds them
        canonical = table.column_map[original]
        assert table.data[canonical].isna().to_numpy().nonzero()[0].tolist() == rows
        others = table.data[canonical].drop(index=rows)
        np.testing.assert_array_equal(others, frame[original].drop(index=rows))  # nothing else touched
    assert table.extreme_values == {"logFC": 2, "AveExpr": 3}
    assert table.na_counts["logFC"] == 2 and table.na_counts["AveExpr"] == 3
    assert any(note.startswith("logFC: 2 values beyond ±1e+150 set to missing") for note in table.notes)
    assert any("were read as missing in logFC (2), AveExpr (3)" in warning for warning in table.warnings)
    assert not any("2^1" in warning for warning in table.warnings)  # no 300-digit exponent in the fold-change warning


def test_extreme_values_no_longer_break_the_histograms_or_the_models():
    table = read_de_table(CORPUS / "sanity_extreme_values.csv")
    figure = plot_distributions(table)
    assert isinstance(figure, Figure)
    design = prepare_design(table, target="logFC")
    assert design.rows_used == 58  # the two huge fold changes are missing targets
    model = make_pipeline(SimpleImputer(strategy="median"), StandardScaler(), LinearRegression())
    model.fit(design.X_train, design.y_train)
    assert np.isfinite(model.predict(design.X_test)).all()


def test_a_nul_byte_after_the_first_8_kb_is_refused_in_one_line():
    payload = (CORPUS / "bad_nul_after_8k.tsv").read_bytes()
    assert payload.index(b"\x00") > 8192  # past the binary sniff of the head
    with pytest.raises(InputError, match=r"holds 1 NUL byte\(s\), the first on line 152") as caught:
        read_de_table(CORPUS / "bad_nul_after_8k.tsv")
    assert "\n" not in str(caught.value)


# --------------------------------------------------------------------------------------------
# 3. An .xlsx sheet declaring dimension A1 (R's xlsx package) is read to its real end
# --------------------------------------------------------------------------------------------


def test_workbook_with_a_one_cell_dimension_is_read_whole():
    name = CORPUS / "deseq2_dimension_a1.xlsx"
    with zipfile.ZipFile(name) as archive:
        assert b'<dimension ref="A1"/>' in archive.read("xl/worksheets/sheet1.xml")
    table = read_de_table(name)
    frame = pd.read_excel(name)  # pandas reads every row
    assert len(table.data) == len(frame) == 40
    np.testing.assert_array_equal(table.data["logFC"], frame["log2FoldChange"])
    assert list(table.data["gene_id"]) == list(frame["gene_id"])
    assert "one cell" in table.source["sheet_extent"]


# --------------------------------------------------------------------------------------------
# 4. An edgeR proteomics table: no test name to give, no symbol column, no gene split
# --------------------------------------------------------------------------------------------


def test_edger_table_without_logcpm_f_or_lr_names_no_test():
    table = read_de_table(CORPUS / "edger_proteomics_qlf.csv")
    assert table.tool == "edgeR (test not identifiable)"
    assert any("the test is not named" in note for note in table.notes)
    assert read_de_table(CORPUS / "edger_exacttest.zip").tool == "edgeR (exactTest)"  # logCPM: exactTest's shape


def test_two_valued_calls_are_not_gene_symbols_and_accessions_are_ids():
    table = read_de_table(CORPUS / "edger_proteomics_qlf.csv")
    frame = pd.read_csv(CORPUS / "edger_proteomics_qlf.csv")
    assert set(frame["direction"]) == {"up", "down"}  # symbol-like words, but two values in 300 rows
    record = table.record()
    assert record["symbol_column"] is None and record["id_column"] == "Accession"
    assert table.data["gene_id"].str.match(r"^sp\|P\d{5}\|PRT\d+_HUMAN$").all()
    assert "symbol" not in table.data


@pytest.mark.parametrize("ids", [[f"sp|P{10000 + i:05d}|PRT{i}_HUMAN" for i in range(40)],
                                 [f"Q{i % 10}{chr(65 + i % 26)}{i:02d}{i % 10}" for i in range(40)],
                                 [f"PRT{i}_MOUSE" for i in range(40)]])
def test_uniprot_accessions_and_entry_names_are_not_used_as_symbols(tmp_path, ids):
    path = tmp_path / "uniprot.csv"
    pd.DataFrame({"protein": ids, "logFC": np.linspace(-2, 2, 40), "PValue": np.linspace(0.001, 1, 40)}).to_csv(
        path, index=False)
    table = read_de_table(path)
    assert table.record()["id_column"] == "protein"
    assert "symbol" not in table.data


def test_a_symbol_column_found_by_values_still_needs_many_distinct_values(tmp_path):
    path = tmp_path / "symbols_unnamed.csv"
    frame = pd.DataFrame({"probe": [f"{i}_at" for i in range(60)], "what": [f"GENE{i // 2}" for i in range(60)],
                          "logFC": np.linspace(-2, 2, 60), "P.Value": np.linspace(0.001, 1, 60)})
    frame.to_csv(path, index=False)
    assert read_de_table(path).record()["symbol_column"] == "what"  # 30 distinct of 60: symbols, two probes each


# --------------------------------------------------------------------------------------------
# 5. DESeq2 lfcShrink tables: labelled, svalue known, the broken Wald identity said
# --------------------------------------------------------------------------------------------


def test_apeglm_table_with_svalue_is_labelled_and_svalue_is_known():
    table = read_de_table(CORPUS / "deseq2_apeglm_svalue.tsv")
    assert table.tool == "DESeq2 (lfcShrink)" and table.stat_kind is None
    assert table.column_map["svalue"] == "svalue"
    meaning = table.describe_columns().set_index("column").loc["svalue", "meaning"]
    assert "s-value" in meaning and meaning != "other column"
    assert any("log2FoldChange = stat × lfcSE no longer holds" in note for note in table.notes)
    assert any(note.startswith("svalue: s-values") for note in table.notes)


def test_normal_shrinkage_is_found_from_the_numbers():
    frame = pd.read_csv(CORPUS / "deseq2_lfcshrink_normal.csv", index_col=0)
    differ = int((~np.isclose(frame["stat"] * frame["lfcSE"], frame["log2FoldChange"], rtol=1e-6)).sum())
    assert differ > len(frame) / 2  # the fixture's fold changes are shrunk
    table = read_de_table(CORPUS / "deseq2_lfcshrink_normal.csv")
    assert table.tool == "DESeq2 (lfcShrink)" and table.stat_kind == "Wald"
    assert any(f"differs from stat × lfcSE in {differ:,} of {len(frame):,} genes" in note for note in table.notes)


@pytest.mark.parametrize("name", ["deseq2_results.csv.gz", "pydeseq2_results.csv.xz"])
def test_unshrunken_deseq2_tables_keep_their_label(name):
    assert read_de_table(CORPUS / name).tool in ("DESeq2", "PyDESeq2")


def test_deseq2_lrt_table_is_not_taken_for_shrunk(tmp_path):
    # An LRT's stat is a chi-squared statistic (never negative): not stat = log2FoldChange / lfcSE.
    rng = np.random.default_rng(8)
    frame = pd.DataFrame({"baseMean": rng.lognormal(5, 1, 60), "log2FoldChange": rng.normal(size=60),
                          "lfcSE": rng.uniform(0.1, 0.5, 60), "stat": rng.chisquare(2, 60),
                          "pvalue": rng.uniform(size=60), "padj": rng.uniform(size=60)},
                         index=[f"ENSG{i:011d}" for i in range(60)])
    path = tmp_path / "lrt.csv"
    frame.to_csv(path, float_format="%.15g")
    assert read_de_table(path).tool == "DESeq2"


# --------------------------------------------------------------------------------------------
# 6. Size: too many columns are refused in one line; the histograms are capped
# --------------------------------------------------------------------------------------------


def _wide_table(path: Path, columns: int, rows: int = 40) -> Path:
    rng = np.random.default_rng(9)
    frame = pd.DataFrame(rng.normal(size=(rows, columns)), columns=[f"sample_{i}" for i in range(columns)])
    frame.insert(0, "P.Value", rng.uniform(size=rows))
    frame.insert(0, "logFC", rng.normal(size=rows))
    frame.insert(0, "ID", [f"g{i}" for i in range(rows)])
    frame.to_csv(path, index=False, float_format="%.6g")
    return path


def test_a_table_wider_than_the_limit_is_refused_in_one_line(tmp_path):
    path = _wide_table(tmp_path / "cohort.csv", MAX_COLUMNS)  # MAX_COLUMNS + 3 columns in all
    with pytest.raises(InputError, match=rf"cohort.csv has {MAX_COLUMNS + 3} columns; degtools reads at most "
                                         rf"{MAX_COLUMNS}.*cut -d, -f1-10") as caught:
        read_de_table(path)
    assert "\n" not in str(caught.value)
    assert len(read_de_table(_wide_table(tmp_path / "ok.csv", MAX_COLUMNS - 3)).data.columns) == MAX_COLUMNS


def test_distribution_plots_are_capped_with_a_note(tmp_path):
    table = read_de_table(_wide_table(tmp_path / "sixty.csv", 60))
    assert len(table.numeric_columns) == 62
    figure = plot_distributions(table)
    drawn = [ax for ax in figure.axes if ax.get_visible()]
    assert len(drawn) == MAX_DISTRIBUTION_PLOTS
    assert [ax.get_title() for ax in drawn[:3]] == ["logFC", "P.Value", "sample_0"]
    assert figure._suptitle.get_text() == f"first {MAX_DISTRIBUTION_PLOTS} of 62 numeric columns (22 not drawn)"


def test_a_text_column_that_starts_with_numbers_keeps_its_text(tmp_path):
    # pandas decides types per chunk unless told otherwise: numbers first, text later would mix floats in
    # ("10000.10" -> 10000.1 -> "10000.1").
    rows = 300_000
    path = tmp_path / "late_text.csv"
    with path.open("w") as handle:
        handle.write("accession,logFC,P.Value\n")
        handle.writelines(f"{10_000 + i}.10,{(i % 100) / 50 - 1},0.5\n" for i in range(rows - 1))
        handle.write("AFFX-X12,0.1,0.5\n")
    table = read_de_table(path)
    assert table.record()["id_column"] == "accession"
    assert table.data["gene_id"].iloc[0] == "10000.10" and table.data["gene_id"].iloc[-1] == "AFFX-X12"
    assert len(table.data) == rows and table.data["logFC"].dtype == float
