"""Gene sets: GMT reading, gene-level collapse, ORA against scipy, preranked GSEA, biology on GSE15852."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import DATA, SHARED_TABLES
from scipy import stats

from degtools import enrich, genes, read_de_table
from degtools.errors import InputError

GO_BP = DATA / "enrichr.GO_Biological_Process_2021.gmt"


def write_table(tmp_path: Path, frame: pd.DataFrame, name: str = "table.tsv") -> Path:
    path = tmp_path / name
    frame.to_csv(path, sep="\t", index=False)
    return path


def limma_frame(
    symbols: list[str], t: list[float], *, logfc: list[float] | None = None, padj: list[float] | None = None
) -> pd.DataFrame:
    t = np.asarray(t, dtype=float)
    logfc = np.asarray(logfc if logfc is not None else t / 4, dtype=float)
    pvalue = 2 * stats.norm.sf(np.abs(t))
    return pd.DataFrame(
        {
            "ID": [f"p{i}" for i in range(len(symbols))],
            "logFC": logfc,
            "t": t,
            "P.Value": pvalue,
            "adj.P.Val": padj if padj is not None else np.minimum(1, pvalue * len(symbols)),
            "Gene.symbol": symbols,
            "Gene.title": [f"title {s}" for s in symbols],
        }
    )


# --- GMT ---------------------------------------------------------------------------------------------


def test_bundled_hallmark_is_the_default_and_needs_attribution():
    sets = enrich.read_gmt("")
    assert len(sets.sets) == 50
    assert sets.sha256 == "27e48f776cda235ad5b63acaecc3136853ee79c6447d883ce2b070a4d2d47b75"
    assert sets.is_hallmark
    assert "CC BY 4.0" in sets.attribution and "Liberzon" in sets.attribution
    assert len(sets.sets["HALLMARK_ADIPOGENESIS"]) == 200
    assert sets.descriptions["HALLMARK_ADIPOGENESIS"].startswith("http")


def test_go_bp_names_with_spaces_quotes_parentheses_and_empty_description():
    sets = enrich.read_gmt(GO_BP)
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
    sets = enrich.read_gmt(path)
    assert sets.sets == {'set "one" (x)': ["A", "B"], "set two": ["C"]}
    assert sets.name == "odd"


def test_gmt_errors(tmp_path):
    with pytest.raises(InputError, match="gene_sets file .* does not exist"):
        enrich.read_gmt(tmp_path / "missing.gmt")
    empty = tmp_path / "empty.gmt"
    empty.write_text("only a name\n", encoding="utf-8")
    with pytest.raises(InputError, match="holds no gene set"):
        enrich.read_gmt(empty)


# --- gene level ---------------------------------------------------------------------------------------


def test_gene_level_splits_multi_gene_symbols_and_collapses_duplicates(tmp_path):
    frame = limma_frame(["A", "A", "B /// C", "", "C"], [1.0, -3.0, 2.0, 5.0, 0.5])
    table = read_de_table(write_table(tmp_path, frame))
    level = enrich.gene_level(table)
    assert list(level.index) == ["A", "B", "C"]  # no empty symbol, one row per gene
    assert level.loc["A", "metric"] == -3.0  # largest |t| speaks for A
    assert level.loc["A", "gene_id"] == "p1"
    assert level.loc["B", "metric"] == 2.0 and level.loc["C", "metric"] == 2.0
    assert level.index.is_unique


def test_ranking_metric_for_an_unsigned_statistic_uses_the_sign_of_logfc():
    table = read_de_table(SHARED_TABLES["edgeR"])
    metric, sentence = enrich.ranking_metric(table)
    assert "sign(logFC)" in sentence
    expected = np.sign(table.data["logFC"]) * -np.log10(
        table.data["PValue" if "PValue" in table.data else "pvalue"]
    )
    np.testing.assert_allclose(metric.to_numpy(), expected.to_numpy())


def test_regulated_genes_use_both_thresholds():
    level = pd.DataFrame(
        {"logFC": [2.0, 0.5, -1.5, -3.0], "padj": [0.01, 0.01, 0.2, 0.001], "metric": [1.0, 1.0, -1.0, -1.0]},
        index=["a", "b", "c", "d"],
    )
    assert enrich.regulated_genes(level, padj_threshold=0.05, lfc_threshold=1.0) == {
        "up": ["a"],
        "down": ["d"],
    }
    assert enrich.regulated_genes(level, padj_threshold=0.5, lfc_threshold=0.0) == {
        "up": ["a", "b"],
        "down": ["c", "d"],
    }


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
    level = enrich.gene_level(table)
    result = enrich.over_representation(level, enrich.read_gmt(gmt), padj_threshold=0.05, lfc_threshold=1.0)
    up = result[result["direction"] == "up"].set_index("set")
    assert "too small" not in up.index  # fewer than MIN_SET_SIZE genes in the background
    background = set(level.index)
    up_list = set(enrich.regulated_genes(level, padj_threshold=0.05, lfc_threshold=1.0)["up"])
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
    level = enrich.gene_level(table)
    result = enrich.preranked_gsea(level, enrich.read_gmt(gmt), permutations=200, seed=1)
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
    return enrich.run_enrichment(table, enrich.read_gmt(""), permutations=1000, seed=7)


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

    data = gse15852_enrichment.to_json()
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
    level = enrich.gene_level(table)
    result = enrich.over_representation(level, enrich.read_gmt(GO_BP))
    assert result["set"].str.contains(r"\(GO:\d+\)$").all()
    assert result.groupby("direction")["fdr"].min().lt(0.05).all()


# --- tables the gene sets cannot read --------------------------------------------------------------------


@pytest.mark.parametrize("name, rows", [("pasilla", 14599), ("yeast", 5633), ("edgeR", 18911)])
def test_tables_without_human_symbols_say_how_many_matched(name, rows):
    table = read_de_table(SHARED_TABLES[name])
    result = enrich.run_enrichment(table, enrich.read_gmt(""), permutations=100)
    assert not result.ran
    sentence = result.match.sentence()
    assert f"0 of {rows:,} IDs matched any Hallmark gene" in sentence
    assert "id_map" in sentence and "gene_sets" in sentence
    data = result.to_json()
    assert data["ran"] is False and data["ora"] == [] and data["gsea"] == [] and data["matched_genes"] == 0


def test_id_map_from_airway_gives_the_edger_table_symbols(tmp_path):
    airway = read_de_table(SHARED_TABLES["airway"]).data[["gene_id", "symbol"]].dropna()
    mapping_file = tmp_path / "ensembl_to_symbol.csv"
    airway.rename(columns={"gene_id": "ensgene"}).to_csv(mapping_file, index=False)
    table = genes.apply_id_map(read_de_table(SHARED_TABLES["edgeR"]), genes.read_id_map(mapping_file))
    gene_sets = enrich.read_gmt("")
    level = enrich.gene_level(table)
    match = enrich.match_genes(table, level, gene_sets)
    # the symbols the map gave, counted against the union of the Hallmark sets by hand
    hallmark_genes = set().union(*gene_sets.sets.values())
    expected = len({symbol for symbol in table.data["symbol"].dropna() if symbol in hallmark_genes})
    assert match.usable and match.matched == expected > 2000
    assert "matched any Hallmark gene" in match.sentence()
    membership = enrich.pathway_membership(table, gene_sets)
    assert membership.shape[1] == enrich.PATHWAY_MAX_SETS


def test_pathway_membership(tmp_path):
    hallmark = enrich.read_gmt("")
    adipo = hallmark.sets["HALLMARK_ADIPOGENESIS"][:20]
    frame = limma_frame(adipo + ["NOTAGENE", f"{adipo[0]} /// XYZ"], list(np.linspace(-2, 2, 22)))
    table = read_de_table(write_table(tmp_path, frame))
    membership = enrich.pathway_membership(table, hallmark)
    column = "pathway: HALLMARK_ADIPOGENESIS"
    assert column in membership.columns
    assert membership.loc["p20", column] == 0.0 and membership.loc["p21", column] == 1.0
    assert set(np.unique(membership.to_numpy())) <= {0.0, 1.0}
    assert all(membership[col].sum() >= enrich.PATHWAY_MIN_GENES for col in membership.columns)


def test_ora_and_gsea_never_touch_the_network(monkeypatch, tmp_path):
    """gseapy gets a dict of sets and a background list: nothing may go online (no Enrichr)."""
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    hallmark = enrich.read_gmt("")
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
        table, enrich.read_gmt(gmt), permutations=100, padj_threshold=0.05, lfc_threshold=0.0
    )
    assert result.ran and result.match.by == "ID" and result.match.matched == 80
    assert "80 of 18,911 IDs matched any ensembl gene" in result.match.sentence()
    ora = result.ora.set_index(["direction", "set"])
    assert min(ora.loc[("up", "strongest"), "pvalue"], ora.loc[("down", "strongest"), "pvalue"]) < 1e-5


def test_ora_json_lists_only_sets_with_an_overlap(gse15852_enrichment):
    entries = gse15852_enrichment.to_json()["ora"]
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
    sets = enrich.GeneSets(name="toy", path=Path("toy.gmt"), sha256="0",
                           sets={"A": [f"G{i}" for i in range(0, 20)], "B": [f"G{i}" for i in range(40, 60)]})
    result = enrich.preranked_gsea(ranked, sets, permutations=100, threads=2, min_size=5)
    assert seen["threads"] == 1
    assert result.set_index("set").loc["A", "direction"] == "up"
