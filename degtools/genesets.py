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
#: enrichment is refused when fewer than this share of the table's genes are in the gene sets AND fewer
#: than :data:`MIN_SET_COVERAGE` of the sets' genes are in the table: chance matches of another organism
#: (human Hallmark on an Arabidopsis table: ~1% and ~6%; on a human table: ~20% and ~90%).
MIN_MATCHED_FRACTION = 0.05
#: see :data:`MIN_MATCHED_FRACTION`: a small custom GMT whose genes are all in the table is still fine.
MIN_SET_COVERAGE = 0.25


def _percent(fraction: float) -> str:
    return f"{fraction:.2%}" if fraction < 0.01 else f"{fraction:.1%}"


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
    """How many of a table's genes the gene sets know, and whether that is enough for enrichment."""

    rows: int
    rows_named: int
    genes: int
    matched: int
    collection: str
    by: str = "symbol"
    #: distinct genes named by the gene sets (0: unknown, the coverage check is skipped).
    set_genes: int = 0
    #: the table's genes that match a set gene only when case is ignored (Trp53 against TP53).
    case_only: int = 0
    #: clusters of a Seurat FindAllMarkers table read without choosing one (0 or 1: not mixed).
    clusters: int = 0

    @property
    def fraction(self) -> float:
        """Share of the table's genes that are in any gene set."""
        return self.matched / self.genes if self.genes else 0.0

    @property
    def coverage(self) -> float:
        """Share of the gene sets' genes that are in the table (1 when unknown)."""
        return self.matched / self.set_genes if self.set_genes else 1.0

    @property
    def chance_level(self) -> bool:
        """True when the overlap looks like chance matches (another organism): both shares are small."""
        return self.fraction < MIN_MATCHED_FRACTION and self.coverage < MIN_SET_COVERAGE

    @property
    def usable(self) -> bool:
        """Whether enough genes matched, in a single gene ranking, for enrichment to mean anything."""
        return self.matched >= MIN_MATCHED_GENES and not self.chance_level and self.clusters <= 1

    def reason(self) -> str:
        """Why enrichment was not run ("" when it was)."""
        return "" if self.usable else self.sentence()

    def _casing(self) -> str:
        if self.case_only < MIN_MATCHED_GENES or self.case_only < 2 * self.matched:
            return ""
        return (
            f" Ignoring case, {self.case_only:,} more symbols would match: the table's symbols are capitalised "
            "like mouse or rat genes (Trp53) while the gene sets' are all capitals like human genes (TP53). "
            "Give gene sets of the table's organism (e.g. MSigDB's mouse collections) with gene_sets; "
            "upper-casing symbols is no orthology map."
        )

    def _clusters(self) -> str:
        return (
            f" The table mixes {self.clusters} clusters of Seurat FindAllMarkers (a gene's rows come from "
            "different clusters, so there is no single ranking or up/down list): gene-set tests were not run. "
            "Set the cluster parameter (-p cluster NAME) for the tests of one cluster, against that cluster's "
            "listed genes as background."
        )

    def sentence(self) -> str:
        """E.g. "0 of 14,599 IDs matched any Hallmark gene", with what to do when enrichment was not run."""
        if self.by == "ID":
            text = f"{self.matched:,} of {self.rows:,} IDs matched any {self.collection} gene"
            if self.matched < MIN_MATCHED_GENES:
                text += (
                    ": the table has no gene symbols. Give a two-column ID, symbol file with the id_map "
                    "parameter, or a GMT file that uses the table's own IDs with gene_sets."
                )
            elif self.chance_level:
                text += f" ({_percent(self.fraction)}), too few to be more than chance." + self._organism()
            else:
                text += " (the table has no symbols: matched by ID)."
            return text + (self._clusters() if self.clusters > 1 else "")
        text = (
            f"{self.matched:,} of {self.genes:,} gene symbols (from {self.rows_named:,} of "
            f"{self.rows:,} rows) matched any {self.collection} gene."
        )
        if self.matched < MIN_MATCHED_GENES:
            text += (
                f" That is too few (at least {MIN_MATCHED_GENES} are needed): the table may be from "
                "another organism or use other identifiers. Give a GMT file for its organism and IDs "
                "with gene_sets, or map its IDs to symbols with id_map." + self._casing()
            )
        elif self.chance_level:
            text = (
                f"{self.matched:,} of {self.genes:,} symbols ({_percent(self.fraction)}) are in the "
                f"{self.collection} gene sets, and {_percent(self.coverage)} of the sets' {self.set_genes:,} "
                "genes are in the table; human gene sets on another organism's table? Matches this rare "
                f"(under {MIN_MATCHED_FRACTION:.0%} of the table's genes and under {MIN_SET_COVERAGE:.0%} of "
                "the sets' genes) are chance look-alikes, so gene-set tests were not run."
                + self._organism() + self._casing()
            )
        return text + (self._clusters() if self.clusters > 1 else "")

    @staticmethod
    def _organism() -> str:
        return " Give a GMT file for the table's organism and identifiers with gene_sets."


def mixed_clusters(table: DETable) -> int:
    """How many clusters a Seurat FindAllMarkers table mixes (0 without a ``cluster`` column)."""
    if "cluster" not in table.data:
        return 0
    return int(table.data["cluster"].dropna().astype(str).nunique())


def match_genes(table: DETable, genes: pd.DataFrame, gene_sets: GeneSets) -> MatchSummary:
    """Count the table's rows, named rows, genes and genes present in any gene set (exactly, and by case)."""
    names, by = gene_names(table)
    rows_named = int(names.map(split_symbols).map(bool).sum())
    known = gene_sets.genes
    matched = sum(1 for name in genes.index if name in known)
    folded = {gene.casefold() for gene in known}
    case_only = sum(1 for name in genes.index if name not in known and str(name).casefold() in folded)
    collection = "Hallmark" if gene_sets.is_hallmark else gene_sets.name
    return MatchSummary(len(table.data), rows_named, len(genes), matched, collection, by,
                        set_genes=len(known), case_only=case_only, clusters=mixed_clusters(table))
