"""Read a differential-expression table and give its columns canonical names.

The reader takes the tables real users have: limma/GEO2R/limma-voom, DESeq2 (R and PyDESeq2,
with or without lfcShrink), edgeR (exactTest, QL F-test, LRT, glmTreat), Seurat
FindMarkers/FindAllMarkers, or any other table with a ``column_map``; comma, tab, semicolon or
whitespace separated; plain, gzip, bzip2, xz, zip or Excel ``.xlsx``. It maps each known header
to a canonical name (``logFC``, ``mean_expr``, ``stat``, ``lfcSE``, ``pvalue``, ``padj``, ``B``,
``gene_id``, ``symbol``, ``title``, ``cluster``) and keeps a record of what it saw: the tool,
the file's shape, the column mapping, row and missing-value counts, notes and sanity-check
warnings (see :meth:`DETable.record`), so the report can name every column as the user's own
table does and ``degtools inspect`` can print the whole record.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import lzma
import re
import warnings
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from degtools import genes
from degtools.errors import InputError
from degtools.provenance import file_sha256

DEMO_TABLE = "GSE15852.top.table.tsv"

#: canonical name -> headers that mean it, in order of preference (matched exactly).
VOCABULARY: dict[str, tuple[str, ...]] = {
    "gene_id": ("ID", "ensgene", "gene_id", "GeneID", "gene", "Gene", "ensembl_gene_id", "Unnamed: 0"),
    "symbol": ("Gene.symbol", "symbol", "Symbol", "SYMBOL", "gene_symbol", "gene_name", "GeneSymbol"),
    "title": ("Gene.title", "description", "gene_title", "Description", "GeneTitle"),
    "logFC": ("logFC", "log2FoldChange", "avg_log2FC", "log2FC", "avg_logFC"),
    "mean_expr": ("AveExpr", "baseMean", "logCPM"),
    "stat": ("t", "stat", "F", "LR"),
    "lfcSE": ("lfcSE",),
    "pvalue": ("P.Value", "pvalue", "PValue", "p_val"),
    "padj": ("adj.P.Val", "padj", "FDR", "p_val_adj"),
    "B": ("B",),
    "cluster": ("cluster",),
}

#: canonical name -> header spellings after lower-casing and dropping everything but letters
#: and digits ("P-value", "p.value" and "PVALUE" all become "pvalue"); tried after VOCABULARY.
LOOSE_VOCABULARY: dict[str, tuple[str, ...]] = {
    "gene_id": ("id", "geneid", "ensemblgeneid", "ensemblid", "ensembl", "ensgene", "probeid", "probe",
                "probesetid", "featureid", "feature", "gene", "genes", "rowname", "rownames"),
    "symbol": ("genesymbol", "symbol", "symbols", "genename", "hgncsymbol", "externalgenename", "mgisymbol"),
    "title": ("genetitle", "description", "genedescription", "title", "fullname"),
    "logFC": ("logfc", "log2foldchange", "log2fc", "avglog2fc", "avglogfc", "lfc", "log2ratio"),
    "mean_expr": ("aveexpr", "basemean", "logcpm", "avgexpr", "meanexpr", "averageexpression"),
    "stat": ("t", "tstat", "stat", "waldstat", "f", "lr"),
    "lfcSE": ("lfcse", "log2foldchangese", "logfcse"),
    "pvalue": ("pvalue", "pval", "rawp", "rawpvalue", "pvalues"),
    "padj": ("adjpval", "adjpvalue", "padj", "fdr", "qvalue", "qval", "padjusted", "pvaladj", "adjp", "fdrbh"),
    "B": ("b", "lods"),
    "cluster": ("cluster", "clusters"),
}

#: canonical columns that are identifiers or text, never features or targets.
IDENTIFIER_COLUMNS = ("gene_id", "symbol", "title", "cluster")

#: normalised headers of annotation columns that are read as text even when they hold numbers.
ANNOTATION_HEADERS = ("entrez", "entrezid", "entrezgene", "entrezgeneid", "spotid", "gbacc", "chr",
                      "chromosome", "chrom", "start", "end", "strand", "biotype", "genebiotype", "platformspotid")

#: cell values that mean "missing" (R, Excel, pandas and hand-made spellings).
NA_TOKENS = frozenset({"", "NA", "N/A", "na", "n/a", "NaN", "nan", "NAN", "#N/A", "#NA", "NULL", "null",
                       "None", "none", "-", ".", "#DIV/0!", "#VALUE!", "#NUM!", "#REF!", "#NAME?"})

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
    "cluster": "cell cluster the row belongs to (Seurat)",
}

#: canonical columns that count as DE statistics (a table needs at least one of them).
STATISTIC_COLUMNS = ("logFC", "mean_expr", "stat", "lfcSE", "pvalue", "padj", "B")

SEPARATOR_NAMES = {"\t": "tab", ",": "comma", ";": "semicolon", " ": "whitespace"}
ROW_NAMES = "(row names)"
ROW_NUMBERS = "(row number)"


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
    source
        The file's shape: compression, container, sheet, separator, encoding, line endings, header.
    rows_read
        Data rows in the file (before ``cluster`` and ``collapse``).
    rows_usable
        Rows with every key value present (fold change, statistic and p-value, where the
        table has them).
    na_counts
        Original header -> number of missing values.
    duplicates
        ``"gene_id"``/``"symbol"`` -> rows repeating an earlier value; ``"multi_gene_symbols"`` ->
        rows naming several genes (``A /// B``).
    warnings
        Sanity-check findings (un-logged fold changes, p-values out of range, ...).
    """

    data: pd.DataFrame
    path: Path
    tool: str
    column_map: dict[str, str]
    sha256: str
    stat_kind: str | None = None
    mean_scale: str | None = None
    notes: list[str] = field(default_factory=list)
    source: dict[str, str] = field(default_factory=dict)
    rows_read: int = 0
    rows_usable: int = 0
    na_counts: dict[str, int] = field(default_factory=dict)
    duplicates: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

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

    def _identifier_header(self, canonical: str) -> str | None:
        return self.original_names.get(canonical) if canonical in self.data.columns else None

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

    def record(self) -> dict[str, Any]:
        """What the reader detected, as plain JSON-ready values (printed by ``degtools inspect``)."""
        return {
            "file": self.path.name,
            "sha256": self.sha256,
            "source": dict(self.source),
            "tool": self.tool,
            "stat_kind": self.stat_kind,
            "mean_scale": self.mean_scale,
            "columns": dict(self.column_map),
            "id_column": self._identifier_header("gene_id"),
            "symbol_column": self._identifier_header("symbol"),
            "title_column": self._identifier_header("title"),
            "rows_read": int(self.rows_read),
            "rows": len(self.data),
            "rows_usable": int(self.rows_usable),
            "na_counts": {name: int(count) for name, count in self.na_counts.items()},
            "duplicates": {name: int(count) for name, count in self.duplicates.items()},
            "notes": list(self.notes),
            "warnings": list(self.warnings),
        }

    def detection_table(self) -> pd.DataFrame:
        """The record as a two-column table (item, value) for the report's Data section."""
        record = self.record()
        source = record["source"]
        rows = [
            ("file", record["file"]),
            ("file shape", ", ".join(f"{key}: {value}" for key, value in source.items())),
            ("detected tool", record["tool"]),
            ("statistic", record["stat_kind"] or "none"),
            ("mean expression scale", record["mean_scale"] or "unknown"),
            ("ID column", record["id_column"] or "none"),
            ("symbol column", record["symbol_column"] or "none"),
            ("title column", record["title_column"] or "none"),
            ("rows read / in table / usable",
             f"{record['rows_read']:,} / {record['rows']:,} / {record['rows_usable']:,}"),
            ("missing values", ", ".join(f"{k}: {v:,}" for k, v in record["na_counts"].items() if v) or "none"),
            ("duplicates", ", ".join(f"{k}: {v:,}" for k, v in record["duplicates"].items()) or "none"),
        ]
        rows += [("note", note) for note in record["notes"]]
        rows += [("warning", warning) for warning in record["warnings"]]
        return pd.DataFrame(rows, columns=["item", "value"]).astype(str)

    def warnings_markdown(self) -> str:
        """The sanity-check warnings as a markdown list (plain text: escape it before showing as HTML)."""
        if not self.warnings:
            return "**Sanity checks:** no warning."
        return "\n".join(["**Sanity-check warnings** (the table was read; check these before trusting it):", ""]
                         + [f"- ⚠ {warning}" for warning in self.warnings])

    def format_record(self) -> str:
        """The record as plain text: what ``degtools inspect`` prints."""
        record = self.record()
        lines = [f"{key:<31}{value}" for key, value in self.detection_table().itertuples(index=False)
                 if key not in ("note", "warning")]
        lines.append("columns:")
        described = self.describe_columns()
        width = max([len(str(name)) for name in described["column"]] + [6])
        for row in described.itertuples(index=False):
            lines.append(f"  {row.column:<{width}} -> {row.canonical:<10} {row.type:<8} missing {row.missing:,}")
        lines += [f"note: {note}" for note in record["notes"]]
        lines += [f"WARNING: {warning}" for warning in record["warnings"]]
        return "\n".join(lines)


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


