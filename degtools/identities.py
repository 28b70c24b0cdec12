"""Measured relations between the columns of a DE table: what is computed from what.

Exact products and ratios of printed numbers, monotone transforms (with or without the sign),
sign carriers, p-value adjustments, and a model-free strength measure (binned R²). Each relation
found is a :class:`Relation` that names its columns, so that whoever uses it (the leakage audit)
reads the partner from the structure, never from the wording.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from degtools.numeric import SIGNED_SHARE, spearman

#: |Spearman| at or above this counts as a monotone transform.
MONOTONE = 0.999
#: share of rows that must satisfy a relation for it to count as holding "for every row".
ROW_SHARE = 0.99
#: relative tolerance of an exact algebraic identity (products/ratios of printed numbers).
IDENTITY_TOLERANCE = 1e-4
#: relative tolerance of a p-value adjustment recomputed from unrounded p-values.
ADJUSTMENT_TOLERANCE = 1e-9
#: relative tolerance when checking that rounding to a number of digits reproduces a value.
REPRINT_TOLERANCE = 1e-12
#: significant digits tried when guessing how precisely a column was printed.
PRINTED_DIGITS = range(2, 13)
#: fewest complete rows on which a relation between columns (or a binned R²) is measured.
MIN_ROWS = 20
#: fewest rows with an adjusted p-value before an adjustment is named.
MIN_ADJUSTED_ROWS = 10
#: fewest complete rows on which a feature's best two-feature partner is measured.
MIN_PARTNER_ROWS = 50
#: quantile bins of the binned-means models that measure strength (one feature, two features) ...
BINS_ONE = 32
BINS_TWO = 12
#: ... chosen so that a cell holds about this many rows on average, and never fewer than MIN_BINS bins.
ROWS_PER_CELL = 40
MIN_BINS = 3

#: kinds of :class:`Relation`: the target is (a monotone function of) a product or ratio of two columns ...
PRODUCT, RATIO, MONOTONE_PRODUCT, MONOTONE_RATIO = "product", "ratio", "monotone product", "monotone ratio"
#: ... of which these two hold exactly, number for number.
EXACT_KINDS = (PRODUCT, RATIO)
#: one column is a monotone function of another (or of the target), or the target is its absolute value.
MONOTONE_KIND, ABSOLUTE = "monotone", "absolute value"
#: a column with the target's sign; a p-value adjusted into another column.
SIGN_CARRIER, ADJUSTMENT = "sign carrier", "adjustment"
#: canonical column name -> the user's header.
Label = Callable[[str], str]

_SYMBOLS = {PRODUCT: "×", RATIO: "/", MONOTONE_PRODUCT: "×", MONOTONE_RATIO: "/"}


@dataclass(frozen=True)
class Relation:
    """One relation of column ``left`` to the target, or to column ``right`` (canonical names).

    ``kind`` says what the relation is (the module's kind constants, or a kind the audit adds);
    ``text`` is its sentence in the user's column names. ``share`` is, for a sign carrier, the
    share of rows whose sign agrees with the target's.
    """

    left: str
    right: str | None
    kind: str
    text: str
    share: float | None = None


def _quantile_codes(values: np.ndarray, bins: int) -> np.ndarray:
    """Bin index of each value by its rank (ties share a bin)."""
    ranks = stats.rankdata(values, method="min")
    return np.minimum((ranks - 1) * bins // len(values), bins - 1).astype(int)


def binned_r2(y: np.ndarray, *columns: np.ndarray, bins: int, seed: int = 0) -> float:
    """Out-of-sample R² of predicting ``y`` by the mean of its cell of quantile bins.

    A model-free measure of how much ``y`` the columns give away, linear or not: the rows are
    split in two halves, cell means are learnt on one half and scored on the other, both ways.
    Empty cells predict the half's overall mean. NaN below :data:`MIN_ROWS` rows.
    """
    n = len(y)
    if n < MIN_ROWS:
        return float("nan")
    codes = np.zeros(n, dtype=int)
    for column in columns:
        codes = codes * bins + _quantile_codes(column, bins)
    half = np.random.default_rng(seed).permutation(n) < n // 2
    residual = 0.0
    for learn in (half, ~half):
        score = ~learn
        means = pd.Series(y[learn]).groupby(codes[learn]).mean()
        predicted = pd.Series(codes[score]).map(means).fillna(y[learn].mean()).to_numpy()
        residual += float(np.sum((y[score] - predicted) ** 2))
    total = float(np.sum((y - y.mean()) ** 2))
    return 1.0 - residual / total if total > 0 else float("nan")


def bin_count(rows: int, dimensions: int) -> int:
    """Bins per feature so that a cell holds about :data:`ROWS_PER_CELL` rows (capped, at least MIN_BINS)."""
    cap = BINS_ONE if dimensions == 1 else BINS_TWO
    return int(max(MIN_BINS, min(cap, (rows / ROWS_PER_CELL) ** (1 / dimensions))))


def _share_close(actual: np.ndarray, expected: np.ndarray, tolerance: float) -> float:
    scale = np.maximum(np.abs(actual), np.abs(expected))
    close = np.abs(actual - expected) <= tolerance * np.where(scale > 0, scale, 1.0)
    return float(np.mean(close)) if len(close) else 0.0


def _round_significant(values: np.ndarray, digits: int) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        magnitude = np.where(values > 0, np.floor(np.log10(np.abs(values))), 0)
    factor = 10.0 ** (digits - 1 - magnitude)
    return np.round(values * factor) / factor


def printed_digits(values: np.ndarray) -> int | None:
    """Fewest significant digits (of :data:`PRINTED_DIGITS`) that reproduce :data:`ROW_SHARE` of ``values``.

    None if more digits are needed (the values were not rounded for printing).
    """
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values) & (values != 0)]
    if not len(values):
        return None
    for digits in PRINTED_DIGITS:
        if _share_close(values, _round_significant(values, digits), REPRINT_TOLERANCE) >= ROW_SHARE:
            return digits
    return None


def describe_adjustment(pvalues: pd.Series, adjusted: pd.Series) -> str | None:
    """Name the adjustment (Benjamini-Hochberg or Bonferroni, with the precision) that made ``adjusted``.

    The number of tests is the number of rows with an adjusted value (DESeq2's independent
    filtering leaves the others empty). Printed tables round the p-values (GEO2R to 3
    significant digits), so the match is accepted within that rounding.
    """
    both = pd.concat([pvalues, adjusted], axis=1).dropna()
    if len(both) < MIN_ADJUSTED_ROWS:
        return None
    p = both.iloc[:, 0].to_numpy()
    q = both.iloc[:, 1].to_numpy()
    if (p < 0).any() or (p > 1).any():
        return None
    candidates = {
        "Benjamini-Hochberg": stats.false_discovery_control(p, method="bh"),
        "Bonferroni": np.minimum(1.0, p * len(p)),
    }
    digits = printed_digits(p)
    # half a unit in the last printed digit, with a little room for the rounding of the rounding
    rounding = 0.5 * 10.0 ** (1 - digits) * 1.01 if digits else ADJUSTMENT_TOLERANCE
    for method, expected in candidates.items():
        if _share_close(q, expected, ADJUSTMENT_TOLERANCE) >= ROW_SHARE:
            return f"{method}, exact"
        if digits and _share_close(q, expected, rounding) >= ROW_SHARE:
            return f"{method}, exact up to the rounding of the p-values to {digits} significant digits"
    return None


#: the pairwise searches (products and ratios, monotone pairs, best partner) grow with the square of the
#: number of columns; on a wider table they cover this many of its own columns, chosen by
#: :func:`pairwise_candidates`. About 20 s for 60 columns on one core; 500 columns would take 20 minutes.
PAIRWISE_MAX_COLUMNS = 60


def pairwise_candidates(columns: list[str], *, written_by_test: set[str], r2_alone: dict[str, float],
                        rank_correlation: dict[str, float], limit: int = PAIRWISE_MAX_COLUMNS) -> list[str]:
    """The columns the pairwise searches cover: all of them, or ``limit`` of them on a wide table.

    First the columns a test wrote (statistic, SE, p-values: the usual members of an identity), then
    the ones most tied to the target on their own (R² alone, then |Spearman|); kept in table order.
    """
    if len(columns) <= limit:
        return list(columns)

    def tie(column: str) -> tuple[bool, float, float]:
        r2, rho = r2_alone.get(column, np.nan), rank_correlation.get(column, np.nan)
        return (column not in written_by_test, -(r2 if np.isfinite(r2) else -np.inf),
                -(abs(rho) if np.isfinite(rho) else 0.0))

    chosen = set(sorted(columns, key=tie)[:limit])
    return [column for column in columns if column in chosen]


def _monotone(a: np.ndarray, b: np.ndarray) -> bool:
    return abs(spearman(a, b)) >= MONOTONE


def relations_to_target(
    feature: str, x: np.ndarray, y: np.ndarray, *, signed_target: bool, label: Label, target: str
) -> list[Relation]:
    """How column ``feature`` (values ``x``) is tied to the target (values ``y``) on its own.

    At most one monotone relation (a monotone transform of the target, monotone in |target|, or
    the target monotone in |feature|), then, for a signed target and a feature with negative values
    in more than :data:`~degtools.numeric.SIGNED_SHARE` of rows, a sign carrier: the same (or the
    opposite) sign as the target in at least :data:`ROW_SHARE` of the rows where neither is zero.
    """
    found = []
    name, target_name = label(feature), label(target)
    if _monotone(x, y):
        found.append(Relation(feature, None, MONOTONE_KIND, f"monotone transform of {target_name}"))
    elif signed_target and _monotone(x, np.abs(y)):
        found.append(Relation(feature, None, MONOTONE_KIND, f"monotone in |{target_name}|"))
    elif (x < 0).any() and _monotone(np.abs(x), y):
        if np.allclose(np.abs(x), y):
            found.append(Relation(feature, None, ABSOLUTE, f"{target_name} is its absolute value"))
        else:
            found.append(Relation(feature, None, MONOTONE_KIND, f"{target_name} is monotone in |{name}|"))
    if signed_target and (x < 0).mean() > SIGNED_SHARE:
        nonzero = (x != 0) & (y != 0)
        agree = float(np.mean(np.sign(x[nonzero]) == np.sign(y[nonzero]))) if nonzero.any() else 0.5
        if agree >= ROW_SHARE or agree <= 1 - ROW_SHARE:
            same = "the same" if agree >= ROW_SHARE else "the opposite"
            text = f"sign carrier: {same} sign as {target_name} in {max(agree, 1 - agree):.1%} of rows"
            found.append(Relation(feature, None, SIGN_CARRIER, text, share=agree))
    return found


def exact_identities(
    frame: pd.DataFrame, target: str, features: list[str], *, label: Label
) -> list[Relation]:
    """Every pair with target = left × right or left / right in (almost) every row, as one relation each.

    ``kind`` is :data:`PRODUCT` or :data:`RATIO` for an exact identity (within
    :data:`IDENTITY_TOLERANCE` in :data:`ROW_SHARE` of the rows), :data:`MONOTONE_PRODUCT` or
    :data:`MONOTONE_RATIO` when the target is a monotone function of |left × right| or
    |left / right| (e.g. -log10 P from log2FoldChange / lfcSE). ``text`` is the formula.
    """
    found = []
    for a, b in itertools.combinations(features, 2):
        rows = frame[[target, a, b]].dropna()
        rows = rows[(rows[target] != 0) & (rows[a] != 0) & (rows[b] != 0)]
        if len(rows) < MIN_ROWS:
            continue
        y, va, vb = (rows[column].to_numpy() for column in (target, a, b))
        pair = _exact_pair(y, a, va, b, vb)
        if pair is None:
            # A pair only counts when neither member alone is already a monotone transform.
            if any(_monotone(v, y) or _monotone(np.abs(v), y) for v in (va, vb)):
                continue
            pair = next(
                (
                    (a, b, kind)
                    for kind, expected in ((MONOTONE_PRODUCT, va * vb), (MONOTONE_RATIO, va / vb))
                    if _monotone(np.abs(expected), y) or _monotone(expected, y)
                ),
                None,
            )
        if pair is not None:
            left, right, kind = pair
            formula = f"{label(left)} {_SYMBOLS[kind]} {label(right)}"
            if kind in EXACT_KINDS:
                text = f"{label(target)} = {formula}"
            else:
                text = f"{label(target)} is a monotone function of {formula}"
            found.append(Relation(left, right, kind, text))
    return found


def _exact_pair(y: np.ndarray, a: str, va: np.ndarray, b: str, vb: np.ndarray) -> tuple[str, str, str] | None:
    """(left, right, kind) when ``y`` is a × b, a / b or b / a number for number; else None."""
    candidates = ((a, b, PRODUCT, va * vb), (a, b, RATIO, va / vb), (b, a, RATIO, vb / va))
    for left, right, kind, expected in candidates:
        if _share_close(y, expected, IDENTITY_TOLERANCE) >= ROW_SHARE:
            return left, right, kind
    return None


def monotone_pairs(frame: pd.DataFrame, features: list[str], *, label: Label) -> list[Relation]:
    """Pairs of features monotone in each other (each ignoring its sign where it has one), both ways round.

    For a pair found, two relations: ``a`` monotone in ``b`` and ``b`` monotone in ``a``, with
    ``|name|`` in the text where the match needed the absolute value.
    """
    found = []
    for a, b in itertools.combinations(features, 2):
        rows = frame[[a, b]].dropna()
        if len(rows) < MIN_ROWS:
            continue
        va, vb = rows[a].to_numpy(), rows[b].to_numpy()
        variants = [
            (abs_a, abs_b)
            for abs_a in (False, True)
            for abs_b in (False, True)
            if (not abs_a or (va < 0).any()) and (not abs_b or (vb < 0).any())
        ]
        match = next(
            (
                (abs_a, abs_b)
                for abs_a, abs_b in variants
                if _monotone(np.abs(va) if abs_a else va, np.abs(vb) if abs_b else vb)
            ),
            None,
        )
        if match is not None:
            name_a = f"|{label(a)}|" if match[0] else label(a)
            name_b = f"|{label(b)}|" if match[1] else label(b)
            found.append(Relation(a, b, MONOTONE_KIND, f"monotone in {name_b}"))
            found.append(Relation(b, a, MONOTONE_KIND, f"monotone in {name_a}"))
    return found


def best_partner(
    frame: pd.DataFrame, target: str, feature: str, features: list[str], *, seed: int
) -> tuple[str | None, float]:
    """The other feature that, with ``feature``, explains most of the target (binned R²), and that R²."""
    best, best_r2 = None, float("nan")
    for other in features:
        if other == feature:
            continue
        rows = frame[[target, feature, other]].dropna()
        if len(rows) < MIN_PARTNER_ROWS:
            continue
        r2 = binned_r2(
            rows[target].to_numpy(),
            rows[feature].to_numpy(),
            rows[other].to_numpy(),
            bins=bin_count(len(rows), 2),
            seed=seed,
        )
        if best is None or r2 > best_r2:
            best, best_r2 = other, r2
    return best, best_r2
