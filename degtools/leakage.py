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

The relations are measured in :mod:`degtools.identities`; this module turns them into verdicts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from degtools.errors import InputError
from degtools.guard import strength_sentence
from degtools.identities import (
    ADJUSTMENT,
    EXACT_KINDS,
    ROW_SHARE,
    SIGN_CARRIER,
    Label,
    Relation,
    best_partner,
    bin_count,
    binned_r2,
    describe_adjustment,
    exact_identities,
    monotone_pairs,
    pairwise_candidates,
    relations_to_target,
)
from degtools.io import IDENTIFIER_COLUMNS, DETable
from degtools.numeric import is_signed, spearman
from degtools.origins import LEAKS, SAME_TEST, Origin, column_origins, provenance_verdict

#: a sign carrier leaks on its own when its |Spearman| with the target is at least this (it then carries
#: the magnitude too); a weaker one leaks partly.
SIGN_CARRIER_SPEARMAN = 0.5
#: relation kinds the audit adds to the measured ones (:mod:`degtools.identities`).
SIGN_FREE = "sign-free"

#: canonical columns produced by the differential test itself.
TEST_COLUMNS = ("stat", "pvalue", "padj", "B", "abs_stat", "neg_log10_p")

#: the audit's verdicts (the JSON keeps these words): ``leaks`` -- computed from the target, the target
#: from it, or an identity rebuilds the target; ``partly`` -- written by the same test as the target, or
#: one number with a column that leaks; ``independent`` -- neither (measured before the test, or outside
#: evidence). How much a column predicts is information beside the verdict, never the verdict.
VERDICTS = ("leaks", "partly", "independent")
#: how each verdict reads in the report.
VERDICT_WORDS = {"leaks": "leaks", "partly": "same test", "independent": "independent"}


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
    origin: Origin | None = None
    identity_partners: tuple[str, ...] = ()
    relation_kinds: tuple[str, ...] = ()


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
                "where it comes from": audit.origin.source if audit.origin else "",
                "relation to the target or other columns": "; ".join(audit.relations) or "none found",
                "strength": strength_sentence(audit.r2_one),
                "R² alone": audit.r2_one,
                "R² with best partner": audit.r2_two,
                "best partner": audit.partner or "",
                "Spearman with target": audit.spearman,
                "verdict": VERDICT_WORDS[audit.verdict],
            }
            for audit in self.features
        ]
        return pd.DataFrame(rows)




@dataclass
class _Findings:
    """What the audit has found so far: relations per feature, who leaks, who is tied to whom, notes."""

    relations: dict[str, list[Relation]]
    strong: set[str] = field(default_factory=set)  # leak on their own
    partly: set[str] = field(default_factory=set)
    linked: dict[str, set[str]] = field(default_factory=dict)  # monotone in each other, or adjusted
    notes: list[str] = field(default_factory=list)

    def add(self, relation: Relation) -> None:
        """Record a relation of its ``left`` column."""
        self.relations[relation.left].append(relation)

    def link(self, a: str, b: str) -> None:
        """Mark two features as one number written two ways."""
        self.linked[a].add(b)
        self.linked[b].add(a)


