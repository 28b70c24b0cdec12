"""Per-gene knowledge as features: read a covariate table a user already has and join it to a DE table.

A gene-feature file holds one row per gene: a key (gene symbol, Ensembl ID, probe ID or Entrez ID)
and what is known about the gene independently of the study at hand (how often it is DE in other
experiments, its biotype, its length ...). Numeric columns become features as they are; a text
column with few distinct values (e.g. ``gene_biotype``) becomes 0/1 columns for its most frequent
levels. :func:`join_gene_features` joins the file to a :class:`~degtools.io.DETable` by the
key pair that matches most rows, and says which key it used and how many rows matched.
"""

from __future__ import annotations

import gzip
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from degtools.bundled import ATTRIBUTIONS, BUNDLED_COLUMNS, BUNDLED_GENE_FEATURES, bundled_gene_features_path
from degtools.errors import InputError
from degtools.io import DETable, genes
from degtools.io.split import sniff_separator
from degtools.io.vocabulary import NA_TOKENS, ROW_NUMBERS
from degtools.provenance import file_sha256

#: a column is a key when at least this share of its present values look like one kind of gene ID.
KEY_SHARE = 0.8
#: ... and at least this share of them are distinct.
KEY_UNIQUE_SHARE = 0.5
#: a column is numeric when at least this share of its present values are numbers.
NUMERIC_SHARE = 0.95
#: a text column with at most this many distinct values (and fewer than half as many as rows) is categorical.
MAX_CATEGORY_LEVELS = 50
#: of a categorical column, this many of the most frequent levels become 0/1 columns.
CATEGORY_TOP_LEVELS = 8

#: normalised headers that name an Entrez (NCBI Gene) ID column.
ENTREZ_HEADERS = ("entrez", "entrezid", "entrezgene", "entrezgeneid", "ncbigeneid", "ncbiid")
#: normalised headers of generic ID columns (accepted as keys when their values are mostly unique).
ID_HEADERS = ("id", "geneid", "probeid", "probe", "probesetid", "featureid", "gene", "ensemblid", "rownames")

_ENSEMBL = re.compile(r"^ENS[A-Z]*[GTP]\d{6,}(\.\d+)?$", re.IGNORECASE)
_ENSEMBL_VERSION = re.compile(r"^(ENS[A-Z]*\d+)\.\d+$", re.IGNORECASE)
_PROBE = re.compile(r"^(.+_at|ILMN_\d+|A_\d+_P\d+)$")
_DIGITS = re.compile(r"^\d+(\.0+)?$")
ROW_NAMES = "(row names)"


def _normalise_header(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(header).lower())


@dataclass
class GeneFeatureTable:
    """A per-gene covariate file: its key columns and its numeric feature columns, row for row.

    Attributes
    ----------
    name
        Short name of the source, used to prefix the feature names (``sophie: Percent DE (simulated)``).
    path
        The file read.
    sha256
        Checksum of the file's bytes.
    keys
        Header -> kind (``"symbol"``, ``"Ensembl ID"``, ``"probe ID"``, ``"Entrez ID"``, ``"ID"``) of
        every column that can join the file to a DE table.
    key_values
        The key columns as text (missing values as None), in file order.
    values
        The feature columns as floats, in file order (one-hot columns named ``<header> = <level>``).
    notes
        What the reader decided (categorical levels kept, columns ignored or dropped).
    """

    name: str
    path: Path
    sha256: str
    keys: dict[str, str]
    key_values: pd.DataFrame
    values: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def attribution(self) -> str:
        """Attribution line for a bundled file (empty for a user's own file)."""
        return ATTRIBUTIONS.get(self.path.name, "")

    def record(self) -> dict[str, Any]:
        """Name, file name (no folder), checksum, keys, rows and feature columns."""
        return {"name": self.name, "file": self.path.name, "sha256": self.sha256, "keys": dict(self.keys),
                "rows": len(self.values), "columns": list(self.values.columns), "notes": list(self.notes),
                "attribution": self.attribution}


