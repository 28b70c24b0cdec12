"""The measured relations between columns: adjustments, printed digits, binned R²."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from degtools.identities import binned_r2, describe_adjustment, printed_digits


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