# ----------------------------------------------------------------------------------------------
# Bytes: containers, compression, text or not
# ----------------------------------------------------------------------------------------------

_MAGIC = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"PK\x03\x04", "zip"),
)
_DECOMPRESS = {"gzip": gzip.decompress, "bzip2": bz2.decompress, "xz": lzma.decompress}


def _unwrap(path: Path, payload: bytes, source: dict[str, str]) -> tuple[str, bytes]:
    """``("xlsx" | "text", bytes)`` after removing compression and a one-file zip around the table."""
    for _ in range(3):  # e.g. a .csv.gz inside a .zip
        kind = next((name for magic, name in _MAGIC if payload.startswith(magic)), None)
        if kind is None:
            return "text", payload
        if kind in _DECOMPRESS:
            try:
                payload = _DECOMPRESS[kind](payload)
            except (OSError, EOFError, lzma.LZMAError, zlib.error, ValueError) as error:
                raise InputError(
                    f"{path.name} looks {kind}-compressed but could not be decompressed ({error}); "
                    "expected a complete compressed file: download it again or pass the uncompressed table."
                ) from None
            source["compression"] = kind
            continue
        try:
            archive = zipfile.ZipFile(io.BytesIO(payload))
            names = archive.namelist()
        except (zipfile.BadZipFile, OSError, ValueError) as error:
            raise InputError(
                f"{path.name} starts like a zip file but is not a readable one ({error}); "
                "expected a .zip, .xlsx or a plain text table."
            ) from None
        if "xl/workbook.xml" in names:
            return "xlsx", payload
        members = [name for name in names if not name.endswith("/") and not name.startswith("__MACOSX")]
        if len(members) != 1:
            raise InputError(
                f"{path.name} is a zip archive with {len(members)} files ({', '.join(members[:10])}); "
                "expected exactly one table inside: unzip it and pass the table's own path."
            )
        try:
            payload = archive.read(members[0])
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, ValueError, zlib.error) as error:
            raise InputError(
                f"{path.name}: the member {members[0]} could not be extracted ({error}); "
                "unzip it yourself and pass the table's path."
            ) from None
        source["container"] = f"zip ({members[0]})"
    return "text", payload


