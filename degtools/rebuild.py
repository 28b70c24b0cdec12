"""Measured identities across several columns: can these columns rebuild that one?

A DE table's columns are made from each other: a fold change from per-sample values, one
contrast from two others, a p-value from a statistic and its degrees of freedom, an adjusted
p-value from the p-values that survived filtering. Each function here measures one such identity
in the numbers themselves and returns a :class:`Rebuild` (or None when the identity does not hold):
which column, from which columns, how, and the numbers that show it.

A leaf of the leakage stage: numpy, pandas and scipy, plus :mod:`degtools.numeric` and
:mod:`degtools.sample_columns`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from degtools.numeric import benjamini_hochberg, spearman
from degtools.sample_columns import group_means, sample_groups

#: |Spearman| at or above this counts as a monotone function.
MONOTONE = 0.999
#: share of rows that must satisfy a relation for it to hold "in every row".
ROW_SHARE = 0.99
#: relative tolerance of an exact identity between printed numbers.
EXACT_TOLERANCE = 1e-6
#: R² (no fitted coefficient) at or above which a fixed formula over a split of the value columns
#: into two groups rebuilds the target (weights, batch terms and priors leave a little out).
GROUP_SPLIT_R2 = 0.9
#: cross-validated R² at or above which a linear regression on the value columns rebuilds the target.
REBUILD_R2 = 0.95
#: cross-validated R² at or above which a linear combination of other fold changes is an identity.
CONTRAST_R2 = 0.999
#: coefficients of a contrast identity are integers of at most this size, within this tolerance.
MAX_COEFFICIENT = 2
COEFFICIENT_TOLERANCE = 0.01
#: absolute tolerance of an adjusted p-value against BH or Bonferroni recomputed here: accepts
#: p-values printed with three significant digits and their ties.
ADJUSTED_TOLERANCE = 0.01
#: pseudo-counts tried in log2((mean B + c) / (mean A + c)).
PSEUDO_COUNTS = (0.0, 0.5, 1.0)
#: folds of the cross-validated regressions, and the fewest rows a measurement needs.
FOLDS = 5
MIN_ROWS = 20
#: implied degrees of freedom at or above which a statistic's tail is the normal one.
NORMAL_DF = 1e6
#: rows (an even sample) from which the implied degrees of freedom are measured.
DF_ROWS = 2000

KINDS = ("fold change from values", "contrast identity", "monotone given df", "adjusted from filtered")


@dataclass(frozen=True)
class Rebuild:
    """One measured identity: ``left`` is rebuilt from ``right``.

    Attributes
    ----------
    left
        The rebuilt column (usually the target).
    right
        The columns that rebuild it.
    kind
        One of :data:`KINDS`.
    text
        One plain sentence for the report.
    holds
        Whether the identity holds (``monotone_given_df`` also reports one that does not).
    exact
        Whether it holds to the printed precision in (almost) every row.
    measured
        The numbers behind the sentence (R², cross-validated R², Spearman, largest error, ...).
    coefficients
        Column -> coefficient, for linear identities.
    """

    left: str
    right: tuple[str, ...]
    kind: str
    text: str
    holds: bool = True
    exact: bool = False
    measured: dict[str, float] = field(default_factory=dict)
    coefficients: dict[str, float] = field(default_factory=dict)


def _r2(y: np.ndarray, predicted: np.ndarray) -> float:
    total = float(np.sum((y - y.mean()) ** 2))
    return 1.0 - float(np.sum((y - predicted) ** 2)) / total if total > 0 else float("nan")


def _exact_share(y: np.ndarray, predicted: np.ndarray) -> float:
    return float(np.mean(np.abs(y - predicted) <= EXACT_TOLERANCE * np.maximum(1.0, np.abs(y))))


def cross_validated_r2(y: np.ndarray, x: np.ndarray, *, seed: int = 0) -> float:
    """Out-of-fold R² of an ordinary least-squares fit of ``y`` on the columns of ``x`` (with intercept)."""
    n = len(y)
    design = np.column_stack([np.ones(n), x])
    folds = np.random.default_rng(seed).permutation(n) % FOLDS
    predicted = np.empty(n)
    for fold in range(FOLDS):
        test = folds == fold
        coef, *_ = np.linalg.lstsq(design[~test], y[~test], rcond=None)
        predicted[test] = design[test] @ coef
    return _r2(y, predicted)


def _complete(target: pd.Series, others: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    rows = pd.concat([target.rename("__target__"), others], axis=1)
    rows = rows.replace([np.inf, -np.inf], np.nan).dropna()
    return rows.pop("__target__").to_numpy(dtype=float), rows.astype(float)


def _group_formulas(a: pd.DataFrame, b: pd.DataFrame):
    """(description, pseudo-count, values) of the fold changes of group b over group a."""
    mean_a, mean_b = a.mean(axis=1).to_numpy(), b.mean(axis=1).to_numpy()
    yield "difference of group means (values on a log scale)", float("nan"), mean_b - mean_a
    if (a.to_numpy() >= 0).all() and (b.to_numpy() >= 0).all():
        with np.errstate(divide="ignore", invalid="ignore"):
            for pseudo in PSEUDO_COUNTS:
                yield "log2 ratio of group means", pseudo, np.log2((mean_b + pseudo) / (mean_a + pseudo))
            log_a, log_b = np.log2(a.to_numpy() + 1).mean(axis=1), np.log2(b.to_numpy() + 1).mean(axis=1)
            yield "difference of group means of log2(value + 1)", 1.0, log_b - log_a


def fold_change_from_values(target: pd.Series, values: pd.DataFrame, *, seed: int = 0) -> Rebuild | None:
    """Whether ``target`` is the fold change of two groups of the ``values`` columns.

    First, for every pair of groups suggested by the headers (:mod:`degtools.sample_columns`), fixed
    formulas with no fitted coefficient: the difference of the group means (log-scale values),
    log2 of the ratio of the group means with a pseudo-count of 0, 0.5 or 1, and the difference
    of the means of log2(value + 1). The best one rebuilds the target when its R² reaches
    :data:`GROUP_SPLIT_R2`. Otherwise a linear regression of the target on the value columns
    (and on their log2(x + 1)) rebuilds it when its cross-validated R² reaches :data:`REBUILD_R2`.

    Returns
    -------
    Rebuild or None
        The identity (``measured``: ``r2`` or ``cv_r2``, ``spearman``, ``max_abs_error``), or None
        when neither way rebuilds the target or there are too few complete rows.
    """
    y, rows = _complete(target, values)
    if len(y) < MIN_ROWS or rows.shape[1] < 2:
        return None
    name = str(target.name)
    best = None
    for groups in (sample_groups(list(rows.columns)), group_means(list(rows.columns))):
        for first, second in itertools.permutations(groups, 2):
            for formula, pseudo, predicted in _group_formulas(rows[groups[first]], rows[groups[second]]):
                finite = np.isfinite(predicted)
                if finite.mean() < ROW_SHARE:
                    continue
                r2 = _r2(y[finite], predicted[finite])
                if best is None or r2 > best[0]:
                    best = (r2, groups, first, second, formula, pseudo, predicted, finite)
    if best is not None and best[0] >= GROUP_SPLIT_R2:
        r2, groups, first, second, formula, pseudo, predicted, finite = best
        used = tuple(groups[second] + groups[first])
        exact = _exact_share(y[finite], predicted[finite]) >= ROW_SHARE
        with_pseudo = f" with pseudo-count {pseudo:g}" if np.isfinite(pseudo) and "ratio" in formula else ""
        how = "exactly" if exact else f"with R² {r2:.3f}, no coefficient fitted"
        return Rebuild(
            left=name, right=used, kind="fold change from values", exact=exact,
            text=(f"{name} is the {formula}{with_pseudo} of {second} ({', '.join(groups[second])}) over "
                  f"{first} ({', '.join(groups[first])}), {how}: it is computed from these columns."),
            measured={"r2": r2, "spearman": spearman(predicted[finite], y[finite]),
                      "max_abs_error": float(np.max(np.abs(y[finite] - predicted[finite]))),
                      "pseudo_count": pseudo},
        )
    x = rows.to_numpy()
    scores = {"values": cross_validated_r2(y, x, seed=seed)}
    if (x >= 0).all():
        scores["log2(value + 1)"] = cross_validated_r2(y, np.log2(x + 1), seed=seed)
    scale, cv_r2 = max(scores.items(), key=lambda item: item[1])
    if not cv_r2 >= REBUILD_R2:
        return None
    return Rebuild(
        left=name, right=tuple(rows.columns), kind="fold change from values",
        text=(f"A linear regression on {'the ' if scale == 'values' else ''}{scale} of "
              f"{', '.join(rows.columns)} "
              f"rebuilds {name} (cross-validated R² {cv_r2:.3f}): it is computed from these columns."),
        measured={"cv_r2": cv_r2, **({"r2": best[0]} if best is not None else {})},
    )


def _signed_term(coefficient: int, name: str, first: bool) -> str:
    size = "" if abs(coefficient) == 1 else f"{abs(coefficient)}·"
    if first:
        return f"{'−' if coefficient < 0 else ''}{size}{name}"
    return f"{'−' if coefficient < 0 else '+'} {size}{name}"


def contrast_identity(target: pd.Series, others: pd.DataFrame, *, seed: int = 0) -> Rebuild | None:
    """Whether ``target`` is a small-integer combination of other fold-change columns.

    Contrasts of one linear model are linear in each other: in a three-group design
    B−C = (B−A) − (C−A) exactly. A least-squares fit of the target on ``others`` must reach a
    cross-validated R² of :data:`CONTRAST_R2`, and its coefficients must be integers up to
    :data:`MAX_COEFFICIENT` (within :data:`COEFFICIENT_TOLERANCE`).

    Returns
    -------
    Rebuild or None
        ``right``: the columns with a non-zero coefficient; ``coefficients``: their integers;
        ``measured``: ``cv_r2``, ``r2`` of the integer combination, ``max_abs_error``.
    """
    others = others.drop(columns=[c for c in others.columns if c == target.name])
    y, rows = _complete(target, others)
    if len(y) < MIN_ROWS or rows.shape[1] == 0:
        return None
    x = rows.to_numpy()
    cv_r2 = cross_validated_r2(y, x, seed=seed)
    if not cv_r2 >= CONTRAST_R2:
        return None
    coef, *_ = np.linalg.lstsq(np.column_stack([np.ones(len(y)), x]), y, rcond=None)
    slopes = coef[1:]
    integers = np.round(slopes)
    if np.any(np.abs(slopes - integers) > COEFFICIENT_TOLERANCE) or np.any(
            np.abs(integers) > MAX_COEFFICIENT):
        return None
    used = [(column, int(k)) for column, k in zip(rows.columns, integers, strict=True) if k != 0]
    if not used:
        return None
    combination = sum(k * rows[column].to_numpy() for column, k in used)
    r2 = _r2(y, combination)
    if not r2 >= CONTRAST_R2:
        return None
    name = str(target.name)
    formula = " ".join(_signed_term(k, column, i == 0) for i, (column, k) in enumerate(used))
    error = float(np.max(np.abs(y - combination)))
    exact = _exact_share(y, combination) >= ROW_SHARE
    return Rebuild(
        left=name, right=tuple(column for column, _ in used), kind="contrast identity", exact=exact,
        text=(f"{name} = {formula} in every row (largest difference {error:.2g}): contrasts of one linear "
              "model, so one is arithmetic of the others."),
        measured={"cv_r2": cv_r2, "r2": r2, "max_abs_error": error},
        coefficients={column: float(k) for column, k in used},
    )


def _two_sided_p(statistic: np.ndarray, df: np.ndarray, family: str) -> np.ndarray:
    if family == "F":
        return stats.f.sf(statistic, 1, df)
    return 2 * stats.t.sf(np.abs(statistic), df)


def implied_df(p: np.ndarray, statistic: np.ndarray, *, family: str = "t") -> np.ndarray:
    """Per row, the degrees of freedom that turn ``statistic`` into ``p`` (NaN where undetermined).

    ``family`` ``"t"``: p = 2·P(T > |t|); ``"F"``: p = P(F(1, df) > F). Solved by bisection on
    log10(df) between 0.1 and 10⁷ (a z statistic gives the upper end).
    """
    p, statistic = np.asarray(p, dtype=float), np.asarray(statistic, dtype=float)
    low, high = np.full(len(p), -1.0), np.full(len(p), 7.0)
    usable = (p > 1e-12) & (p < 0.5) & np.isfinite(statistic)
    for _ in range(50):
        middle = (low + high) / 2
        too_heavy = _two_sided_p(statistic, 10.0**middle, family) > p  # more df, lighter tails
        low, high = np.where(too_heavy, middle, low), np.where(too_heavy, high, middle)
    return np.where(usable, 10.0 ** ((low + high) / 2), np.nan)


def monotone_given_df(left: pd.Series, right: pd.Series, *, df: pd.Series | None = None) -> Rebuild | None:
    """How far ``left`` is a monotone function of ``right`` (or of |right|), given degrees of freedom.

    A p-value is a monotone function of its statistic only when every gene has the same degrees
    of freedom; limma's B also depends on each gene's variance, so under voom weights it is not
    monotone in t (Spearman about 0.76) although the same test wrote both. The Spearman is
    information: the provenance of the columns says whether they come from the same test. With
    ``df``, the Spearman is measured within each value of ``df``; when ``left`` is a p-value, the
    degrees of freedom that turn ``right`` into it are reported (``median_df``, ``df_spread``).

    Returns
    -------
    Rebuild or None
        ``holds`` when |Spearman| reaches :data:`MONOTONE`; None with fewer than
        :data:`MIN_ROWS` complete rows.
    """
    frame = pd.concat([left.rename("left"), right.rename("right")]
                      + ([df.rename("df")] if df is not None else []), axis=1).dropna()
    if len(frame) < MIN_ROWS:
        return None
    a, b = frame["left"].to_numpy(dtype=float), frame["right"].to_numpy(dtype=float)
    strata = [np.ones(len(a), dtype=bool)] if df is None else [
        (frame["df"].round(6) == value).to_numpy() for value in frame["df"].round(6).unique()]
    strata = [s for s in strata if s.sum() >= 3]
    if not strata:
        return None
    variants = {"": b, "|": np.abs(b)} if (b < 0).any() else {"": b}
    correlations = {bars: min(abs(spearman(a[s], v[s])) for s in strata) for bars, v in variants.items()}
    bars, rho = max(correlations.items(), key=lambda item: np.nan_to_num(item[1]))
    name_left, name_right = str(left.name), f"{bars}{right.name}{bars}"
    measured = {"spearman": float(rho)}
    if ((a >= 0) & (a <= 1)).all():
        every = max(1, len(a) // DF_ROWS)  # the degrees of freedom are read from an even sample of rows
        implied = implied_df(a[::every], b[::every], family="F" if (b >= 0).all() else "t")
        implied = implied[np.isfinite(implied)]
        if len(implied):
            quartiles = np.quantile(implied, [0.25, 0.5, 0.75])
            measured |= {"median_df": float(quartiles[1]), "df_spread": float(quartiles[2] - quartiles[0])}
    holds = bool(rho >= MONOTONE)
    given = " within each degrees-of-freedom value" if df is not None else ""
    if "median_df" in measured:
        median = measured["median_df"]
        given += (" (a normal tail: a z statistic)" if median >= NORMAL_DF
                  else f" (about {median:.3g} degrees of freedom)")
    if holds:
        text = f"{name_left} is a monotone function of {name_right}{given} (Spearman {rho:.4f})."
    else:
        text = (f"{name_left} is not a monotone function of {name_right}{given} (Spearman {rho:.2f}): "
                "it also depends on per-gene quantities the table does not show (degrees of freedom, "
                "variance).")
    return Rebuild(left=name_left, right=(str(right.name),), kind="monotone given df", text=text, holds=holds,
                   measured=measured)


def adjusted_from_filtered(p: pd.Series, padj: pd.Series) -> Rebuild | None:
    """Whether ``padj`` is Benjamini-Hochberg (or Bonferroni) of the p-values it was given.

    Rows where ``padj`` is missing but ``p`` is not were filtered out before the adjustment
    (DESeq2's independent filtering): BH is recomputed over the other rows only. Bonferroni is
    tried with the number of tests estimated from the table (Seurat adjusts over every gene of
    the dataset, more than the rows written). The match is accepted within
    :data:`ADJUSTED_TOLERANCE` in :data:`ROW_SHARE` of the rows (printed p-values are rounded and
    tied, which moves BH a little).

    Returns
    -------
    Rebuild or None
        ``measured``: ``tests`` (number of adjusted p-values), ``filtered`` (rows left out),
        ``max_abs_error`` and ``share_within_tolerance``.
    """
    frame = pd.concat([p.rename("p"), padj.rename("padj")], axis=1)
    present = frame["p"].notna()
    filtered = int((present & frame["padj"].isna()).sum())
    both = frame.dropna()
    if len(both) < MIN_ROWS or not ((both["p"] >= 0) & (both["p"] <= 1)).all():
        return None
    pv, qv = both["p"].to_numpy(dtype=float), both["padj"].to_numpy(dtype=float)
    ratio = qv[(qv < 1) & (pv > 0)] / pv[(qv < 1) & (pv > 0)]
    tests = float(np.median(ratio)) if len(ratio) else float(len(pv))
    candidates = {"Benjamini-Hochberg": benjamini_hochberg(pv),
                  "Bonferroni": np.minimum(1.0, pv * max(tests, len(pv)))}
    for method, expected in candidates.items():
        error = np.abs(qv - expected)
        share = float(np.mean(error <= ADJUSTED_TOLERANCE))
        if share < ROW_SHARE:
            continue
        exact = _exact_share(qv, expected) >= ROW_SHARE
        count = len(pv) if method == "Benjamini-Hochberg" else round(max(tests, len(pv)))
        bh = method == "Benjamini-Hochberg"
        over = f"over the {count:,} rows it covers" if bh else f"for {count:,} tests"
        left_out = (f"; {filtered:,} rows with a p-value were filtered out first (left empty)"
                    if filtered else "")
        precision = ("exactly" if exact
                     else f"within {ADJUSTED_TOLERANCE:g} in {share:.1%} of rows (rounding, ties)")
        return Rebuild(
            left=str(padj.name), right=(str(p.name),), kind="adjusted from filtered", exact=exact,
            text=f"{padj.name} is {p.name} adjusted by {method} {over}, {precision}{left_out}.",
            measured={"tests": float(count), "filtered": float(filtered),
                      "max_abs_error": float(error.max()), "share_within_tolerance": share},
        )
    return None
