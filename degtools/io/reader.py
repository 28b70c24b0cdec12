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

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from degtools.errors import InputError
from degtools.io.contrasts import label_target_contrast, pick_contrast
from degtools.io.detect import choose_identifier, choose_symbols, detect_tool, table_id_header
from degtools.io.genes import apply_id_map, collapse_genes, count_duplicates, looks_like_symbols, read_id_map
from degtools.io.sanity import MAX_MAGNITUDE, mask_extreme_values, sanity_warnings
from degtools.io.source import decode_text, resolve_input_path, unwrap_payload
from degtools.io.split import check_column_count, split_text, split_workbook
from degtools.io.table import DETable
from degtools.io.vocabulary import (
    ANNOTATION_HEADERS,
    IDENTIFIER_COLUMNS,
    NA_TOKENS,
    ROW_NAMES,
    ROW_NUMBERS,
    STATISTIC_COLUMNS,
    format_column_map,
    map_columns,
    name_columns,
    normalise_header,
    numbers_despite_junk,
    parse_column_map,
    parse_numbers,
    strip_cells,
    suggest_column_map,
)
from degtools.provenance import file_sha256


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
    contrast: str = "",
    column_map_option: str = "-p column_map",
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
    contrast
        Files with several contrasts (``B-A_logFC``, ``logFC.drugA`` ...): the contrast to read; the
        other contrasts' fold change and statistic stay as columns (``<contrast>_logFC``, ``<contrast>_t``).
    column_map_option
        How the user passes a column map where they are (``--column-map`` for ``degtools inspect``):
        the message about unrecognised columns says it.

    Returns
    -------
    DETable
        The table with canonical column names, the detected tool and the reading record.

    Raises
    ------
    InputError
        If the file is missing, empty, binary, an HTML page, not a table, has duplicate column
        names, no numeric column or no recognisable DE statistic, holds several contrasts and
        ``contrast`` names none of them, or if a parameter does not fit it.
    """
    path = resolve_input_path(input_table)
    user_map = parse_column_map(column_map)
    payload = path.read_bytes()
    if not payload:
        raise InputError(f"{path.name} is empty (0 bytes); expected a DE results table with a header line.")
    source: dict[str, str] = {}
    kind, payload = unwrap_payload(path, payload, source)
    if not payload.strip():
        raise InputError(f"{path.name} holds no text after decompression; expected a DE results table.")
    if kind == "xlsx":
        header, cells = split_workbook(path, payload, sheet, source)
    else:
        if sheet:
            raise InputError(
                f"sheet {sheet!r} was given but {path.name} is not an .xlsx workbook; drop the sheet parameter."
            )
        text = decode_text(path, payload, source)
        del payload  # the text holds it now: one copy of a large file, not two
        header, cells = split_text(path, text, source, text_columns=_text_positions(path, user_map))
        del text
    check_column_count(path, cells.shape[1])
    names = name_columns(path, header, cells.shape[1], source)
    cells.columns = names
    # a trailing separator on every line leaves a nameless, empty last column: drop it
    blank = [name for name in names if name.startswith("column ") and _is_blank(cells[name])]
    if blank:
        cells = cells.drop(columns=blank)
        names = [name for name in names if name not in blank]
        source["empty_columns"] = f"{len(blank)} nameless empty column(s) dropped"
    cells, shown, contrast_notes = pick_contrast(path.name, cells, contrast)
    if shown:
        names = list(cells.columns)
        source["contrast"] = contrast
    missing_user = [name for name in user_map if name not in names]
    if missing_user:
        raise InputError(
            f"column_map names {', '.join(map(repr, missing_user))}, not a header of {path.name}; "
            f"its headers are {', '.join(map(repr, names))}."
        )
    mapping = map_columns(names, user_map)
    table = _build_table(path, cells, mapping, source, collapse=collapse, id_map=id_map, cluster=cluster,
                         option=column_map_option)
    if shown:
        label_target_contrast(table, shown, contrast_notes)
    return table


def _stays_text(name: str, canonical: str) -> bool:
    """Whether a column is read as text even when it holds numbers (IDs, row names, annotations)."""
    return canonical in IDENTIFIER_COLUMNS or name == ROW_NAMES or normalise_header(name) in ANNOTATION_HEADERS


def _text_positions(path: Path, user_map: Mapping[str, str]):
    """For :func:`split_text`: the positions of the columns that stay text, from the header."""
    def positions(header: list[str], width: int) -> set[int]:
        names = name_columns(path, header, width, {})
        mapping = map_columns(names, user_map)
        return {position for position, name in enumerate(names) if _stays_text(name, mapping[name])}
    return positions


def _is_blank(column: pd.Series) -> bool:
    if pd.api.types.is_numeric_dtype(column):
        return bool(column.isna().all())
    return not column.str.strip().ne("").any()


def _parsed_numbers(column: pd.Series) -> tuple[pd.Series, pd.Series, list[str]]:
    """``(numbers, present, their text)`` of a column pandas already read as numbers."""
    numbers = column.astype(float)
    present = numbers.notna()
    return numbers, present, [repr(value) for value in numbers[present].head(200)]


def _build_table(path, cells, mapping, source, *, collapse, id_map, cluster, option) -> DETable:
    notes: list[str] = []
    columns: dict[str, pd.Series] = {}
    text_columns: list[str] = []
    raw_numbers: list[str] = []
    na_counts: dict[str, int] = {}
    comma_columns: list[str] = []
    extreme_values: dict[str, int] = {}
    decimal_comma = source.get("separator") in ("semicolon", "tab", "whitespace")
    for original in cells.columns:
        canonical = mapping[original]
        numbers, written = None, []
        if pd.api.types.is_numeric_dtype(cells[original]) and not _stays_text(original, canonical):
            numbers, present, written = _parsed_numbers(cells[original])
            text = None
        else:
            text = strip_cells(cells[original])
            present = ~text.isin(NA_TOKENS)
        na_counts[original] = int((~present).sum())
        if text is not None and not _stays_text(original, canonical):
            numbers, converted = parse_numbers(text, decimal_comma=decimal_comma)
            if converted:
                comma_columns.append(original)
            if numbers is not None:
                written = text[present].head(200).tolist()
        if numbers is None and canonical in STATISTIC_COLUMNS:
            numbers = numbers_despite_junk(path, original, canonical, text, present)
            if numbers is not None:
                written = text[present & numbers.notna()].head(200).tolist()
                junk = int((present & numbers.isna()).sum())
                na_counts[original] += junk  # missing now, like the empty cells
                notes.append(f"{original}: {junk:,} values that are not numbers set to missing")
        if numbers is not None:
            infinite = np.isinf(numbers)
            if infinite.any():
                notes.append(f"{original}: {int(infinite.sum()):,} infinite values (Inf/-Inf) set to missing")
                numbers = numbers.mask(infinite)
                na_counts[original] += int(infinite.sum())
            numbers, extreme = mask_extreme_values(numbers)
            if extreme:
                notes.append(f"{original}: {extreme:,} values beyond ±{MAX_MAGNITUDE:.0e} set to missing "
                             "(their square overflows a float)")
                na_counts[original] += extreme
                extreme_values[original] = extreme
            columns[canonical] = numbers
            raw_numbers.extend(written)
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
        chosen = choose_identifier(data, column_map, text_columns)
        if chosen is not None:
            _rename(column_map, data, chosen, "gene_id")
            where = "last" if chosen == originals[-1] else f"position {originals.index(chosen) + 1}"
            notes.append(f"ID column {chosen!r} found by its unique values ({where})")
    if "symbol" not in data:
        chosen = choose_symbols(data, column_map, text_columns)
        if chosen is not None:
            _rename(column_map, data, chosen, "symbol")
            notes.append(f"symbol column {chosen!r} found by its values (gene-symbol-like names)")
        elif "gene_id" in data and looks_like_symbols(data["gene_id"], share=0.9):
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
        extreme_values=extreme_values,
    )
    if not table.numeric_columns:
        raise InputError(
            f"{path.name} has no numeric column (columns: {', '.join(originals)}); expected DE statistics "
            "such as logFC, P.Value or log2FoldChange."
        )
    if not set(STATISTIC_COLUMNS) & set(data.columns):
        numeric = [table.display_name(column) for column in table.numeric_columns]
        example = (format_column_map(suggest_column_map(numeric))
                   or ", ".join(f"{name}:{canonical}" for name, canonical in zip(numeric, ("logFC", "pvalue"))))
        raise InputError(
            f"{path.name} has no DE statistic column I recognise (numeric columns: {', '.join(numeric)}); "
            f"expected e.g. logFC, P.Value, log2FoldChange or PValue: name yours with {option} '{example}'."
        )
    if cluster:
        table = select_cluster(table, cluster)
    if id_map:
        table = apply_id_map(table, read_id_map(id_map))
    table.duplicates = count_duplicates(table.data)
    if collapse:
        table = collapse_genes(table)
    table.rows_usable = count_usable_rows(table.data)
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


#: the notebook parameters that are options of :func:`read_de_table`.
READER_PARAMETERS = ("column_map", "sheet", "collapse", "id_map", "cluster", "contrast")


def reader_options(params: Mapping[str, Any]) -> dict[str, Any]:
    """The :func:`read_de_table` keyword arguments held in a (validated) parameter dict."""
    return {name: params[name] for name in READER_PARAMETERS if name in params}