def _decode(path: Path, payload: bytes, source: dict[str, str]) -> str:
    """The text of a table file, refusing binary content and HTML pages."""
    if payload.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError(
            f"{path.name} is an old-style Excel .xls workbook (or another OLE2 file); expected .xlsx or a text "
            "table: open it in Excel/LibreOffice and save it as .xlsx or .csv."
        )
    if payload.startswith((b"\xff\xfe", b"\xfe\xff")):
        text, source["encoding"] = payload.decode("utf-16", errors="replace"), "UTF-16"
    else:
        head = payload[:8192]
        controls = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 12, 13))
        if b"\x00" in head or controls > 0.01 * len(head):
            raise InputError(
                f"{path.name} holds binary data, not text (first bytes {payload[:8]!r}); expected a text "
                "table (.csv, .tsv, .txt), optionally .gz/.bz2/.xz/.zip compressed, or an .xlsx workbook."
            )
        try:
            text, source["encoding"] = payload.decode("utf-8-sig"), "UTF-8"
        except UnicodeDecodeError:
            text, source["encoding"] = payload.decode("cp1252", errors="replace"), "Windows-1252 (not UTF-8)"
    start = text.lstrip()[:1000].lower()
    if start.startswith(("<!doctype html", "<html", "<?xml", "<head", "<body")) or "<html" in start:
        raise InputError(
            f"{path.name} is an HTML/XML page, not a table; expected the raw table file: on GitHub use the "
            "'Raw' button (or raw.githubusercontent.com), on GEO2R use 'Download full table'."
        )
    if "\r\n" in text[:65536]:
        source["line_endings"] = "CRLF"
    elif "\r" in text[:65536]:
        source["line_endings"] = "CR"
    return text


# ----------------------------------------------------------------------------------------------
# Text -> header + cells
# ----------------------------------------------------------------------------------------------


def _field_counts(lines: list[str], separator: str) -> list[int]:
    if separator == " ":
        reader = csv.reader((line.strip() for line in lines), delimiter=" ", skipinitialspace=True)
    else:
        reader = csv.reader(lines, delimiter=separator)
    try:
        return [len(row) for row in reader]
    except csv.Error:
        return []


def sniff_separator(lines: list[str]) -> str:
    """The separator of a table, from its first lines: tab, comma, semicolon or whitespace.

    A separator qualifies when it splits most data lines into the same number (two or more) of
    fields and the header into that number or one fewer (R ``write.table``).
    """
    for separator in ("\t", ",", ";", " "):
        counts = _field_counts(lines, separator)
        if len(counts) < 2:
            continue
        header, body = counts[0], counts[1:]
        typical = max(set(body), key=body.count)
        consistent = body.count(typical) >= 0.9 * len(body)
        if typical >= 2 and consistent and header in (typical, typical - 1):
            return separator
    raise InputError(
        "could not find a column separator: expected a table whose lines split into the same number of "
        "fields by tabs, commas, semicolons or spaces"
    )


