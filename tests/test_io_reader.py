"""The reader (degtools.io): real tables, the fixture corpus (tests/data), bad input, sanity checks, properties."""

from __future__ import annotations

import json
import shutil
import string
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED_TABLES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from degtools import cli
from degtools.errors import InputError
from degtools.io import DETable, read_de_table, reader_options
from degtools.io.vocabulary import ROW_NAMES

CORPUS = Path(__file__).resolve().parent / "data"

# --------------------------------------------------------------------------------------------
# The shared tables: right tool, right mapping
# --------------------------------------------------------------------------------------------

SHARED_EXPECTED = {
    "GSE15852": ("limma (GEO2R)", "t", {"ID": "gene_id", "adj.P.Val": "padj", "P.Value": "pvalue", "t": "stat",
                                       "B": "B", "logFC": "logFC", "Gene.symbol": "symbol", "Gene.title": "title"}),
    "GSE2034": ("limma (GEO2R)", "t", {"ID": "gene_id", "adj.P.Val": "padj", "P.Value": "pvalue", "t": "stat",
                                      "B": "B", "logFC": "logFC", "Gene.symbol": "symbol", "Gene.title": "title"}),
    "airway": ("PyDESeq2", "Wald", {"ensgene": "gene_id", "baseMean": "mean_expr", "log2FoldChange": "logFC",
                                    "lfcSE": "lfcSE", "stat": "stat", "pvalue": "pvalue", "padj": "padj",
                                    "symbol": "symbol"}),
    "pasilla": ("DESeq2", "Wald", {"gene_id": "gene_id", "baseMean": "mean_expr", "log2FoldChange": "logFC",
                                   "lfcSE": "lfcSE", "stat": "stat", "pvalue": "pvalue", "padj": "padj"}),
    "edgeR": ("edgeR (QL F-test)", "F", {ROW_NAMES: "gene_id", "logFC": "logFC", "logCPM": "mean_expr", "F": "stat",
                                         "PValue": "pvalue", "FDR": "padj"}),
    "yeast": ("DESeq2", "Wald", {ROW_NAMES: "gene_id", "baseMean": "mean_expr", "log2FoldChange": "logFC",
                                 "lfcSE": "lfcSE", "stat": "stat", "pvalue": "pvalue", "padj": "padj"}),
}


@pytest.fixture(scope="module")
def shared_tables() -> dict[str, DETable]:
    return {name: read_de_table(path) for name, path in SHARED_TABLES.items()}


@pytest.mark.parametrize("name", sorted(SHARED_EXPECTED))
def test_shared_tables_are_recognised(shared_tables, name):
    tool, stat_kind, mapping = SHARED_EXPECTED[name]
    table = shared_tables[name]
    assert table.tool == tool
    assert table.stat_kind == stat_kind
    assert table.column_map == mapping
    assert table.rows_read == len(table.data) == SHARED_TABLES[name].read_bytes().count(b"\n") - 1


def test_shared_table_counts_match_their_sources(shared_tables):
    # numbers from data/SOURCES.md
    gse2034 = shared_tables["GSE2034"]
    assert gse2034.duplicates == {"gene_id": 0, "symbol": 7857, "multi_gene_symbols": 1223}
    assert gse2034.na_counts["Gene.symbol"] == 1127
    airway = shared_tables["airway"]
    assert airway.na_counts["pvalue"] == 142 and airway.na_counts["padj"] == 3492
    pasilla = shared_tables["pasilla"]
    assert pasilla.na_counts["log2FoldChange"] == 2240 and pasilla.na_counts["padj"] == 6276
    assert pasilla.rows_usable == 14599 - 2241
    assert shared_tables["edgeR"].mean_scale == "log2" and shared_tables["pasilla"].mean_scale == "linear"


def test_real_bonferroni_table_is_flagged_and_bh_tables_are_not(shared_tables):
    # GSE15852's adj.P.Val is min(1, p x 22283) (degtools/data/SOURCES.md); GSE2034's is BH.
    assert any("Bonferroni" in warning for warning in shared_tables["GSE15852"].warnings)
    for name in ("GSE2034", "airway", "edgeR", "yeast"):
        assert shared_tables[name].warnings == [], name
    assert any("baseMean 0" in warning for warning in shared_tables["pasilla"].warnings)


