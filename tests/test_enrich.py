"""Gene-set tests: ORA against scipy, preranked GSEA, biology on GSE15852, tables the sets cannot read."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import DATA, SHARED_TABLES
from limma_frames import limma_frame, write_table
from scipy import stats

from degtools import enrich, genesets, read_de_table
from degtools.gene_level import gene_level, regulated_genes
from degtools.results import enrichment_json

GO_BP = DATA / "enrichr.GO_Biological_Process_2021.gmt"

# --- ORA against scipy ----------------------------------------------------------------------------------


def hand_bh(pvalues: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg written out: p_(i) * m / i, made monotone from the largest down."""
    m = len(pvalues)
    order = np.argsort(pvalues)
    adjusted = np.empty(m)
    running = 1.0
    for rank in range(m, 0, -1):
        index = order[rank - 1]
        running = min(running, pvalues[index] * m / rank)
        adjusted[index] = running
    return adjusted


def test_ora_matches_scipy_hypergeometric(tmp_path):
    rng = np.random.default_rng(1)
    symbols = [f"G{i}" for i in range(300)]
    logfc = rng.normal(0, 1, 300)
    logfc[:40] = 3.0  # 40 clearly up genes: G0..G39
    padj = np.where(np.abs(logfc) >= 1, 0.001, 0.5)
    table = read_de_table(write_table(tmp_path, limma_frame(symbols, logfc * 4, logfc=logfc, padj=padj)))
    gmt = tmp_path / "sets.gmt"
    sets = {
        "enriched": [f"G{i}" for i in range(0, 30)] + [f"G{i}" for i in range(100, 115)],
        "random": [f"G{i}" for i in range(150, 190)],
        "partly outside": [f"G{i}" for i in range(20, 35)] + [f"X{i}" for i in range(10)],
        "too small": ["G1", "G2"],
    }
    gmt.write_text("".join(f"{name}\t\t" + "\t".join(members) + "\n" for name, members in sets.items()))
    level = gene_level(table)
    result = enrich.over_representation(level, genesets.read_gmt(gmt), padj_threshold=0.05, lfc_threshold=1.0)
    up = result[result["direction"] == "up"].set_index("set")
    assert "too small" not in up.index  # fewer than ORA_MIN_SET_SIZE genes in the background
    background = set(level.index)
    up_list = set(regulated_genes(level, padj_threshold=0.05, lfc_threshold=1.0)["up"])
    expected = {}
    for name in ("enriched", "random", "partly outside"):
        members = set(sets[name]) & background
        overlap = len(members & up_list)
        assert up.loc[name, "size"] == len(members)
        assert up.loc[name, "overlap"] == overlap
        expected[name] = (
            stats.hypergeom.sf(overlap - 1, len(background), len(members), len(up_list)) if overlap else 1.0
        )
        assert up.loc[name, "pvalue"] == pytest.approx(expected[name], rel=1e-9)
    names = list(expected)
    np.testing.assert_allclose(
        up.loc[names, "fdr"].to_numpy(), hand_bh(np.array([expected[n] for n in names])), rtol=1e-9
    )
    assert up.loc["enriched", "pvalue"] < 1e-10


# --- GSEA ------------------------------------------------------------------------------------------------