def _split_text(path: Path, text: str, source: dict[str, str]) -> tuple[list[str], pd.DataFrame]:
    """Header fields and a frame of cell strings (columns numbered) from delimited text."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise InputError(f"{path.name} holds only blank lines; expected a DE results table with a header line.")
    if len(lines) == 1:
        raise InputError(
            f"{path.name} has a header but no data rows (header: {lines[0][:120]!r}); "
            "expected one row per gene or probe below the header."
        )
    comments = 0
    while comments < len(lines) and lines[comments].lstrip().startswith(("#", "!")):
        comments += 1
    try:
        separator = sniff_separator(lines[:200])
    except InputError as error:
        if not comments or len(lines) - comments < 2:
            raise InputError(f"{path.name}: {error}; check that the file is a table and not e.g. a report.") from None
        # comment lines ("# made by ...", GEO's "!Series_...") above the header
        lines = lines[comments:]
        try:
            separator = sniff_separator(lines[:200])
        except InputError as again:
            raise InputError(f"{path.name}: {again}; check that the file is a table.") from None
        source["comment_lines"] = f"{comments} skipped above the header"
    source["separator"] = SEPARATOR_NAMES[separator]
    header_line = lines[0].strip() if separator == " " else lines[0]
    if separator == " ":
        header = next(csv.reader([header_line], delimiter=" ", skipinitialspace=True))
    else:
        header = next(csv.reader([header_line], delimiter=separator))
    header = [name.strip().lstrip("\ufeff") for name in header]
    if '"' in lines[0][:200] or '"' in lines[1][:200]:
        source["quoting"] = "quoted"
    counts = _field_counts(lines[1:200], separator)
    width = max([*counts, len(header)])
    body_text = "\n".join(lines[1:])
    try:
        cells = pd.read_csv(
            io.StringIO(body_text),
            sep=r"\s+" if separator == " " else separator,
            header=None,
            names=range(width),
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=True,
            engine="c",
        )
    except (pd.errors.ParserError, ValueError, csv.Error) as error:
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise InputError(
            f"{path.name} could not be split into columns ({detail}); expected every row to have "
            f"{width} {source['separator']}-separated fields like the first rows: fix or remove that line."
        ) from None
    return header, cells.fillna("")


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value).strip()


def _split_workbook(path: Path, payload: bytes, sheet: str, source: dict[str, str]) -> tuple[list[str], pd.DataFrame]:
    """Header fields and cell strings of one sheet of an ``.xlsx`` workbook."""
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it skips
            book = openpyxl.load_workbook(io.BytesIO(payload), read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 - openpyxl raises many types for a damaged workbook
        raise InputError(
            f"{path.name} is not a readable .xlsx workbook ({type(error).__name__}: {error}); "
            "open it in Excel/LibreOffice and save it again as .xlsx or .csv."
        ) from None
    names = book.sheetnames
    if sheet:
        if sheet not in names:
            raise InputError(
                f"{path.name} has no sheet {sheet!r}; its sheets are {', '.join(map(repr, names))}. "
                "Pass one of them with -p sheet NAME."
            )
    elif len(names) == 1:
        sheet = names[0]
    else:
        raise InputError(
            f"{path.name} has {len(names)} sheets ({', '.join(map(repr, names))}); expected one table: "
            "say which sheet holds it with -p sheet NAME."
        )
    source["container"] = "xlsx"
    source["sheet"] = sheet
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = [[_cell_text(value) for value in row] for row in book[sheet].iter_rows(values_only=True)]
    book.close()
    rows = [row for row in rows if any(rows_cell != "" for rows_cell in row)]
    if not rows:
        raise InputError(f"{path.name}: sheet {sheet!r} is empty; expected a DE results table with a header line.")
    if len(rows) == 1:
        raise InputError(
            f"{path.name}: sheet {sheet!r} has a header but no data rows; expected one row per gene below it."
        )
    titles = 0
    while titles < len(rows) - 2 and sum(cell != "" for cell in rows[titles]) < 2:
        titles += 1  # title or caption rows above the header ("Table S2: DE genes")
    if titles:
        source["title_rows"] = f"{titles} skipped above the header"
        rows = rows[titles:]
    header = rows[0]
    while header and header[-1] == "" and all(len(row) < len(header) or row[len(header) - 1] == "" for row in rows):
        header = header[:-1]
        rows = [row[: len(header)] for row in rows]
    return header, pd.DataFrame(rows[1:], dtype=str).fillna("")


# ----------------------------------------------------------------------------------------------
# Columns: names, types, canonical mapping
# ----------------------------------------------------------------------------------------------


def _normalise(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


def _name_columns(path: Path, header: list[str], width: int, source: dict[str, str]) -> list[str]:
    """Final original headers, one per cell column; R's row-name conventions resolved."""
    header = list(header)
    while len(header) > width and header[-1] == "":
        header.pop()  # a trailing separator on the header line
    if len(header) == width - 1:
        header = ["", *header]
        source["header"] = "one field short (R write.table): first column read as row names"
    elif len(header) < width:
        raise InputError(
            f"{path.name}: the header has {len(header)} fields but data rows have up to {width}; "
            "expected a header naming every column (or all but the row-name column, as R writes)."
        )
    names = []
    for position, name in enumerate(header):
        if name == "" and position == 0:
            names.append(ROW_NAMES)
            source.setdefault("header", "empty first header (R write.csv): first column read as row names")
        elif name == "":
            names.append(f"column {position + 1}")
        else:
            names.append(name)
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise InputError(
            f"{path.name} has duplicate column names ({', '.join(map(repr, repeated))}); expected each header "
            "once: rename the copies (or drop them) so every column has its own name."
        )
    return names


