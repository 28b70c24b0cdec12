"""The target: which column to predict, checked; derived columns (|logFC|, -log10 p, ...) and what they mean.

Sits between reading (:mod:`degtools.io`) and preparing (:mod:`degtools.prepare`): it names the
column the models will predict and refuses one that cannot be predicted.
"""

from __future__ import annotations

import copy
import difflib

import numpy as np
import pandas as pd

from degtools.errors import InputError
from degtools.io.table import DETable
from degtools.io.vocabulary import VOCABULARY
from degtools.numeric import neg_log10_p

#: fewest usable rows for an 80/20 split with k-fold CV to mean anything.
MIN_ROWS = 30


#: target shortcuts accepted besides the column names themselves.
TARGET_ALIASES = {"log2FoldChange": "logFC", "avg_log2FC": "logFC"}


def resolve_target(table: DETable, target: str) -> str:
    """Canonical name of the target column, given a canonical or original column name.

    Raises
    ------
    InputError
        If no numeric column of the table matches (listing the valid choices), or if the
        target has no values, one value only, or too few values for the models.
    """
    numeric = table.numeric_columns
    originals = table.original_names
    found = None
    if target in numeric:
        found = target
    for canonical in numeric:
        if found is None and originals.get(canonical) == target:
            found = canonical
    alias = TARGET_ALIASES.get(target)
    if found is None and alias in numeric:
        found = alias
    if found is None:
        choices = sorted({originals.get(column, column) for column in numeric} | set(numeric))
        raise InputError(f"target {target!r} is not a numeric column of {table.path.name}; "
                         + _target_advice(table, target, choices))
    check_target_values(table, found)
    return found


def _target_advice(table: DETable, target: str, choices: list[str]) -> str:
    """The rest of the unknown-target message: the likely meant column, or the column_map that names it."""
    valid = f"valid targets are {', '.join(choices)}"
    same_case = [choice for choice in choices if choice.lower() == target.lower()]
    close = same_case or difflib.get_close_matches(target, choices, n=1, cutoff=0.8)
    if close:
        return f"did you mean {close[0]!r}? Pass it with -p target {close[0]} ({valid})."
    wanted = TARGET_ALIASES.get(target, next((name for name in VOCABULARY if name.lower() == target.lower()), target))
    if wanted in VOCABULARY and table.unrecognised_numeric(exclude=tuple(DERIVED_COLUMNS)):
        advice = table.column_map_advice("-p column_map", exclude=tuple(DERIVED_COLUMNS))
        return f"no column was recognised as {wanted}: {advice}"
    return f"{valid}. Pass one of them with -p target NAME."


def check_target_values(table: DETable, target: str) -> None:
    """Raise an InputError when ``target`` is all missing, constant or has too few values."""
    label = table.display_name(target)
    values = table.data[target].dropna()
    if values.empty:
        raise InputError(
            f"target {label!r} in {table.path.name} has no values (all {len(table.data):,} missing); "
            "expected numbers to predict: choose another target."
        )
    # too few rows first: one or two rows are "constant" too, but more rows is what would help
    if len(values) < MIN_ROWS:
        raise InputError(
            f"{table.path.name} has too few rows: {len(values)} with a {label} value; the models need at least "
            f"{MIN_ROWS}. Use a table with more genes or another target."
        )
    if values.nunique() < 2:
        raise InputError(
            f"target {label!r} in {table.path.name} is constant ({float(values.iloc[0]):g}); "
            "a constant cannot be predicted. Choose another target."
        )


#: derived columns: canonical name -> (source column, how the display name is built, meaning).
DERIVED_COLUMNS = {
    "abs_logFC": ("logFC", "|{}|", "magnitude of the fold change, whatever its direction"),
    "neg_log10_p": ("pvalue", "-log10({})", "-log10 of the raw p-value: larger means more significant"),
    "abs_stat": ("stat", "|{}|", "magnitude of the test statistic"),
    "log_mean_expr": ("mean_expr", "log2({} + 1)", "log2 of the mean expression (counts scale)"),
}