def test_record_is_json_ready_and_complete(shared_tables):
    record = shared_tables["airway"].record()
    json.dumps(record, allow_nan=False)
    assert record["id_column"] == "ensgene" and record["symbol_column"] == "symbol"
    assert record["title_column"] is None
    assert record["rows_read"] == 19271 and record["rows_usable"] == 19271 - 142
    assert record["source"] == {"encoding": "UTF-8", "separator": "comma"}
    frame = shared_tables["airway"].detection_table()
    assert list(frame.columns) == ["item", "value"]
    assert "PyDESeq2" in frame.set_index("item").loc["detected tool", "value"]


def test_existing_api_still_works(shared_tables):
    table = shared_tables["airway"]
    assert table.display_name("logFC") == "log2FoldChange"
    assert "symbol" not in table.numeric_columns and "mean_expr" in table.numeric_columns
    import hashlib

    assert table.sha256 == hashlib.sha256(SHARED_TABLES["airway"].read_bytes()).hexdigest()
    assert table.path == SHARED_TABLES["airway"]
    assert read_de_table().tool == "limma (GEO2R)"  # the demo table


# --------------------------------------------------------------------------------------------
# The fixture corpus: one file per shape
# --------------------------------------------------------------------------------------------

CORPUS_EXPECTED = [
    # file, reader options, tool, id column, symbol column, source entries
    ("limma_toptable_write_table.txt", {}, "limma (topTable)", ROW_NAMES, None,
     {"separator": "tab", "quoting": "quoted"}),
    ("geo2r_semicolon_decimal_comma.csv", {}, "limma (GEO2R)", "ID", "Gene.symbol", {"separator": "semicolon"}),
    ("limma_voom_write_csv.csv", {}, "limma-voom", ROW_NAMES, None, {"separator": "comma"}),
    ("deseq2_results.csv.gz", {}, "DESeq2", ROW_NAMES, None, {"compression": "gzip"}),
    ("deseq2_lfcshrink.tsv.bz2", {}, "DESeq2 (lfcShrink)", "gene", "symbol", {"compression": "bzip2"}),
    ("pydeseq2_results.csv.xz", {}, "PyDESeq2", "gene", None, {"compression": "xz"}),
    ("edger_exacttest.zip", {}, "edgeR (exactTest)", ROW_NAMES, None, {"container": "zip (edger_exacttest.csv)"}),
    ("edger_qlf_crlf.csv", {}, "edgeR (QL F-test)", ROW_NAMES, None, {"line_endings": "CRLF"}),
    ("edger_lrt_whitespace.txt", {}, "edgeR (LRT)", ROW_NAMES, None, {"separator": "whitespace"}),
    ("edger_glmtreat.tsv", {}, "edgeR (glmTreat)", ROW_NAMES, None, {"separator": "tab"}),
    ("seurat_findmarkers.csv", {}, "Seurat FindMarkers", ROW_NAMES, "(symbols = IDs)", {}),
    ("seurat_findallmarkers.tsv", {"cluster": "1"}, "Seurat FindAllMarkers", ROW_NAMES, "gene", {}),
    ("generic_id_last.csv", {"column_map": "fold:logFC, signif:pvalue"}, "generic", "probe_name", None, {}),
    ("deseq2_two_sheets.xlsx", {"sheet": "results"}, "PyDESeq2", "gene_id", None,
     {"container": "xlsx", "sheet": "results"}),
    ("limma_na_values.csv", {}, "limma (topTable)", "ID", None, {}),
    ("geo2r_multigene.tsv", {}, "limma (GEO2R)", "ID", "Gene.symbol", {}),
    ("ids_only.csv", {"id_map": str(CORPUS / "id_map.tsv")}, "PyDESeq2", "gene_id", "symbol (from id_map)", {}),
    ("edger_proteomics_qlf.csv", {}, "edgeR (test not identifiable)", "Accession", None, {"separator": "comma"}),
    ("deseq2_lfcshrink_normal.csv", {}, "DESeq2 (lfcShrink)", ROW_NAMES, None, {"separator": "comma"}),
    # reader hardening (make_fixtures_hardening.py)
    ("deseq2_dimension_a1.xlsx", {}, "PyDESeq2", "gene_id", None, {"container": "xlsx", "sheet": "results"}),
]


