"""Statistics of model scores: test metrics, their bootstrap intervals, and the paired fold test.

Pure numbers in, numbers out: no estimator is fitted here.
"""

from __future__ import annotations

import numpy as np
from scipy import stats
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

#: models whose fold scores are indistinguishable from the best's at this p-value or above.
INDISTINGUISHABLE_P = 0.05
#: bootstrap resamples of the test set.
BOOTSTRAP_RESAMPLES = 1000
#: resamples drawn at once (bounds the memory of one draw to this many copies of the test set) ...
_BOOTSTRAP_CHUNK = 200
#: ... and at most this many resampled values at once: ~32 MB per array, however large the test set
#: (200 copies of a 200,000-gene test set would be 320 MB per array, five arrays at a time).
_BOOTSTRAP_CELLS = 4_000_000


def regression_metrics(y_true, y_pred) -> dict[str, float]:
    """R², MSE, RMSE and MAE of a prediction."""
    mse = float(mean_squared_error(y_true, y_pred))
    return {
        "r2": float(r2_score(y_true, y_pred)),
        "mse": mse,
        "rmse": float(np.sqrt(mse)),
        "mae": float(mean_absolute_error(y_true, y_pred)),
    }


def bootstrap_intervals(
    y_true, y_pred, *, resamples: int = BOOTSTRAP_RESAMPLES, seed: int = 42, level: float = 0.95
) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap intervals of R², RMSE and MAE over resampled test genes."""
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    rng = np.random.default_rng(seed)
    n = len(y_true)
    r2, rmse, mae = [], [], []
    chunk = max(1, min(_BOOTSTRAP_CHUNK, _BOOTSTRAP_CELLS // max(n, 1)))
    for start in range(0, resamples, chunk):
        rows = rng.integers(0, n, size=(min(chunk, resamples - start), n))
        observed, error = y_true[rows], y_true[rows] - y_pred[rows]
        sse = np.sum(error**2, axis=1)
        sst = np.sum((observed - observed.mean(axis=1, keepdims=True)) ** 2, axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            r2.append(np.where(sst > 0, 1 - sse / sst, np.nan))
        rmse.append(np.sqrt(sse / n))
        mae.append(np.mean(np.abs(error), axis=1))
    tail = 100 * (1 - level) / 2
    intervals = {}
    for name, values in (("r2", r2), ("rmse", rmse), ("mae", mae)):
        values = np.concatenate(values)
        values = values[np.isfinite(values)]
        low, high = np.percentile(values, [tail, 100 - tail]) if len(values) else (np.nan, np.nan)
        intervals[name] = (float(low), float(high))
    return intervals


def corrected_resampled_ttest(scores_a, scores_b, *, n_train: float, n_test: float) -> tuple[float, float]:
    """Nadeau & Bengio's corrected resampled t-test on paired per-fold scores.

    The variance of the fold differences is scaled by ``1/k + n_test/n_train`` instead of
    ``1/k``, because the folds' training sets overlap. Returns (t, two-sided p) with k-1
    degrees of freedom; identical score vectors give (0, 1).
    """
    difference = np.asarray(scores_a, dtype=float) - np.asarray(scores_b, dtype=float)
    k = len(difference)
    if k < 2:
        raise ValueError(f"the corrected t-test needs at least 2 paired folds; got {k}.")
    mean = float(np.mean(difference))
    variance = float(np.var(difference, ddof=1))
    if variance == 0:
        return (0.0, 1.0) if mean == 0 else (float(np.sign(mean) * np.inf), 0.0)
    t = mean / np.sqrt((1 / k + n_test / n_train) * variance)
    return float(t), float(2 * stats.t.sf(abs(t), df=k - 1))