def parse_column_map(spec: str | Mapping[str, str] | None) -> dict[str, str]:
    """``"HEADER:canonical, HEADER2:canonical"`` (or a dict) -> ``{HEADER: canonical}``, checked."""
    if not spec:
        return {}
    if isinstance(spec, Mapping):
        pairs = list(spec.items())
    else:
        pairs = []
        for item in str(spec).split(","):
            if not item.strip():
                continue
            original, sep, canonical = item.rpartition(":")
            if not sep or not original.strip():
                raise InputError(
                    f"column_map entry {item.strip()!r} is not HEADER:canonical; expected e.g. "
                    "'fold:logFC, pval:pvalue' (canonical names: " + ", ".join(VOCABULARY) + ")."
                )
            pairs.append((original, canonical))
    mapping = {}
    for original, canonical in pairs:
        original, canonical = str(original).strip(), str(canonical).strip()
        if canonical not in VOCABULARY:
            raise InputError(
                f"column_map maps {original!r} to {canonical!r}, which is not a canonical name; "
                f"expected one of {', '.join(VOCABULARY)}."
            )
        mapping[original] = canonical
    return mapping


def _is_seurat(headers: set[str]) -> bool:
    return "p_val" in headers and bool({"avg_log2FC", "avg_logFC"} & headers)


def map_columns(names: list[str], user_map: Mapping[str, str] | None = None) -> dict[str, str]:
    """Original header -> canonical name for every column: user map, exact, then loose matches.

    Each canonical name is given to one column only; an unknown header keeps its name (with
    ``_original`` appended if it would clash with a canonical one).
    """
    user_map = dict(user_map or {})
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for original, canonical in user_map.items():
        if canonical in taken:
            raise InputError(
                f"column_map gives {canonical!r} to two columns; expected each canonical name once."
            )
        mapping[original] = canonical
        taken.add(canonical)
    headers = set(names)
    if _is_seurat(headers) and "gene" in headers and ROW_NAMES in headers and "symbol" not in taken:
        # FindAllMarkers written with row names: the 'gene' column holds the symbols.
        mapping["gene"], mapping[ROW_NAMES] = "symbol", "gene_id"
        taken |= {"symbol", "gene_id"}
    for canonical, candidates in VOCABULARY.items():
        if canonical in taken:
            continue
        for candidate in candidates:
            if candidate in headers and candidate not in mapping:
                mapping[candidate] = canonical
                taken.add(canonical)
                break
    for canonical, candidates in LOOSE_VOCABULARY.items():
        if canonical in taken:
            continue
        for candidate in candidates:
            match = next((name for name in names if name not in mapping and _normalise(name) == candidate), None)
            if match is not None:
                mapping[match] = canonical
                taken.add(canonical)
                break
    if ROW_NAMES in headers and ROW_NAMES not in mapping and "gene_id" not in taken:
        mapping[ROW_NAMES] = "gene_id"
        taken.add("gene_id")
    for name in names:
        if name not in mapping:
            mapping[name] = name if name not in taken and name not in VOCABULARY else f"{name}_original"
    return {name: mapping[name] for name in names}


def _to_numbers(text: pd.Series, *, decimal_comma: bool) -> tuple[pd.Series | None, bool]:
    """Floats for a column whose present values all parse as numbers, else ``None``.

    Returns the numbers and whether decimal commas were turned into points.
    """
    present = ~text.isin(NA_TOKENS)
    values = text.where(present, None)
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers[present].notna().all():
        return numbers.astype(float), False
    if decimal_comma and text[present].str.contains(",", regex=False).any():
        numbers = pd.to_numeric(values.str.replace(",", ".", regex=False), errors="coerce")
        if numbers[present].notna().all():
            return numbers.astype(float), True
    return None, False


#: share of cells in a statistic column that may be non-numbers before the column is refused.
MAX_JUNK_SHARE = 0.1


