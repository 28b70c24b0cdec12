"""Gene identifiers: symbol detection, multi-gene symbols (A /// B), duplicates, collapsing, ID -> symbol maps."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from degtools.errors import InputError
from degtools.io.split import sniff_separator
from degtools.io.table import DETable
from degtools.io.vocabulary import strip_cells

#: what joins the symbols of a row that names several genes (GEO's ``A /// B``).
MULTI_GENE_SEPARATOR = "///"
#: smallest p-value used for the -log10(p) collapse score (a p-value of 0 then scores 300).
COLLAPSE_P_FLOOR = 1e-300


def split_symbols(symbol: str | None) -> list[str]:
    """The gene symbols of one row: ``"A /// B"`` -> ``["A", "B"]``; empty -> ``[]``."""
    if symbol is None or (isinstance(symbol, float) and pd.isna(symbol)):
        return []
    return [part.strip() for part in str(symbol).split(MULTI_GENE_SEPARATOR) if part.strip()]


def read_id_map(path: str | Path) -> dict[str, str]:
    """Read a two-column file (ID, symbol; comma, tab, semicolon or space separated, with a header).

    Rows with an empty symbol are skipped; for an ID listed twice the first symbol wins.

    Raises
    ------
    InputError
        If the file is missing, not text, or does not have two columns.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"id_map file {str(path)!r} does not exist; expected a two-column ID,symbol file.")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = ""
    lines = [line for line in text.splitlines() if line.strip()]
    if "\x00" in text or len(lines) < 2:
        raise InputError(
            f"id_map file {path.name} has no data rows or is not UTF-8 text; expected a header line and "
            "one 'ID, symbol' line per gene."
        )
    try:
        separator = sniff_separator(lines[:200])
    except InputError:
        raise InputError(
            f"id_map file {path.name} has 1 column; expected two (ID, symbol), "
            "separated by a comma or a tab."
        ) from None
    frame = pd.read_csv(io.StringIO("\n".join(lines)), sep=r"\s+" if separator == " " else separator, dtype=str,
                        keep_default_na=False, on_bad_lines="skip", engine="python")
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


#: a gene symbol: letters first, then letters, digits, '-', '.', '_' or '@' (e.g. TP53, HLA-DRB1,
#: C1orf112, Mt-co1, RP11-34P13.7); several joined by MULTI_GENE_SEPARATOR count too.
_ONE_SYMBOL = r"[A-Za-z][A-Za-z0-9._@-]{0,24}"
_SYMBOL = re.compile(rf"^{_ONE_SYMBOL}(\s*{re.escape(MULTI_GENE_SEPARATOR)}\s*{_ONE_SYMBOL})*$")
#: identifiers that look like symbols but are IDs: Ensembl, RefSeq, Affymetrix probes, Entrez numbers,
#: FlyBase, yeast systematic ORF names, numbered placeholders (g1, gene2, p3, row4), and UniProt
#: accessions (P12345, A0A023GPI8) and entry names (P53_HUMAN: a protein mnemonic, not the gene symbol).
_NOT_SYMBOL = re.compile(
    r"^(ENS[A-Z]*[GTP]\d{6,}(\.\d+)?|[NX][MR]_\d+(\.\d+)?|.*_(x_|s_|a_)?at|\d+|FBgn\d+"
    r"|Y[A-P][LR]\d{3}[WC](-[A-Z])?|(g|gene|p|probe|row|id)\d+"
    r"|[OPQ][0-9][A-Z0-9]{3}[0-9](-\d+)?|[A-NR-Z][0-9]([A-Z][A-Z0-9]{2}[0-9]){1,2}(-\d+)?|[A-Z0-9]{1,10}_[A-Z]{2,5})$"
)


def looks_like_symbols(values: pd.Series, *, share: float = 0.8) -> bool:
    """Whether most non-empty values of a text column look like gene symbols (not IDs or prose)."""
    present = values.dropna().astype(str).str.strip()
    present = present[present.ne("")]
    if present.empty:
        return False
    sample = present.head(2000)
    symbol_like = sample.str.match(_SYMBOL) & ~sample.str.match(_NOT_SYMBOL)
    return bool(symbol_like.mean() >= share)


def count_duplicates(data: pd.DataFrame) -> dict[str, int]:
    """Rows repeating an earlier ID or symbol, and rows naming several genes (``A /// B``)."""
    counts: dict[str, int] = {}
    for column in ("gene_id", "symbol"):
        if column in data:
            values = strip_cells(data[column].dropna())
            values = values[values.ne("")]
            counts[column] = int(values.duplicated().sum())
    if "symbol" in data:
        counts["multi_gene_symbols"] = int(
            data["symbol"].dropna().astype(str).str.contains(MULTI_GENE_SEPARATOR, regex=False).sum()
        )
    return counts


def collapse_score(table: DETable) -> tuple[pd.Series, str]:
    """Per-row score used to pick one row per gene, and its description.

    |statistic| if the table has one, else -log10(p-value), else |logFC|.
    """
    data = table.data
    if "stat" in data:
        return data["stat"].abs(), f"largest |{table.display_name('stat')}|"
    if "pvalue" in data:
        score = -np.log10(data["pvalue"].clip(lower=COLLAPSE_P_FLOOR))
        return score, f"smallest {table.display_name('pvalue')}"
    if "logFC" in data:
        return data["logFC"].abs(), f"largest |{table.display_name('logFC')}|"
    raise InputError(
        f"collapse needs a statistic, a p-value or a fold change in {table.path.name}; none was found. "
        "Map one with column_map or leave collapse off."
    )


def collapse_genes(table: DETable) -> DETable:
    """A copy of ``table`` with one row per gene: the row with the largest |statistic|.

    Genes are keyed by symbol when the table has symbols (rows without one are kept as they
    are), else by ID. Ties and missing scores keep the first row in file order.
    """
    key_column = "symbol" if "symbol" in table.data else "gene_id"
    data = table.data
    score, described = collapse_score(table)
    keys = data[key_column].astype("string").str.strip()
    # a numpy bool array: pandas < 2.2 gives an object array for the nullable boolean, where ~ is not "not"
    has_key = (keys.notna() & keys.ne("")).to_numpy(dtype=bool, na_value=False)
    order = pd.DataFrame({"key": keys, "score": score.fillna(-np.inf), "row": np.arange(len(data))})
    ranked = order[has_key].sort_values(["score", "row"], ascending=[False, True], kind="mergesort")
    keep_rows = set(ranked.drop_duplicates("key", keep="first")["row"]) | set(order.loc[~has_key, "row"])
    keep = np.isin(np.arange(len(data)), sorted(keep_rows))
    collapsed = data.loc[keep].reset_index(drop=True)
    note = (f"collapse: {len(data):,} rows -> {len(collapsed):,} (one row per "
            f"{table.display_name(key_column)}, the one with the {described})")
    return replace(table, data=collapsed, notes=[*table.notes, note])