@pytest.mark.parametrize(("name", "options", "tool", "id_column", "symbol_column", "source"), CORPUS_EXPECTED)
def test_corpus_file_is_read(name, options, tool, id_column, symbol_column, source):
    table = read_de_table(CORPUS / name, **options)
    record = table.record()
    assert record["tool"] == tool
    assert record["id_column"] == id_column
    assert record["symbol_column"] == symbol_column
    assert source.items() <= record["source"].items()
    assert {"logFC", "pvalue"} <= set(table.numeric_columns)
    assert table.data["logFC"].notna().sum() >= 18
    json.dumps(record, allow_nan=False)


#: fixtures of other test modules (made by their own generators in tests/data/), not reader-corpus files.
OTHER_TESTS_FIXTURES = {
    "make_fixtures_origins.py", "deseq2_apeglm_svalue.tsv",
    "limma_voom_weights_b.csv", "mosuite_limma_voom_3contrasts_mouse.csv.gz",
    "make_fixtures_contrasts.py", "limma_multicoef_toptable.tsv", "timecourse_logfc.csv",
    "deseq2_contrasts_prefix.csv", "deseq2_contrasts_suffix.tsv", "make_fixtures_hardening.py",
}


def test_corpus_has_at_least_fifteen_good_files_and_a_readme():
    # every good table in tests/data is read by test_corpus_file_is_read (none added without a test), and
    # every bad_* file is refused by a test (whole file, or its target)
    helpers = {"README.md", "make_fixtures.py", "id_map.tsv", *OTHER_TESTS_FIXTURES}
    on_disk = {path.name for path in CORPUS.iterdir() if path.is_file() and path.name not in helpers}
    good = {name for name in on_disk if not name.startswith(("bad_", "sanity_"))}
    assert good == {name for name, *_ in CORPUS_EXPECTED}
    assert len(good) >= 15
    bad_target_files = {"bad_all_na_target.csv", "bad_constant_target.csv", "bad_too_few_rows.csv",
                        "bad_one_row.csv"}
    assert {name for name in on_disk if name.startswith("bad_")} == {name for name, _ in BAD_FILES} | bad_target_files
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    for name, *_ in CORPUS_EXPECTED:
        assert f"`{name}`" in readme, name
    for path in CORPUS.glob("bad_*"):
        assert f"`{path.name}`" in readme, path.name


def test_same_numbers_whatever_the_shape():
    # The same R-written numbers, read from a gzip'd write.csv and from the plain text inside it.
    import gzip

    plain = pd.read_csv(gzip.open(CORPUS / "deseq2_results.csv.gz"), index_col=0)
    table = read_de_table(CORPUS / "deseq2_results.csv.gz")
    np.testing.assert_array_equal(table.data["logFC"], plain["log2FoldChange"])
    np.testing.assert_array_equal(table.data["padj"].isna(), plain["padj"].isna())
    assert list(table.data["gene_id"]) == list(plain.index)


def test_decimal_commas_are_read_as_points():
    table = read_de_table(CORPUS / "geo2r_semicolon_decimal_comma.csv")
    text = pd.read_csv(CORPUS / "geo2r_semicolon_decimal_comma.csv", sep=";", decimal=",")
    np.testing.assert_allclose(table.data["logFC"], text["logFC"])
    assert any("decimal commas" in note for note in table.notes)