def _numbers_despite_junk(path: Path, original: str, canonical: str, text: pd.Series,
                          present: pd.Series) -> pd.Series:
    """Numbers of a statistic column holding a few non-number cells; refuse it if they are many."""
    numbers = pd.to_numeric(text.where(present, None), errors="coerce").astype(float)
    junk = present & numbers.isna()
    if junk.sum() <= MAX_JUNK_SHARE * max(int(present.sum()), 1):
        return numbers
    examples = ", ".join(repr(value[:20]) for value in text[junk].unique()[:3])
    raise InputError(
        f"{path.name}: column {original!r} ({canonical}) holds {int(junk.sum()):,} values that are not numbers "
        f"(e.g. {examples}); expected numbers: fix those cells, or map another column with column_map."
    )


def _significant_digits(text: str) -> int:
    mantissa = re.split(r"[eE]", text.strip().lstrip("-"))[0].replace(".", "").lstrip("0")
    return len(mantissa)


# ----------------------------------------------------------------------------------------------
# Tool detection
# ----------------------------------------------------------------------------------------------


def detect_tool(
    headers: list[str], data: pd.DataFrame, raw_numbers: list[str]
) -> tuple[str, str | None, str | None, list[str]]:
    """``(tool, stat_kind, mean_scale, notes)`` from the original headers and the values."""
    columns = set(headers)
    notes: list[str] = []
    if _is_seurat(columns):
        tool = "Seurat FindAllMarkers" if "cluster" in columns else "Seurat FindMarkers"
        if "avg_logFC" in columns:
            notes.append("avg_logFC is a natural-log fold change (Seurat < 4), not log2")
        return tool, None, None, notes
    if {"baseMean", "log2FoldChange"} <= columns:
        # R prints doubles with 15 significant digits, Python's repr with up to 17.
        digits = max((_significant_digits(value) for value in raw_numbers), default=0)
        tool = "PyDESeq2" if digits > 15 else "DESeq2"
        if digits > 15:
            notes.append(f"numbers carry up to {digits} significant digits (Python's float format; R writes 15)")
        if "stat" not in columns:
            tool += " (lfcShrink)"
            notes.append("no stat column: shrunken fold changes (lfcShrink), Wald statistic not available")
        return tool, ("Wald" if "stat" in columns else None), "linear", notes
    if "logFC" in columns and "PValue" in columns:
        mean_scale = "log2" if "logCPM" in columns else None
        if "unshrunk.logFC" in columns:
            return "edgeR (glmTreat)", None, mean_scale, notes
        if "F" in columns:
            return "edgeR (QL F-test)", "F", mean_scale, notes
        if "LR" in columns:
            return "edgeR (LRT)", "LR", mean_scale, notes
        return "edgeR (exactTest)", None, mean_scale, notes
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


# ----------------------------------------------------------------------------------------------
# The reader
# ----------------------------------------------------------------------------------------------


def _choose_identifier(data: pd.DataFrame, column_map: dict[str, str], text_columns: list[str]) -> str | None:
    """The most unique unmapped text column, preferring the first or last position."""
    candidates = [name for name in text_columns if column_map[name] not in VOCABULARY
                  and _normalise(name) not in ANNOTATION_HEADERS]
    best, best_share = None, 0.5
    for name in candidates:
        values = data[column_map[name]].dropna()
        share = values.nunique() / max(len(data), 1)
        if share > best_share or (share == best_share and best is None):
            best, best_share = name, share
    return best


def _choose_symbols(data: pd.DataFrame, column_map: dict[str, str], text_columns: list[str]) -> str | None:
    for name in text_columns:
        canonical = column_map[name]
        if canonical in VOCABULARY or _normalise(name) in ANNOTATION_HEADERS:
            continue
        if genes.looks_like_symbols(data[canonical]):
            return name
    return None


def table_id_header(column_map: Mapping[str, str]) -> str:
    """The original header of the ID column."""
    return next((original for original, canonical in column_map.items() if canonical == "gene_id"), ROW_NUMBERS)


def _rename(column_map: dict[str, str], data: pd.DataFrame, original: str, canonical: str) -> None:
    data.columns = [canonical if column == column_map[original] else column for column in data.columns]
    column_map[original] = canonical


