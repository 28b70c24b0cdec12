"""Properties of the numerical helpers, each against an independent computation or a hand-made answer."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats

import degtools
from degtools.numeric import P_VALUE_FLOOR, benjamini_hochberg, is_signed, neg_log10_p, spearman

PVALUES = st.lists(st.floats(min_value=0.0, max_value=1.0, allow_nan=False), min_size=1, max_size=60)


def step_up(pvalues: list[float]) -> np.ndarray:
    """Benjamini-Hochberg written out: q_i = min over j with p_j >= p_i of p_j * m / rank_j, capped at 1."""
    p = np.asarray(pvalues, dtype=float)
    m = len(p)
    ranks = stats.rankdata(p, method="max")  # tied p-values share the largest rank
    return np.array([min(1.0, min(p[j] * m / ranks[j] for j in range(m) if p[j] >= p[i])) for i in range(m)])


def test_benjamini_hochberg_on_a_hand_made_example():
    # sorted: 0.005 (x4/1 = 0.02), 0.01 (x4/2 = 0.02), 0.03 (x4/3 = 0.04), 0.04 (x4/4 = 0.04)
    np.testing.assert_allclose(benjamini_hochberg([0.01, 0.04, 0.03, 0.005]), [0.02, 0.04, 0.04, 0.02])
    # tied p-values share the larger rank: 0.02 x 3 / 2 = 0.03 for both, and 0.03 x 3 / 3 = 0.03
    np.testing.assert_allclose(benjamini_hochberg([0.02, 0.02, 0.03]), [0.03, 0.03, 0.03])
    assert benjamini_hochberg([]).size == 0


@settings(max_examples=150, deadline=None)
@given(pvalues=PVALUES)
def test_benjamini_hochberg_is_the_step_up_procedure(pvalues):
    adjusted = benjamini_hochberg(pvalues)
    np.testing.assert_allclose(adjusted, step_up(pvalues), rtol=1e-12, atol=1e-15)
    p = np.asarray(pvalues)
    assert (adjusted >= p - 1e-15).all() and (adjusted <= 1).all()
    order = np.argsort(p, kind="stable")
    assert (np.diff(adjusted[order]) >= -1e-15).all()  # the adjustment keeps the order of the p-values


@settings(max_examples=100, deadline=None)
@given(pairs=st.lists(st.tuples(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6)), min_size=0, max_size=40))
def test_spearman_is_pearson_of_the_ranks_or_nan_when_undefined(pairs):
    a = np.array([x for x, _ in pairs], dtype=float)
    b = np.array([y for _, y in pairs], dtype=float)
    value = spearman(a, b)
    if len(pairs) < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        assert np.isnan(value)
    else:
        ra, rb = stats.rankdata(a), stats.rankdata(b)
        assert value == pytest.approx(np.corrcoef(ra, rb)[0, 1], abs=1e-9)


def test_neg_log10_p_floors_zero_and_keeps_missing():
    values = neg_log10_p([1.0, 0.01, 0.0, np.nan])
    assert values[0] == 0.0 and values[1] == pytest.approx(2.0)
    assert values[2] == pytest.approx(-np.log10(P_VALUE_FLOOR)) and 307 < values[2] < 309
    assert np.isnan(values[3])


def test_is_signed_needs_more_than_the_share_on_each_side():
    # 5 of 100 negative is exactly SIGNED_SHARE, not more: unsigned; 6 of 100 is signed
    assert not is_signed([-1.0] * 5 + [1.0] * 95)
    assert is_signed([-1.0] * 6 + [1.0] * 94)
    assert not is_signed([0.0] * 50 + [1.0] * 50)  # zeros count on neither side
    assert is_signed([-1.0] * 10 + [1.0] * 10 + [np.nan] * 1000)  # NaN ignored
    assert not is_signed([np.nan, np.nan])


def test_regression_metrics_against_their_definitions():
    observed = np.array([1.0, 2.0, 3.0, 4.0])
    predicted = np.array([1.5, 1.5, 3.5, 3.0])
    # errors -0.5, 0.5, -0.5, 1.0: SSE 1.75, SST 5
    metrics = degtools.regression_metrics(observed, predicted)
    assert metrics["r2"] == pytest.approx(1 - 1.75 / 5)
    assert metrics["mse"] == pytest.approx(1.75 / 4)
    assert metrics["rmse"] == pytest.approx(np.sqrt(1.75 / 4))
    assert metrics["mae"] == pytest.approx(2.5 / 4)


@settings(max_examples=100, deadline=None)
@given(
    a=st.lists(st.floats(-1, 1), min_size=3, max_size=10),
    shift=st.floats(-0.5, 0.5),
    noise=st.lists(st.floats(-0.2, 0.2), min_size=10, max_size=10),
)
def test_corrected_ttest_is_never_more_confident_than_the_naive_one(a, shift, noise):
    from degtools.stats import corrected_resampled_ttest

    a = np.array(a)
    b = a + shift + np.array(noise[: len(a)])
    assume(np.std(a - b, ddof=1) > 1e-6)  # differences that all agree have no t statistic to compare
    t, p = corrected_resampled_ttest(a, b, n_train=4, n_test=1)
    t_swapped, p_swapped = corrected_resampled_ttest(b, a, n_train=4, n_test=1)
    assert t_swapped == pytest.approx(-t) and p_swapped == pytest.approx(p)
    # the correction multiplies the variance by (1/k + n_test/n_train) / (1/k) > 1: |t| shrinks, p grows
    naive = stats.ttest_rel(a, b)
    k = len(a)
    assert abs(t) == pytest.approx(abs(naive.statistic) / np.sqrt(1 + k * 1 / 4), rel=1e-6)
    assert p >= naive.pvalue - 1e-12


def test_missing_value_counts_include_cells_that_were_not_numbers(tmp_path):
    path = tmp_path / "junk.csv"
    rows = "".join(f"g{i},{i / 10},0.5\n" for i in range(40))
    path.write_text("ID,logFC,P.Value\n" + rows + "g40,oops,0.5\ng41,Inf,0.5\n", encoding="utf-8")
    table = degtools.read_de_table(path)
    assert int(table.data["logFC"].isna().sum()) == 2  # 'oops' and 'Inf' both became missing
    assert table.na_counts["logFC"] == 2
