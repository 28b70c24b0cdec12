"""Per-gene covariate files: reading, keys, and joins to DE tables (real files and built fixtures)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from degtools.errors import InputError
from degtools.gene_features import (
    BUNDLED_COLUMNS,
    BUNDLED_GENE_FEATURES,
    CATEGORY_TOP_LEVELS,
    bundled_gene_features_path,
    join_gene_features,
    read_gene_features,
)
from degtools.io import read_de_table

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "degtools" / "data" / "GSE15852.top.table.tsv"
AIRWAY = ROOT / "data" / "airway_deseq2_results.csv"


@pytest.fixture(scope="module")
def sophie():
    return read_gene_features("sophie")


def test_sophie_file_reads_despite_empty_first_header_and_short_rows(sophie):
    assert sophie.name == "sophie"
    assert sophie.keys == {"(row names)": "symbol", "Gene ID": "symbol"}
    assert len(sophie.values) == 17_755
    # by its short name: the five columns SOPHIE does not compute from the others, with a note on the rest
    assert list(sophie.values.columns) == list(BUNDLED_COLUMNS["sophie"][0])
    assert len(sophie.values.columns) == 5
    assert any("7 columns not used" in note and "Z score" in note for note in sophie.notes)
    everything = read_gene_features(bundled_gene_features_path("sophie"))
    assert len(everything.values.columns) == 12
    # the Z score left out is exactly (|log2FoldChange (Real)| - simulated mean) / simulated sd
    z = ((everything.values["abs(log2FoldChange) (Real)"] - everything.values["Mean abs(log2FoldChange) (simulated)"])
         / everything.values["Std deviation (simulated)"])
    np.testing.assert_allclose(z, everything.values["Z score"], rtol=1e-9)
    # 186 rows have 13 fields: the four real statistics empty and the last field (Z score) missing
    assert sophie.values["log2FoldChange (Real)"].isna().sum() == 186
    assert everything.values["Z score"].isna().sum() == 186
    assert sophie.values["Percent DE (simulated)"].notna().all()
    assert "BSD 3-Clause" in sophie.attribution


def test_bundled_files_are_gzipped_copies_of_the_originals():
    import gzip
    import hashlib

    expected = {"sophie": "af70dcf2f95e705e87bede0cad6f395798cb6751f6f454c8c3ab70a3d2ac2c62",
                "biotype": "2541aafad224be1198ddff59f8634c7ed1405b7c5424e13c5a5db4b62b5e5c35"}
    for name in BUNDLED_GENE_FEATURES:
        raw = gzip.decompress(bundled_gene_features_path(name).read_bytes())
        assert hashlib.sha256(raw).hexdigest() == expected[name]


def test_gse15852_joins_sophie_by_symbol_as_an_independent_merge_does(sophie):
    table = read_de_table(DEMO)
    joined = join_gene_features(table, sophie)
    # independent count: the first symbol of each probe, looked up among SOPHIE's row names
    raw = pd.read_csv(DEMO, sep="\t", dtype=str)
    first = raw["Gene.symbol"].str.split("///").str[0].str.strip()
    reference = pd.read_csv(bundled_gene_features_path("sophie"), sep="\t", dtype=str, keep_default_na=False)
    merged = pd.DataFrame({"symbol": first}).merge(
        reference.rename(columns={"Unnamed: 0": "symbol"}), on="symbol", how="left", indicator=True)
    assert joined.matched_rows == int((merged["_merge"] == "both").sum()) == 18_762
    assert joined.rows == 22_283
    assert joined.key["table_column"] == "Gene.symbol" and joined.key["kind"] == "symbol"
    assert joined.features.index.equals(table.data.index)
    assert "sophie: Percent DE (simulated)" in joined.columns
    expected = pd.to_numeric(merged["Percent DE (simulated)"], errors="coerce").to_numpy()
    np.testing.assert_allclose(joined.features["sophie: Percent DE (simulated)"].to_numpy(), expected)
    assert "18,762 of 22,283 rows" in joined.sentence()
    assert "first symbol" in joined.sentence()


def test_airway_joins_biotypes_by_ensembl_id():
    table = read_de_table(AIRWAY)
    biotype = read_gene_features("biotype")
    assert biotype.keys == {"gene_id": "Ensembl ID", "gene_name": "symbol", "entrezid": "Entrez ID"}
    assert len(biotype.values.columns) == CATEGORY_TOP_LEVELS
    assert "gene_biotype = protein_coding" in biotype.values.columns
    joined = join_gene_features(table, biotype)
    raw = pd.read_csv(AIRWAY, dtype=str)
    annotations = pd.read_csv(bundled_gene_features_path("biotype"), dtype=str, keep_default_na=False)
    merged = raw[["ensgene"]].merge(annotations, left_on="ensgene", right_on="gene_id", how="left")
    assert joined.matched_rows == int(merged["gene_id"].notna().sum()) == 17_804
    assert joined.key == {"table_column": "ensgene", "feature_column": "gene_id", "kind": "Ensembl ID",
                          "ignore_case": True}
    coding = joined.features["biotype: gene_biotype = protein_coding"]
    assert coding.sum() == (merged["gene_biotype"] == "protein_coding").sum()
    record = joined.record()
    assert {"name", "file", "sha256", "key", "matched_rows", "rows", "columns"} <= set(record)
    assert "/" not in record["file"]
    json.dumps(record)


def _write_de_table(path: Path, ids: list[str], symbols: list[str] | None = None) -> Path:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"gene_id": ids})
    if symbols is not None:
        frame["symbol"] = symbols
    frame["log2FoldChange"] = rng.normal(0, 1, len(ids)).round(4)
    frame["pvalue"] = rng.uniform(0, 1, len(ids)).round(4)
    frame.to_csv(path, index=False)
    return path


def test_version_suffixes_and_case_are_forgiven_for_ensembl_ids(tmp_path: Path):
    ids = [f"ENSG{index:011d}.{index % 7 + 1}" for index in range(1, 31)]
    table = read_de_table(_write_de_table(tmp_path / "de.csv", ids))
    features = pd.DataFrame({
        "Ensembl": [f"ensg{index:011d}" for index in range(1, 31)] + ["ensg00000000001"],
        "length": [float(100 * index) for index in range(1, 31)] + [-1.0],
        "biotype": ["protein_coding"] * 20 + ["lncRNA"] * 8 + ["miRNA"] * 2 + ["lncRNA"],
        "description": [f"gene number {index}" for index in range(31)],
    })
    features.to_csv(tmp_path / "lengths.tsv", sep="\t", index=False)
    read = read_gene_features(tmp_path / "lengths.tsv")
    assert read.name == "lengths"
    assert read.keys == {"Ensembl": "Ensembl ID"}
    assert list(read.values.columns) == ["length", "biotype = protein_coding", "biotype = lncRNA",
                                         "biotype = miRNA"]
    assert any("description" in note for note in read.notes)
    joined = join_gene_features(table, read)
    assert joined.matched_rows == 30
    assert joined.key["ignore_case"]
    # the key repeated in the file: its first row is used, with a note
    assert joined.features["lengths: length"].iloc[0] == 100.0
    assert any("first occurrence" in note for note in joined.notes)


def test_symbols_match_as_written_and_multi_gene_probes_use_the_first(tmp_path: Path):
    table = read_de_table(_write_de_table(tmp_path / "de.csv", [f"p{i}_at" for i in range(4)],
                                          ["CD44 /// CD44P1", "TP53", "Trp53", ""]))
    pd.DataFrame({"symbol": ["CD44", "TP53", "MYC"], "score": [1.0, 2.0, 3.0]}).to_csv(
        tmp_path / "scores.csv", index=False)
    joined = join_gene_features(table, read_gene_features(tmp_path / "scores.csv", name="s"))
    assert joined.matched_rows == 2  # the mouse symbol Trp53 does not take human TP53's values
    assert joined.features["s: score"].iloc[:2].tolist() == [1.0, 2.0]
    assert joined.features["s: score"].iloc[2:].isna().all()


def test_r_write_table_header_one_short_and_xlsx(tmp_path: Path):
    text = "score\tlength\nTP53\t1.5\t100\nMYC\t2.5\t200\nCD44\t3.5\t300\n"
    (tmp_path / "r.tsv").write_text(text, encoding="utf-8")
    read = read_gene_features(tmp_path / "r.tsv")
    assert read.keys == {"(row names)": "symbol"}
    assert list(read.values.columns) == ["score", "length"]
    frame = pd.DataFrame({"Gene": ["TP53", "MYC", "CD44"], "score": [1.5, 2.5, 3.5]})
    frame.to_excel(tmp_path / "features.xlsx", index=False)
    read = read_gene_features(tmp_path / "features.xlsx")
    assert read.keys == {"Gene": "symbol"}
    assert read.values["score"].tolist() == [1.5, 2.5, 3.5]


def _one_line(error: pytest.ExceptionInfo) -> str:
    message = str(error.value)
    assert "\n" not in message
    return message


def test_input_errors_say_expected_found_and_fix(tmp_path: Path):
    pd.DataFrame({"a": [1, 2, 3], "b": [4, 5, 6]}).to_csv(tmp_path / "nokey.csv", index=False)
    with pytest.raises(InputError) as error:
        read_gene_features(tmp_path / "nokey.csv")
    message = _one_line(error)
    assert "no gene key column" in message and "columns: a, b" in message and "expected" in message

    pd.DataFrame({"symbol": ["TP53", "MYC", "CD44", "EGFR"],
                  "note": ["a long text", "another one", "more prose", "and the last"]}).to_csv(
        tmp_path / "nonumber.csv", index=False)
    with pytest.raises(InputError) as error:
        read_gene_features(tmp_path / "nonumber.csv")
    assert "no numeric column" in _one_line(error)

    with pytest.raises(InputError) as error:
        read_gene_features(tmp_path / "missing.csv")
    assert "does not exist" in _one_line(error)

    pd.DataFrame({"symbol": ["AAA1", "BBB2", "CCC3"], "x": [1.0, 2.0, 3.0]}).to_csv(
        tmp_path / "other.csv", index=False)
    table = read_de_table(_write_de_table(tmp_path / "de.csv", ["g1", "g2"], ["TP53", "MYC"]))
    with pytest.raises(InputError) as error:
        join_gene_features(table, read_gene_features(tmp_path / "other.csv"))
    message = _one_line(error)
    assert "matches no row" in message and "TP53" in message and "AAA1" in message


def test_damaged_files_are_input_errors(tmp_path: Path):
    (tmp_path / "cut.tsv.gz").write_bytes(b"\x1f\x8b\x08\x00broken")
    with pytest.raises(InputError, match="could not be opened"):
        read_gene_features(tmp_path / "cut.tsv.gz")
    pd.DataFrame({"symbol": ["TP53"], "x": [1.0]}).to_excel(tmp_path / "one.xlsx", index=False)
    with pytest.raises(InputError, match="could not be opened"):
        read_gene_features(tmp_path / "one.xlsx", sheet="missing")


def test_normalised_keys_drop_version_suffixes_and_integer_zeros_only():
    from degtools.gene_features import normalise_ids

    values = pd.Series(["ENSG00000141510.17", "ensg00000141510", "7157.0", "7157", "TP53", "HLA-A.1", None, " NA "])
    assert normalise_ids(values, ignore_case=True).tolist()[:6] == [
        "ENSG00000141510", "ENSG00000141510", "7157", "7157", "TP53", "HLA-A.1"]
    kept = normalise_ids(values, ignore_case=False)
    assert kept.tolist()[:6] == ["ENSG00000141510", "ensg00000141510", "7157", "7157", "TP53", "HLA-A.1"]
    assert kept.iloc[6:].isna().all()
