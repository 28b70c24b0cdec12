"""Text or an Excel sheet -> header fields and a frame of cell strings.

Delimited text: the separator (tab, comma, semicolon or whitespace) is sniffed from the first
lines; comment lines above the header are skipped. Workbooks: one sheet, title rows above the
header skipped. Cells stay strings here; naming and typing the columns come later.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from degtools.errors import InputError
from degtools.io.vocabulary import NA_TOKENS

#: separator -> its name in the reading record.
SEPARATOR_NAMES = {"\t": "tab", ",": "comma", ";": "semicolon", " ": "whitespace"}


#: most columns a table may have: the audit compares columns pairwise and the report draws one histogram
#: per column, so a 10,000-column table (per-sample values of a large cohort) would never finish.
MAX_COLUMNS = 500


#: what pandas' CSV parser needs to read every decimal as its exact float (see :func:`split_text`).
_EXACT_FLOATS = {"float_precision": "round_trip"} if int(pd.__version__.split(".")[0]) < 3 else {}

def check_column_count(path: Path, width: int) -> None:
    """Refuse a table wider than :data:`MAX_COLUMNS`, saying how to keep the columns that matter."""
    if width > MAX_COLUMNS:
        raise InputError(
            f"{path.name} has {width:,} columns; degtools reads at most {MAX_COLUMNS:,} (the leakage audit compares "
            "every pair of columns): keep the ID and DE statistic columns (and any features you want), e.g. "
            "`cut -d, -f1-10 FILE` (tab-separated: `cut -f1-10`) or pandas `usecols=`, and pass that smaller table."
        )


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


#: non-blank lines looked at to find comments, the header and the separator.
HEAD_LINES = 1000


def _head_lines(text: str, count: int) -> tuple[list[str], list[int]]:
    """The first ``count`` non-blank lines (line ends removed), and the offset just past each one."""
    lines: list[str] = []
    ends: list[int] = []
    position = 0
    while len(lines) < count and position < len(text):
        end = text.find("\n", position)
        stop = len(text) if end < 0 else end + 1
        line = text[position:stop].rstrip("\r\n")
        if line.strip():
            lines.append(line)
            ends.append(stop)
        position = stop
    return lines, ends


def _simple_lines(text: str) -> bool:
    """Whether lines end in \\n (or \\r\\n) and none is blank but for spaces: the body can go to pandas as is."""
    if "\r" in text and "\r\n" not in text[:65536]:
        return False  # old Mac line ends (CR only)
    return re.search(r"\n[ \t\f\v]+(?=\r?\n|$)", text) is None


TextColumns = Callable[[list[str], int], set[int]]


def split_text(path: Path, text: str, source: dict[str, str], *,
               text_columns: TextColumns | None = None) -> tuple[list[str], pd.DataFrame]:
    """Header fields and a frame of cells (columns numbered) from delimited text.

    Without ``text_columns`` every cell is a string. With it, pandas reads numbers as numbers
    (missing-value spellings as NaN) except in the positions ``text_columns(header, width)``
    returns, which stay strings: a 1M-row table then never holds millions of number strings.
    """
    simple = _simple_lines(text)
    lines, ends = _head_lines(text, HEAD_LINES) if simple else ([line for line in text.splitlines() if line.strip()], [])
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
    header_index = 0
    try:
        separator = sniff_separator(lines[:200])
    except InputError as error:
        if not comments or len(lines) - comments < 2:
            raise InputError(f"{path.name}: {error}; check that the file is a table and not e.g. a report.") from None
        # comment lines ("# made by ...", GEO's "!Series_...") above the header
        header_index = comments
        try:
            separator = sniff_separator(lines[comments:comments + 200])
        except InputError as again:
            raise InputError(f"{path.name}: {again}; check that the file is a table.") from None
        source["comment_lines"] = f"{comments} skipped above the header"
    source["separator"] = SEPARATOR_NAMES[separator]
    head = lines[header_index:header_index + 200]
    header_line = head[0].strip() if separator == " " else head[0]
    if separator == " ":
        header = next(csv.reader([header_line], delimiter=" ", skipinitialspace=True))
    else:
        header = next(csv.reader([header_line], delimiter=separator))
    header = [name.strip().lstrip("\ufeff") for name in header]
    if '"' in head[0][:200] or '"' in head[1][:200]:
        source["quoting"] = "quoted"
    counts = _field_counts(head[1:200], separator)
    width = max([*counts, len(header)])
    check_column_count(path, width)  # before the body is parsed: a 10,000-column table is refused at once
    body_text = text[ends[header_index]:] if simple else "\n".join(lines[header_index + 1:])
    if text_columns is None:
        types: dict[str, Any] = {"dtype": str, "na_filter": False}
    else:
        # numbers parsed by pandas. From pandas 3.0 its parser gives the exact float of each decimal, as
        # float() does; before 3.0 it is one unit in the last place off for some values (which changes the
        # printed digits the tool detection reads) unless asked for round_trip, an option 3.0 deprecates.
        # low_memory=False: a column's type is decided on all its rows, never per chunk (a chunk of numbers
        # followed by one of text would mix floats and strings, turning an ID "12345" into "12345.0")
        types = {"dtype": {position: str for position in text_columns(header, width)},
                 "na_values": sorted(NA_TOKENS), "low_memory": False, **_EXACT_FLOATS}
    body = io.BytesIO(body_text.encode("utf-8"))  # pandas' C parser reads bytes; a StringIO costs 4 bytes a character
    del body_text
    try:
        cells = pd.read_csv(
            body,
            encoding="utf-8",
            sep=r"\s+" if separator == " " else separator,
            header=None,
            names=range(width),
            keep_default_na=False,
            skip_blank_lines=True,
            engine="c",
            **types,
        )
    except (pd.errors.ParserError, ValueError, csv.Error) as error:
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise InputError(
            f"{path.name} could not be split into columns ({detail}); expected every row to have "
            f"{width} {source['separator']}-separated fields like the first rows: fix or remove that line."
        ) from None
    for position in cells.columns:
        if pd.api.types.is_bool_dtype(cells[position]):  # TRUE/FALSE: text, as in a workbook
            cells[position] = cells[position].map({True: "TRUE", False: "FALSE"})
        if not pd.api.types.is_numeric_dtype(cells[position]):
            cells[position] = cells[position].fillna("")
    return header, cells


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value).strip()


def _trust_no_single_cell_dimension(worksheet: Any, source: dict[str, str]) -> None:
    """Read a sheet to its real end when it declares a one-cell extent.

    openpyxl's read-only mode stops at the sheet's declared ``<dimension ref=...>``; R's ``xlsx``
    package (Apache POI) writes ``A1`` whatever the sheet holds, which would hide every data row.
    """
    if worksheet.max_row in (None, 1) or worksheet.max_column in (None, 1):
        worksheet.reset_dimensions()  # iterate over the rows actually stored, however many
        source["sheet_extent"] = "declared as one cell; read to the last stored row"


def split_workbook(path: Path, payload: bytes, sheet: str, source: dict[str, str]) -> tuple[list[str], pd.DataFrame]:
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
    worksheet = book[sheet]
    _trust_no_single_cell_dimension(worksheet, source)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = [[_cell_text(value) for value in row] for row in worksheet.iter_rows(values_only=True)]
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
    check_column_count(path, max(len(row) for row in rows))
    return header, pd.DataFrame(rows[1:], dtype=str).fillna("")