def audit_leakage(
    table: DETable, *, target: str, features: list[str] | None = None, seed: int = 0,
    evidence: list[str] | tuple[str, ...] = (),
) -> LeakageReport:
    """Check every candidate feature against the target and against each other.

    The verdict comes from where a column comes from (:mod:`degtools.origins`: which test wrote it,
    what it is computed from) and from the identities measured in the numbers; how much a column
    predicts the target is reported beside it, never used for the verdict.

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
    evidence
        Columns joined from outside the table (gene knowledge, other studies): independent by provenance.
        Their relations to the target are measured; relations among the columns (identities, monotone
        pairs, best partner) are searched among the table's own columns only, so that dozens of outside
        columns cost seconds, not minutes (what they add together is :mod:`degtools.contributions`' question).

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
    signed_target = is_signed(frame[target])
    found = _Findings(relations={f: [] for f in features}, linked={f: set() for f in features})
    origins = column_origins(table, target=target, evidence=evidence, seed=seed)
    _record_provenance(found, origins, target, features)

    r2_one: dict[str, float] = {}
    rank_correlation: dict[str, float] = {}
    for feature in features:
        rows = frame[[target, feature]].dropna()
        y, x = rows[target].to_numpy(), rows[feature].to_numpy()
        rank_correlation[feature] = spearman(x, y)
        r2_one[feature] = binned_r2(y, x, bins=bin_count(len(y), 1), seed=seed)
        measured = relations_to_target(feature, x, y, signed_target=signed_target, label=label, target=target)
        for relation in measured:
            found.add(relation)
            if relation.kind != SIGN_CARRIER:
                found.strong.add(feature)
            elif abs(rank_correlation[feature]) >= SIGN_CARRIER_SPEARMAN:
                found.strong.add(feature)
                same = "the same" if relation.share >= ROW_SHARE else "the opposite"
                found.notes.append(
                    f"{label(feature)} has {same} sign as {target_label} in "
                    f"{max(relation.share, 1 - relation.share):.1%} of rows and Spearman "
                    f"{rank_correlation[feature]:.3f}: it carries both the sign and the magnitude of "
                    f"{target_label}."
                )
            else:
                found.partly.add(feature)

    outside = set(evidence)
    own = pairwise_candidates([feature for feature in features if feature not in outside], r2_alone=r2_one,
                              written_by_test={f for f, origin in origins.items() if origin.test is not None},
                              rank_correlation=rank_correlation)
    if len(own) < len(features) - len(outside):
        found.notes.append(
            f"The pairwise searches (products, ratios, monotone pairs, best partner) covered {len(own)} of the "
            f"table's {len(features) - len(outside)} own columns: those a test wrote, then those most tied to "
            f"{target_label} on their own; the others were audited one by one and by where they come from.")
    _record_identities(found, exact_identities(frame, target, own, label=label), label)
    _record_links(found, frame, own, label)
    _spread_to_the_same_test(found, features)
    _note_sign_free(found, frame, features, signed_target, label, target_label)

    audits = [
        _feature_audit(found, frame, target, feature, own if feature in own else [], label, r2_one[feature],
                       rank_correlation[feature], seed=seed, origin=origins.get(feature))
        for feature in features
    ]
    report = LeakageReport(target=target, target_label=target_label, features=audits, notes=found.notes)
    kept = [audit.label for audit in audits if audit.verdict == "independent"]
    if kept:
        report.notes.append(f"Independent of {target_label}: {', '.join(kept)}.")
    else:
        report.notes.append(
            f"No feature is independent of {target_label}: every candidate column is computed from it or "
            "from the same test. Whatever R² a model reaches on this table comes from that arithmetic."
        )
    return report


def _record_identities(found: _Findings, identities: list[Relation], label: Label) -> None:
    """Record target = a × b (or a / b, or a monotone function of either) for both members.

    Together they rebuild the target: both leak, unless one already leaks on its own, in which
    case the other leaks partly.
    """
    for identity in identities:
        a, b = identity.left, identity.right
        exact = identity.kind in EXACT_KINDS
        for member, other in ((a, b), (b, a)):
            text = f"exact: {identity.text}" if exact else f"with {label(other)}: {identity.text}"
            found.add(Relation(member, other, identity.kind, text))
        if exact:
            found.notes.append(f"{identity.text} for every row: with both as features any model is exact.")
        else:
            found.notes.append(f"{identity.text} for every row: together they rebuild it.")
        if a not in found.strong and b not in found.strong:
            found.strong.update((a, b))
        found.partly.update((a, b))


def _record_links(found: _Findings, frame: pd.DataFrame, features: list[str], label: Label) -> None:
    """Relations among features: monotone in each other (ignoring sign), p-value adjustments."""
    for relation in monotone_pairs(frame, features, label=label):
        found.add(relation)
        found.link(relation.left, relation.right)
    if "pvalue" in features and "padj" in features:
        method = describe_adjustment(frame["pvalue"], frame["padj"])
        if method:
            found.add(Relation("padj", "pvalue", ADJUSTMENT, f"{label('pvalue')} adjusted ({method})"))
            found.link("padj", "pvalue")
            found.notes.append(
                f"{label('padj')} is {label('pvalue')} adjusted by {method}: the same information."
            )


def _record_provenance(found: _Findings, origins: dict[str, Origin], target: str, features: list[str]) -> None:
    """Verdicts by provenance: computed from the target (or it from them) leak; the same test, partly."""
    target_origin = origins.get(target)
    if target_origin is None:
        return
    for feature in features:
        origin = origins.get(feature)
        if origin is None:
            continue
        verdict = provenance_verdict(origin, target_origin=target_origin)
        if verdict == LEAKS:
            found.strong.add(feature)
        elif verdict == SAME_TEST:
            found.partly.add(feature)


def _spread_to_the_same_test(found: _Findings, features: list[str]) -> None:
    """Everything tied to a leaking column (one number written two ways) leaks partly."""
    changed = True
    while changed:
        changed = False
        for feature in features:
            if feature not in found.partly and found.linked[feature] & (found.strong | found.partly):
                found.partly.add(feature)
                changed = True


def _note_sign_free(
    found: _Findings,
    frame: pd.DataFrame,
    features: list[str],
    signed_target: bool,
    label: Label,
    target_label: str,
) -> None:
    """Note leaking columns that are never negative (no direction) and groups of one number written twice."""
    sign_free = [
        f for f in features if (f in found.partly or f in found.strong) and (frame[f].dropna() >= 0).all()
    ]
    if signed_target and sign_free:
        one = len(sign_free) == 1
        found.notes.append(
            f"{', '.join(label(f) for f in sign_free)} {'is' if one else 'are'} never negative: "
            f"{'it says' if one else 'they say'} how strongly a gene changed, not in which "
            f"direction, so the sign of {target_label} cannot be learnt from {'it' if one else 'them'}."
        )
        for feature in sign_free:
            found.add(Relation(feature, None, SIGN_FREE, "sign-free"))
    for group in _monotone_groups(features, found.linked):
        if len(group) > 1:
            found.notes.append(
                f"{', '.join(label(f) for f in group)} are monotone in each other: one number per gene "
                "written in several ways."
            )


def _feature_audit(
    found: _Findings,
    frame: pd.DataFrame,
    target: str,
    feature: str,
    features: list[str],
    label: Label,
    r2_one: float,
    rank_correlation: float,
    *,
    seed: int,
    origin: Origin | None = None,
) -> FeatureAudit:
    """The audit of one feature: its relations, strength alone and with its partner, its verdict.

    The partner is the other member of an exact identity when there is one (R² with it: 1),
    else the feature that explains most of the target together with it (binned R²).
    """
    relations = found.relations[feature]
    exact_partners = {relation.right for relation in relations if relation.kind in EXACT_KINDS}
    if exact_partners:
        partner, r2_pair = next(other for other in features if other in exact_partners), 1.0
    else:
        partner, r2_pair = best_partner(frame, target, feature, features, seed=seed)
    r2_pair = max(r2_pair, r2_one) if np.isfinite(r2_pair) else r2_pair
    if feature in found.strong:
        verdict = "leaks"
    else:
        verdict = "partly" if feature in found.partly else "independent"
    return FeatureAudit(
        feature=feature,
        label=label(feature),
        relations=list(dict.fromkeys(relation.text for relation in relations)),
        r2_one=r2_one,
        r2_two=r2_pair,
        partner=label(partner) if partner else None,
        spearman=rank_correlation,
        verdict=verdict,
        origin=origin,
        identity_partners=tuple(label(other) for other in features if other in exact_partners),
        relation_kinds=tuple(dict.fromkeys(relation.kind for relation in relations)),
    )


def _monotone_groups(features: list[str], linked: dict[str, set[str]]) -> list[list[str]]:
    """Connected groups of features (in ``features`` order) under the ``linked`` relation."""
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
