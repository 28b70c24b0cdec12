"""Gene-set collections: GMT reading, the bundled Hallmark sets, matching a table's genes."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import DATA, SHARED_TABLES

from degtools import genesets, pathways, read_de_table
from degtools.errors import InputError
from degtools.gene_level import gene_level
from degtools.io import genes
from degtools.results import enrichment_json

GO_BP = DATA / "enrichr.GO_Biological_Process_2021.gmt"
SEURAT = Path(__file__).parent / "data" / "seurat_findallmarkers.tsv"

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


# --- gene sets of another organism, mouse casing, mixed Seurat clusters -----------------------------------


def _arabidopsis_like(tmp_path, hallmark):
    """400 genes with AGI IDs and plant-style symbols; 12 of the symbols are human Hallmark genes by chance."""
    import numpy as np
    import pandas as pd

    prefixes = ["ABCX", "PAPX", "ACTX", "HYX", "PINX", "ARFX", "WRKYX", "NACX"]
    symbols = [f"{prefixes[i % len(prefixes)]}{i}" for i in range(388)]
    collisions = sorted(hallmark.genes)[::300][:12]
    symbols += collisions
    rng = np.random.default_rng(3)
    t = rng.normal(0, 2, len(symbols))
    t[-12:] = 6.0  # the look-alikes even look "up-regulated": chance must not turn into enrichment
    frame = pd.DataFrame({
        "ID": [f"AT{1 + i % 5}G{i:04d}0" for i in range(len(symbols))], "symbol": symbols, "logFC": t / 3,
        "t": t, "P.Value": np.full(len(t), 0.5), "adj.P.Val": np.where(np.abs(t) > 4, 0.001, 0.9),
    })
    path = tmp_path / "arabidopsis.tsv"
    frame.to_csv(path, sep="\t", index=False)
    return read_de_table(path), collisions


def test_human_gene_sets_on_another_organisms_table_are_refused_with_the_numbers(tmp_path):
    from degtools import enrich

    hallmark = genesets.read_gmt("")
    table, collisions = _arabidopsis_like(tmp_path, hallmark)
    result = enrich.run_enrichment(table, hallmark, permutations=100)
    match = result.match
    assert match.matched == len(collisions) == 12 and match.genes == 400
    sentence = match.sentence()
    assert sentence.startswith("12 of 400 symbols (3.0%) are in the Hallmark gene sets")
    assert f"{12 / len(hallmark.genes):.2%} of the sets' {len(hallmark.genes):,} genes" in sentence
    assert "another organism" in sentence and "gene_sets" in sentence and "capitalised" not in sentence
    assert not result.ran and result.ora.empty and result.gsea.empty
    data = enrichment_json(result)
    assert data["ran"] is False and data["reason"] == sentence and data["ora"] == [] and data["gsea"] == []


def test_mouse_cased_symbols_against_human_sets_mention_the_casing(tmp_path):
    import numpy as np

    from degtools import enrich

    hallmark = genesets.read_gmt("")
    human = sorted(hallmark.genes)[:300]
    symbols = ["Trp53", "Cdkn1a"] + [gene.capitalize() for gene in human]
    t = np.random.default_rng(5).normal(0, 2, len(symbols))
    path = tmp_path / "mouse.tsv"
    from limma_frames import limma_frame

    limma_frame(symbols, t).to_csv(path, sep="\t", index=False)
    result = enrich.run_enrichment(read_de_table(path), hallmark, permutations=100)
    sentence = result.match.sentence()
    assert not result.ran and enrichment_json(result)["reason"] == sentence
    case_only = sum(1 for s in symbols if s not in hallmark.genes and s.upper() in hallmark.genes)
    assert case_only > 250 and result.match.case_only == case_only
    assert f"Ignoring case, {case_only:,} more symbols would match" in sentence
    assert "capitalised like mouse or rat genes (Trp53)" in sentence and "gene_sets" in sentence


def test_a_human_table_is_still_enriched():
    table = read_de_table(SHARED_TABLES["airway"])
    match = genesets.match_genes(table, gene_level(table), genesets.read_gmt(""))
    assert match.usable and match.reason() == "" and match.fraction > 0.2 and match.coverage > 0.9


def test_seurat_findallmarkers_without_a_cluster_skips_enrichment_and_says_to_set_it():
    from degtools import enrich

    table = read_de_table(SEURAT)
    clusters = table.data["cluster"].astype(str).nunique()
    assert clusters == 3
    result = enrich.run_enrichment(table, genesets.read_gmt(""), permutations=100)
    sentence = result.match.sentence()
    assert not result.ran and enrichment_json(result)["reason"] == sentence
    assert f"mixes {clusters} clusters of Seurat FindAllMarkers" in sentence and "-p cluster NAME" in sentence
    one = read_de_table(SEURAT, cluster="1")
    chosen = enrich.run_enrichment(one, genesets.read_gmt(""), permutations=100)
    assert "clusters of Seurat" not in chosen.match.sentence()
    import pandas as pd

    raw = pd.read_csv(SEURAT, sep="\t")
    listed = raw.loc[(raw["cluster"].astype(str) == "1") & raw["p_val_adj"].notna(), "gene"].nunique()
    assert chosen.background["genes"] == listed
    assert "FindAllMarkers lists only the genes that passed its filters" in chosen.background["rule"]
