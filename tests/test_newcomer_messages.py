"""Messages a newcomer meets: a target in the wrong case, a missing input, headers the reader does not know."""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from degtools import api, targets
from degtools.cli import main
from degtools.errors import InputError
from degtools.io import read_de_table
from degtools.io.vocabulary import suggest_column_map
from tests.conftest import DEMO


@pytest.fixture
def unknown_headers(tmp_path: Path) -> Path:
    """gene, fold, pval: 'pval' is a known spelling of the p-value, 'fold' is not a known one of logFC."""
    rng = np.random.default_rng(1)
    path = tmp_path / "unknown.csv"
    pd.DataFrame({"gene": [f"G{i}" for i in range(200)], "fold": rng.normal(size=200),
                  "pval": rng.uniform(size=200)}).to_csv(path, index=False)
    return path


def test_a_target_in_the_wrong_case_asks_did_you_mean():
    table = targets.add_derived_columns(read_de_table(DEMO))
    with pytest.raises(InputError) as caught:
        targets.resolve_target(table, "logFc")
    assert str(caught.value).startswith("target 'logFc' is not a numeric column of GSE15852.top.table.tsv; "
                                        "did you mean 'logFC'? Pass it with -p target logFC (valid targets are ")


def test_a_missing_input_names_the_path_and_the_option_used(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["report", "--input", "missing.csv", "--target", "logFC", "--out", "out"]) == 2
    assert capsys.readouterr().err == (
        f"degtools: error: input table 'missing.csv' does not exist (looked in {tmp_path}); pass the path of a "
        "DE results table with --input PATH, or leave --input out for the bundled demo table.\n")
    assert main(["report", "-p", "input_table", "missing.csv", "--out", "out"]) == 2
    assert "with -p input_table PATH, or leave -p input_table out" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()  # checked before anything was made or any kernel started
    # papermill users (the notebook's own check) are told about -p input_table
    with pytest.raises(InputError, match=r"^input table 'missing.csv' does not exist .*-p input_table PATH"):
        read_de_table("missing.csv")


def test_suggested_column_map_comes_from_the_vocabulary():
    assert suggest_column_map(["fold", "pvl", "tstatistic", "zzz"]) == {
        "fold": "logFC", "pvl": "pvalue", "tstatistic": "stat"}
    assert suggest_column_map(["fold", "pvl"], present=["pvalue"]) == {"fold": "logFC"}
    assert suggest_column_map(["colA", "colB"]) == {}


def test_inspect_lists_unrecognised_numeric_columns_with_a_column_map(unknown_headers, capsys):
    assert main(["inspect", str(unknown_headers)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-2:] == [
        "unrecognised numeric columns: fold",
        "  recognised pval as pvalue; not recognised: fold. Name it with --column-map 'fold:logFC' if fold is "
        "the log2 fold change between the two groups.",
    ]
    assert main(["inspect", str(unknown_headers), "--column-map", "fold:logFC"]) == 0
    assert "unrecognised" not in capsys.readouterr().out


def test_the_first_cell_stops_a_table_it_cannot_rank_and_says_what_it_recognised(unknown_headers):
    expected = ("unknown.csv has no log fold change column and no signed statistic (t or Wald), which the gene-set "
                "analysis ranks genes by: recognised pval as pvalue; not recognised: fold. Name it with "
                "-p column_map 'fold:logFC' if fold is the log2 fold change between the two groups.")
    with pytest.raises(InputError) as caught:
        api.read_input_table({"input_table": str(unknown_headers)})
    assert str(caught.value) == expected
    table = targets.add_derived_columns(read_de_table(unknown_headers))
    with pytest.raises(InputError, match="no column was recognised as logFC: recognised pval as pvalue; "
                                         "not recognised: fold. Name it with -p column_map 'fold:logFC'"):
        targets.resolve_target(table, "logFC")


@pytest.mark.slow
def test_a_report_on_unknown_headers_fails_in_its_first_cell(unknown_headers, tmp_path: Path, capsys):
    assert main(["report", "--input", str(unknown_headers), "--target", "fold", "--out", str(tmp_path),
                 "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "not recognised: fold. Name it with -p column_map 'fold:logFC'" in err
    failed = nbformat.read(tmp_path / "unknown_fold.failed.ipynb", as_version=4)
    code = [cell for cell in failed.cells if cell.cell_type == "code"]
    errors = [i for i, cell in enumerate(code) if any(o.get("output_type") == "error" for o in cell.outputs)]
    first_data = next(i for i, cell in enumerate(code)
                      if not {"parameters", "injected-parameters"} & set(cell.metadata.get("tags", [])))
    assert errors == [first_data]


def test_inspect_of_a_table_with_no_known_statistic_suggests_the_column_map_option(tmp_path: Path, capsys):
    path = tmp_path / "nothing_known.csv"
    path.write_text("gene,fold,pvl\nA,1.5,0.01\nB,-0.5,0.2\nC,0.1,0.9\n", encoding="utf-8")
    assert main(["inspect", str(path)]) == 2
    assert capsys.readouterr().err == (
        "degtools: error: nothing_known.csv has no DE statistic column I recognise (numeric columns: fold, pvl); "
        "expected e.g. logFC, P.Value, log2FoldChange or PValue: name yours with --column-map "
        "'fold:logFC, pvl:pvalue'.\n")
    with pytest.raises(InputError, match=r"name yours with -p column_map 'fold:logFC, pvl:pvalue'\.$"):
        read_de_table(path)
