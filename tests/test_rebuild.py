"""Measured identities across several columns (degtools.rebuild) on the shared tables and fixtures."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import DATA, ROOT

from degtools import read_de_table
from degtools.numeric import benjamini_hochberg
from degtools.rebuild import (
    ADJUSTED_TOLERANCE,
    CONTRAST_R2,
    GROUP_SPLIT_R2,
    MONOTONE,
    NORMAL_DF,
    REBUILD_R2,
    adjusted_from_filtered,
    contrast_identity,
    fold_change_from_values,
    implied_df,
    monotone_given_df,
)
from degtools.sample_columns import group_means, sample_groups

FIXTURES = ROOT / "tests" / "data"
MOSUITE = FIXTURES / "mosuite_limma_voom_3contrasts_mouse.csv.gz"
SAMPLES = ["A1", "A2", "A3", "B1", "B2", "B3", "C1", "C2", "C3"]


@cache
def table(path: Path):
    """The table as degtools reads it (read once per test session)."""
    return read_de_table(path).data


@cache
def mosuite() -> pd.DataFrame:
    """The three-contrast MOSuite table, read with pandas (one column per contrast and statistic)."""
    return pd.read_csv(MOSUITE, encoding="utf-8-sig")


def test_header_groups():
    assert sample_groups(SAMPLES) == {"A": SAMPLES[:3], "B": SAMPLES[3:6], "C": SAMPLES[6:]}
    counts = ["Control_1_count", "Control_2_count", "Treated_1_count", "Treated_2_count", "mean_Control"]
    assert sample_groups(counts) == {"Control": counts[:2], "Treated": counts[2:4]}
    assert group_means(["mean_A", "B_mean", "AveExpr.C", "baseMeanD", "pvalue"]) == {
        "A": ["mean_A"], "B": ["B_mean"], "C": ["AveExpr.C"], "D": ["baseMeanD"]}
    assert sample_groups(["logFC", "pvalue"]) == {} and group_means(["mean_A"]) == {}


def test_contrast_identity_mosuite():
    frame = mosuite()
    found = contrast_identity(frame["B-C_logFC"], frame[["B-A_logFC", "C-A_logFC"]])
    assert found is not None and found.kind == "contrast identity" and found.exact
    assert found.coefficients == {"B-A_logFC": 1.0, "C-A_logFC": -1.0}
    assert found.right == ("B-A_logFC", "C-A_logFC")
    assert found.measured["cv_r2"] >= CONTRAST_R2 and found.measured["max_abs_error"] < 1e-12
    assert "B-C_logFC = B-A_logFC − C-A_logFC" in found.text
    # other columns in the pool get no coefficient
    pool = frame[["B-A_logFC", "C-A_logFC", "B-A_FC", "C-A_tstat", "A1"]]
    assert contrast_identity(frame["B-C_logFC"], pool).coefficients == found.coefficients
    # and B-A is C-A + B-C: the identity is found from any side
    assert contrast_identity(frame["B-A_logFC"], frame[["C-A_logFC", "B-C_logFC"]]).coefficients == {
        "C-A_logFC": 1.0, "B-C_logFC": 1.0}


def test_contrast_identity_refuses_what_is_not_one():
    frame = mosuite()
    assert contrast_identity(frame["B-C_logFC"], frame[["B-A_logFC"]]) is None
    assert contrast_identity(frame["B-C_logFC"], frame[["B-A_tstat", "C-A_tstat"]]) is None
    rng = np.random.default_rng(0)
    x = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    assert contrast_identity((0.5 * x["a"] + 0.3 * x["b"]).rename("y"), x) is None  # not integers


def test_fold_change_from_per_sample_values_mosuite():
    frame = mosuite()
    found = fold_change_from_values(frame["B-C_logFC"], frame[SAMPLES])
    assert found is not None and found.kind == "fold change from values"
    assert set(found.right) == {"B1", "B2", "B3", "C1", "C2", "C3"}
    # voom weights and the batch term keep it from being exact: R² about 0.91, no fitted coefficient
    assert GROUP_SPLIT_R2 <= found.measured["r2"] < 0.95 and not found.exact
    assert "difference of group means" in found.text and "B (B1, B2, B3) over C (C1, C2, C3)" in found.text


def test_fold_change_from_spectral_counts_exact():
    data = table(FIXTURES / "edger_proteomics_qlf.csv")
    counts = [c for c in data.columns if c.endswith("_count")]
    found = fold_change_from_values(data["logFC"], data[counts])
    assert found.exact and found.measured["pseudo_count"] == 1.0
    assert "log2 ratio of group means with pseudo-count 1 of Treated" in found.text
    assert set(found.right) == set(counts)
    # the two group means alone rebuild it too
    means = fold_change_from_values(data["logFC"], data[["mean_Control", "mean_Treated"]])
    assert means.exact and set(means.right) == {"mean_Control", "mean_Treated"}


def test_fold_change_by_regression_when_headers_suggest_no_groups():
    rng = np.random.default_rng(1)
    values = pd.DataFrame(rng.normal(8, 2, (400, 6)), columns=[f"S{i}" for i in range(1, 7)])
    target = (values[["S4", "S5", "S6"]].mean(axis=1) - values[["S1", "S2", "S3"]].mean(axis=1)).rename("lfc")
    found = fold_change_from_values(target, values)
    assert found is not None and found.measured["cv_r2"] >= REBUILD_R2 and "linear regression" in found.text
    assert fold_change_from_values(pd.Series(rng.normal(size=400), name="noise"), values) is None
    # a column that only predicts the target (baseMean for log2FoldChange) rebuilds nothing
    airway = table(DATA / "airway_deseq2_results.csv")
    assert fold_change_from_values(airway["logFC"], airway[["mean_expr", "lfcSE"]]) is None


def test_monotone_given_df_voom_b_is_not_monotone_in_t():
    data = table(FIXTURES / "limma_voom_weights_b.csv")
    found = monotone_given_df(data["B"], data["stat"])
    assert not found.holds and 0.6 < found.measured["spearman"] < 0.85
    assert "not a monotone function of |stat|" in found.text
    pvalue = monotone_given_df(data["pvalue"], data["stat"])
    assert pvalue.holds and pvalue.measured["median_df"] == pytest.approx(9, rel=1e-3)
    assert pvalue.measured["df_spread"] < 1e-3 and "about 9 degrees of freedom" in pvalue.text


def test_monotone_given_df_on_shared_tables():
    geo2r = table(DATA / "GSE2034.top.table.tsv")
    assert monotone_given_df(geo2r["B"], geo2r["stat"]).measured["spearman"] >= MONOTONE
    wald = table(DATA / "pasilla_condition_treated_results.csv")
    found = monotone_given_df(wald["pvalue"], wald["stat"])
    assert found.holds and found.measured["median_df"] >= NORMAL_DF and "z statistic" in found.text
    edger = table(DATA / "LN_vs_healthy_edgeR_results.csv")
    quasi = monotone_given_df(edger["pvalue"], edger["stat"])  # F with per-gene QL degrees of freedom
    assert quasi.measured["spearman"] >= MONOTONE and 10 < quasi.measured["median_df"] < 100
    # given the degrees of freedom, each stratum is measured on its own
    rng = np.random.default_rng(2)
    t = pd.Series(rng.normal(0, 3, 400), name="t")
    df = pd.Series(np.repeat([3.0, 30.0], 200), name="df")
    p = pd.Series(implied_p(t.to_numpy(), df.to_numpy()), name="p")
    assert not monotone_given_df(p, t).holds
    assert monotone_given_df(p, t, df=df).holds
    assert implied_df(p.to_numpy(), t.to_numpy())[np.abs(t.to_numpy()) > 1] == pytest.approx(
        df.to_numpy()[np.abs(t.to_numpy()) > 1], rel=1e-3)


def implied_p(t: np.ndarray, df: np.ndarray) -> np.ndarray:
    """Two-sided t-test p-values."""
    from scipy import stats

    return 2 * stats.t.sf(np.abs(t), df)


@pytest.mark.parametrize(
    ("path", "method", "tests", "filtered", "exact"),
    [
        (DATA / "airway_deseq2_results.csv", "Benjamini-Hochberg", 15779, 3350, True),
        (DATA / "pasilla_condition_treated_results.csv", "Benjamini-Hochberg", 8323, 4035, True),
        (DATA / "yeast_conB_vs_conA_deseq2_results.csv", "Benjamini-Hochberg", 4759, 874, True),
        (DATA / "LN_vs_healthy_edgeR_results.csv", "Benjamini-Hochberg", 18911, 0, True),
        (DATA / "GSE2034.top.table.tsv", "Benjamini-Hochberg", 22283, 0, False),
        (ROOT / "degtools" / "data" / "GSE15852.top.table.tsv", "Bonferroni", 22283, 0, False),
        (FIXTURES / "deseq2_lfcshrink_normal.csv", "Benjamini-Hochberg", 160, 40, True),
        (FIXTURES / "seurat_findmarkers.csv", "Bonferroni", 2000, 0, True),
    ],
)
def test_adjusted_from_filtered(path, method, tests, filtered, exact):
    data = table(path)
    found = adjusted_from_filtered(data["pvalue"], data["padj"])
    assert found is not None and method in found.text and found.exact == exact
    assert found.measured["tests"] == tests and found.measured["filtered"] == filtered


def test_adjusted_from_filtered_accepts_rounded_ties_and_refuses_others():
    rng = np.random.default_rng(3)
    p = rng.uniform(0, 1, 2000) ** 3
    rounded = pd.Series(np.round(p, 3), name="P")  # three decimals: two thirds of the values are ties
    adjusted = pd.Series(benjamini_hochberg(p), name="Q")
    error = np.abs(benjamini_hochberg(rounded.to_numpy()) - adjusted.to_numpy()).max()
    assert 0.005 < error < ADJUSTED_TOLERANCE
    found = adjusted_from_filtered(rounded, adjusted)
    assert found is not None and not found.exact and "Benjamini-Hochberg" in found.text
    # independent filtering leaves the rows it removed empty and adjusts over the others only
    kept = pd.Series(p, name="P")
    removed = kept.rank(method="first") > 1600  # as filtering on the mean does, mostly large p-values
    filtered_q = pd.Series(np.nan, index=kept.index, name="Q")
    filtered_q[~removed] = benjamini_hochberg(p[~removed])
    found = adjusted_from_filtered(kept, filtered_q)
    assert found.exact and found.measured["filtered"] == 400 and found.measured["tests"] == 1600
    # BH over all 2000 rows written on the 1600 kept rows is not that identity
    assert adjusted_from_filtered(kept, adjusted.where(~removed)) is None
    shuffled = pd.Series(rng.permutation(adjusted.to_numpy()), name="Q")
    assert adjusted_from_filtered(kept, shuffled) is None
