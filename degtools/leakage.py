"""Leakage audit: which features are the target in disguise?

A DE table's columns are not independent measurements. limma's t is logFC / SE, its P-value and
B are monotone in |t|, the adjusted p-value is the P-value after Benjamini-Hochberg or Bonferroni,
and DESeq2's log2FoldChange equals stat x lfcSE to machine precision. A model that gets any of
these as features "predicts" the target by undoing arithmetic. :func:`audit_leakage` finds such
relations in the data itself (exact products and ratios, monotone transforms, sign carriers,
p-value adjustments), measures how much of the target each feature gives away, and gives each
feature a verdict: ``leaks``, ``partly`` or ``independent``.

What "independent" means here: a feature is independent of the target when it is not computed
from the target (or from the same test as the target) and, on its own, it explains little of the
target. Features that only carry the *magnitude* of the target's own test (P, B, F, FDR for a
fold-change target) are ``partly``: they are excluded from the independent leaderboard, because
together with any sign-carrying column they rebuild the target.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from degtools.errors import InputError
from degtools.io import IDENTIFIER_COLUMNS, DETable
from degtools.numeric import SIGNED_SHARE, is_signed, spearman

#: |Spearman| at or above this counts as a monotone transform.
MONOTONE = 0.999
#: share of rows that must satisfy a relation for it to count as holding "for every row".
ROW_SHARE = 0.99
#: relative tolerance of an exact algebraic identity (products/ratios of printed numbers).
IDENTITY_TOLERANCE = 1e-4
#: one-feature R² at or above which a feature leaks on its own, and above which it leaks partly.
LEAKS_R2 = 0.5
PARTLY_R2 = 0.1
#: quantile bins of the binned-means models that measure strength.
BINS_ONE = 32
BINS_TWO = 12

#: canonical columns produced by the differential test itself.
TEST_COLUMNS = ("stat", "pvalue", "padj", "B", "abs_stat", "neg_log10_p")
#: targets that the test is *about*: its statistic and p-values are computed from them.
FOLD_CHANGE_TARGETS = ("logFC", "abs_logFC")

VERDICTS = ("leaks", "partly", "independent")


@dataclass
class FeatureAudit:
    """What the audit found for one feature."""

    feature: str
    label: str
    relations: list[str]
    r2_one: float
    r2_two: float
    partner: str | None
    spearman: float
    verdict: str

    def entry(self) -> dict:
        """The JSON ``leakage`` entry (user's column names)."""
        return {
            "feature": self.label,
            "relation": "; ".join(self.relations) if self.relations else "none found",
            "strength": {
                "r2_one_feature": _rounded(self.r2_one),
                "r2_two_features": _rounded(self.r2_two),
                "two_feature_partner": self.partner,
                "spearman": _rounded(self.spearman),
            },
            "verdict": self.verdict,
        }


@dataclass
class LeakageReport:
    """The audit of every candidate feature against one target."""

    target: str
    target_label: str
    features: list[FeatureAudit]
    notes: list[str] = field(default_factory=list)

    @property
    def independent(self) -> list[str]:
        """Canonical names of the features with verdict ``independent``."""
        return [audit.feature for audit in self.features if audit.verdict == "independent"]

    def verdict(self, feature: str) -> str:
        """Verdict of one feature (canonical name)."""
        for audit in self.features:
            if audit.feature == feature:
                return audit.verdict
        raise KeyError(feature)

    def table(self) -> pd.DataFrame:
        """One row per feature, named as in the user's table, for the report."""
        rows = [
            {
                "feature": audit.label,
                "relation to the target or other columns": "; ".join(audit.relations) or "none found",
                "R² alone": audit.r2_one,
                "R² with best partner": audit.r2_two,
                "best partner": audit.partner or "",
                "Spearman with target": audit.spearman,
                "verdict": audit.verdict,
            }
            for audit in self.features
        ]
        return pd.DataFrame(rows)

    def entries(self) -> list[dict]:
        """The JSON ``leakage`` list."""
        return [audit.entry() for audit in self.features]


def _rounded(value: float | None) -> float | None:
    if value is None or not np.isfinite(value):
        return None
    return round(float(value), 4)


def _quantile_codes(values: np.ndarray, bins: int) -> np.ndarray:
    """Bin index of each value by its rank (ties share a bin)."""
    ranks = stats.rankdata(values, method="min")
    return np.minimum((ranks - 1) * bins // len(values), bins - 1).astype(int)


def binned_r2(y: np.ndarray, *columns: np.ndarray, bins: int, seed: int = 0) -> float:
    """Out-of-sample R² of predicting ``y`` by the mean of its cell of quantile bins.

    A model-free measure of how much ``y`` the columns give away, linear or not: the rows are
    split in two halves, cell means are learnt on one half and scored on the other, both ways.
    Empty cells predict the half's overall mean.
    """
    n = len(y)
    if n < 20:
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
    """Fewest significant digits (2 to 12) that reproduce 99% of ``values``; None if more."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values) & (values != 0)]
    if not len(values):
        return None
    for digits in range(2, 13):
        if _share_close(values, _round_significant(values, digits), 1e-12) >= ROW_SHARE:
            return digits
    return None


def describe_adjustment(pvalues: pd.Series, adjusted: pd.Series) -> str | None:
    """Name the adjustment (Benjamini-Hochberg or Bonferroni, with the precision) that made ``adjusted``.

    The number of tests is the number of rows with an adjusted value (DESeq2's independent
    filtering leaves the others empty). Printed tables round the p-values (GEO2R to 3
    significant digits), so the match is accepted within that rounding.
    """
    both = pd.concat([pvalues, adjusted], axis=1).dropna()
    if len(both) < 10:
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
    rounding = 0.5 * 10.0 ** (1 - digits) * 1.01 if digits else 1e-9
    for method, expected in candidates.items():
        if _share_close(q, expected, 1e-9) >= ROW_SHARE:
            return f"{method}, exact"
        if digits and _share_close(q, expected, rounding) >= ROW_SHARE:
            return f"{method}, exact up to the rounding of the p-values to {digits} significant digits"
    return None


def _exact_identities(frame: pd.DataFrame, target: str, features: list[str]) -> list[tuple[str, str, str]]:
    """(a, b, kind) for every pair with target = a*b, a/b or b/a in (almost) every row.

    ``kind`` is ``product`` or ``ratio`` for an exact identity, ``monotone product`` or
    ``monotone ratio`` when the target is a monotone function of |a*b| or |a/b| (e.g.
    -log10 P from log2FoldChange / lfcSE).
    """
    found = []
    for a, b in itertools.combinations(features, 2):
        rows = frame[[target, a, b]].dropna()
        rows = rows[(rows[target] != 0) & (rows[a] != 0) & (rows[b] != 0)]
        if len(rows) < 20:
            continue
        y, va, vb = (rows[column].to_numpy() for column in (target, a, b))
        for kind, expected in (("product", va * vb), ("ratio", va / vb), ("inverse ratio", vb / va)):
            if _share_close(y, expected, IDENTITY_TOLERANCE) >= ROW_SHARE:
                found.append((a, b, kind) if kind != "inverse ratio" else (b, a, "ratio"))
                break
        else:
            # A pair only counts when neither member alone is already a monotone transform.
            if any(max(abs(spearman(v, y)), abs(spearman(np.abs(v), y))) >= MONOTONE for v in (va, vb)):
                continue
            for kind, expected in (("monotone product", va * vb), ("monotone ratio", va / vb)):
                if max(abs(spearman(np.abs(expected), y)), abs(spearman(expected, y))) >= MONOTONE:
                    found.append((a, b, kind))
                    break
    return found


def audit_leakage(
    table: DETable, *, target: str, features: list[str] | None = None, seed: int = 0
) -> LeakageReport:
    """Check every candidate feature against the target and against each other.

    Parameters
    ----------
    table
        The table (canonical column names; derived columns included if wanted).
    target
        Canonical name of the target column.
    features
        Canonical candidate features; default every other numeric column.
    seed
        Seed of the half split used by the strength measures.

    Returns
    -------
    LeakageReport
        Per feature: relations found, R² alone and with its best partner, Spearman with the
        target, verdict; plus plain-language notes for the report.

    Raises
    ------
    InputError
        If ``target`` is not a numeric column of the table.
    """
    if target not in table.numeric_columns:
        raise InputError(
            f"leakage audit: target {target!r} is not a numeric column; numeric columns are "
            f"{', '.join(table.numeric_columns)}. Resolve it first with degtools.resolve_target."
        )
    if features is None:
        features = [column for column in table.numeric_columns if column != target]
    features = [
        f for f in features if f != target and f not in IDENTIFIER_COLUMNS and table.data[f].notna().any()
    ]
    frame = table.data[[target, *features]]
    label = table.display_name
    target_label = label(target)
    y_all = frame[target]
    signed_target = is_signed(y_all)

    relations: dict[str, list[str]] = {f: [] for f in features}
    strong: set[str] = set()  # leak on their own
    partly: set[str] = set()
    notes: list[str] = []
    r2_one: dict[str, float] = {}
    rank_correlation: dict[str, float] = {}

    for feature in features:
        rows = frame[[target, feature]].dropna()
        y, x = rows[target].to_numpy(), rows[feature].to_numpy()
        rank_correlation[feature] = spearman(x, y)
        r2_one[feature] = binned_r2(y, x, bins=_bins(len(y), 1), seed=seed)
        if abs(rank_correlation[feature]) >= MONOTONE:
            relations[feature].append(f"monotone transform of {target_label}")
            strong.add(feature)
        elif signed_target and abs(spearman(x, np.abs(y))) >= MONOTONE:
            relations[feature].append(f"monotone in |{target_label}|")
            strong.add(feature)
        elif (x < 0).any() and abs(spearman(np.abs(x), y)) >= MONOTONE:
            if np.allclose(np.abs(x), y):
                relations[feature].append(f"{target_label} is its absolute value")
            else:
                relations[feature].append(f"{target_label} is monotone in |{label(feature)}|")
            strong.add(feature)
        if signed_target and (x < 0).mean() > SIGNED_SHARE:
            nonzero = (x != 0) & (y != 0)
            agree = float(np.mean(np.sign(x[nonzero]) == np.sign(y[nonzero]))) if nonzero.any() else 0.5
            if agree >= ROW_SHARE or agree <= 1 - ROW_SHARE:
                same = "the same" if agree >= ROW_SHARE else "the opposite"
                relations[feature].append(
                    f"sign carrier: {same} sign as {target_label} in {max(agree, 1 - agree):.1%} of rows"
                )
                if abs(rank_correlation[feature]) >= 0.5:
                    strong.add(feature)
                    notes.append(
                        f"{label(feature)} has {same} sign as {target_label} in {max(agree, 1 - agree):.1%} "
                        f"of rows and Spearman {rank_correlation[feature]:.3f}: it carries both the sign and the "
                        f"magnitude of {target_label}."
                    )
                else:
                    partly.add(feature)
        if r2_one[feature] >= LEAKS_R2:
            strong.add(feature)
        elif r2_one[feature] >= PARTLY_R2:
            partly.add(feature)

    # Exact products and ratios: target = a x b or a / b.
    for a, b, kind in _exact_identities(frame, target, features):
        symbol = "×" if kind.endswith("product") else "/"
        if kind.startswith("monotone"):
            formula = f"{target_label} is a monotone function of {label(a)} {symbol} {label(b)}"
            relations[a].append(f"with {label(b)}: {formula}")
            relations[b].append(f"with {label(a)}: {formula}")
            notes.append(f"{formula} for every row: together they rebuild it.")
        else:
            formula = f"{target_label} = {label(a)} {symbol} {label(b)}"
            relations[a].append(f"exact: {formula}")
            relations[b].append(f"exact: {formula}")
            notes.append(f"{formula} for every row: with both as features any model is exact.")
        if a not in strong and b not in strong:
            strong.update((a, b))
        partly.update((a, b))

    # Relations among features: monotone in each other (ignoring sign), p-value adjustments.
    linked: dict[str, set[str]] = {f: set() for f in features}
    for a, b in itertools.combinations(features, 2):
        rows = frame[[a, b]].dropna()
        if len(rows) < 20:
            continue
        va, vb = rows[a].to_numpy(), rows[b].to_numpy()
        variants = [
            (abs_a, abs_b)
            for abs_a in (False, True)
            for abs_b in (False, True)
            if (not abs_a or (va < 0).any()) and (not abs_b or (vb < 0).any())
        ]
        found = next(
            (
                v
                for v in variants
                if abs(spearman(np.abs(va) if v[0] else va, np.abs(vb) if v[1] else vb)) >= MONOTONE
            ),
            None,
        )
        if found is not None:
            name_a = f"|{label(a)}|" if found[0] else label(a)
            name_b = f"|{label(b)}|" if found[1] else label(b)
            relations[a].append(f"monotone in {name_b}")
            relations[b].append(f"monotone in {name_a}")
            linked[a].add(b)
            linked[b].add(a)
    if "pvalue" in features and "padj" in features:
        method = describe_adjustment(frame["pvalue"], frame["padj"])
        if method:
            relations["padj"].append(f"{label('pvalue')} adjusted ({method})")
            linked["padj"].add("pvalue")
            linked["pvalue"].add("padj")
            notes.append(f"{label('padj')} is {label('pvalue')} adjusted by {method}: the same information.")

    # Columns of the target's own test, and everything tied to a leaking column, leak partly.
    test_of_target = target in FOLD_CHANGE_TARGETS
    for feature in features:
        if test_of_target and feature in TEST_COLUMNS:
            relations[feature].append(f"computed by the same test as {target_label}")
            partly.add(feature)
    changed = True
    while changed:
        changed = False
        for feature in features:
            if feature not in partly and linked[feature] & (strong | partly):
                partly.add(feature)
                changed = True

    # Sign-free groups: nothing in them tells up from down.
    sign_free = [f for f in features if (f in partly or f in strong) and (frame[f].dropna() >= 0).all()]
    if signed_target and sign_free:
        names = ", ".join(label(f) for f in sign_free)
        notes.append(
            f"{names} {'is' if len(sign_free) == 1 else 'are'} never negative: "
            f"{'it says' if len(sign_free) == 1 else 'they say'} how strongly a gene changed, not in which "
            f"direction, so the sign of {target_label} cannot be learnt from "
            f"{'it' if len(sign_free) == 1 else 'them'}."
        )
        for feature in sign_free:
            relations[feature].append("sign-free")
    groups = _monotone_groups(features, linked)
    for group in groups:
        if len(group) > 1:
            notes.append(
                f"{', '.join(label(f) for f in group)} are monotone in each other: one number per gene "
                "written in several ways."
            )

    audits = []
    for feature in features:
        partner, r2_pair = _best_partner(frame, target, feature, features, seed=seed)
        partner = label(partner) if partner else None
        if any(relation.startswith("exact:") for relation in relations[feature]):
            r2_pair = 1.0
            partner = next(
                label(other)
                for other in features
                if other != feature
                and any(label(other) in r for r in relations[feature] if r.startswith("exact:"))
            )
        r2_pair = max(r2_pair, r2_one[feature]) if np.isfinite(r2_pair) else r2_pair
        verdict = "leaks" if feature in strong else ("partly" if feature in partly else "independent")
        audits.append(
            FeatureAudit(
                feature=feature,
                label=label(feature),
                relations=list(dict.fromkeys(relations[feature])),
                r2_one=r2_one[feature],
                r2_two=r2_pair,
                partner=partner,
                spearman=rank_correlation[feature],
                verdict=verdict,
            )
        )
    report = LeakageReport(target=target, target_label=target_label, features=audits, notes=notes)
    kept = [audit.label for audit in audits if audit.verdict == "independent"]
    if kept:
        report.notes.append(f"Independent of {target_label}: {', '.join(kept)}.")
    else:
        report.notes.append(
            f"No feature is independent of {target_label}: every candidate column is computed from it or "
            "from the same test. Whatever R² a model reaches on this table comes from that arithmetic."
        )
    return report


def _bins(rows: int, dimensions: int) -> int:
    """Bins per feature so that a cell holds about 40 rows on average (capped, at least 3)."""
    cap = BINS_ONE if dimensions == 1 else BINS_TWO
    return int(max(3, min(cap, (rows / 40) ** (1 / dimensions))))


def _monotone_groups(features: list[str], linked: dict[str, set[str]]) -> list[list[str]]:
    seen: set[str] = set()
    groups = []
    for feature in features:
        if feature in seen:
            continue
        group, stack = [], [feature]
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            group.append(current)
            stack.extend(linked[current] - seen)
        groups.append([f for f in features if f in group])
    return groups


def _best_partner(
    frame: pd.DataFrame, target: str, feature: str, features: list[str], *, seed: int
) -> tuple[str | None, float]:
    """The other feature that, with ``feature``, explains most of the target (binned R²)."""
    best, best_r2 = None, float("nan")
    for other in features:
        if other == feature:
            continue
        rows = frame[[target, feature, other]].dropna()
        if len(rows) < 50:
            continue
        r2 = binned_r2(
            rows[target].to_numpy(),
            rows[feature].to_numpy(),
            rows[other].to_numpy(),
            bins=_bins(len(rows), 2),
            seed=seed,
        )
        if best is None or r2 > best_r2:
            best, best_r2 = other, r2
    return best, best_r2
