"""The evidence layer in the report's main line: parameters, multi-contrast reading, audit, leaderboard, JSON."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from degtools import api
from degtools.contributions import TABLE_COLUMNS
from degtools.errors import InputError
from degtools.evidence import OTHER_CONTRASTS
from degtools.gene_features import bundled_gene_features_path
from degtools.io import read_de_table
from degtools.io.genes import split_symbols
from degtools.leaderboards import compare_feature_sets
from degtools.leakage import audit_leakage
from degtools.params import load_params_file, resolve_path_parameter, validate_params
from degtools.prepare import prepare_design
from degtools.results import evidence_json, leaderboard_entries
from degtools.targets import add_derived_columns
from tests.conftest import DATA, DEMO

FIXTURES = Path(__file__).resolve().parent / "data"
MOSUITE = FIXTURES / "mosuite_limma_voom_3contrasts_mouse.csv.gz"


@pytest.fixture(scope="module")
def demo_slice(tmp_path_factory) -> Path:
    """1,500 seeded rows of the demo table (GSE15852, GEO2R), as a file."""
    frame = pd.read_csv(DEMO, sep="\t", dtype=str, keep_default_na=False)
    path = tmp_path_factory.mktemp("slice") / "GSE15852_slice.tsv"
    frame.sample(n=1500, random_state=3).to_csv(path, sep="\t", index=False)
    return path


def _sophie_symbols() -> set[str]:
    with gzip.open(bundled_gene_features_path("sophie"), "rt", encoding="utf-8") as handle:
        return set(pd.read_csv(handle, sep="\t", index_col=0).index.astype(str))


def test_sophie_columns_reach_the_independent_leaderboard_and_the_json(demo_slice):
    params = validate_params({"input_table": str(demo_slice), "gene_features": "sophie", "evidence_pathways": False})
    table = api.read_input_table(params)
    layer = api.gather_evidence(table, params)
    sophie = layer.sources["gene features: sophie"]
    # matched rows counted independently: the first symbol of a row is in the SOPHIE file
    symbols = _sophie_symbols()
    first = table.data["symbol"].map(split_symbols).map(lambda names: names[0] if names else None)
    assert int(first.isin(symbols).sum()) == int(layer.features[sophie].notna().any(axis=1).sum())

    model_table = add_derived_columns(api.with_evidence(table, layer))
    design = prepare_design(model_table, target="logFC", seed=1)
    audit = audit_leakage(model_table, target="logFC", features=design.features, seed=1,
                          evidence=layer.outside_columns())
    assert all(audit.verdict(column) == "independent" for column in sophie)
    assert audit.verdict("stat") == "leaks"
    boards = compare_feature_sets(design, audit, models=["DummyRegressor", "Ridge"], cv_folds=3, seed=1)
    assert boards.main == "independent"
    features = leaderboard_entries(boards.boards["independent"])[0]["features"]
    assert set(sophie) <= set(features) and "t" not in features

    contributions = api.evidence_contributions(design, audit, layer, cv_folds=3, seed=1)
    assert list(contributions.table["source"]) == ["gene features: sophie"]  # GEO2R: no independent own column
    fields = evidence_json(layer, contributions)
    source = fields["sources"][0]
    assert source["kind"] == "gene features" and source["file"] == "sophie_generic_genes_SRP012656.tsv.gz"
    assert source["key"]["kind"] == "symbol" and source["matched_rows"] == int(first.isin(symbols).sum())
    entry = fields["contributions"][0]
    assert entry["folds"] == 3 and len(entry["drop_per_fold"]) == 3
    low, high = entry["drop_ci95"]
    assert low <= entry["drop_mean"] <= high
    assert entry["drop_mean"] == pytest.approx(np.mean(entry["drop_per_fold"]))
    # with one source, leaving it out leaves the mean: R² 0 in every fold
    assert entry["r2_without"] == 0 and entry["r2_all"] == pytest.approx(entry["drop_mean"])


def test_default_gene_features_are_sophie_for_the_demo_only():
    assert api.evidence_gene_features(validate_params({})) == ["sophie"]
    assert api.evidence_gene_features(validate_params({"gene_features": "none"})) == []
    assert api.evidence_gene_features(validate_params({"input_table": "mine.csv"})) == []
    assert api.evidence_gene_features(validate_params({"gene_features": ["sophie", "biotype"]})) == ["sophie",
                                                                                                     "biotype"]


def test_path_lists_resolve_each_entry_and_keep_bundled_names(tmp_path):
    (tmp_path / "run.yaml").write_text("gene_features: [sophie, genes/covariates.tsv]\n"
                                       "reference_table: a.tsv, b.tsv\n", encoding="utf-8")
    values = load_params_file(tmp_path / "run.yaml")
    assert values["gene_features"] == f"sophie,{(tmp_path / 'genes' / 'covariates.tsv').resolve()}"
    assert values["reference_table"] == f"{(tmp_path / 'a.tsv').resolve()},{(tmp_path / 'b.tsv').resolve()}"
    assert resolve_path_parameter("gene_features", "Biotype") == "biotype"


@pytest.mark.parametrize(("name", "contrast", "target", "others"), [
    ("limma_multicoef_toptable.tsv", "drugB", "logFC.drugB", {"drugA_logFC": "logFC.drugA", "drugA_t": "t.drugA"}),
    ("timecourse_logfc.csv", "6h", "logFC_6h", {"2h_logFC": "logFC_2h", "24h_logFC": "logFC_24h"}),
    ("deseq2_contrasts_prefix.csv", "knockdown_vs_control", "log2FoldChange_knockdown_vs_control",
     {"treated_vs_control_logFC": "log2FoldChange_treated_vs_control",
      "treated_vs_control_t": "stat_treated_vs_control"}),
    ("deseq2_contrasts_suffix.tsv", "treated_vs_control", "treated_vs_control_log2FoldChange",
     {"knockdown_vs_control_logFC": "knockdown_vs_control_log2FoldChange",
      "knockdown_vs_control_t": "knockdown_vs_control_stat"}),
])
def test_one_contrast_is_the_table_and_the_others_are_columns(name, contrast, target, others):
    path = FIXTURES / name
    raw = pd.read_csv(path, sep="\t" if name.endswith(".tsv") else ",")
    table = read_de_table(path, contrast=contrast)
    np.testing.assert_allclose(table.data["logFC"], raw[target])
    for column, header in others.items():
        np.testing.assert_allclose(table.data[column], raw[header])
    assert table.display_name("logFC") == f"{contrast}_logFC"
    with pytest.raises(InputError, match=r"holds \d contrasts \(.*'" + contrast + r"'.*\); expected one to analyse: "
                                         r"pass -p contrast NAME"):
        read_de_table(path)
    with pytest.raises(InputError, match="is not in the table; found contrasts"):
        read_de_table(path, contrast="nonsense")


def test_mosuite_target_b_minus_c_flags_the_contrasts_that_rebuild_it():
    params = validate_params({"input_table": str(MOSUITE), "contrast": "B-C", "gene_features": "none"})
    table = api.read_input_table(params)
    raw = pd.read_csv(io.StringIO(gzip.open(MOSUITE, "rt", encoding="utf-8-sig").read()))
    np.testing.assert_allclose(table.data["logFC"], raw["B-C_logFC"])
    assert any("arithmetic of the other contrasts" in note for note in table.notes)
    layer = api.gather_evidence(table, params)
    assert layer.sources[OTHER_CONTRASTS] == ["B-A_logFC", "B-A_t", "C-A_logFC", "C-A_t"]
    assert not set(layer.outside_columns()) & set(layer.sources[OTHER_CONTRASTS])
    audit = audit_leakage(table, target="logFC", evidence=layer.outside_columns())
    assert audit.verdict("B-A_logFC") == audit.verdict("C-A_logFC") == "leaks"
    assert audit.verdict("B-A_t") == audit.verdict("C-A_t") == "partly"
    assert audit.verdict("stat") == "leaks"


def test_two_reference_tables_are_two_sources_named_by_their_tables(tmp_path, demo_slice):
    frame = pd.read_csv(DATA / "GSE2034.top.table.tsv", sep="\t")
    second = tmp_path / "GSE2034_copy.tsv"
    frame.assign(logFC=-frame["logFC"]).to_csv(second, sep="\t", index=False)
    params = validate_params({"input_table": str(demo_slice), "gene_features": "none", "evidence_pathways": False,
                              "reference_table": f"{DATA / 'GSE2034.top.table.tsv'},{second}"})
    table = api.read_input_table(params)
    layer = api.gather_evidence(table, params)
    assert list(layer.sources) == ["reference: GSE2034", "reference: GSE2034_copy"]
    first_fc, second_fc = layer.sources["reference: GSE2034"][0], layer.sources["reference: GSE2034_copy"][0]
    assert (first_fc, second_fc) == ("GSE2034 logFC", "GSE2034_copy logFC")
    np.testing.assert_allclose(layer.features[second_fc].dropna(), -layer.features[first_fc].dropna())
    model_table = add_derived_columns(api.with_evidence(table, layer))
    design = prepare_design(model_table, target="logFC", seed=0)
    audit = audit_leakage(model_table, target="logFC", features=design.features, evidence=layer.outside_columns())
    contributions = api.evidence_contributions(design, audit, layer, cv_folds=3, seed=0)
    assert set(contributions.table["source"]) == {"reference: GSE2034", "reference: GSE2034_copy"}
    assert TABLE_COLUMNS not in set(contributions.table["source"])
    kinds = {source["name"]: source["kind"] for source in evidence_json(layer, contributions)["sources"]}
    assert kinds == {"reference: GSE2034": "reference", "reference: GSE2034_copy": "reference"}


@pytest.mark.parametrize("target", ["abs_logFC", "neg_log10_p"])
def test_outside_columns_stay_independent_for_derived_targets(demo_slice, target):
    params = validate_params({"input_table": str(demo_slice)})  # a user's table: no gene features by default
    assert api.gather_evidence(api.read_input_table(params), params).sources == {}
    params = validate_params({"input_table": str(demo_slice), "gene_features": "sophie"})
    table = api.read_input_table(params)
    layer = api.gather_evidence(table, params)
    model_table = add_derived_columns(api.with_evidence(table, layer))
    design = prepare_design(model_table, target=target, seed=2)
    audit = audit_leakage(model_table, target=target, features=design.features, seed=2,
                          evidence=layer.outside_columns())
    assert set(layer.sources["gene features: sophie"]) <= set(audit.independent)
    assert audit.verdict("stat") != "independent" and audit.verdict("pvalue") != "independent"