def read_de_table(
    input_table: str | Path | None = None,
    *,
    column_map: str | Mapping[str, str] | None = None,
    sheet: str = "",
    collapse: bool = False,
    id_map: str | Path | None = "",
    cluster: str = "",
) -> DETable:
    """Read a DE results table, map its columns to canonical names and record what was seen.

    Parameters
    ----------
    input_table
        Path of the table (comma, tab, semicolon or whitespace separated; optionally
        ``.gz``/``.bz2``/``.xz``/``.zip``; or ``.xlsx``). Empty or ``None`` reads the bundled demo.
    column_map
        Headers the vocabularies do not know: ``"fold:logFC, pval:pvalue"`` or a dict.
    sheet
        Sheet of an ``.xlsx`` workbook (needed when it has several).
    collapse
        Keep one row per gene (by symbol, else ID): the one with the largest |statistic|.
    id_map
        Two-column file (ID, symbol) giving symbols to a table with IDs only.
    cluster
        Seurat FindAllMarkers tables: keep the rows of this cluster only.

    Returns
    -------
    DETable
        The table with canonical column names, the detected tool and the reading record.

    Raises
    ------
    InputError
        If the file is missing, empty, binary, an HTML page, not a table, has duplicate column
        names, no numeric column or no recognisable DE statistic, or if a parameter does not fit it.
    """
    path = resolve_input_path(input_table)
    user_map = parse_column_map(column_map)
    payload = path.read_bytes()
    if not payload:
        raise InputError(f"{path.name} is empty (0 bytes); expected a DE results table with a header line.")
    source: dict[str, str] = {}
    kind, payload = _unwrap(path, payload, source)
    if not payload.strip():
        raise InputError(f"{path.name} holds no text after decompression; expected a DE results table.")
    if kind == "xlsx":
        header, cells = _split_workbook(path, payload, sheet, source)
    else:
        if sheet:
            raise InputError(
                f"sheet {sheet!r} was given but {path.name} is not an .xlsx workbook; drop the sheet parameter."
            )
        header, cells = _split_text(path, _decode(path, payload, source), source)
    names = _name_columns(path, header, cells.shape[1], source)
    cells.columns = names
    # a trailing separator on every line leaves a nameless, empty last column: drop it
    blank = [name for name in names if name.startswith("column ") and not cells[name].str.strip().ne("").any()]
    if blank:
        cells = cells.drop(columns=blank)
        names = [name for name in names if name not in blank]
        source["empty_columns"] = f"{len(blank)} nameless empty column(s) dropped"
    missing_user = [name for name in user_map if name not in names]
    if missing_user:
        raise InputError(
            f"column_map names {', '.join(map(repr, missing_user))}, not a header of {path.name}; "
            f"its headers are {', '.join(map(repr, names))}."
        )
    mapping = map_columns(names, user_map)
    return _build_table(path, cells, mapping, source, collapse=collapse, id_map=id_map, cluster=cluster)


def _build_table(path, cells, mapping, source, *, collapse, id_map, cluster) -> DETable:
    notes: list[str] = []
    columns: dict[str, pd.Series] = {}
    text_columns: list[str] = []
    raw_numbers: list[str] = []
    na_counts: dict[str, int] = {}
    comma_columns: list[str] = []
    decimal_comma = source.get("separator") in ("semicolon", "tab", "whitespace")
    for original in cells.columns:
        text = cells[original].str.strip()
        canonical = mapping[original]
        present = ~text.isin(NA_TOKENS)
        na_counts[original] = int((~present).sum())
        numbers = None
        if (canonical not in IDENTIFIER_COLUMNS and original != ROW_NAMES
                and _normalise(original) not in ANNOTATION_HEADERS):
            numbers, converted = _to_numbers(text, decimal_comma=decimal_comma)
            if converted:
                comma_columns.append(original)
        if numbers is None and canonical in STATISTIC_COLUMNS:
            numbers = _numbers_despite_junk(path, original, canonical, text, present)
            if numbers is not None:
                notes.append(f"{original}: {int((present & numbers.isna()).sum()):,} values that are not numbers "
                             "set to missing")
        if numbers is not None:
            infinite = np.isinf(numbers)
            if infinite.any():
                notes.append(f"{original}: {int(infinite.sum()):,} infinite values (Inf/-Inf) set to missing")
                numbers = numbers.mask(infinite)
                na_counts[original] += int(infinite.sum())
            columns[canonical] = numbers
            raw_numbers.extend(text[present].head(200).tolist())
        else:
            columns[canonical] = text.where(present, None)
            text_columns.append(original)
    data = pd.DataFrame(columns, index=pd.RangeIndex(len(cells)))
    if comma_columns:
        notes.append(f"decimal commas read as decimal points in {', '.join(comma_columns)}")
    column_map = dict(mapping)
    originals = list(cells.columns)
    tool, stat_kind, mean_scale, tool_notes = detect_tool(originals, data, raw_numbers)
    notes += tool_notes

    if "gene_id" not in data:
        chosen = _choose_identifier(data, column_map, text_columns)
        if chosen is not None:
            _rename(column_map, data, chosen, "gene_id")
            where = "last" if chosen == originals[-1] else f"position {originals.index(chosen) + 1}"
            notes.append(f"ID column {chosen!r} found by its unique values ({where})")
    if "symbol" not in data:
        chosen = _choose_symbols(data, column_map, text_columns)
        if chosen is not None:
            _rename(column_map, data, chosen, "symbol")
            notes.append(f"symbol column {chosen!r} found by its values (gene-symbol-like names)")
        elif "gene_id" in data and genes.looks_like_symbols(data["gene_id"], share=0.9):
            data["symbol"] = data["gene_id"]
            column_map = {**column_map, "(symbols = IDs)": "symbol"}
            notes.append(f"the IDs in {table_id_header(column_map)!r} look like gene symbols: they are used as symbols")
    if "gene_id" not in data:
        notes.append("no identifier column recognised: rows are numbered instead")
        data.insert(0, "gene_id", [f"row{i + 1}" for i in range(len(data))])
        column_map = {ROW_NUMBERS: "gene_id", **column_map}

    table = DETable(
        data=data, path=path, tool=tool, column_map=column_map, sha256=file_sha256(path), stat_kind=stat_kind,
        mean_scale=mean_scale, notes=notes, source=source, rows_read=len(data), na_counts=na_counts,
    )
    if not table.numeric_columns:
        raise InputError(
            f"{path.name} has no numeric column (columns: {', '.join(originals)}); expected DE statistics "
            "such as logFC, P.Value or log2FoldChange."
        )
    if not set(STATISTIC_COLUMNS) & set(data.columns):
        numeric = [table.display_name(column) for column in table.numeric_columns]
        example = ", ".join(f"{name}:{canonical}" for name, canonical in zip(numeric, ("logFC", "pvalue")))
        raise InputError(
            f"{path.name} has no DE statistic column I recognise (numeric columns: {', '.join(numeric)}); "
            f"expected e.g. logFC, P.Value, log2FoldChange or PValue: name yours with -p column_map '{example}'."
        )
    if cluster:
        table = select_cluster(table, cluster)
    if id_map:
        table = genes.apply_id_map(table, genes.read_id_map(id_map))
    table.duplicates = genes.count_duplicates(table.data)
    if collapse:
        table = genes.collapse_genes(table)
    table.rows_usable = count_usable_rows(table.data)
    from degtools.sanity import sanity_warnings

    table.warnings = sanity_warnings(table, cluster_given=bool(cluster))
    return table


