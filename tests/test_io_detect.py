"""Columns: header vocabulary, column_map, separators, ID and symbol columns found by their values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from degtools.errors import InputError
from degtools.io import read_de_table
from degtools.io.split import sniff_separator
from degtools.io.vocabulary import ROW_NAMES, map_columns, parse_column_map

CORPUS = Path(__file__).resolve().parent / "data"


def test_loose_header_spellings_are_recognised():
    mapping = map_columns(["Gene ID", "log2 Fold Change", "P-value", "q_value", "Symbol"])
    assert mapping == {"Gene ID": "gene_id", "log2 Fold Change": "logFC", "P-value": "pvalue",
                       "q_value": "padj", "Symbol": "symbol"}


def test_column_map_names_unknown_headers():
    table = read_de_table(CORPUS / "generic_id_last.csv", column_map={"fold": "logFC", "signif": "pvalue"})
    assert table.column_map["fold"] == "logFC" and table.column_map["qval"] == "padj"
    assert table.display_name("pvalue") == "signif"
    with pytest.raises(InputError, match=r"column_map names 'foldx', not a header of generic_id_last.csv"):
        read_de_table(CORPUS / "generic_id_last.csv", column_map="foldx:logFC")
    with pytest.raises(InputError, match=r"'fold' to 'log2FC', which is not a canonical name"):
        parse_column_map("fold:log2FC")
    with pytest.raises(InputError, match=r"entry 'fold' is not HEADER:canonical"):
        parse_column_map("fold")


def test_sniff_separator():
    assert sniff_separator(["a\tb,c\td", "1\t2,3\t4"]) == "\t"
    assert sniff_separator(['"a","b c"', '"x",1']) == ","
    assert sniff_separator(["a;b;c", "1,5;2,5;3"]) == ";"
    assert sniff_separator(["  a   b", "x  1  2"]) == " "
    with pytest.raises(InputError, match="could not find a column separator"):
        sniff_separator(["justoneword", "another"])


def test_pandas_index_column_is_not_a_feature(tmp_path):
    path = tmp_path / "pandas_index.csv"
    frame = pd.DataFrame({"gene": [f"G{i}" for i in range(40)], "log2FoldChange": np.linspace(-2, 2, 40),
                          "pvalue": np.linspace(0.001, 1, 40)})
    frame.to_csv(path)  # writes the 0..39 index under an empty header
    table = read_de_table(path)
    assert table.column_map[ROW_NAMES] == ROW_NAMES and table.column_map["gene"] == "gene_id"
    assert table.numeric_columns == ["logFC", "pvalue"]


def test_symbol_like_ids_are_used_as_symbols(tmp_path):
    path = tmp_path / "symbols_as_rownames.csv"
    frame = pd.DataFrame({"log2FoldChange": np.linspace(-2, 2, 40), "pvalue": np.linspace(0.001, 1, 40)},
                         index=[f"KRT{i}" for i in range(40)])
    frame.to_csv(path)
    table = read_de_table(path)
    assert table.column_map["(symbols = IDs)"] == "symbol" and table.data["symbol"].iloc[3] == "KRT3"