def test_preranked_gsea_direction_and_duplicate_symbols(tmp_path):
    rng = np.random.default_rng(2)
    n = 400
    symbols = [f"G{i}" for i in range(n)]
    t = rng.normal(0, 1, n)
    t[:25] += 4  # set "top" sits at the top of the ranking
    t[100:125] -= 4  # set "bottom" at the bottom
    frame = limma_frame(symbols + ["G0", "G100 /// G101"], list(t) + [0.1, 0.2])  # duplicated symbols
    table = read_de_table(write_table(tmp_path, frame))
    gmt = tmp_path / "sets.gmt"
    gmt.write_text(
        "top\t\t"
        + "\t".join(symbols[:25])
        + "\nbottom\t\t"
        + "\t".join(symbols[100:125])
        + "\nnoise\t\t"
        + "\t".join(symbols[200:240])
        + "\n"
    )
    level = gene_level(table)
    result = enrich.preranked_gsea(level, genesets.read_gmt(gmt), permutations=200, seed=1)
    result = result.set_index("set")
    assert result.loc["top", "direction"] == "up" and result.loc["top", "nes"] > 1.5
    assert result.loc["bottom", "direction"] == "down" and result.loc["bottom", "nes"] < -1.5
    assert result.loc["top", "pvalue"] < 0.05 and result.loc["noise", "pvalue"] > 0.05
    assert result.loc["top", "size"] == 25
    # ES and leading edge by hand (Subramanian et al. 2005, weight 1): walk down the ranking, step up by
    # |metric| / (sum of |metric| over the set) at a set gene and down by 1 / (genes outside the set) elsewhere;
    # ES is the largest deviation from 0, the leading edge the set genes met before it (after it, if ES < 0).
    ranked = level["metric"].sort_values(ascending=False)
    for name, members in (("top", symbols[:25]), ("bottom", symbols[100:125])):
        hit = ranked.index.isin(members)
        steps = np.where(hit, np.abs(ranked.to_numpy()) / np.abs(ranked[hit]).sum(), -1 / (~hit).sum())
        walk = np.cumsum(steps)
        peak = int(np.argmax(np.abs(walk)))
        leading = hit[: peak + 1] if walk[peak] > 0 else hit[peak:]
        assert result.loc[name, "es"] == pytest.approx(walk[peak], rel=1e-6), name
        assert result.loc[name, "overlap"] == int(leading.sum()), name


def test_permutation_pvalue_of_zero_is_reported_as_a_bound():
    assert enrich.format_pvalue(0.0, permutations=1000) == "< 0.001"
    assert enrich.format_pvalue(0.0, permutations=200) == "< 0.005"
    assert enrich.format_pvalue(0.0123) == "0.012"
    assert enrich.format_pvalue(2e-5) == "2.00e-05"


@pytest.fixture(scope="module")
def gse15852_enrichment():
    table = read_de_table("")
    return enrich.run_enrichment(table, genesets.read_gmt(""), permutations=1000, seed=7)


def test_gse15852_hallmark_results_look_like_biology(gse15852_enrichment):
    result = gse15852_enrichment
    assert result.ran and result.gsea_method == "permutation"
    gsea = result.gsea.set_index("set")
    for name in ("HALLMARK_ADIPOGENESIS", "HALLMARK_FATTY_ACID_METABOLISM"):  # fat is lost in tumour
        assert gsea.loc[name, "direction"] == "down" and gsea.loc[name, "fdr"] < 0.05, name
    for name in ("HALLMARK_E2F_TARGETS", "HALLMARK_G2M_CHECKPOINT"):  # proliferation gained
        assert gsea.loc[name, "direction"] == "up" and gsea.loc[name, "fdr"] < 0.05, name
    ora = result.ora.set_index(["direction", "set"])
    assert ora.loc[("down", "HALLMARK_ADIPOGENESIS"), "fdr"] < 0.05
    assert ora.loc[("up", "HALLMARK_E2F_TARGETS"), "fdr"] < 0.05
    assert ora.loc[("up", "HALLMARK_ADIPOGENESIS"), "fdr"] > 0.05