def _read_cells(path: Path, *, sheet: str) -> pd.DataFrame:
    """Every cell of the file as stripped text ('' for empty), with the file's headers."""
    payload = path.read_bytes()
    try:
        if payload.startswith(b"\x1f\x8b"):
            payload = gzip.decompress(payload)
        if payload.startswith(b"PK\x03\x04"):
            return pd.read_excel(io.BytesIO(payload), sheet_name=sheet or 0, dtype=str).fillna("")
    except (OSError, EOFError, ValueError, KeyError) as error:
        raise InputError(f"gene features file {path.name} could not be opened ({error}); expected a complete "
                         ".gz file or an .xlsx workbook (with the sheet asked for).") from None
    try:
        text = payload.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = payload.decode("cp1252", errors="replace")
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2:
        raise InputError(f"gene features file {path.name} has no data rows; expected a header line and one "
                         "line per gene.")
    try:
        separator = sniff_separator(lines[:200])
    except InputError as error:
        raise InputError(f"gene features file {path.name}: {error}.") from None
    try:
        frame = pd.read_csv(io.StringIO("\n".join(lines)), sep=r"\s+" if separator == " " else separator,
                            dtype=str, keep_default_na=False, na_filter=False)
    except pd.errors.ParserError as error:
        detail = str(error).strip().splitlines()[0]
        raise InputError(f"gene features file {path.name} could not be split into columns ({detail}); expected "
                         "every row to have as many fields as the header: fix or remove that line.") from None
    if not isinstance(frame.index, pd.RangeIndex):  # header one field short (R write.table): row names
        frame = frame.reset_index(names=ROW_NAMES)
    return frame.fillna("")


def _key_kind(header: str, present: pd.Series) -> str | None:
    """The kind of gene ID a text column holds, or None when it is not a key."""
    if present.empty or present.nunique() < KEY_UNIQUE_SHARE * len(present):
        return None  # a category (e.g. gene_biotype), not a key
    normalised = _normalise_header(header)
    sample = present.head(5000)
    if normalised in ENTREZ_HEADERS and sample.str.match(_DIGITS).mean() >= KEY_SHARE:
        return "Entrez ID"
    if pd.to_numeric(sample, errors="coerce").notna().mean() >= KEY_SHARE:
        return "ID" if normalised in ID_HEADERS else None  # numbers: no Ensembl ID, probe ID or symbol
    if sample.str.match(_ENSEMBL).mean() >= KEY_SHARE:
        return "Ensembl ID"
    if sample.str.match(_PROBE).mean() >= KEY_SHARE:
        return "probe ID"
    if genes.looks_like_symbols(sample, share=KEY_SHARE):
        return "symbol"
    if normalised in ID_HEADERS:
        return "ID"
    return None


def _one_hot(header: str, text: pd.Series, present: pd.Series) -> tuple[dict[str, pd.Series], str]:
    """0/1 columns for the most frequent levels of a categorical column, and a note."""
    counts = text[present].value_counts()
    kept = list(counts.index[:CATEGORY_TOP_LEVELS])
    columns = {f"{header} = {level}": text.eq(level).astype(float).where(present) for level in kept}
    other = int(counts.iloc[len(kept):].sum())
    note = (f"{header}: the {len(kept)} most frequent of its {len(counts)} levels became 0/1 columns"
            + (f"; the other levels ({other:,} rows) are 0 in all of them" if other else ""))
    return columns, note


