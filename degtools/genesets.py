"""Gene-set collections: GMT files, the bundled Hallmark sets, and how many of a table's genes they know.

The default gene sets are the MSigDB Hallmark collection bundled in ``degtools/data``
(CC BY 4.0, see :data:`HALLMARK_ATTRIBUTION`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from degtools.errors import InputError
from degtools.gene_level import gene_names
from degtools.io import DETable
from degtools.io.genes import split_symbols
from degtools.provenance import file_sha256

HALLMARK_FILE = "h.all.v2023.1.Hs.symbols.gmt"

#: the attribution the MSigDB licence (CC BY 4.0) asks for, shown wherever Hallmark results are.
HALLMARK_ATTRIBUTION = (
    "The Hallmark gene sets come from MSigDB v2023.1.Hs (Liberzon et al. 2015, Cell Systems 1:417-425), "
    "(c) 2004-2023 Broad Institute, Inc., Massachusetts Institute of Technology, and Regents of the "
    "University of California, distributed under the Creative Commons Attribution 4.0 International "
    "License (CC BY 4.0)."
)

#: fewest genes of a table that must match the gene sets before any enrichment is attempted.
MIN_MATCHED_GENES = 10


@dataclass
class GeneSets:
    """A collection of gene sets read from a GMT file."""

    name: str
    path: Path
    sha256: str
    sets: dict[str, list[str]]
    descriptions: dict[str, str] = field(default_factory=dict)

    @property
    def genes(self) -> set[str]:
        """Every gene named by any set."""
        return {gene for genes in self.sets.values() for gene in genes}

    @property
    def is_hallmark(self) -> bool:
        """Whether these are the MSigDB Hallmark sets (which need the CC BY 4.0 attribution)."""
        return self.path.name.startswith("h.all.") or all(name.startswith("HALLMARK_") for name in self.sets)

    @property
    def attribution(self) -> str:
        """Attribution line for a report that uses these sets (empty when none is known)."""
        return HALLMARK_ATTRIBUTION if self.is_hallmark else ""

    def describe(self) -> dict[str, Any]:
        """Name, file, sha256 and size, for the methods and the JSON."""
        sizes = [len(genes) for genes in self.sets.values()]
        return {
            "name": self.name,
            "path": str(self.path),
            "sha256": self.sha256,
            "sets": len(self.sets),
            "genes": len(self.genes),
            "min_set_size": min(sizes),
            "max_set_size": max(sizes),
            "attribution": self.attribution,
        }


def default_gene_sets_path() -> Path:
    """Path of the bundled MSigDB Hallmark GMT."""
    return Path(str(resources.files("degtools") / "data" / HALLMARK_FILE))


def read_gmt(path: str | Path | None = None) -> GeneSets:
    """Read a GMT file: one set per line, ``name <TAB> description <TAB> gene <TAB> gene ...``.

    Set names are kept exactly as written (spaces, quotes and parentheses included); the
    description may be empty. Empty gene fields and repeated genes within a set are dropped.

    Parameters
    ----------
    path
        The GMT file; empty or ``None`` reads the bundled Hallmark collection.

    Raises
    ------
    InputError
        If the file is missing or holds no line with a name and at least one gene.
    """
    path = default_gene_sets_path() if path is None or str(path).strip() == "" else Path(path).expanduser()
    if not path.is_file():
        raise InputError(
            f"gene_sets file {str(path)!r} does not exist; expected a GMT file (name, description, genes, "
            "tab-separated). Leave gene_sets empty for the bundled Hallmark sets."
        )
    sets: dict[str, list[str]] = {}
    descriptions: dict[str, str] = {}
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            fields = line.rstrip("\r\n").split("\t")
            if len(fields) < 3 or not fields[0].strip():
                continue
            name = fields[0].strip()
            genes = list(dict.fromkeys(gene.strip() for gene in fields[2:] if gene.strip()))
            if not genes:
                continue
            if name in sets:
                sets[name] = list(dict.fromkeys(sets[name] + genes))
            else:
                sets[name] = genes
                descriptions[name] = fields[1].strip()
    if not sets:
        raise InputError(
            f"{path.name} holds no gene set; expected GMT lines "
            "'name<TAB>description<TAB>gene1<TAB>gene2...'."
        )
    name = path.name.removesuffix(".gmt")
    return GeneSets(name=name, path=path, sha256=file_sha256(path), sets=sets, descriptions=descriptions)


@dataclass
class MatchSummary:
    """How many of a table's genes the gene sets know."""

    rows: int
    rows_named: int
    genes: int
    matched: int
    collection: str
    by: str = "symbol"

    @property
    def usable(self) -> bool:
        """Whether enough genes matched for enrichment to mean anything."""
        return self.matched >= MIN_MATCHED_GENES

    def sentence(self) -> str:
        """E.g. "0 of 14,599 IDs matched any Hallmark gene", with what to do when too few matched."""
        if self.by == "ID":
            text = f"{self.matched:,} of {self.rows:,} IDs matched any {self.collection} gene"
            if not self.usable:
                text += (
                    ": the table has no gene symbols. Give a two-column ID, symbol file with the id_map "
                    "parameter, or a GMT file that uses the table's own IDs with gene_sets."
                )
            return text + ("" if not self.usable else " (the table has no symbols: matched by ID).")
        text = (
            f"{self.matched:,} of {self.genes:,} gene symbols (from {self.rows_named:,} of "
            f"{self.rows:,} rows) matched any {self.collection} gene."
        )
        if not self.usable:
            text += (
                f" That is too few (at least {MIN_MATCHED_GENES} are needed): the table may be from "
                "another organism or use other identifiers. Give a GMT file for its organism and IDs "
                "with gene_sets, or map its IDs to symbols with id_map."
            )
        return text


def match_genes(table: DETable, genes: pd.DataFrame, gene_sets: GeneSets) -> MatchSummary:
    """Count the table's rows, named rows, genes and genes present in any gene set."""
    names, by = gene_names(table)
    rows_named = int(names.map(split_symbols).map(bool).sum())
    known = gene_sets.genes
    matched = sum(1 for name in genes.index if name in known)
    collection = "Hallmark" if gene_sets.is_hallmark else gene_sets.name
    return MatchSummary(len(table.data), rows_named, len(genes), matched, collection, by)
