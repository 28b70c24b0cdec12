"""The leakage audit finds the arithmetic hidden in real DE tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, SHARED_TABLES

from degtools import InputError, add_derived_columns, audit_leakage, read_de_table
from degtools.results import leakage_entries


def _audit(name: str, target: str = "logFC"):
    table = add_derived_columns(read_de_table(SHARED_TABLES[name]))
    features = [column for column in read_de_table(SHARED_TABLES[name]).numeric_columns if column != target]
    return audit_leakage(table, target=target, features=features)


def _by_label(report):
    return {audit.label: audit for audit in report.features}


def test_airway_stat_times_lfcse_is_log2foldchange():
    report = _audit("airway")
    audits = _by_label(report)
    assert any("exact: log2FoldChange = lfcSE × stat" in relation for relation in audits["stat"].relations)
    assert any("exact:" in relation for relation in audits["lfcSE"].relations)
    assert audits["stat"].verdict == "leaks"
    assert audits["lfcSE"].verdict == "partly"  # exact only together with stat
    assert audits["lfcSE"].r2_two == 1.0 and audits["lfcSE"].partner == "stat"
    assert report.independent == ["mean_expr"]
    assert any("with both as features any model is exact" in note for note in report.notes)
    assert "Benjamini-Hochberg, exact" in " ".join(audits["padj"].relations)


@pytest.mark.parametrize(
    ("name", "adjustment"),
    [
        ("GSE2034", "Benjamini-Hochberg, exact up to the rounding of the p-values to 3 significant digits"),
        ("GSE15852", "Bonferroni, exact up to the rounding of the p-values to 3 significant digits"),
    ],
)
def test_limma_t_carries_logfc_and_p_b_are_monotone_in_abs_t(name, adjustment):
    report = _audit(name)
    audits = _by_label(report)
    assert audits["t"].verdict == "leaks"
    assert any(r.startswith("sign carrier: the same sign as logFC in 100.0%") for r in audits["t"].relations)
    assert audits["t"].r2_one > 0.75
    assert "monotone in |t|" in audits["P.Value"].relations
    assert "monotone in |t|" in audits["B"].relations
    assert f"P.Value adjusted ({adjustment})" in audits["adj.P.Val"].relations
    # Nothing is left that is not computed by the test of logFC itself: the edge case, handled.
    assert report.independent == []
    assert {audit.verdict for audit in report.features} == {"leaks", "partly"}
    assert any(note.startswith("No feature is independent of logFC") for note in report.notes)


def test_edger_f_pvalue_fdr_are_monotone_and_sign_free():
    report = _audit("edgeR")
    audits = _by_label(report)
    assert "monotone in PValue" in audits["F"].relations
    assert "monotone in FDR" in audits["PValue"].relations
    for name in ("F", "PValue", "FDR"):
        assert "sign-free" in audits[name].relations
        assert audits[name].verdict == "partly"
    assert report.independent == ["mean_expr"]
    assert any("sign of logFC cannot be learnt" in note for note in report.notes)


def test_derived_target_abs_logfc_leaks_from_logfc_and_magnitudes():
    table = add_derived_columns(read_de_table(SHARED_TABLES["airway"]))
    report = audit_leakage(table, target="abs_logFC", features=["mean_expr", "logFC", "lfcSE", "stat"])
    audits = _by_label(report)
    assert audits["log2FoldChange"].verdict == "leaks"
    assert "|log2FoldChange| is its absolute value" in audits["log2FoldChange"].relations
    assert report.target_label == "|log2FoldChange|"


def test_synthetic_identity_and_an_unrelated_column(synthetic_table):
    table = read_de_table(synthetic_table)
    report = audit_leakage(table, target="logFC")
    audits = _by_label(report)
    assert audits["AveExpr"].verdict == "independent"
    assert abs(audits["AveExpr"].r2_one) < 0.1
    assert audits["t"].verdict == "leaks"
    entries = leakage_entries(report)
    # P.Value, adj.P.Val and B are functions of |t| (conftest): they carry the size of logFC/SE, not its sign
    assert {entry["feature"]: entry["verdict"] for entry in entries} == {
        "AveExpr": "independent",
        "t": "leaks",
        "P.Value": "partly",
        "adj.P.Val": "partly",
        "B": "partly",
    }
    assert set(entries[0]["strength"]) == {
        "r2_one_feature",
        "r2_two_features",
        "two_feature_partner",
        "spearman",
    }


def test_exact_product_found_in_a_made_up_table(tmp_path):
    rng = np.random.default_rng(1)
    n = 300
    a, b = rng.normal(size=n), rng.uniform(0.5, 2, n)
    frame = pd.DataFrame(
        {"ID": [f"g{i}" for i in range(n)], "y": a * b, "a": a, "b": b, "noise": rng.normal(size=n)}
    )
    path = tmp_path / "made_up.csv"
    frame.to_csv(path, index=False)
    report = audit_leakage(read_de_table(path), target="y")
    audits = _by_label(report)
    assert "exact: y = a × b" in audits["a"].relations
    assert audits["noise"].verdict == "independent"
    assert "y = a × b for every row: with both as features any model is exact." in report.notes


def test_target_must_be_numeric(synthetic_table):
    with pytest.raises(InputError, match="target 'Gene.symbol' is not a numeric column"):
        audit_leakage(read_de_table(synthetic_table), target="Gene.symbol")


def test_significance_target_is_rebuilt_by_fold_change_over_its_error():
    table = add_derived_columns(read_de_table(SHARED_TABLES["airway"]))
    features = ["mean_expr", "logFC", "lfcSE", "stat", "pvalue"]
    report = audit_leakage(table, target="neg_log10_p", features=features)
    audits = _by_label(report)
    formula = "-log10(pvalue) is a monotone function of log2FoldChange / lfcSE"
    assert f"with lfcSE: {formula}" in audits["log2FoldChange"].relations
    assert audits["lfcSE"].verdict == audits["log2FoldChange"].verdict == "leaks"
    assert "monotone transform of -log10(pvalue)" in audits["pvalue"].relations
    # A member that is already monotone alone is not reported again as part of a pair.
    assert not any("function of stat" in relation for relation in audits["stat"].relations)
    assert report.independent == ["mean_expr"]


def test_partners_of_an_exact_product_are_each_other_not_a_short_column_name(tmp_path):
    """y = a × b beside noise columns named t and x: a and b are each other's partner."""
    rng = np.random.default_rng(4)
    n = 500
    a, b = rng.uniform(0.5, 3, n), rng.uniform(0.5, 3, n)
    frame = pd.DataFrame(
        {
            "ID": [f"g{i}" for i in range(n)],
            "y": a * b,
            "t": rng.normal(size=n),
            "x": rng.normal(size=n),
            "a": a,
            "b": b,
        }
    )
    path = tmp_path / "product.csv"
    frame.to_csv(path, index=False)
    audits = _by_label(audit_leakage(read_de_table(path), target="y"))
    # The partner comes from the identity itself, not from a label found inside its sentence
    # ("t" is a letter of "exact:"): both members name each other, with R² 1 together.
    assert "exact: y = a × b" in audits["a"].relations and "exact: y = a × b" in audits["b"].relations
    assert audits["a"].partner == "b" and audits["a"].r2_two == 1.0
    assert audits["b"].partner == "a" and audits["b"].r2_two == 1.0
    # The noise columns are tied to nothing: no relation, no identity partner, verdict independent.
    for noise in ("t", "x"):
        assert audits[noise].verdict == "independent"
        assert audits[noise].relations == []
        assert audits[noise].r2_two < 1.0