def select_cluster(table: DETable, cluster: str) -> DETable:
    """Keep the rows of one Seurat cluster (the ``cluster`` column, compared as text)."""
    if "cluster" not in table.data:
        raise InputError(
            f"cluster {cluster!r} was given but {table.path.name} has no cluster column; "
            "drop the cluster parameter or map the cluster column with column_map 'NAME:cluster'."
        )
    labels = table.data["cluster"].astype(str)
    keep = labels.eq(str(cluster))
    if not keep.any():
        available = sorted(labels.dropna().unique(), key=lambda value: (len(value), value))
        raise InputError(
            f"cluster {cluster!r} is not in {table.path.name}; its clusters are {', '.join(available[:30])}. "
            "Pass one of them with -p cluster NAME."
        )
    table.data = table.data.loc[keep].reset_index(drop=True)
    table.notes.append(f"cluster {cluster}: kept {int(keep.sum()):,} of {len(keep):,} rows")
    return table


def count_usable_rows(data: pd.DataFrame) -> int:
    """Rows with the fold change, the statistic and the p-value present (those the table has)."""
    key = [column for column in ("logFC", "stat", "pvalue") if column in data]
    if not key:
        numeric = [c for c in data.columns if c not in IDENTIFIER_COLUMNS and pd.api.types.is_numeric_dtype(data[c])]
        return int(data[numeric].notna().any(axis=1).sum())
    return int(data[key].notna().all(axis=1).sum())


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
        raise InputError(
            f"target {target!r} is not a numeric column of {table.path.name}; valid targets are "
            f"{', '.join(choices)}. Pass one of them with -p target NAME."
        )
    check_target_values(table, found)
    return found


def check_target_values(table: DETable, target: str) -> None:
    """Raise an InputError when ``target`` is all missing, constant or has too few values."""
    from degtools.prepare import MIN_ROWS

    label = table.display_name(target)
    values = table.data[target].dropna()
    if values.empty:
        raise InputError(
            f"target {label!r} in {table.path.name} has no values (all {len(table.data):,} missing); "
            "expected numbers to predict: choose another target."
        )
    if values.nunique() < 2:
        raise InputError(
            f"target {label!r} in {table.path.name} is constant ({float(values.iloc[0]):g}); "
            "a constant cannot be predicted. Choose another target."
        )
    if len(values) < MIN_ROWS:
        raise InputError(
            f"{table.path.name} has {len(values)} rows with a {label} value; the models need at least "
            f"{MIN_ROWS}. Use a table with more genes or another target."
        )


#: the notebook parameters that are options of :func:`read_de_table`.
READER_PARAMETERS = ("column_map", "sheet", "collapse", "id_map", "cluster")


def reader_options(params: Mapping[str, Any]) -> dict[str, Any]:
    """The :func:`read_de_table` keyword arguments held in a (validated) parameter dict."""
    return {name: params[name] for name in READER_PARAMETERS if name in params}