def test_enrichment_json_fields(gse15852_enrichment):
    import hashlib

    data = enrichment_json(gse15852_enrichment)
    assert data["gene_sets"]["name"] == "h.all.v2023.1.Hs.symbols"
    gmt_path = gse15852_enrichment.gene_sets.path
    assert data["gene_sets"]["sha256"] == hashlib.sha256(gmt_path.read_bytes()).hexdigest()
    # one GSEA entry per tested set, in the frame's order; a p of 0 becomes the bound 1/permutations, flagged
    gsea = gse15852_enrichment.gsea
    assert [entry["set"] for entry in data["gsea"]] == list(gsea["set"])
    for entry, raw in zip(data["gsea"], gsea.to_dict("records"), strict=True):
        assert {"set", "direction", "size", "overlap", "nes", "pvalue", "fdr"} <= set(entry)
        assert entry["direction"] == ("up" if raw["nes"] >= 0 else "down")
        assert entry["pvalue_below_resolution"] == (raw["pvalue"] == 0)
        assert entry["pvalue"] == (1 / 1000 if raw["pvalue"] == 0 else pytest.approx(raw["pvalue"]))
    assert any(entry["pvalue_below_resolution"] for entry in data["gsea"])
    for entry in data["ora"]:
        assert "nes" not in entry and entry["direction"] in ("up", "down")
    table = gse15852_enrichment.gsea_table(n=5)
    assert (table["p-value"] == "< 0.001").any()
    methods = dict(gse15852_enrichment.methods_rows())
    assert methods["gene sets: sha256"] == data["gene_sets"]["sha256"]
    assert "CC BY 4.0" in methods["gene sets: attribution"]


def test_go_bp_ora_keeps_names_verbatim():
    table = read_de_table("")
    level = gene_level(table)
    result = enrich.over_representation(level, genesets.read_gmt(GO_BP))
    assert result["set"].str.contains(r"\(GO:\d+\)$").all()
    assert result.groupby("direction")["fdr"].min().lt(0.05).all()


# --- tables the gene sets cannot read --------------------------------------------------------------------


@pytest.mark.parametrize("name, rows", [("pasilla", 14599), ("yeast", 5633), ("edgeR", 18911)])
def test_tables_without_human_symbols_say_how_many_matched(name, rows):
    table = read_de_table(SHARED_TABLES[name])
    result = enrich.run_enrichment(table, genesets.read_gmt(""), permutations=100)
    assert not result.ran
    sentence = result.match.sentence()
    assert f"0 of {rows:,} IDs matched any Hallmark gene" in sentence
    assert "id_map" in sentence and "gene_sets" in sentence
    data = enrichment_json(result)
    assert data["ran"] is False and data["ora"] == [] and data["gsea"] == [] and data["matched_genes"] == 0


def test_ora_and_gsea_never_touch_the_network(monkeypatch, tmp_path):
    """gseapy gets a dict of sets and a background list: nothing may go online (no Enrichr)."""
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    hallmark = genesets.read_gmt("")
    symbols = sorted(hallmark.genes)[:600]
    rng = np.random.default_rng(4)
    t = rng.normal(0, 2, len(symbols))
    table = read_de_table(
        write_table(tmp_path, limma_frame(symbols, t, padj=np.where(np.abs(t) > 2, 0.01, 0.5)))
    )
    result = enrich.run_enrichment(table, hallmark, permutations=100, lfc_threshold=0.0)
    assert result.ran and not result.gsea.empty and not result.ora.empty


def test_a_table_without_symbols_matches_a_gmt_of_its_own_ids(tmp_path):
    table = read_de_table(SHARED_TABLES["edgeR"])
    ids = table.data.sort_values("PValue" if "PValue" in table.data else "pvalue")["gene_id"]
    unversioned = ids.str.replace(r"\.\d+$", "", regex=True).tolist()
    gmt = tmp_path / "ensembl.gmt"
    gmt.write_text(
        "strongest\t\t" + "\t".join(unversioned[:40]) + "\nweakest\t\t" + "\t".join(unversioned[-40:]) + "\n",
        encoding="utf-8",
    )
    result = enrich.run_enrichment(
        table, genesets.read_gmt(gmt), permutations=100, padj_threshold=0.05, lfc_threshold=0.0
    )
    assert result.ran and result.match.by == "ID" and result.match.matched == 80
    assert "80 of 18,911 IDs matched any ensembl gene" in result.match.sentence()
    ora = result.ora.set_index(["direction", "set"])
    assert min(ora.loc[("up", "strongest"), "pvalue"], ora.loc[("down", "strongest"), "pvalue"]) < 1e-5


