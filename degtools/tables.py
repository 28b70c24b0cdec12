"""Read a differential-expression table and give its columns canonical names.

The reader recognises the tables written by limma/GEO2R, DESeq2 (R and PyDESeq2) and edgeR,
maps each known header to a canonical name (``logFC``, ``mean_expr``, ``stat``, ``lfcSE``,
``pvalue``, ``padj``, ``B``, ``gene_id``, ``symbol``, ``title``) and keeps a record of what it
saw, so that the report can name every column as the user's own table does.
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from degtools.errors import InputError

DEMO_TABLE = "GSE15852.top.table.tsv"

#: canonical name -> headers that mean it, in order of preference.
VOCABULARY: dict[str, tuple[str, ...]] = {
    "gene_id": ("ID", "ensgene", "gene_id", "GeneID", "gene", "Gene", "ensembl_gene_id", "Unnamed: 0"),
    "symbol": ("Gene.symbol", "symbol", "Symbol", "SYMBOL", "gene_symbol", "gene_name", "GeneSymbol"),
    "title": ("Gene.title", "description", "gene_title", "Description", "GeneTitle"),
    "logFC": ("logFC", "log2FoldChange", "avg_log2FC", "log2FC"),
    "mean_expr": ("AveExpr", "baseMean", "logCPM"),
    "stat": ("t", "stat", "F", "LR"),
    "lfcSE": ("lfcSE",),
    "pvalue": ("P.Value", "pvalue", "PValue", "p_val"),
    "padj": ("adj.P.Val", "padj", "FDR", "p_val_adj"),
    "B": ("B",),
}

#: canonical columns that are identifiers or text, never features or targets.
IDENTIFIER_COLUMNS = ("gene_id", "symbol", "title")

#: short explanations of the canonical columns, shown in the report.
DESCRIPTIONS = {
    "gene_id": "row identifier (probe or gene ID)",
    "symbol": "gene symbol",
    "title": "gene name / description",
    "logFC": "log2 fold change between the two groups",
    "mean_expr": "average expression of the gene",
    "stat": "test statistic",
    "lfcSE": "standard error of the log2 fold change",
    "pvalue": "raw p-value",
    "padj": "multiple-testing adjusted p-value",
    "B": "log-odds that the gene is differentially expressed (limma B)",
}


@dataclass
class DETable:
    """A DE table with canonical column names and a record of how it was read.

    Attributes
    ----------
    data
        One row per gene or probe; recognised columns carry canonical names, other
        columns keep their original header.
    path
        The file that was read.
    tool
        The tool/format the columns point to, e.g. ``"limma (GEO2R)"``.
    column_map
        Original header -> canonical name, for every column of the file.
    sha256
        Checksum of the file's bytes.
    stat_kind
        ``"t"``, ``"Wald"``, ``"F"``, ``"LR"`` or ``None``: what the ``stat`` column is.
    mean_scale
        ``"log2"`` (AveExpr, logCPM), ``"linear"`` (baseMean) or ``None``.
    notes
        Plain-language remarks made while reading.
    """

    data: pd.DataFrame
    path: Path
    tool: str
    column_map: dict[str, str]
    sha256: str
    stat_kind: str | None = None
    mean_scale: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def original_names(self) -> dict[str, str]:
        """Canonical name -> the header in the user's file."""
        return {canonical: original for original, canonical in self.column_map.items()}

    def display_name(self, column: str) -> str:
        """The user's own header for a canonical column (the column itself if unknown)."""
        return self.original_names.get(column, column)

    @property
    def numeric_columns(self) -> list[str]:
        """Canonical names of the numeric, non-identifier columns."""
        return [
            column
            for column in self.data.columns
            if column not in IDENTIFIER_COLUMNS and pd.api.types.is_numeric_dtype(self.data[column])
        ]

    @property
    def has_symbols(self) -> bool:
        """Whether the table has a gene-symbol column."""
        return "symbol" in self.data.columns

    def describe_columns(self) -> pd.DataFrame:
        """One row per column: header, canonical name, meaning, type and missing values."""
        rows = []
        for original, canonical in self.column_map.items():
            values = self.data[canonical]
            rows.append(
                {
                    "column": original,
                    "canonical": canonical,
                    "meaning": DESCRIPTIONS.get(canonical, "other column"),
                    "type": "numeric" if pd.api.types.is_numeric_dtype(values) else "text",
                    "missing": int(values.isna().sum()),
                }
            )
        return pd.DataFrame(rows)


def demo_table_path() -> Path:
    """Path of the bundled demo table (GSE15852, breast tumour vs normal, GEO2R)."""
    return Path(str(resources.files("degtools") / "data" / DEMO_TABLE))


def resolve_input_path(input_table: str | Path | None) -> Path:
    """The file to read: the demo table for an empty value, else the given path (checked)."""
    if input_table is None or str(input_table).strip() == "":
        return demo_table_path()
    path = Path(input_table).expanduser()
    if not path.exists():
        raise InputError(
            f"input table {str(path)!r} does not exist (looked in {Path.cwd()}); "
            "pass the path of a DE results table with -p input_table PATH, or leave it empty for the demo."
        )
    if path.is_dir():
        raise InputError(
            f"input table {str(path)!r} is a folder, expected a DE results file (.csv, .tsv, .txt); "
            "pass the path of the file itself."
        )
    return path


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sniff_separator(path: Path) -> str:
    with open(path, encoding="utf-8", errors="replace", newline="") as handle:
        head = handle.read(64 * 1024)
    first_line = head.splitlines()[0] if head else ""
    if path.suffix.lower() in (".tsv", ".tab") or "\t" in first_line:
        return "\t"
    try:
        return csv.Sniffer().sniff(head, delimiters=",;\t").delimiter
    except csv.Error:
        return ","