def test_missing_value_spellings_and_infinities():
    table = read_de_table(CORPUS / "limma_na_values.csv")
    assert table.na_counts["logFC"] == 2  # NA and empty
    assert table.na_counts["t"] == 3  # #N/A, Inf, -Inf
    assert table.na_counts["P.Value"] == 1  # NaN
    assert table.data["stat"].isna().sum() == 3 and np.isfinite(table.data["stat"].dropna()).all()
    assert any("infinite" in note for note in table.notes)
    assert table.rows_usable == 40 - 6


def test_write_table_header_one_short_gives_row_names():
    table = read_de_table(CORPUS / "limma_toptable_write_table.txt")
    assert table.data["gene_id"].iloc[0] == "200000_at"
    assert "one field short" in table.source["header"]
    assert table.mean_scale == "log2" and table.stat_kind == "t"


def test_workbook_lists_its_sheets_when_no_sheet_is_given():
    with pytest.raises(InputError, match=r"2 sheets \('README', 'results'\).*-p sheet NAME"):
        read_de_table(CORPUS / "deseq2_two_sheets.xlsx")
    with pytest.raises(InputError, match=r"no sheet 'Sheet9'; its sheets are 'README', 'results'"):
        read_de_table(CORPUS / "deseq2_two_sheets.xlsx", sheet="Sheet9")
    with pytest.raises(InputError, match="not an .xlsx workbook"):
        read_de_table(CORPUS / "edger_glmtreat.tsv", sheet="results")


def test_workbook_values_match_the_written_frame():
    table = read_de_table(CORPUS / "deseq2_two_sheets.xlsx", sheet="results")
    frame = pd.read_excel(CORPUS / "deseq2_two_sheets.xlsx", sheet_name="results")
    np.testing.assert_array_equal(table.data["logFC"], frame["log2FoldChange"])


def test_seurat_all_markers_cluster_choice():
    table = read_de_table(CORPUS / "seurat_findallmarkers.tsv")
    assert any("-p cluster NAME" in warning for warning in table.warnings)
    assert "cluster" not in table.numeric_columns
    one = read_de_table(CORPUS / "seurat_findallmarkers.tsv", cluster="2")
    assert len(one.data) == 20 and set(one.data["cluster"]) == {"2"}
    assert not any("cluster" in warning for warning in one.warnings)
    with pytest.raises(InputError, match=r"cluster '7' is not in .*clusters are 0, 1, 2"):
        read_de_table(CORPUS / "seurat_findallmarkers.tsv", cluster="7")
    with pytest.raises(InputError, match="has no cluster column"):
        read_de_table(CORPUS / "edger_glmtreat.tsv", cluster="1")


def test_collapse_keeps_the_strongest_row_per_symbol():
    table = read_de_table(CORPUS / "geo2r_multigene.tsv")
    assert table.duplicates == {"gene_id": 0, "symbol": 1, "multi_gene_symbols": 1}
    collapsed = read_de_table(CORPUS / "geo2r_multigene.tsv", collapse=True)
    cd44 = table.data[table.data["symbol"] == "CD44"]
    strongest = cd44.loc[cd44["stat"].abs().idxmax(), "gene_id"]
    assert list(collapsed.data.loc[collapsed.data["symbol"] == "CD44", "gene_id"]) == [strongest]
    assert len(collapsed.data) == len(table.data) - 1
    assert collapsed.data["symbol"].isna().sum() == 1  # the row without symbol stays
    assert any("collapse: 40 rows -> 39" in note for note in collapsed.notes)


def test_id_map_fills_symbols_for_versioned_ids():
    table = read_de_table(CORPUS / "ids_only.csv", id_map=CORPUS / "id_map.tsv")
    assert table.data["symbol"].notna().sum() == 30
    assert table.data.loc[0, "symbol"] == "TP0"


def test_reader_options_picks_reader_parameters():
    params = {"input_table": "x", "column_map": "a:logFC", "sheet": "", "collapse": True, "id_map": "",
              "cluster": "", "seed": 1}
    assert reader_options(params) == {"column_map": "a:logFC", "sheet": "", "collapse": True, "id_map": "",
                                      "cluster": ""}