def test_ora_json_lists_only_sets_with_an_overlap(gse15852_enrichment):
    entries = enrichment_json(gse15852_enrichment)["ora"]
    assert entries and all(entry["overlap"] > 0 for entry in entries)
    assert len(entries) == int((gse15852_enrichment.ora["overlap"] > 0).sum())


def test_gsea_follows_a_batch_workers_thread_cap(monkeypatch):
    import gseapy

    from degtools import enrich

    seen = {}
    original = gseapy.prerank

    def spy(*args, **kwargs):
        seen["threads"] = kwargs["threads"]
        return original(*args, **kwargs)

    monkeypatch.setattr(gseapy, "prerank", spy)
    monkeypatch.setenv("DEGTOOLS_N_JOBS", "1")
    ranked = pd.DataFrame({"metric": np.linspace(3, -3, 60)}, index=[f"G{i}" for i in range(60)])
    sets = genesets.GeneSets(name="toy", path=Path("toy.gmt"), sha256="0",
                           sets={"A": [f"G{i}" for i in range(0, 20)], "B": [f"G{i}" for i in range(40, 60)]})
    result = enrich.preranked_gsea(ranked, sets, permutations=100, threads=2, min_size=5)
    assert seen["threads"] == 1
    assert result.set_index("set").loc["A", "direction"] == "up"


# --- the ORA background: genes that were tested -----------------------------------------------------------


def test_airway_ora_background_is_the_tested_genes_checked_against_scipy():
    """DESeq2's independent filtering leaves padj missing for 2,746 airway genes: they are not in the background."""
    raw = pd.read_csv(SHARED_TABLES["airway"]).dropna(subset=["symbol"])
    raw["_strength"] = raw["stat"].abs()
    raw = raw.sort_values(["_strength", "ensgene"], ascending=[False, True], kind="stable")
    genes = raw.drop_duplicates("symbol").set_index("symbol")
    tested = genes.loc[genes["padj"].notna()]
    assert len(genes) == 17200 and len(tested) == 17200 - 2746
    hallmark = genesets.read_gmt("")
    result = enrich.run_enrichment(read_de_table(SHARED_TABLES["airway"]), hallmark, permutations=100)
    assert result.ran
    data = enrichment_json(result)
    assert data["background"]["genes"] == len(tested)
    assert "2,746 without one" in data["background"]["rule"]
    assert f"background = {len(tested):,} genes with a name and an adjusted p-value" in dict(
        result.methods_rows())["ORA"]
    lists = {
        "up": set(tested.index[(tested["padj"] < 0.05) & (tested["log2FoldChange"] >= 1)]),
        "down": set(tested.index[(tested["padj"] < 0.05) & (tested["log2FoldChange"] <= -1)]),
    }
    assert result.list_sizes == {direction: len(members) for direction, members in lists.items()}
    ora = result.ora.set_index(["direction", "set"])
    universe = set(tested.index)
    checked = 0
    for direction, listed in lists.items():
        for name, members in hallmark.sets.items():
            in_background = set(members) & universe
            if not enrich.ORA_MIN_SET_SIZE <= len(in_background) <= enrich.MAX_SET_SIZE:
                continue
            overlap = len(in_background & listed)
            expected = stats.hypergeom.sf(overlap - 1, len(universe), len(in_background), len(listed))
            row = ora.loc[(direction, name)]
            assert row["size"] == len(in_background) and row["overlap"] == overlap, name
            assert row["pvalue"] == pytest.approx(expected if overlap else 1.0, rel=1e-9), name
            checked += 1
    assert checked == 2 * len(hallmark.sets)
