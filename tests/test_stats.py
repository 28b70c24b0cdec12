"""Statistics you can trust: the corrected paired fold test and the bootstrap intervals."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from degtools.stats import bootstrap_intervals, corrected_resampled_ttest


def test_corrected_ttest_matches_the_formula_by_hand():
    a = np.array([0.80, 0.82, 0.79, 0.85, 0.81])
    b = np.array([0.78, 0.80, 0.80, 0.80, 0.79])
    d = a - b
    variance = np.sum((d - d.mean()) ** 2) / 4
    t_by_hand = d.mean() / np.sqrt((1 / 5 + 100 / 400) * variance)
    t, p = corrected_resampled_ttest(a, b, n_train=400, n_test=100)
    assert t == pytest.approx(t_by_hand)
    assert p == pytest.approx(2 * (1 - stats.t.cdf(abs(t_by_hand), 4)))
    # The correction widens the interval: the naive paired t-test is more confident.
    assert p > stats.ttest_rel(a, b).pvalue
    assert corrected_resampled_ttest(a, a, n_train=4, n_test=1) == (0.0, 1.0)
    with pytest.raises(ValueError, match="at least 2 paired folds"):
        corrected_resampled_ttest([1.0], [0.5], n_train=4, n_test=1)

def test_bootstrap_intervals_bracket_the_estimate_and_repeat():
    rng = np.random.default_rng(0)
    y = rng.normal(size=300)
    predicted = y + rng.normal(scale=0.5, size=300)
    first = bootstrap_intervals(y, predicted, seed=1)
    assert first == bootstrap_intervals(y, predicted, seed=1)
    r2 = 1 - np.sum((y - predicted) ** 2) / np.sum((y - y.mean()) ** 2)
    assert first["r2"][0] < r2 < first["r2"][1]
    rmse = np.sqrt(np.mean((y - predicted) ** 2))
    assert first["rmse"][0] < rmse < first["rmse"][1]
    # Against a plain loop over resamples drawn the same way.
    draws = np.random.default_rng(1).integers(0, 300, size=(200, 300))
    loop = [np.mean(np.abs(y[rows] - predicted[rows])) for rows in draws]
    small = bootstrap_intervals(y, predicted, seed=1, resamples=200)
    assert small["mae"] == pytest.approx(tuple(np.percentile(loop, [2.5, 97.5])))


def test_bootstrap_memory_bound_draws_the_same_resamples(monkeypatch):
    import degtools.stats as stats

    rng = np.random.default_rng(5)
    y = rng.normal(size=3000)
    predicted = y + rng.normal(size=3000)
    whole = bootstrap_intervals(y, predicted, seed=3, resamples=500)
    # at most two resamples at a time (what a 2,000,000-gene test set gets): the same draws, the same intervals
    monkeypatch.setattr(stats, "_BOOTSTRAP_CELLS", 2 * 3000)
    assert bootstrap_intervals(y, predicted, seed=3, resamples=500) == whole
    # and an independent loop over the same resamples gives them too
    draws = np.random.default_rng(3).integers(0, 3000, size=(500, 3000))
    r2 = [1 - np.sum((y[r] - predicted[r]) ** 2) / np.sum((y[r] - y[r].mean()) ** 2) for r in draws]
    assert whole["r2"] == pytest.approx(tuple(np.percentile(r2, [2.5, 97.5])), rel=1e-12)
