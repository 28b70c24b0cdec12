"""Gene identifiers: multi-gene symbols, symbol detection, duplicates, collapsing, ID maps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from degtools.errors import InputError
from degtools.io import genes
from degtools.io.table import DETable


def make_table(data: pd.DataFrame, column_map: dict[str, str] | None = None) -> DETable:
    column_map = column_map or {column: column for column in data.columns}
    return DETable(data=data, path=Path("t.csv"), tool="generic", column_map=column_map, sha256="0" * 64)


def test_split_symbols():
    assert genes.split_symbols("A /// B") == ["A", "B"]
    assert genes.split_symbols("TP53") == ["TP53"]
    assert genes.split_symbols("") == [] and genes.split_symbols(None) == [] and genes.split_symbols(np.nan) == []


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["TP53", "CD44 /// CD44P1", "HLA-DRB1", "C1orf112", "Mt-co1"], True),
        (["ENSG00000000003", "ENSG00000000419.12", "ENSMUSG00000000001"], False),
        (["205478_at", "219140_s_at", "266_x_at"], False),
        (["7157", "960", "1"], False),
        (["protein phosphatase 1 regulatory inhibitor", "retinol binding protein 4"], False),
        ([None, ""], False),
        (["YBR072W", "YGR159C", "YPL081W-A"], False),
        (["g1", "gene2", "p3", "row4"], False),
    ],
)
def test_looks_like_symbols(values, expected):
    assert genes.looks_like_symbols(pd.Series(values, dtype=object)) is expected


def test_count_duplicates():
    data = pd.DataFrame({"gene_id": ["a", "b", "b", "c"], "symbol": ["X", "X", None, "Y /// Z"]})
    assert genes.count_duplicates(data) == {"gene_id": 1, "symbol": 1, "multi_gene_symbols": 1}
    assert genes.count_duplicates(data[["gene_id"]]) == {"gene_id": 1}


def test_collapse_keeps_largest_absolute_statistic_per_symbol():
    data = pd.DataFrame({
        "gene_id": ["p1", "p2", "p3", "p4", "p5"],
        "symbol": ["A", "A", "B", None, "A"],
        "stat": [1.0, -5.0, 2.0, 9.0, np.nan],
        "logFC": [0.1, -0.5, 0.2, 0.9, 3.0],
    })
    collapsed = genes.collapse_genes(make_table(data, {"ID": "gene_id", "sym": "symbol", "t": "stat",
                                                        "logFC": "logFC"}))
    assert list(collapsed.data["gene_id"]) == ["p2", "p3", "p4"]  # file order kept, row without symbol kept
    assert collapsed.notes[-1] == "collapse: 5 rows -> 3 (one row per sym, the one with the largest |t|)"


def test_collapse_by_id_and_by_p_value_without_statistic():
    data = pd.DataFrame({"gene_id": ["a", "a", "b"], "pvalue": [0.2, 0.01, 0.5]})
    collapsed = genes.collapse_genes(make_table(data))
    assert list(collapsed.data["pvalue"]) == [0.01, 0.5]
    assert "smallest pvalue" in collapsed.notes[-1]
    with pytest.raises(InputError, match="collapse needs a statistic"):
        genes.collapse_genes(make_table(pd.DataFrame({"gene_id": ["a"], "B": [1.0]})))


def test_read_and_apply_id_map(tmp_path):
    path = tmp_path / "map.csv"
    path.write_text("ensembl,symbol\nENSG1,AAA\nENSG2,\nENSG1,ZZZ\nENSG3,CCC\n")
    mapping = genes.read_id_map(path)
    assert mapping == {"ENSG1": "AAA", "ENSG3": "CCC"}
    table = make_table(pd.DataFrame({"gene_id": ["ENSG1.4", "ENSG2", "ENSG3"], "logFC": [1.0, 2.0, 3.0]}))
    mapped = genes.apply_id_map(table, mapping)
    assert mapped.data["symbol"].isna().tolist() == [False, True, False]
    assert mapped.data["symbol"].iloc[0] == "AAA" and mapped.data["symbol"].iloc[2] == "CCC"
    assert mapped.column_map["symbol (from id_map)"] == "symbol"
    assert mapped.notes[-1] == "id_map gave a symbol to 2 of 3 IDs"


def test_id_map_errors(tmp_path):
    with pytest.raises(InputError, match="id_map file .* does not exist"):
        genes.read_id_map(tmp_path / "missing.tsv")
    one = tmp_path / "one.txt"
    one.write_text("just\na\nb\n")
    with pytest.raises(InputError, match="has 1 column; expected two"):
        genes.read_id_map(one)
    binary = tmp_path / "map.bin"
    binary.write_bytes(b"\x00\x01\x02")
    with pytest.raises(InputError, match="no data rows or is not UTF-8 text"):
        genes.read_id_map(binary)
