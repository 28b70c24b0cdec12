"""Where each column of a DE table comes from, and what that means for a target.

The audit's question is provenance, not strength: was this column computed from the target (or
the target from it), or written by the same test that produced the target? A column that merely
predicts the target (baseMean for a fold change) is still measured before the test; columns that
rebuild the target (per-sample values, other contrasts of the same fit) are not independent however
weak each one is alone. :func:`column_origins` gives every column an :class:`Origin` from a
per-tool catalogue (what limma, DESeq2, edgeR and Seurat write, after their documentation) and
from measured identities (:mod:`degtools.rebuild`); :func:`provenance_verdict` turns two origins
into ``leaks``, ``same test`` or ``independent``.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from degtools import rebuild
from degtools.io import IDENTIFIER_COLUMNS, DETable
from degtools.numeric import spearman
from degtools.sample_columns import group_mean_name, group_means, is_count_column, sample_groups
from degtools.tool_columns import (
    CATALOGUE,
    DERIVED,
    EVIDENCE,
    GENERIC,
    IDENTIFIER,
    MEASURED_BEFORE,
    OTHER,
    TEST_OUTPUT,
    VALUES,
    identify_test,
)

LEAKS = "leaks"
SAME_TEST = "same test"
INDEPENDENT = "independent"
VERDICTS = (LEAKS, SAME_TEST, INDEPENDENT)


@dataclass(frozen=True)
class Origin:
    """Where one column comes from, and how it stands to the target.

    Attributes
    ----------
    column, label
        Canonical name and the user's header.
    kind
        One of :data:`KINDS`.
    source
        One plain sentence: who wrote the column and from what.
    test
        The test (or model fit) that wrote or used it; None for columns measured before or outside it.
    computed_from
        Canonical names of the table's columns it is computed from in one step.
    measured
        Sentences of the identities measured in the numbers (see :mod:`degtools.rebuild`).
    from_target
        Computed from the target, or the target from it (filled for a given target).
    same_test
        Written by the test that produced the target (filled for a given target).
    """

    column: str
    label: str
    kind: str
    source: str
    test: str | None = None
    computed_from: tuple[str, ...] = ()
    measured: tuple[str, ...] = ()
    from_target: bool = False
    same_test: bool = False

    def entry(self, verdict: str | None = None) -> dict:
        """The JSON entry (user's header, kind, source, measured identities, verdict if given)."""
        entry = {"column": self.label, "kind": self.kind, "source": self.source,
                 "computed_from": list(self.computed_from), "measured": list(self.measured)}
        return entry if verdict is None else {**entry, "verdict": verdict}


# ----------------------------------------------------------------------------------------------
# Columns the catalogue does not name: values, contrasts, ratios, text calls
# ----------------------------------------------------------------------------------------------

_CONTRAST = re.compile(r"^(?P<contrast>.+?)[._ ](?P<stat>[A-Za-z.]+)$")
_STAT_NAMES = {"logfc": "logFC", "log2fc": "logFC", "fc": "FC", "foldchange": "FC", "tstat": "stat",
               "t": "stat", "stat": "stat", "pval": "pvalue", "pvalue": "pvalue", "adjpval": "padj",
               "padj": "padj", "fdr": "padj", "b": "B"}
#: what each statistic of a contrast is computed from, among the same contrast's columns.
_CONTRAST_INPUTS = {"FC": ("logFC",), "stat": ("logFC",), "pvalue": ("stat",), "padj": ("pvalue",),
                    "B": ("stat",)}
_RATIO_NAMES = {"fc", "foldchange", "ratio", "linearfc", "fold"}
#: canonical columns a monotone unknown column is compared with, in this order.
_ANCHORS = ("logFC", "stat", "pvalue", "padj", "mean_expr")


def _normalise(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def _contrast_of(label: str) -> tuple[str, str] | None:
    match = _CONTRAST.match(label)
    if match and _normalise(match.group("stat")) in _STAT_NAMES:
        return match.group("contrast"), _STAT_NAMES[_normalise(match.group("stat"))]
    return None


def _contrast_columns(labels: dict[str, str]) -> dict[str, tuple[str, str]]:
    """Column -> (contrast, statistic) for ``<contrast>_<statistic>`` headers of two or more contrasts.

    A contrast counts when it has a fold-change column (``B-A_logFC``); ``labels`` holds every
    numeric column, the canonical ones too (their header names the contrast they were mapped from).
    """
    found = {column: parsed for column, label in labels.items() if (parsed := _contrast_of(label))}
    with_fold = {contrast for contrast, stat in found.values() if stat == "logFC"}
    found = {column: parsed for column, parsed in found.items() if parsed[0] in with_fold}
    return found if len(with_fold) >= 2 else {}


def _value_columns_by_header(columns: list[str]) -> list[str]:
    """Per-sample columns (A1..C3, ``*_count``) and group means (``mean_<group>``) named as such."""
    named = {c for group in sample_groups(columns).values() for c in group}
    named |= {c for group in group_means(columns).values() for c in group}
    counts = [c for c in columns if is_count_column(c)]
    named |= set(counts) if len(counts) >= 2 else set()
    return [c for c in columns if c in named]


def _text_call(values: pd.Series, data: pd.DataFrame) -> tuple[str, tuple[str, ...]] | None:
    """(source, inputs) of a two-label text column that is the sign of logFC or a threshold call."""
    labels = values.dropna().astype(str)
    if labels.nunique() != 2 or "logFC" not in data:
        return None
    first = (labels == sorted(labels.unique())[0]).to_numpy()
    fold = data.loc[labels.index, "logFC"].to_numpy()
    moved = np.isfinite(fold) & (fold != 0)
    up = fold[moved] > 0
    if moved.any() and ((first[moved] == up).all() or (first[moved] == ~up).all()):
        names = " / ".join(sorted(labels.unique()))
        return f"the sign of the fold change written as text ({names})", ("logFC",)
    for columns in (("padj",), ("logFC",), ("padj", "logFC")):
        if not set(columns) <= set(data):
            continue
        rows = data.loc[labels.index]
        scores = np.column_stack([-rows[c] if c == "padj" else rows[c].abs() for c in columns])
        known = np.isfinite(scores).all(axis=1)
        for called in (first & known, ~first & known):
            if not called.any() or called.sum() == known.sum():
                continue
            passes = (scores >= scores[called].min(axis=0)).all(axis=1) & known
            if (passes == called).all():
                names = " and ".join("|logFC|" if c == "logFC" else "padj" for c in columns)
                return f"a call made from thresholds on {names}", columns
    return None


def _measured_origin(column: str, label: str, data: pd.DataFrame, test: str) -> tuple | None:
    """(kind, source, inputs, test) of an unknown column that is a monotone transform of a known one."""
    for anchor in _ANCHORS:
        if anchor not in data:
            continue
        rows = data[[column, anchor]].dropna()
        if len(rows) < rebuild.MIN_ROWS:
            continue
        x, y = rows[column].to_numpy(), rows[anchor].to_numpy()
        rho = max(abs(spearman(x, y)), abs(spearman(np.abs(x), np.abs(y))))
        if not rho >= rebuild.MONOTONE:
            continue
        if anchor == "logFC" and _normalise(label) in _RATIO_NAMES:
            source = f"the fold change as a ratio (2^logFC), made from logFC by {test}'s pipeline"
            return TEST_OUTPUT, source, (anchor,), test
        before = anchor == "mean_expr"
        source = f"a monotone transform of {anchor} (Spearman {rho:.4f})"
        return (MEASURED_BEFORE if before else TEST_OUTPUT), source, (anchor,), (None if before else test)
    return None


# ----------------------------------------------------------------------------------------------
# The origins of one table, and the verdicts
# ----------------------------------------------------------------------------------------------


def provenance_verdict(origin: Origin, *, target_origin: Origin) -> str:
    """``leaks``, ``same test`` or ``independent``: how a column stands to the target, by provenance.

    ``leaks``: the column is computed from the target or the target from it, in one step (stat
    from logFC, padj from pvalue, logFC from per-sample values or from two other contrasts).
    ``same test``: written by the test (or model fit) that produced the target. ``independent``:
    measured before the test (baseMean, AveExpr, logCPM), outside evidence, or a column nothing
    ties to the target (strength is then the guard's business, see :mod:`degtools.guard`).
    """
    if origin.kind == EVIDENCE:
        return INDEPENDENT
    if origin.column == target_origin.column or target_origin.column in origin.computed_from \
            or origin.column in target_origin.computed_from:
        return LEAKS
    if origin.test is not None and origin.test == target_origin.test:
        return SAME_TEST
    return INDEPENDENT


def column_origins(table: DETable, *, target: str, evidence: Collection[str] = (),
                   seed: int = 0) -> dict[str, Origin]:
    """Canonical column -> :class:`Origin` for every column of ``table``, relative to ``target``.

    Parameters
    ----------
    table
        The table as read (canonical names; non-canonical columns keep their header).
    target
        Canonical name of the target column (``from_target`` and ``same_test`` are filled for it).
    evidence
        Columns joined from outside the table (another study, gene-level knowledge).
    seed
        Seed of the cross-validation folds of the measured identities.
    """
    data = table.data
    families, test = identify_test(table)
    labels = {column: str(table.display_name(column)) for column in data.columns}
    catalogue = dict(GENERIC)
    for family in families:
        catalogue.update(CATALOGUE[family])
    numeric = set(table.numeric_columns)
    parsed = _contrast_columns({c: labels[c] for c in table.numeric_columns})
    own = parsed.get("logFC", (None, None))[0]
    contrasts = {column: found for column, found in parsed.items() if column not in catalogue}
    specs: dict[str, tuple] = {}
    aliases = {column: source for column, source in DERIVED.items() if column in data}  # same number
    for column in data.columns:
        text = column in IDENTIFIER_COLUMNS or column not in numeric
        call = _text_call(data[column], data) if text and column not in evidence else None
        if column in evidence:
            specs[column] = (EVIDENCE, "outside evidence joined to the table (not written by its test)",
                             (), None)
        elif call is not None:  # e.g. up/down taken for gene symbols by the reader
            specs[column] = (OTHER, f"{call[0]}, made by {test}'s pipeline", call[1], test)
        elif text:
            specs[column] = (IDENTIFIER, "identifies the row (not a measurement)", (), None) \
                if column in IDENTIFIER_COLUMNS else (OTHER, "text column (not a measurement)", (), None)
        elif column in catalogue:
            kind, source, inputs = catalogue[column]
            owner = None if kind == MEASURED_BEFORE else test
            specs[column] = (kind, source.format(test=test), inputs, owner)
        elif column in contrasts:
            contrast, stat = contrasts[column]
            wanted = _CONTRAST_INPUTS.get(stat, ())
            inputs = wanted if contrast == own else tuple(
                other for other, (c, s) in contrasts.items() if c == contrast and s in wanted)
            specs[column] = (TEST_OUTPUT, f"written by {test} for contrast {contrast} of the same model fit",
                             inputs, test)
            if stat == "FC" and inputs:
                aliases[column] = inputs[0]
    measured: dict[str, list[str]] = {}
    loose = [c for c in data.columns if c in numeric and c not in specs]
    named = _value_columns_by_header(loose)
    for column in loose:
        if column not in named and (found := _measured_origin(column, labels[column], data, test)):
            specs[column] = found
            aliases[column] = found[2][0]
    values = _find_values(data, [c for c in loose if c not in specs], named, labels, measured, seed=seed)
    for column, how in values.items():
        specs[column] = (VALUES, f"per-sample or per-group values ({how}): {test} was run on them, "
                                 "the fold change is computed from these", (), None)
    for column in loose:
        specs.setdefault(column, (OTHER, f"not a column {test} writes: nothing measured ties it to the test",
                                  (), None))
    values = list(values)
    _add_value_inputs(specs, values)
    _measure_identities(data, specs, measured, target, contrasts, labels, seed=seed)
    _merge_aliases(specs, aliases)
    origins = {}
    for column, (kind, source, inputs, owner) in specs.items():
        inputs = tuple(c for c in dict.fromkeys(inputs) if c in data and c != column)
        origins[column] = Origin(column=column, label=labels[column], kind=kind, source=source, test=owner,
                                 computed_from=inputs, measured=tuple(measured.get(column, ())))
    if target not in origins:
        return origins
    target_origin = origins[target]
    return {column: replace(origin, **_relation(origin, target_origin)) for column, origin in origins.items()}


def origin_verdicts(origins: dict[str, Origin], *, target: str) -> dict[str, str]:
    """Column -> verdict against ``target`` (the target itself left out)."""
    return {column: provenance_verdict(origin, target_origin=origins[target])
            for column, origin in origins.items() if column != target}


def _relation(origin: Origin, target_origin: Origin) -> dict[str, bool]:
    verdict = provenance_verdict(origin, target_origin=target_origin)
    return {"from_target": verdict == LEAKS and origin.column != target_origin.column,
            "same_test": verdict == SAME_TEST}


def _find_values(data: pd.DataFrame, unknown: list[str], named: list[str], labels: dict[str, str],
                 measured: dict[str, list[str]], *, seed: int) -> dict[str, str]:
    """Value columns -> how they were found: named so in their headers, or rebuilding logFC when measured.

    The measurement runs on the columns named as values, or else on every column still unknown.
    """
    values = dict.fromkeys(named, "named so in the header")
    candidates = named or unknown
    if "logFC" not in data or len(candidates) < 2:
        return values
    found = rebuild.fold_change_from_values(data["logFC"].rename(labels["logFC"]),
                                            data[candidates].rename(columns=labels), seed=seed)
    if found is None:
        return values
    measured.setdefault("logFC", []).append(found.text)
    back = {labels[c]: c for c in candidates}
    for name in found.right:
        how = values.get(back[name])
        values[back[name]] = f"{how}; measured: they rebuild the fold change" if how else \
            "measured: they rebuild the fold change"
    return values


def _add_value_inputs(specs: dict[str, tuple], values: list[str]) -> None:
    """The test ran on the value columns: its outputs, the mean expression and group means come from them."""
    samples = [c for c in values if group_mean_name(c) is None]
    for column, (kind, source, inputs, owner) in list(specs.items()):
        if kind in (TEST_OUTPUT, MEASURED_BEFORE):
            specs[column] = (kind, source, (*inputs, *values), owner)
        elif kind == VALUES and column in values and column not in samples:
            specs[column] = (kind, source, (*inputs, *samples), owner)


def _merge_aliases(specs: dict[str, tuple], aliases: dict[str, str]) -> None:
    """Monotone transforms (|logFC|, -log10 p, FC = 2^logFC) stand to every column as their source does."""
    for alias, source in aliases.items():
        kind, text, inputs, owner = specs[alias]
        specs[alias] = (kind, text, (*inputs, source, *specs[source][2]), owner)
    for column, (kind, text, inputs, owner) in list(specs.items()):
        extra = [alias for alias, source in aliases.items() if source in inputs and alias != column]
        specs[column] = (kind, text, (*inputs, *extra), owner)


def _measure_identities(data: pd.DataFrame, specs: dict[str, tuple], measured: dict[str, list[str]],
                        target: str, contrasts: dict[str, tuple[str, str]], labels: dict[str, str], *,
                        seed: int) -> None:
    """Contrast identities and p-value adjustments measured in the numbers, added to the origins."""
    folds = [c for c, (_, stat) in contrasts.items() if stat == "logFC"]
    folds += ["logFC"] if "logFC" in data else []
    if target in folds and len(folds) >= 3:
        others = [c for c in folds if c != target]
        found = rebuild.contrast_identity(data[target].rename(labels[target]),
                                          data[others].rename(columns=labels), seed=seed)
        if found is not None:
            back = {labels[c]: c for c in others}
            kind, source, inputs, owner = specs[target]
            specs[target] = (kind, source, (*inputs, *(back[name] for name in found.right)), owner)
            measured.setdefault(target, []).append(found.text)
    if {"pvalue", "padj"} <= set(data):
        found = rebuild.adjusted_from_filtered(data["pvalue"].rename(labels["pvalue"]),
                                               data["padj"].rename(labels["padj"]))
        if found is not None:
            measured.setdefault("padj", []).append(found.text)
