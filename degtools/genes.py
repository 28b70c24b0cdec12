"""Gene identifiers: multi-gene symbols, and ID -> symbol maps for tables with IDs only."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from degtools.errors import InputError
from degtools.tables import DETable

MULTI_GENE_SEPARATOR = "///"


def split_symbols(symbol: str | None) -> list[str]:
    """The gene symbols of one row: ``"A /// B"`` -> ``["A", "B"]``; empty -> ``[]``."""
    if symbol is None or (isinstance(symbol, float) and pd.isna(symbol)):
        return []
    return [part.strip() for part in str(symbol).split(MULTI_GENE_SEPARATOR) if part.strip()]


def read_id_map(path: str | Path) -> dict[str, str]:
    """Read a two-column file (ID, symbol; comma or tab separated, with a header) into a dict.

    Rows with an empty symbol are skipped; for an ID listed twice the first symbol wins.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"id_map file {str(path)!r} does not exist; expected a two-column ID,symbol file.")
    frame = pd.read_csv(path, sep=None, engine="python", dtype=str, keep_default_na=False)
    if frame.shape[1] < 2:
        raise InputError(
            f"id_map file {path.name} has {frame.shape[1]} column; expected two (ID, symbol), "
            "separated by a comma or a tab."
        )
    ids, symbols = frame.iloc[:, 0].str.strip(), frame.iloc[:, 1].str.strip()
    keep = ids.ne("") & symbols.ne("")
    mapping: dict[str, str] = {}
    for gene_id, symbol in zip(ids[keep], symbols[keep]):
        mapping.setdefault(gene_id, symbol)
    return mapping


def apply_id_map(table: DETable, mapping: dict[str, str]) -> DETable:
    """A copy of ``table`` whose ``symbol`` column is filled from ``mapping`` by gene ID.

    Existing symbols are kept; IDs are matched as written and, failing that, without an
    Ensembl version suffix (``ENSG00000000003.15`` -> ``ENSG00000000003``).
    """
    data = table.data.copy()
    ids = data["gene_id"].astype(str)
    mapped = ids.map(mapping)
    unversioned = ids.str.replace(r"\.\d+$", "", regex=True).map(mapping)
    mapped = mapped.fillna(unversioned)
    if "symbol" in data.columns:
        data["symbol"] = data["symbol"].where(data["symbol"].notna() & data["symbol"].ne(""), mapped)
        column_map = dict(table.column_map)
    else:
        data["symbol"] = mapped
        column_map = {**table.column_map, "symbol (from id_map)": "symbol"}
    notes = [*table.notes, f"id_map gave a symbol to {int(mapped.notna().sum()):,} of {len(data):,} IDs"]
    return replace(table, data=data, column_map=column_map, notes=notes)