def read_gene_features(path: str | Path, *, name: str = "", sheet: str = "") -> GeneFeatureTable:
    """Read a per-gene covariate table (CSV/TSV/whitespace, optionally gzipped, or .xlsx).

    Parameters
    ----------
    path
        The file, or the short name of a bundled one (``"sophie"``, ``"biotype"``).
    name
        Prefix of its feature names; by default the bundled short name or the file name's stem.
    sheet
        Sheet of an ``.xlsx`` workbook (default: the first).

    Raises
    ------
    InputError
        If the file is missing or not a table, or has no gene key column or no numeric column.
    """
    text_path = str(path)
    if text_path in BUNDLED_GENE_FEATURES:
        name = name or text_path
        path = bundled_gene_features_path(text_path)
    path = Path(path).expanduser()
    if not path.is_file():
        raise InputError(f"gene features file {str(path)!r} does not exist; expected a table with a gene key "
                         f"column, or one of the bundled {', '.join(BUNDLED_GENE_FEATURES)}.")
    name = name or path.name.split(".")[0]
    cells = _read_cells(path, sheet=sheet)
    headers = [str(header).strip() for header in cells.columns]
    headers = [(ROW_NAMES if position == 0 else f"column {position + 1}") if header.startswith("Unnamed: ")
               else header for position, header in enumerate(headers)]
    cells.columns = headers
    keys: dict[str, str] = {}
    key_values: dict[str, pd.Series] = {}
    values: dict[str, pd.Series] = {}
    notes: list[str] = []
    ignored: list[str] = []
    for header in headers:
        text = cells[header].astype(str).str.strip()
        present = ~text.isin(NA_TOKENS)
        kind = _key_kind(header, text[present])
        if kind is not None:
            keys[header] = kind
            key_values[header] = text.where(present, None)
            continue
        numbers = pd.to_numeric(text.where(present), errors="coerce")
        if present.any() and numbers.notna().sum() >= NUMERIC_SHARE * present.sum():
            values[header] = numbers.astype(float)
        elif present.any() and text[present].nunique() <= min(MAX_CATEGORY_LEVELS, 0.5 * present.sum()):
            columns, note = _one_hot(header, text, present)
            values.update(columns)
            notes.append(note)
        else:
            ignored.append(header)
    if ignored:
        notes.append(f"text columns not used as features: {', '.join(ignored)}")
    if not keys:
        raise InputError(
            f"gene features file {path.name} has no gene key column (columns: {', '.join(headers)}); "
            "expected a column of gene symbols, Ensembl IDs, probe IDs or Entrez IDs: add one, named e.g. "
            "'symbol'."
        )
    frame = pd.DataFrame(values, index=cells.index)
    constant = [column for column in frame.columns if frame[column].nunique() < 2]
    if constant:
        frame = frame.drop(columns=constant)
        notes.append(f"empty or constant columns dropped: {', '.join(constant)}")
    if text_path in BUNDLED_COLUMNS:
        used, reason = BUNDLED_COLUMNS[text_path]
        left_out = [column for column in frame.columns if column not in used]
        frame = frame[[column for column in frame.columns if column in used]]
        notes.append(f"bundled {text_path}: {len(left_out)} columns not used ({', '.join(left_out)}): {reason}; "
                     f"give the file itself (degtools/data/{path.name}) as gene_features to use every column")
    if frame.empty or not len(frame.columns):
        raise InputError(
            f"gene features file {path.name} has no numeric column besides its keys ({', '.join(keys)}); "
            "expected per-gene numbers (or a category such as gene_biotype): add at least one."
        )
    return GeneFeatureTable(name=name, path=path, sha256=file_sha256(path), keys=keys,
                            key_values=pd.DataFrame(key_values, index=cells.index), values=frame, notes=notes)


# ----------------------------------------------------------------------------------------------
# Joining
# ----------------------------------------------------------------------------------------------


def normalise_ids(values: pd.Series, *, ignore_case: bool) -> pd.Series:
    """Keys ready to compare: stripped; Ensembl version suffix and an integer's ``.0`` dropped; upper case."""
    text = values.astype("string").str.strip()
    dotted = text.str.contains(".", regex=False, na=False)  # both suffixes have a dot: most keys skip the regexes
    if dotted.any():
        text = text.mask(dotted, text[dotted].str.replace(_ENSEMBL_VERSION, r"\1", regex=True)
                         .str.replace(r"^(\d+)\.0+$", r"\1", regex=True))
    text = text.where(text.ne("") & ~text.isin(NA_TOKENS))
    return text.str.upper() if ignore_case else text


def _table_keys(table: DETable) -> list[tuple[str, str, pd.Series]]:
    """(header, kind, values) of every column of ``table`` that can hold a gene key."""
    candidates = []
    data = table.data
    if table.has_symbols:
        first = data["symbol"].map(genes.split_symbols).map(lambda names: names[0] if names else None)
        candidates.append((table.display_name("symbol"), "symbol", first))
    if "gene_id" in data and table.display_name("gene_id") != ROW_NUMBERS:
        kind = "symbol" if genes.looks_like_symbols(data["gene_id"]) else "ID"
        candidates.append((table.display_name("gene_id"), kind, data["gene_id"]))
    for column in data.columns:
        if _normalise_header(column) in ENTREZ_HEADERS:
            candidates.append((column, "Entrez ID", data[column]))
    return candidates


@dataclass
class FeatureJoin:
    """Gene features aligned to a DE table's rows, and the key that joined them."""

    name: str
    file: str
    sha256: str
    key: dict[str, Any]
    rows: int
    matched_rows: int
    genes: int
    matched_genes: int
    features: pd.DataFrame
    attempts: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)

    @property
    def columns(self) -> list[str]:
        """The (prefixed) feature names."""
        return list(self.features.columns)

    def sentence(self) -> str:
        """How the file was joined: which key pair, how many rows and genes matched."""
        how = ", ignoring case and Ensembl version suffixes" if self.key["ignore_case"] else ""
        text = (f"{self.name} ({self.file}): {self.matched_rows:,} of {self.rows:,} rows "
                f"({self.matched_genes:,} of {self.genes:,} distinct keys) matched, by the table's "
                f"{self.key['table_column']!r} against the file's {self.key['feature_column']!r} "
                f"({self.key['kind']}{how}); {len(self.columns)} feature columns.")
        return " ".join([text, *self.notes])

    def record(self) -> dict[str, Any]:
        """Name, file name, checksum, key, matched rows, rows and columns (plus the keys tried)."""
        return {"name": self.name, "file": self.file, "sha256": self.sha256, "key": dict(self.key),
                "matched_rows": self.matched_rows, "rows": self.rows, "genes": self.genes,
                "matched_genes": self.matched_genes, "columns": self.columns,
                "attempts": [dict(attempt) for attempt in self.attempts], "notes": list(self.notes)}


