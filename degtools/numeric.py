"""Small numerical helpers shared by several stages (one copy each).

A leaf module: numpy and scipy only.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import stats

#: smallest p-value used before taking -log10 (the smallest positive normal double): a p-value of
#: exactly 0 becomes about 308 on the -log10 scale instead of infinity.
P_VALUE_FLOOR = float(np.finfo(float).tiny)


def finite_or_none(value: Any) -> float | None:
    """``float(value)`` when it is a finite number, else None (JSON has no NaN or infinity)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def spearman(a: Any, b: Any) -> float:
    """Spearman correlation of two equal-length vectors; NaN when it is undefined.

    Undefined means fewer than 3 pairs or a constant vector: there is then no ranking to compare.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(stats.spearmanr(a, b).statistic)


def neg_log10_p(pvalues: Any) -> np.ndarray:
    """-log10 of p-values, with p floored at :data:`P_VALUE_FLOOR` (NaN stays NaN)."""
    values = np.asarray(pvalues, dtype=float)
    return -np.log10(np.clip(values, P_VALUE_FLOOR, None))


def benjamini_hochberg(pvalues: Any) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (empty in, empty out)."""
    values = np.asarray(pvalues, dtype=float)
    if values.size == 0:
        return values
    return stats.false_discovery_control(values, method="bh")


#: a target is "signed" when at least this share of its values lies on each side of zero.
SIGNED_SHARE = 0.05


def is_signed(values: Any) -> bool:
    """Whether more than :data:`SIGNED_SHARE` of ``values`` are negative and as many positive (NaN ignored)."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if values.size == 0:
        return False
    return bool((values < 0).mean() > SIGNED_SHARE and (values > 0).mean() > SIGNED_SHARE)


def mean_interval(values: Any, *, level: float = 0.95) -> tuple[float, float]:
    """Student-t interval of the mean of ``values`` (NaN ignored); (NaN, NaN) with fewer than 2 values."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if values.size < 2:
        return float("nan"), float("nan")
    return t_interval(float(values.mean()), float(values.std(ddof=1)), int(values.size), level=level)


def t_interval(mean: float, sd: float, n: int, *, level: float = 0.95) -> tuple[float, float]:
    """Student-t interval of a mean from its sample sd (ddof 1) over ``n`` values; (NaN, NaN) when n < 2."""
    if n < 2 or not math.isfinite(mean) or not math.isfinite(sd):
        return float("nan"), float("nan")
    half = float(stats.t.ppf(0.5 + level / 2, df=n - 1)) * sd / math.sqrt(n)
    return mean - half, mean + half