def add_derived_columns(table: DETable) -> DETable:
    """A copy of ``table`` with the derived columns its columns allow.

    ``abs_logFC`` (|logFC|), ``neg_log10_p`` (-log10 P), ``abs_stat`` (|t| or |Wald|; only
    for a signed statistic) and ``log_mean_expr`` (log2(mean + 1); only when the mean is on
    the counts scale, e.g. DESeq2's baseMean). Display names are built from the user's
    headers, e.g. ``-log10(P.Value)``. Idempotent.
    """
    data = table.data.copy()
    column_map = dict(table.column_map)
    for name, (source, display, _) in DERIVED_COLUMNS.items():
        if (
            name in data.columns
            or source not in data.columns
            or not pd.api.types.is_numeric_dtype(data[source])
        ):
            continue
        values = data[source]
        if name == "abs_logFC":
            derived = values.abs()
        elif name == "neg_log10_p":
            derived = neg_log10_p(values)
        elif name == "abs_stat":
            if not (values < 0).any():
                continue
            derived = values.abs()
        else:
            if table.mean_scale != "linear" or (values < 0).any():
                continue
            derived = np.log2(values + 1)
        data[name] = derived
        column_map[display.format(table.display_name(source))] = name
    derived_table = copy.copy(table)
    derived_table.data = data
    derived_table.column_map = column_map
    return derived_table


#: what a target means and what a high R² would mean, by canonical target.
_TARGET_MEANINGS = {
    "logFC": (
        "{label} is the log2 fold change: how much, and in which direction, each gene's expression "
        "differs between the two groups.",
        "A high R² would mean the other columns determine each gene's change; on a DE table that is "
        "usually arithmetic (t = logFC / SE), not biology, which is why the leakage audit comes first.",
    ),
    "abs_logFC": (
        "{label} is the size of the fold change, ignoring its direction.",
        "A high R² from independent features (e.g. mean expression) would mean the size of a change is "
        "predictable from how a gene is measured; from p-values or |t| it only restates the test.",
    ),
    "neg_log10_p": (
        "{label} is the significance of each gene's change: larger values mean stronger evidence.",
        "A high R² would mean significance follows from the other columns; with the fold change and its "
        "standard error as features it is guaranteed, since the test is computed from them.",
    ),
    "B": (
        "{label} is limma's log-odds that the gene is differentially expressed.",
        "B is a monotone function of |t|, so a high R² with t or the p-value as features is expected and "
        "says "
        "nothing new; a high R² from independent columns would be a real finding.",
    ),
    "stat": (
        "{label} is the test statistic: the fold change divided by its standard error.",
        "A high R² would mean the statistic can be rebuilt from the other columns, as it must when the fold "
        "change and its standard error are both present.",
    ),
    "pvalue": (
        "{label} is the raw p-value of each gene's test.",
        "The p-value is a monotone function of the test statistic, so a high R² with that statistic as a "
        "feature is arithmetic, not a finding.",
    ),
    "padj": (
        "{label} is the multiple-testing adjusted p-value.",
        "It is computed from the raw p-values, so a high R² with them as features is expected.",
    ),
    "mean_expr": (
        "{label} is the average expression of each gene.",
        "A high R² would mean a gene's abundance can be read from its test results, e.g. because "
        "low-expressed genes have larger standard errors.",
    ),
}


def explain_target(table: DETable, target: str) -> str:
    """Two sentences: what the target means, and what a high R² for it would mean."""
    label = table.display_name(target)
    meaning, high = _TARGET_MEANINGS.get(
        target,
        (
            "{label} is a numeric column of the table.",
            "A high R² would mean it is determined by the other columns; check the leakage audit to see "
            "whether "
            "that is arithmetic or a finding.",
        ),
    )
    return f"{meaning.format(label=label)} {high}"
