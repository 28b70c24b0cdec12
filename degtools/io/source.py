"""Bytes of a DE table file: where it is, its compression or container, and its text.

The first step of reading: find the file (or the bundled demo), take off gzip, bzip2, xz and a
one-file zip (found by magic numbers, not the file name), tell an ``.xlsx`` workbook from text,
and decode the text, refusing binary content and HTML pages with a one-line :class:`InputError`.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import stat
import zipfile
import zlib
from importlib import resources
from pathlib import Path

from degtools.errors import InputError

#: the bundled demo table (in degtools/data), read when no input table is given.
DEMO_TABLE = "GSE15852.top.table.tsv"


def demo_table_path() -> Path:
    """Path of the bundled demo table (GSE15852, breast tumour vs normal, GEO2R)."""
    return Path(str(resources.files("degtools") / "data" / DEMO_TABLE))


def resolve_input_path(input_table: str | Path | None, *, option: str = "-p input_table") -> Path:
    """The file to read: the demo table for an empty value, else the given path (checked).

    ``option`` is how the user gave the path (``--input`` on the command line, ``-p input_table`` to
    papermill); the error message tells them to fix it there.
    """
    if input_table is None or str(input_table).strip() == "":
        return demo_table_path()
    path = Path(input_table).expanduser()
    try:
        mode = os.stat(path).st_mode  # follows symlinks; never opens the file (a FIFO would block)
    except FileNotFoundError:
        where = "" if path.is_absolute() else f" (looked in {Path.cwd()})"
        raise InputError(
            f"input table {str(input_table)!r} does not exist{where}; pass the path of a DE results table "
            f"with {option} PATH, or leave {option} out for the bundled demo table."
        ) from None
    except OSError as error:
        raise InputError(
            f"input table {str(path)!r} cannot be examined ({error.strerror}); "
            "expected a readable DE results file: check the path and its permissions."
        ) from None
    if stat.S_ISDIR(mode):
        raise InputError(
            f"input table {str(path)!r} is a folder, expected a DE results file (.csv, .tsv, .txt); "
            "pass the path of the file itself."
        )
    if not stat.S_ISREG(mode):
        raise InputError(
            f"input table {str(path)!r} is {_file_kind(mode)}, not a regular file; expected a DE results file "
            "on disk: save the data to a file first and pass that file's path."
        )
    return path


def _file_kind(mode: int) -> str:
    """What a non-regular file is, in words (for the refusal message)."""
    kinds = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))
    return next((name for test, name in kinds if test(mode)), "a special file")


_MAGIC = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"PK\x03\x04", "zip"),
)
_DECOMPRESS = {"gzip": gzip.decompress, "bzip2": bz2.decompress, "xz": lzma.decompress}


def unwrap_payload(path: Path, payload: bytes, source: dict[str, str]) -> tuple[str, bytes]:
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


def decode_text(path: Path, payload: bytes, source: dict[str, str]) -> str:
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
    if "\x00" in text:  # past the 8 KB sniffed above: the text would carry it into the report
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise InputError(
            f"{path.name} holds {text.count(chr(0)):,} NUL byte(s), the first on line {line:,}: binary data inside "
            "a text table (a damaged download or a file written while in use); expected plain text: fix or "
            "remove that line, or export the table again."
        )
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