def join_gene_features(table: DETable, features: GeneFeatureTable) -> FeatureJoin:
    """Join ``features`` to ``table`` by the key pair that matches most rows.

    Every key column of the table (first symbol of ``A /// B`` rows, gene ID, Entrez column) is
    tried against every key column of the file. Symbols are compared as written (their case tells
    species apart); IDs ignoring case and Ensembl version suffixes. A key repeated in the file
    takes its first row. The result has one row per row of ``table.data`` (NaN where no match),
    columns named ``<name>: <feature>``.

    Raises
    ------
    InputError
        If no key of the table matches any key of the file.
    """
    attempts = []
    best = None
    normalised: dict[tuple[str, str, bool], pd.Series] = {}
    lookups: dict[tuple[str, bool], tuple[pd.Series, pd.Series]] = {}
    for table_column, table_kind, table_values in _table_keys(table):
        for feature_column, feature_kind in features.keys.items():
            ignore_case = "symbol" not in (table_kind, feature_kind)
            if (table_kind, table_column, ignore_case) not in normalised:
                normalised[table_kind, table_column, ignore_case] = normalise_ids(table_values,
                                                                                  ignore_case=ignore_case)
            own = normalised[table_kind, table_column, ignore_case]
            if (feature_column, ignore_case) not in lookups:
                theirs = normalise_ids(features.key_values[feature_column], ignore_case=ignore_case)
                lookup = pd.Series(range(len(theirs)), index=theirs.to_numpy())
                lookups[feature_column, ignore_case] = (
                    theirs, lookup[lookup.index.notna() & ~lookup.index.duplicated(keep="first")])
            theirs, lookup = lookups[feature_column, ignore_case]
            positions = own.map(lookup)
            matched = int(positions.notna().sum())
            attempts.append({"table_column": table_column, "feature_column": feature_column,
                             "matched_rows": matched})
            if best is None or matched > best[0]:
                key = {"table_column": table_column, "feature_column": feature_column, "kind": feature_kind,
                       "ignore_case": ignore_case}
                best = (matched, key, own, theirs, positions)
    if best is None or best[0] == 0:
        table_examples = [str(v) for _, _, values in _table_keys(table) for v in values.dropna().head(2)]
        file_examples = [str(v) for v in features.key_values.stack().head(3)]
        raise InputError(
            f"gene features file {features.path.name} matches no row of {table.path.name}: expected shared "
            f"gene keys; found table keys like {', '.join(table_examples[:4]) or 'none'} and file keys like "
            f"{', '.join(file_examples)}. Give a file keyed by the table's symbols or IDs (or add symbols "
            "to the table with id_map)."
        )
    matched, key, own, theirs, positions = best
    present = positions.notna().to_numpy()
    aligned = pd.DataFrame(float("nan"), index=table.data.index, columns=features.values.columns)
    aligned.loc[present] = features.values.iloc[positions[present].astype(int).to_numpy()].to_numpy()
    aligned.columns = [f"{features.name}: {column}" for column in features.values.columns]
    notes = []
    repeated = int(theirs.dropna().duplicated().sum())
    if repeated:
        notes.append(f"{repeated:,} rows of {features.path.name} repeat a {key['feature_column']!r} value "
                     "already seen: the first occurrence is used.")
    if key["kind"] == "symbol" and table.has_symbols and key["table_column"] == table.display_name("symbol"):
        multi = table.data["symbol"].astype("string").str.contains(genes.MULTI_GENE_SEPARATOR, regex=False)
        several = int((multi.fillna(False).to_numpy() & present).sum())
        if several:
            notes.append(f"{several:,} matched rows name several genes (A /// B): the first symbol was used.")
    return FeatureJoin(name=features.name, file=features.path.name, sha256=features.sha256, key=key,
                       rows=len(table.data), matched_rows=matched, genes=int(own.dropna().nunique()),
                       matched_genes=int(own[present].nunique()), features=aligned, attempts=attempts,
                       notes=notes)