def test_verdicts_come_from_provenance_not_strength():
    # airway's baseMean predicts part of |log2FoldChange| (a strength), but DESeq2 measures it before the
    # test over all samples: independent, with its strength reported beside the verdict.
    table = add_derived_columns(read_de_table(SHARED_TABLES["airway"]))
    report = audit_leakage(table, target="abs_logFC", features=["mean_expr", "stat", "padj"])
    audits = {audit.feature: audit for audit in report.features}
    assert audits["mean_expr"].verdict == "independent" and audits["mean_expr"].r2_one > 0.05
    assert audits["mean_expr"].origin.kind == "measured before the test"
    assert audits["padj"].verdict == "partly" and "DESeq2" in audits["padj"].origin.source
    row = report.table().set_index("feature").loc["baseMean"]
    assert row["strength"] == f"predicts {audits['mean_expr'].r2_one:.0%} of the target"
    entry = next(e for e in leakage_entries(report) if e["feature"] == "baseMean")
    assert entry["provenance"]["kind"] == "measured before the test" and entry["verdict"] == "independent"


def test_per_sample_columns_that_rebuild_the_fold_change_leak():
    # A proteomics edgeR table: logFC = log2 of the ratio of the group means of the per-sample counts.
    # Each count column predicts little alone; together they are the fold change.
    table = read_de_table(ROOT / "tests" / "data" / "edger_proteomics_qlf.csv")
    report = audit_leakage(table, target="logFC")
    counts = [audit for audit in report.features if audit.origin.kind == "per-sample or per-group values"]
    assert len(counts) >= 6
    assert {audit.verdict for audit in counts} == {"leaks"}
    assert "mean_expr" not in report.independent