# --------------------------------------------------------------------------------------------
# Sanity checks
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("sanity_unlogged_flipped.csv", ["looks un-logged", "look linear", "opposite signs in 20 of 40"]),
        ("sanity_pvalues.csv", ["1 values outside [0, 1]", "exactly 0 for 3 genes", "below P.Value for 2 genes",
                                "Bonferroni"]),
        ("sanity_zero_genes.csv", ["5 genes have baseMean 0"]),
        ("sanity_extreme_values.csv", ["were read as missing in logFC (2), AveExpr (3)"]),
    ],
)
def test_sanity_warnings(name, expected):
    table = read_de_table(CORPUS / name)
    assert len(table.warnings) == len(expected)
    for warning, part in zip(table.warnings, expected):
        assert part in warning


def test_good_corpus_files_raise_no_warning():
    for name, options, *_ in CORPUS_EXPECTED:
        if name == "seurat_findallmarkers.tsv":
            continue
        assert read_de_table(CORPUS / name, **options).warnings == [], name


# --------------------------------------------------------------------------------------------
# Bad input: one line, InputError
# --------------------------------------------------------------------------------------------

BAD_FILES = [
    ("bad_empty.csv", r"bad_empty.csv is empty \(0 bytes\); expected a DE results table"),
    ("bad_header_only.csv", r"bad_header_only.csv has a header but no data rows"),
    ("bad_binary.csv", r"bad_binary.csv holds binary data, not text"),
    ("bad_html_page.csv", r"bad_html_page.csv is an HTML/XML page, not a table; .*'Raw' button"),
    ("bad_no_numeric.csv", r"bad_no_numeric.csv has no numeric column \(columns: ID, symbol, description\)"),
    ("bad_no_statistics.csv", r"no DE statistic column I recognise \(numeric columns: colA, colB\).*column_map"),
    ("bad_duplicate_columns.csv", r"duplicate column names \('logFC'\)"),
    ("bad_ragged.csv", r"bad_ragged.csv: the header has 3 fields but data rows have up to 6"),
    ("bad_nul_after_8k.tsv", r"bad_nul_after_8k.tsv holds 1 NUL byte\(s\), the first on line 152"),
]


@pytest.mark.parametrize(("name", "message"), BAD_FILES)
def test_bad_files_give_one_line_input_errors(name, message):
    with pytest.raises(InputError, match=message) as caught:
        read_de_table(CORPUS / name)
    assert "\n" not in str(caught.value)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(InputError, match=r"'.*nothere.csv' does not exist"):
        read_de_table(tmp_path / "nothere.csv")
    with pytest.raises(InputError, match="is a folder"):
        read_de_table(tmp_path)


def test_ragged_row_beyond_the_sniffed_lines(tmp_path):
    path = tmp_path / "late_ragged.csv"
    path.write_text("ID,logFC,P.Value\n" + "".join(f"g{i},{i},0.5\n" for i in range(300)) + "g,1,2,3\n")
    with pytest.raises(InputError, match=r"could not be split into columns .*every row to have 3"):
        read_de_table(path)


def test_damaged_compressed_file_and_multi_member_zip(tmp_path):
    damaged = tmp_path / "cut.csv.gz"
    damaged.write_bytes((CORPUS / "deseq2_results.csv.gz").read_bytes()[:100])
    with pytest.raises(InputError, match="gzip-compressed but could not be decompressed"):
        read_de_table(damaged)
    import zipfile

    archive = tmp_path / "two.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("a.csv", "x")
        handle.writestr("b.csv", "y")
    with pytest.raises(InputError, match=r"zip archive with 2 files \(a.csv, b.csv\)"):
        read_de_table(archive)


# --------------------------------------------------------------------------------------------
# degtools inspect
# --------------------------------------------------------------------------------------------


