"""The leakage audit finds the arithmetic hidden in real DE tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED_TABLES
from scipy import stats

from degtools import InputError, add_derived_columns, audit_leakage, read_de_table
from degtools.leakage import binned_r2, describe_adjustment, printed_digits


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
    entries = report.entries()
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


def test_bh_and_bonferroni_recognised_against_an_independent_computation():
    rng = np.random.default_rng(2)
    p = pd.Series(rng.uniform(size=500) ** 3)
    ranks = stats.rankdata(p, method="ordinal")
    by_hand = (p * len(p) / ranks).to_numpy().copy()
    order = np.argsort(p.to_numpy())
    by_hand[order] = np.minimum.accumulate(by_hand[order][::-1])[::-1]
    assert describe_adjustment(p, pd.Series(np.minimum(by_hand, 1))) == "Benjamini-Hochberg, exact"
    assert describe_adjustment(p, pd.Series(np.minimum(1, p * 500))) == "Bonferroni, exact"
    assert describe_adjustment(p, pd.Series(rng.uniform(size=500))) is None
    assert printed_digits(np.array([0.000123, 0.456, 1.23e-9])) == 3


def test_binned_r2_is_high_for_a_function_and_near_zero_for_noise():
    rng = np.random.default_rng(3)
    x = rng.normal(size=4000)
    assert binned_r2(np.sin(x), x, bins=32) > 0.95
    assert abs(binned_r2(rng.normal(size=4000), x, bins=32)) < 0.05


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
