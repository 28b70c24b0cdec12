"""DE files with several contrasts: find the contrasts, pick one as the target, the others as features.

The shapes handled: a limma ``topTable`` of several coefficients with ``logFC.<coef>`` (or
``<coef>.logFC``) columns and an ``F`` column; limma ``write.fit`` (``Coef.<c>``, ``t.<c>``,
``p.value.<c>``, ``p.value.adj.<c>``); a time course with one fold-change column per time point
(``logFC_2h, logFC_6h``); DESeq2 results of several contrasts side by side (``log2FoldChange_<c>``,
``padj_<c>`` or ``<c>_log2FoldChange``); and the MOSuite/NIDAP shape (``B-A_logFC``, ``B-A_tstat``,
``B-A_pval``, ``B-A_adjpval``, ``B-A_FC`` = signed linear fold change).
:func:`split_contrasts` turns such a file into one single-contrast table the reader recognises plus
the other contrasts' fold change and statistic as features. Contrasts of one linear model can be
arithmetic of each other (B-C = B-A - C-A): the split says so when the target is.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from degtools.errors import InputError

#: statistic kind -> header spellings (lower case, letters and digits only) that name it.
KIND_SPELLINGS: dict[str, tuple[str, ...]] = {
    "logFC": ("logfc", "log2foldchange", "log2fc", "lfc", "coef", "avglog2fc"),
    "stat": ("t", "tstat", "stat", "waldstat", "tvalue"),
    "pvalue": ("pvalue", "pval", "rawp", "pvalues"),
    "padj": ("adjpval", "adjpvalue", "padj", "fdr", "qvalue", "qval", "pvalueadj", "pvaladj", "adjp"),
    "lfcSE": ("lfcse", "se", "logfcse"),
    "fold_change": ("fc", "foldchange", "linearfc"),
}

#: the single-contrast headers the target contrast's columns get (the reader's limma vocabulary).
TARGET_HEADERS = {"logFC": "logFC", "stat": "t", "pvalue": "P.Value", "padj": "adj.P.Val", "lfcSE": "lfcSE"}

#: normalised headers of statistics computed over all contrasts at once (limma's F test): they are
#: functions of the target contrast too, so they are left out of the split table.
OMNIBUS_HEADERS = ("f", "fpvalue", "fstat", "fadjpvalue", "b", "lods")

#: a target whose logFC other contrasts' logFC explain with at least this R² is noted as arithmetic of them.
ARITHMETIC_R2 = 0.999

#: words that qualify a statistic rather than name a contrast (``avg_log2FC``, ``unshrunk.logFC``,
#: ``p_val_adj``).
QUALIFIERS = ("avg", "adj", "unshrunk", "shrunk", "raw", "mean", "abs", "log", "max", "min")

_SEPARATORS = "._ "


def _normalise(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


_KIND_OF = {spelling: kind for kind, spellings in KIND_SPELLINGS.items() for spelling in spellings}


@dataclass
class Contrast:
    """One contrast of a multi-contrast DE file: its name and the original headers of its columns."""

    name: str
    logFC: str | None = None
    stat: str | None = None
    pvalue: str | None = None
    padj: str | None = None
    lfcSE: str | None = None
    fold_change: str | None = None

    @property
    def columns(self) -> dict[str, str]:
        """Kind -> original header, for the kinds this contrast has."""
        kinds = ("logFC", "stat", "pvalue", "padj", "lfcSE", "fold_change")
        return {kind: getattr(self, kind) for kind in kinds if getattr(self, kind) is not None}

    def record(self) -> dict[str, str]:
        """Name and column headers."""
        return {"name": self.name, **self.columns}


def parse_header(header: str) -> tuple[str, str] | None:
    """``(kind, contrast)`` of a per-contrast header, e.g. ``"B-A_logFC"`` -> ``("logFC", "B-A")``.

    The kind may come first or last, split from the contrast name by ``.``, ``_`` or a space; of
    several readings the one with the longest kind wins (``p.value.adj.x`` is padj of ``x``).
    A header that is a kind alone (``logFC``, ``P.Value``) has no contrast: None.
    """
    if _normalise(header) in _KIND_OF:
        return None  # a statistic over the whole table (adj.P.Val, P.Value): no contrast
    best: tuple[int, str, str] | None = None
    for position, character in enumerate(header):
        if character not in _SEPARATORS or position in (0, len(header) - 1):
            continue
        for kind_text, contrast in ((header[:position], header[position + 1:]),
                                    (header[position + 1:], header[:position])):
            kind = _KIND_OF.get(_normalise(kind_text))
            if kind is None or _normalise(contrast) in ("", *QUALIFIERS):
                continue
            if best is None or len(kind_text) > best[0]:
                best = (len(kind_text), kind, contrast.strip(_SEPARATORS))
    return None if best is None else (best[1], best[2])


def detect_contrasts(columns: list[str]) -> list[Contrast]:
    """The contrasts named in a DE file's headers, in the order they first appear.

    A contrast counts when it has a fold change (log or linear), or a statistic and another column;
    a kind seen twice for one contrast keeps its first column. An empty list means a file without
    per-contrast headers.
    """
    found: dict[str, Contrast] = {}
    for header in columns:
        parsed = parse_header(str(header))
        if parsed is None:
            continue
        kind, name = parsed
        contrast = found.setdefault(name, Contrast(name))
        if getattr(contrast, kind) is None:
            setattr(contrast, kind, str(header))
    return [contrast for contrast in found.values()
            if contrast.logFC is not None or contrast.fold_change is not None
            or (contrast.stat is not None and len(contrast.columns) >= 2)]


def log2_fold_change(fold_change: pd.Series) -> pd.Series:
    """log2 of a signed linear fold change (``-4`` means a fourth: log2 = -2)."""
    values = pd.to_numeric(fold_change, errors="coerce").astype(float)
    magnitude = values.abs().where(values.abs() > 0)
    return np.sign(values) * np.log2(magnitude)


def _fold_change_of(frame: pd.DataFrame, contrast: Contrast) -> pd.Series | None:
    if contrast.logFC is not None:
        return pd.to_numeric(frame[contrast.logFC], errors="coerce").astype(float)
    if contrast.fold_change is not None:
        return log2_fold_change(frame[contrast.fold_change])
    return None


def find_contrast(contrasts: list[Contrast], name: str) -> Contrast:
    """The contrast called ``name``.

    Raises
    ------
    InputError
        If none is, listing the contrasts found and the closest names.
    """
    names = [contrast.name for contrast in contrasts]
    if not names:
        raise InputError(
            f"contrast {name!r} was asked for but the table has no per-contrast columns; expected headers "
            "such as 'B-A_logFC' or 'logFC.treated': drop the contrast parameter for a single-contrast table."
        )
    for contrast in contrasts:
        if contrast.name == name:
            return contrast
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.4)
    hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
    raise InputError(
        f"contrast {name!r} is not in the table; found contrasts {', '.join(map(repr, names))}.{hint} "
        "Pass one of them with -p contrast NAME."
    )


def _arithmetic_note(target: pd.Series | None, others: pd.DataFrame, name: str) -> str | None:
    """A note when the target's logFC is (almost) a linear combination of the other contrasts' logFC."""
    fold_changes = others[[column for column in others.columns if column.endswith(": logFC")]]
    if target is None or fold_changes.empty:
        return None
    rows = target.notna() & fold_changes.notna().all(axis=1)
    if rows.sum() <= fold_changes.shape[1] + 2 or target[rows].var() == 0:
        return None
    design = np.column_stack([np.ones(int(rows.sum())), fold_changes[rows].to_numpy()])
    coefficients, *_ = np.linalg.lstsq(design, target[rows].to_numpy(), rcond=None)
    residual = target[rows].to_numpy() - design @ coefficients
    r2 = 1 - residual.var() / target[rows].var(ddof=0)
    if r2 < ARITHMETIC_R2:
        return None
    return (f"contrast {name!r} is arithmetic of the other contrasts (their logFC explain its logFC with "
            f"R² = {r2:.4f}): as features they give the answer away; leave them out to ask a real question.")


def split_contrasts(
    frame: pd.DataFrame, contrasts: list[Contrast], *, target_contrast: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One contrast as a single-contrast table, the other contrasts as features.

    Parameters
    ----------
    frame
        The multi-contrast table as read (original headers).
    contrasts
        Its contrasts (:func:`detect_contrasts`).
    target_contrast
        Name of the contrast to analyse.

    Returns
    -------
    (DataFrame, DataFrame)
        The target contrast's columns under headers the reader recognises (``logFC``, ``t``,
        ``P.Value``, ``adj.P.Val``, ``lfcSE``; a logFC derived from a linear fold change when the
        file has only that) plus the shared columns (IDs, AveExpr, per-sample columns), without
        omnibus statistics (F and its p-values); and, on the same rows, ``<contrast>: logFC`` and
        ``<contrast>: t`` of every other contrast. ``attrs["notes"]`` of the first says what was
        left out and whether the target is arithmetic of the others.

    Raises
    ------
    InputError
        If ``target_contrast`` is not one of ``contrasts``.
    """
    target = find_contrast(contrasts, target_contrast)
    claimed = {header for contrast in contrasts for header in contrast.columns.values()}
    shared = [column for column in frame.columns if column not in claimed]
    omnibus = [column for column in shared
               if _normalise(str(column)) in OMNIBUS_HEADERS or _normalise(str(column)) in _KIND_OF]
    table = frame[[column for column in shared if column not in omnibus]].copy()
    notes = []
    for kind, header in target.columns.items():
        if kind in TARGET_HEADERS:
            table[TARGET_HEADERS[kind]] = frame[header]
    target_logfc = _fold_change_of(frame, target)
    if target.logFC is None and target_logfc is not None:
        table["logFC"] = target_logfc
        notes.append(f"logFC of {target.name!r} = sign x log2 |{target.fold_change}| (the file has a linear "
                     "fold change only)")
    if omnibus:
        notes.append("left out, as statistics over all contrasts (they contain the target's): "
                     + ", ".join(omnibus))
    others = pd.DataFrame(index=frame.index)
    for contrast in contrasts:
        if contrast is target:
            continue
        fold_change = _fold_change_of(frame, contrast)
        if fold_change is not None:
            others[f"{contrast.name}: logFC"] = fold_change
        if contrast.stat is not None:
            others[f"{contrast.name}: t"] = pd.to_numeric(frame[contrast.stat], errors="coerce").astype(float)
    arithmetic = _arithmetic_note(target_logfc, others, target.name)
    if arithmetic:
        notes.append(arithmetic)
    table.attrs["notes"] = notes
    table.attrs["contrast"] = target.record()
    return table, others


