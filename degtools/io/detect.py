"""Which tool wrote the table, and which unnamed columns hold the IDs and the gene symbols."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from degtools.io.genes import looks_like_symbols
from degtools.io.vocabulary import (
    ANNOTATION_HEADERS,
    ROW_NUMBERS,
    VOCABULARY,
    count_significant_digits,
    is_seurat,
    normalise_header,
)


def detect_tool(
    headers: list[str], data: pd.DataFrame, raw_numbers: list[str]
) -> tuple[str, str | None, str | None, list[str]]:
    """``(tool, stat_kind, mean_scale, notes)`` from the original headers and the values."""
    columns = set(headers)
    notes: list[str] = []
    if is_seurat(columns):
        tool = "Seurat FindAllMarkers" if "cluster" in columns else "Seurat FindMarkers"
        if "avg_logFC" in columns:
            notes.append("avg_logFC is a natural-log fold change (Seurat < 4), not log2")
        return tool, None, None, notes
    if {"baseMean", "log2FoldChange"} <= columns:
        # R prints doubles with 15 significant digits, Python's repr with up to 17.
        digits = max((count_significant_digits(value) for value in raw_numbers), default=0)
        tool = "PyDESeq2" if digits > 15 else "DESeq2"
        if digits > 15:
            notes.append(f"numbers carry up to {digits} significant digits (Python's float format; R writes 15)")
        if "stat" not in columns:
            tool += " (lfcShrink)"
            notes.append("no stat column: shrunken fold changes (lfcShrink), Wald statistic not available; "
                         "log2FoldChange = stat × lfcSE no longer holds (lfcSE is the posterior's)")
            if "svalue" in columns:
                notes.append("svalue: s-values of the shrunken fold changes (apeglm/ashr: the chance that the sign "
                             "is wrong), not p-values")
        else:
            shrunk, rows = count_unshrunk_mismatches(data)
            if shrunk > SHRUNK_ROW_SHARE * rows:
                tool += " (lfcShrink)"
                notes.append(f"log2FoldChange differs from stat × lfcSE in {shrunk:,} of {rows:,} genes: the fold "
                             "changes were shrunk (lfcShrink type normal) while stat and pvalue are the unshrunken "
                             "Wald test's; log2FoldChange = stat × lfcSE no longer holds")
        return tool, ("Wald" if "stat" in columns else None), "linear", notes
    if "logFC" in columns and "PValue" in columns:
        mean_scale = "log2" if "logCPM" in columns else None
        if "unshrunk.logFC" in columns:
            return "edgeR (glmTreat)", None, mean_scale, notes
        if "F" in columns:
            return "edgeR (QL F-test)", "F", mean_scale, notes
        if "LR" in columns:
            return "edgeR (LRT)", "LR", mean_scale, notes
        if "logCPM" in columns:  # topTags of exactTest: logFC, logCPM, PValue, FDR and no statistic
            return "edgeR (exactTest)", None, mean_scale, notes
        notes.append("edgeR columns without logCPM, F or LR: exactTest, glmQLFTest and glmLRT tables all look "
                     "like this once those columns are dropped, so the test is not named")
        return "edgeR (test not identifiable)", None, mean_scale, notes
    if "logFC" in columns and "P.Value" in columns:
        mean_scale = "log2" if "AveExpr" in columns else None
        kind = "t" if "t" in columns else ("F" if "F" in columns else None)
        geo2r_order = headers[:3] == ["ID", "adj.P.Val", "P.Value"]
        if {"Gene.symbol", "Gene.title"} & columns or geo2r_order:
            return "limma (GEO2R)", kind, mean_scale, notes
        if "mean_expr" in data and pd.api.types.is_numeric_dtype(data["mean_expr"]) and data["mean_expr"].min() < 0:
            notes.append("AveExpr has negative values, as voom's log2-CPM does (not microarray intensities)")
            return "limma-voom", kind, mean_scale, notes
        return "limma (topTable)", kind, mean_scale, notes
    return "generic", None, None, notes


#: share of genes whose log2FoldChange is not stat × lfcSE above which a DESeq2 table counts as shrunk.
SHRUNK_ROW_SHARE = 0.5
#: relative difference between log2FoldChange and stat × lfcSE that counts as "not equal" (R writes 15 digits).
WALD_RELATIVE_TOLERANCE = 1e-6


def count_unshrunk_mismatches(data: pd.DataFrame) -> tuple[int, int]:
    """``(genes whose log2FoldChange is not stat × lfcSE, genes compared)`` for a signed Wald ``stat``.

    A DESeq2 LRT's ``stat`` is never negative and not a ratio: such tables compare no gene.
    """
    if not {"logFC", "lfcSE", "stat"} <= set(data.columns):
        return 0, 0
    rows = data[["logFC", "lfcSE", "stat"]].apply(pd.to_numeric, errors="coerce").dropna()
    rows = rows[rows["lfcSE"] > 0]
    if rows.empty or not (rows["stat"] < 0).any():
        return 0, 0
    rebuilt = rows["stat"] * rows["lfcSE"]
    differ = (rebuilt - rows["logFC"]).abs() > WALD_RELATIVE_TOLERANCE * rows["logFC"].abs().clip(lower=1.0)
    return int(differ.sum()), len(rows)


def choose_identifier(data: pd.DataFrame, column_map: dict[str, str], text_columns: list[str]) -> str | None:
    """The most unique unmapped text column, preferring the first or last position."""
    candidates = [name for name in text_columns if column_map[name] not in VOCABULARY
                  and normalise_header(name) not in ANNOTATION_HEADERS]
    best, best_share = None, 0.5
    for name in candidates:
        values = data[column_map[name]].dropna()
        share = values.nunique() / max(len(data), 1)
        if share > best_share or (share == best_share and best is None):
            best, best_share = name, share
    return best


#: a column found by its values is a symbol column only with this share of its values distinct ...
MIN_DISTINCT_SYMBOL_SHARE = 0.5
#: ... and at least this many distinct values: "up"/"down" or "yes"/"no" look like symbols but are calls.
MIN_DISTINCT_SYMBOLS = 10


def varied_like_symbols(values: pd.Series) -> bool:
    """Whether a column has as many distinct values as a symbol column has (one gene per row, mostly)."""
    present = values.dropna().astype(str).str.strip()
    present = present[present.ne("")]
    distinct = present.nunique()
    return distinct >= MIN_DISTINCT_SYMBOLS and distinct >= MIN_DISTINCT_SYMBOL_SHARE * len(present)


def choose_symbols(data: pd.DataFrame, column_map: dict[str, str], text_columns: list[str]) -> str | None:
    """The first unmapped text column whose values look like gene symbols and are as varied as symbols."""
    for name in text_columns:
        canonical = column_map[name]
        if canonical in VOCABULARY or normalise_header(name) in ANNOTATION_HEADERS:
            continue
        if looks_like_symbols(data[canonical]) and varied_like_symbols(data[canonical]):
            return name
    return None


def table_id_header(column_map: Mapping[str, str]) -> str:
    """The original header of the ID column."""
    return next((original for original, canonical in column_map.items() if canonical == "gene_id"), ROW_NUMBERS)