def test_an_outside_evidence_column_is_independent_however_strong():
    rng = np.random.default_rng(3)
    logfc = rng.normal(size=400)
    frame = pd.DataFrame({"ID": [f"g{i}" for i in range(400)], "logFC": logfc, "P.Value": rng.uniform(size=400),
                          "other study logFC": logfc + rng.normal(scale=0.1, size=400)})
    path = ROOT / "tests" / "artifacts" / "evidence_audit.csv"
    path.parent.mkdir(exist_ok=True)
    frame.to_csv(path, index=False)
    table = read_de_table(path)
    report = audit_leakage(table, target="logFC", evidence=["other study logFC"])
    audit = next(a for a in report.features if a.label == "other study logFC")
    assert audit.verdict == "independent" and audit.r2_one > 0.8


def test_a_wide_table_pairs_the_test_columns_and_the_closest_ones_only(tmp_path, monkeypatch):
    import degtools.identities as identities

    rng = np.random.default_rng(4)
    n = 300
    stat, se = rng.normal(size=n) * 3, rng.uniform(0.1, 1, n)
    frame = pd.DataFrame({"gene": [f"ENSG{i:011d}" for i in range(n)], "baseMean": rng.lognormal(5, 1, n),
                          "log2FoldChange": stat * se, "lfcSE": se, "stat": stat,
                          "pvalue": rng.uniform(size=n), "padj": rng.uniform(size=n)})
    for column in range(80):  # extra columns, unrelated to the fold change
        frame[f"extra_{column}"] = rng.normal(size=n)
    frame["close"] = frame["log2FoldChange"] + rng.normal(scale=0.5, size=n)  # tied to the target
    path = tmp_path / "wide.csv"
    frame.to_csv(path, index=False)
    paired = []
    original = identities.exact_identities
    monkeypatch.setattr("degtools.leakage.exact_identities",
                        lambda frame, target, features, **kw: paired.append(list(features)) or original(
                            frame, target, features, **kw))
    report = audit_leakage(read_de_table(path), target="logFC")  # canonical name of log2FoldChange
    audits = _by_label(report)
    assert len(paired[0]) == identities.PAIRWISE_MAX_COLUMNS < len(report.features)
    assert {"lfcSE", "stat", "pvalue", "padj", "close"} <= set(paired[0])  # what a test wrote, then the closest
    assert "exact: log2FoldChange = lfcSE × stat" in audits["stat"].relations  # still found
    assert any(f"covered {identities.PAIRWISE_MAX_COLUMNS} of the table's {len(report.features)} own columns"
               in note for note in report.notes)
    left_out = [column for column in frame.columns[7:] if column not in paired[0]]
    assert len(left_out) == len(report.features) - identities.PAIRWISE_MAX_COLUMNS
    assert all(audits[column].partner is None for column in left_out)  # no best-partner search for them
