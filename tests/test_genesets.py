"""Gene-set collections: GMT reading, the bundled Hallmark sets, matching a table's genes."""

from __future__ import annotations

import pytest
from conftest import DATA, SHARED_TABLES

from degtools import genesets, pathways, read_de_table
from degtools.errors import InputError
from degtools.gene_level import gene_level
from degtools.io import genes

GO_BP = DATA / "enrichr.GO_Biological_Process_2021.gmt"

# --- GMT ---------------------------------------------------------------------------------------------


def test_bundled_hallmark_is_the_default_and_needs_attribution():
    sets = genesets.read_gmt("")
    assert len(sets.sets) == 50
    assert sets.sha256 == "27e48f776cda235ad5b63acaecc3136853ee79c6447d883ce2b070a4d2d47b75"
    assert sets.is_hallmark
    assert "CC BY 4.0" in sets.attribution and "Liberzon" in sets.attribution
    assert len(sets.sets["HALLMARK_ADIPOGENESIS"]) == 200
    assert sets.descriptions["HALLMARK_ADIPOGENESIS"].startswith("http")


def test_go_bp_names_with_spaces_quotes_parentheses_and_empty_description():
    sets = genesets.read_gmt(GO_BP)
    assert len(sets.sets) == 6036
    name = "'de novo' posttranslational protein folding (GO:0051084)"
    assert name in sets.sets
    assert sets.descriptions[name] == ""
    assert not sets.is_hallmark and sets.attribution == ""
    assert all("\t" not in name and name == name.strip() for name in sets.sets)


def test_gmt_edge_cases(tmp_path):
    path = tmp_path / "odd.gmt"
    path.write_text(
        'set "one" (x)\t\tA\tB\t\tA\r\n'  # empty description, empty field, repeated gene, CRLF
        "\n"  # blank line
        "no genes\tdesc\n"  # a name without genes is skipped
        "set two\thttp://x\tC\n",
        encoding="utf-8",
    )
    sets = genesets.read_gmt(path)
    assert sets.sets == {'set "one" (x)': ["A", "B"], "set two": ["C"]}
    assert sets.name == "odd"


def test_gmt_errors(tmp_path):
    with pytest.raises(InputError, match="gene_sets file .* does not exist"):
        genesets.read_gmt(tmp_path / "missing.gmt")
    empty = tmp_path / "empty.gmt"
    empty.write_text("only a name\n", encoding="utf-8")
    with pytest.raises(InputError, match="holds no gene set"):
        genesets.read_gmt(empty)


def test_id_map_from_airway_gives_the_edger_table_symbols(tmp_path):
    airway = read_de_table(SHARED_TABLES["airway"]).data[["gene_id", "symbol"]].dropna()
    mapping_file = tmp_path / "ensembl_to_symbol.csv"
    airway.rename(columns={"gene_id": "ensgene"}).to_csv(mapping_file, index=False)
    table = genes.apply_id_map(read_de_table(SHARED_TABLES["edgeR"]), genes.read_id_map(mapping_file))
    gene_sets = genesets.read_gmt("")
    level = gene_level(table)
    match = genesets.match_genes(table, level, gene_sets)
    # the symbols the map gave, counted against the union of the Hallmark sets by hand
    hallmark_genes = set().union(*gene_sets.sets.values())
    expected = len({symbol for symbol in table.data["symbol"].dropna() if symbol in hallmark_genes})
    assert match.usable and match.matched == expected > 2000
    assert "matched any Hallmark gene" in match.sentence()
    membership = pathways.pathway_membership(table, gene_sets)
    assert membership.shape[1] == pathways.PATHWAY_MAX_SETS