def test_inspect_prints_the_record(capsys):
    assert cli.main(["inspect", str(CORPUS / "edger_qlf_crlf.csv")]) == 0
    out = capsys.readouterr().out
    assert "edgeR (QL F-test)" in out and "line_endings: CRLF" in out and "F  " in out
    assert cli.main(["inspect", str(CORPUS / "seurat_findallmarkers.tsv"), "--cluster", "0", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["rows"] == 20 and record["rows_read"] == 60


@pytest.mark.parametrize("name", ["bad_html_page.csv", "bad_empty.csv", "deseq2_two_sheets.xlsx"])
def test_inspect_exits_2_with_one_line(capsys, name):
    assert cli.main(["inspect", str(CORPUS / name)]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("degtools: error: ") and captured.err.count("\n") == 1
    assert "Traceback" not in captured.err


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------

HEADERS = st.sampled_from([
    ("ID", "logFC", "AveExpr", "t", "P.Value", "adj.P.Val", "B"),
    ("gene_id", "baseMean", "log2FoldChange", "lfcSE", "stat", "pvalue", "padj"),
    ("gene", "logFC", "logCPM", "F", "PValue", "FDR"),
    ("gene", "p_val", "avg_log2FC", "pct.1", "pct.2", "p_val_adj"),
])
FINITE = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False, width=64)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    headers=HEADERS,
    values=st.lists(st.lists(FINITE, min_size=6, max_size=6), min_size=2, max_size=25),
    missing=st.lists(st.tuples(st.integers(0, 24), st.integers(1, 5)), max_size=5),
    separator=st.sampled_from([",", "\t", ";", " "]),
    quote=st.booleans(),
    crlf=st.booleans(),
    compression=st.sampled_from(["", "gzip", "bz2", "xz", "zip"]),
    id_layout=st.sampled_from(["first", "last", "row names"]),
)
def test_well_formed_tables_read_back_the_same_values(tmp_path, headers, values, missing, separator, quote,
                                                      crlf, compression, id_layout):
    import bz2
    import gzip
    import lzma

    columns = list(headers[1:])
    frame = pd.DataFrame([row[: len(columns)] for row in values], columns=columns)
    for row, column in missing:
        if row < len(frame) and column < len(columns):
            frame.iloc[row, column] = np.nan
    id_header = "ROWNAMESHERE" if id_layout == "row names" else headers[0]
    frame.insert(0, id_header, [f"g{i}" for i in range(len(frame))])
    if id_layout == "last":
        frame = frame[[*columns, id_header]]
    text = frame.to_csv(sep=separator, index=False, na_rep="NA", float_format="%.17g",
                        quoting=1 if quote else 0, lineterminator="\r\n" if crlf else "\n")
    if id_layout == "row names":  # R write.csv: the row-name column has an empty header
        text = text.replace(id_header, "", 1)
        frame = frame.rename(columns={id_header: ROW_NAMES})
        id_header = ROW_NAMES
    payload = text.encode()
    payload = {"": lambda b: b, "gzip": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress,
               "zip": _zipped}[compression](payload)
    path = tmp_path / "table.txt"
    path.write_bytes(payload)
    table = read_de_table(path)
    read_headers = [name for name in table.column_map if name in frame.columns]
    assert read_headers == list(frame.columns)
    assert table.column_map[id_header] == "gene_id"
    for original in read_headers:
        canonical = table.column_map[original]
        if original == id_header:
            assert list(table.data[canonical]) == list(frame[original])
        else:
            np.testing.assert_array_equal(table.data[canonical].to_numpy(dtype=float),
                                          frame[original].to_numpy(dtype=float))


def _zipped(payload: bytes) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("table.csv", payload)
    return buffer.getvalue()


def assert_consistent_table(table: DETable, payload: bytes) -> None:
    """What every table the reader accepts must satisfy, whatever bytes it came from."""
    import hashlib

    assert table.sha256 == hashlib.sha256(payload).hexdigest()
    assert table.rows_read == len(table.data) > 0
    assert list(table.data.columns) == list(table.column_map.values())
    assert "gene_id" in table.data.columns and table.numeric_columns
    for column in table.numeric_columns:  # infinities are read as missing values
        assert not np.isinf(table.data[column].to_numpy(dtype=float)).any(), column
    json.dumps(table.record(), allow_nan=False)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.binary(max_size=400))