def _canonical_map(columns: list[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for canonical, candidates in VOCABULARY.items():
        for candidate in candidates:
            if candidate in columns and candidate not in mapping:
                mapping[candidate] = canonical
                taken.add(canonical)
                break
    for column in columns:
        if column not in mapping:
            # An unknown header keeps its name unless that would clash with a canonical one.
            mapping[column] = column if column not in taken else f"{column}_original"
    return {column: mapping[column] for column in columns}


def _significant_digits(text: str) -> int:
    mantissa = re.split(r"[eE]", text.strip().lstrip("-"))[0].replace(".", "").lstrip("0")
    return len(mantissa)


def _detect_tool(original: list[str], raw_numbers: list[str]) -> tuple[str, str | None, str | None]:
    columns = set(original)
    if {"baseMean", "log2FoldChange"} <= columns:
        # R prints doubles with 15 significant digits, Python's repr with up to 17.
        digits = max((_significant_digits(value) for value in raw_numbers), default=0)
        flavour = "PyDESeq2" if digits > 15 else "DESeq2"
        if "stat" not in columns:
            flavour += " (lfcShrink)"
        return flavour, ("Wald" if "stat" in columns else None), "linear"
    if {"logFC", "PValue", "FDR"} <= columns:
        mean_scale = "log2" if "logCPM" in columns else None
        if "F" in columns:
            return "edgeR (QL F-test)", "F", mean_scale
        if "LR" in columns:
            return "edgeR (LRT)", "LR", mean_scale
        return "edgeR (exactTest)", None, mean_scale
    if {"logFC", "P.Value", "adj.P.Val"} <= columns:
        mean_scale = "log2" if "AveExpr" in columns else None
        kind = "t" if "t" in columns else ("F" if "F" in columns else None)
        tool = "limma (GEO2R)" if {"Gene.symbol", "Gene.title"} & columns else "limma"
        return tool, kind, mean_scale
    if {"avg_log2FC", "p_val"} <= columns:
        return "Seurat FindMarkers", None, None
    return "generic", None, None


def read_de_table(input_table: str | Path | None = None) -> DETable:
    """Read a DE results table and map its columns to canonical names.

    Parameters
    ----------
    input_table
        Path of a comma-, tab- or semicolon-separated table; empty or ``None`` reads the
        bundled demo table.

    Returns
    -------
    DETable
        The table with canonical column names, the detected tool and the column record.

    Raises
    ------
    InputError
        If the file is missing, empty, not a table, or has no numeric column.
    """
    path = resolve_input_path(input_table)
    if path.stat().st_size == 0:
        raise InputError(f"{path.name} is empty (0 bytes); expected a DE results table with a header line.")
    separator = _sniff_separator(path)
    try:
        raw = pd.read_csv(
            path,
            sep=separator,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            encoding="utf-8",
            encoding_errors="replace",
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InputError(
            f"{path.name} could not be read as a delimited table ({first}); "
            "expected a comma- or tab-separated DE results file with one header line."
        ) from None
    if raw.empty:
        raise InputError(f"{path.name} has a header but no data rows; expected one row per gene or probe.")

    original = [str(column) for column in raw.columns]
    column_map = _canonical_map(original)
    data = pd.DataFrame(index=raw.index)
    numeric_samples: list[str] = []
    for column in original:
        text = raw[column].astype(str).str.strip()
        numbers = pd.to_numeric(
            text.replace({"NA": None, "": None, "NaN": None, "#N/A": None, "nan": None}),
            errors="coerce",
        )
        present = text.ne("") & ~text.isin(["NA", "NaN", "#N/A", "nan"])
        canonical = column_map[column]
        if canonical not in IDENTIFIER_COLUMNS and present.any() and numbers[present].notna().all():
            data[canonical] = numbers.astype(float).replace([np.inf, -np.inf], np.nan)
            numeric_samples.extend(text[present].head(200).tolist())
        else:
            data[canonical] = text.where(present, None)
    tool, stat_kind, mean_scale = _detect_tool(original, numeric_samples)
    table = DETable(
        data=data,
        path=path,
        tool=tool,
        column_map=column_map,
        sha256=file_sha256(path),
        stat_kind=stat_kind,
        mean_scale=mean_scale,
    )
    if not table.numeric_columns:
        raise InputError(
            f"{path.name} has no numeric column (columns: {', '.join(original)}); expected DE statistics "
            "such as logFC, P.Value or log2FoldChange."
        )
    if "gene_id" not in data.columns:
        table.notes.append("no identifier column recognised: rows are numbered instead")
        data.insert(0, "gene_id", [f"row{i + 1}" for i in range(len(data))])
        table.column_map = {"(row number)": "gene_id", **column_map}
    return table


#: target shortcuts accepted besides the column names themselves.
TARGET_ALIASES = {"log2FoldChange": "logFC", "avg_log2FC": "logFC"}


def resolve_target(table: DETable, target: str) -> str:
    """Canonical name of the target column, given a canonical or original column name.

    Raises
    ------
    InputError
        If no numeric column of the table matches, listing the valid choices.
    """
    numeric = table.numeric_columns
    originals = table.original_names
    if target in numeric:
        return target
    for canonical in numeric:
        if originals.get(canonical) == target:
            return canonical
    alias = TARGET_ALIASES.get(target)
    if alias in numeric:
        return alias
    choices = sorted({originals.get(column, column) for column in numeric} | set(numeric))
    raise InputError(
        f"target {target!r} is not a numeric column of {table.path.name}; valid targets are "
        f"{', '.join(choices)}. Pass one of them with -p target NAME."
    )