#: the canonical name of each single-contrast header :func:`split_contrasts` gives the target's columns.
_TARGET_CANONICAL = {"logFC": "logFC", "t": "stat", "P.Value": "pvalue", "adj.P.Val": "padj", "lfcSE": "lfcSE"}


def contrast_label(contrast: str, statistic: str) -> str:
    """How a contrast's column is named in the report: ``<contrast>_<statistic>`` (``B-A_logFC``)."""
    return f"{contrast}_{statistic}"


def pick_contrast(file_name: str, cells: pd.DataFrame, contrast: str) -> tuple[pd.DataFrame, dict[str, str],
                                                                              list[str]]:
    """The reader's step for files with several contrasts: keep the target contrast, the others as features.

    Parameters
    ----------
    file_name
        For messages.
    cells
        The file's cells as text, with its headers.
    contrast
        The ``contrast`` parameter (empty: none asked for).

    Returns
    -------
    (DataFrame, dict, list)
        The cells to read (the target's columns under single-contrast headers, the shared columns and
        ``<other>_logFC`` / ``<other>_t`` of every other contrast, as text), the names under which the
        target's columns should be shown (single-contrast header -> ``<target>_<header>``), and notes.
        A file without several contrasts and no ``contrast`` asked for comes back unchanged.

    Raises
    ------
    InputError
        If the file holds several contrasts and none is named, or the one named is not in it.
    """
    contrasts = detect_contrasts([str(column) for column in cells.columns])
    if len(contrasts) < 2 and not contrast:
        return cells, {}, []
    if not contrast:
        names = ", ".join(repr(found.name) for found in contrasts)
        raise InputError(f"{file_name} holds {len(contrasts)} contrasts ({names}); expected one to analyse: pass "
                         f"-p contrast NAME (degtools inspect: --contrast NAME), e.g. {contrasts[0].name!r}; the others become "
                         "features.")
    table, others = split_contrasts(cells, contrasts, target_contrast=contrast)
    target = find_contrast(contrasts, contrast)
    renamed = {column: contrast_label(*column.split(": ", 1)) for column in others.columns}
    others = others.rename(columns=renamed)
    for column in [*table.columns, *others.columns]:
        source = table if column in table.columns else others
        if pd.api.types.is_float_dtype(source[column]):  # derived numbers, written back exactly
            source[column] = source[column].map(lambda value: "NA" if pd.isna(value) else repr(float(value)))
    shown = {header: contrast_label(target.name, header) for header in _TARGET_CANONICAL if header in table}
    notes = [f"contrast {target.name!r} of {len(contrasts)} ({', '.join(found.name for found in contrasts)}); "
             f"the others' fold change and statistic are features: {', '.join(others.columns) or 'none'}",
             *table.attrs.get("notes", [])]
    return pd.concat([table, others], axis=1), shown, notes


def label_target_contrast(table, shown: dict[str, str], notes: list[str]) -> None:
    """Show the target contrast's columns as ``<contrast>_<header>`` (``B-C_logFC``) and add the split's notes.

    ``table`` is the :class:`~degtools.io.DETable` read from :func:`pick_contrast`'s cells; its
    column map and missing-value counts are renamed in place, so that the report (and the audit,
    which reads a column's contrast from its name) see which contrast each column belongs to.
    """
    table.column_map = {shown.get(header, header): canonical for header, canonical in table.column_map.items()}
    table.na_counts = {shown.get(header, header): count for header, count in table.na_counts.items()}
    table.notes.extend(notes)