def test_random_bytes_give_input_error_or_a_table(tmp_path, payload):
    path = tmp_path / "random.csv"
    path.write_bytes(payload)
    try:
        table = read_de_table(path)
    except InputError as error:
        assert "\n" not in str(error)
    else:
        assert_consistent_table(table, payload)


TEXTISH = st.text(alphabet=string.printable + "é\"';\t,", max_size=300)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=TEXTISH, prefix=st.sampled_from(["", "ID,logFC,P.Value\n", "gene\tbaseMean\tlog2FoldChange\n"]),
       good_rows=st.integers(0, 30))
def test_random_text_gives_input_error_or_a_table(tmp_path, text, prefix, good_rows):
    # well-formed rows under the header before the random text, so that some examples are read as tables
    separator = "\t" if "\t" in prefix else ","
    rows = "".join(f"g{i}{separator}{i / 7:.3f}{separator}0.{i + 1:02d}\n" for i in range(good_rows if prefix else 0))
    path = tmp_path / "random.csv"
    path.write_text(prefix + rows + text, encoding="utf-8")
    try:
        table = read_de_table(path)
    except InputError as error:
        assert "\n" not in str(error)
    else:
        assert_consistent_table(table, path.read_bytes())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(garbage=st.binary(min_size=1, max_size=200))
def test_bytes_with_nul_are_always_refused(tmp_path, garbage):
    path = tmp_path / "bin.csv"
    path.write_bytes(b"ID,logFC\n\x00" + garbage)
    with pytest.raises(InputError):
        read_de_table(path)


def test_copied_table_with_other_suffix_is_read_by_content(tmp_path):
    # the compression is found from the bytes, not the file name
    copy = tmp_path / "results.dat"
    shutil.copyfile(CORPUS / "pydeseq2_results.csv.xz", copy)
    assert read_de_table(copy).tool == "PyDESeq2"


# --------------------------------------------------------------------------------------------
# The notebook: reader parameters reach read_de_table; bad input stops the first data cell
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_report_shows_the_reader_record(tmp_path):
    from degtools.render import render_report

    html_path, json_path = render_report(
        {"input_table": str(CORPUS / "ids_only.csv"), "id_map": str(CORPUS / "id_map.tsv"), "collapse": True,
         "cv_folds": 2, "top_n": 3},
        out_dir=tmp_path,
    )
    page = html_path.read_text(encoding="utf-8")
    assert "What the reader detected" in page and "id_map gave a symbol to 30 of 40 IDs" in page
    assert "Sanity checks:</strong> no warning." in page
    reader = json.loads(json_path.read_text(encoding="utf-8"))["input"]["reader"]
    assert reader["tool"] == "PyDESeq2" and reader["symbol_column"] == "symbol (from id_map)"
    assert reader["rows"] == 40 and reader["warnings"] == []


@pytest.mark.slow
def test_notebook_stops_in_its_first_data_cell_with_the_input_error(tmp_path):
    import nbformat
    import papermill

    from degtools.render import DEFAULT_NOTEBOOK

    out = tmp_path / "failed.ipynb"
    with pytest.raises(papermill.PapermillExecutionError) as caught:
        papermill.execute_notebook(
            str(DEFAULT_NOTEBOOK), str(out), parameters={"input_table": str(CORPUS / "bad_no_statistics.csv")},
            kernel_name="python3", progress_bar=False, cwd=str(DEFAULT_NOTEBOOK.parent),
        )
    assert caught.value.ename == "InputError"
    assert "no DE statistic column I recognise" in caught.value.evalue
    notebook = nbformat.read(out, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    parameters = next(i for i, cell in enumerate(code) if "parameters" in cell.metadata.get("tags", []))
    failed = next(i for i, cell in enumerate(code) if any(o.get("output_type") == "error" for o in cell.outputs))
    first_data = next(i for i, cell in enumerate(code) if i > parameters
                      and "injected-parameters" not in cell.metadata.get("tags", []))
    assert failed == first_data
    error = next(o for o in code[failed].outputs if o.get("output_type") == "error")
    assert error["traceback"] == [f"InputError: {caught.value.evalue}"]


def test_old_excel_and_utf16_text(tmp_path):
    old = tmp_path / "table.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200))
    with pytest.raises(InputError, match=r"old-style Excel .xls workbook.*save it as .xlsx or .csv"):
        read_de_table(old)
    unicode_text = tmp_path / "unicode.txt"
    text = "ID\tlogFC\tP.Value\n" + "".join(f"g{i}\t{i / 10}\t0.5\n" for i in range(40))
    unicode_text.write_bytes(text.encode("utf-16"))
    table = read_de_table(unicode_text)
    assert table.source["encoding"] == "UTF-16" and table.data["logFC"].iloc[3] == pytest.approx(0.3)


def test_statistic_column_with_a_few_or_many_non_numbers(tmp_path):
    rows = "".join(f"g{i},{i / 10},0.5\n" for i in range(40))
    few = tmp_path / "few.csv"
    few.write_text("ID,logFC,P.Value\n" + rows + "g40,oops,0.5\n")
    table = read_de_table(few)
    assert table.data["logFC"].isna().sum() == 1 and any("1 values that are not numbers" in n for n in table.notes)
    many = tmp_path / "many.csv"
    many.write_text("ID,logFC,P.Value\n" + "".join(f"g{i},up,0.5\n" for i in range(10)) + rows)
    with pytest.raises(InputError, match=r"column 'logFC' \(logFC\) holds 10 values that are not numbers \(e.g. 'up'\)"):
        read_de_table(many)


def test_reader_parameters_are_in_the_schema():
    from degtools.params import validate_params

    params = validate_params({"collapse": "true", "column_map": "fold:logFC", "sheet": "results",
                              "id_map": "map.tsv", "cluster": "3", "contrast": "B-A"})
    assert reader_options(params) == {"column_map": "fold:logFC", "sheet": "results", "collapse": True,
                                      "id_map": "map.tsv", "cluster": "3", "contrast": "B-A"}


@pytest.mark.slow
def test_report_command_exits_2_on_bad_input(capsys, tmp_path):
    assert cli.main(["report", "--input", str(CORPUS / "bad_binary.csv"), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "bad_binary.csv holds binary data" in err and "Traceback" not in err
    assert not list(tmp_path.glob("*.html")) and (tmp_path / "bad_binary_logFC.failed.ipynb").is_file()


def test_comment_lines_above_the_header_are_skipped(tmp_path):
    path = tmp_path / "commented.tsv"
    path.write_text("# DESeq2 results, made 2024-01-01\n# design ~ condition\n"
                    + (CORPUS / "edger_glmtreat.tsv").read_text())
    table = read_de_table(path)
    assert table.tool == "edgeR (glmTreat)" and len(table.data) == 40
    assert table.source["comment_lines"] == "2 skipped above the header"


def test_trailing_separator_and_excel_title_rows(tmp_path):
    trailing = tmp_path / "trailing.csv"
    trailing.write_text("ID,logFC,P.Value,\n" + "".join(f"g{i},{i / 10},0.5,\n" for i in range(40)))
    table = read_de_table(trailing)
    assert list(table.column_map) == ["ID", "logFC", "P.Value"]
    assert table.source["empty_columns"] == "1 nameless empty column(s) dropped"
    frame = pd.DataFrame({"gene": [f"G{i}" for i in range(40)], "logFC": np.linspace(-1, 1, 40),
                          "PValue": np.linspace(0.01, 1, 40), "FDR": np.linspace(0.02, 1, 40)})
    book = tmp_path / "supplement.xlsx"
    with pd.ExcelWriter(book, engine="openpyxl") as writer:
        pd.DataFrame([["Table S2: differentially expressed genes"]]).to_excel(writer, index=False, header=False)
        frame.to_excel(writer, index=False, startrow=2)
    table = read_de_table(book)
    assert table.tool == "edgeR (test not identifiable)" and len(table.data) == 40
    assert table.source["title_rows"] == "1 skipped above the header"
