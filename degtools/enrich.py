"""Gene sets, offline: GMT files, over-representation (ORA) and preranked GSEA.

The statistics come from gseapy's offline functions (``gseapy.enrich`` with a background list
and ``gseapy.prerank``), always given a dict of gene sets, so nothing is fetched from the network.
The default gene sets are the MSigDB Hallmark collection bundled in ``degtools/data``
(CC BY 4.0, see :data:`HALLMARK_ATTRIBUTION`).
"""

from __future__ import annotations

import io
import math
import warnings
from contextlib import contextmanager, redirect_stderr
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from degtools.errors import InputError
from degtools.io import DETable
from degtools.io.genes import split_symbols
from degtools.numeric import benjamini_hochberg, finite_or_none
from degtools.provenance import file_sha256
from degtools.resources import job_cap

HALLMARK_FILE = "h.all.v2023.1.Hs.symbols.gmt"

#: the attribution the MSigDB licence (CC BY 4.0) asks for, shown wherever Hallmark results are.
HALLMARK_ATTRIBUTION = (
    "The Hallmark gene sets come from MSigDB v2023.1.Hs (Liberzon et al. 2015, Cell Systems 1:417-425), "
    "(c) 2004-2023 Broad Institute, Inc., Massachusetts Institute of Technology, and Regents of the "
    "University of California, distributed under the Creative Commons Attribution 4.0 International "
    "License (CC BY 4.0)."
)

#: gene sets with fewer (or more) genes among the tested genes are not tested.
MIN_SET_SIZE = 10
MAX_SET_SIZE = 500

#: above this many tested sets GSEA switches from permutations to gseapy's adaptive multilevel method
#: (1000 permutations x 2,500 GO sets took minutes; the multilevel estimate takes seconds, see bench/).
PERMUTATION_MAX_SETS = 500

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


@contextmanager
def _quiet_gseapy():
    """Keep gseapy's log lines (written to stderr by its own handlers) and warnings out of the report.

    The one warning it gives here, about tied ranking values, is expected for tables with rounded
    statistics: ties are ordered by symbol before the ranking is passed on.
    """
    with redirect_stderr(io.StringIO()), warnings.catch_warnings():
        # gseapy 1.3 still calls pandas with ``inplace=True``, which pandas 3 deprecates: not ours to fix,
        # and not something a report reader can act on.
        warnings.filterwarnings("ignore", module=r"gseapy(\..*)?$")
        warnings.filterwarnings("ignore", message="The inplace keyword")
        yield


def ranking_metric(table: DETable) -> tuple[pd.Series, str]:
    """The per-row statistic genes are ranked by, and a sentence saying which it is.

    A signed statistic (limma t, DESeq2 Wald) is used as is; an unsigned one (F) or none at all
    is replaced by sign(logFC) x -log10(p); a table without p-values is ranked by logFC.
    """
    data = table.data
    if "stat" in data and table.stat_kind in ("t", "Wald") and data["stat"].notna().any():
        return data["stat"], f"the table's {table.display_name('stat')} statistic"
    if "logFC" in data and "pvalue" in data and data["pvalue"].notna().any():
        pvalues = data["pvalue"].clip(lower=1e-300)
        metric = np.sign(data["logFC"]) * -np.log10(pvalues)
        return metric, (
            f"sign({table.display_name('logFC')}) x -log10({table.display_name('pvalue')}) "
            "(the table has no signed statistic)"
        )
    if "logFC" in data:
        return data["logFC"], f"{table.display_name('logFC')} (the table has no statistic or p-value)"
    raise InputError(
        f"{table.path.name} has no logFC, statistic or p-value column; gene-set analysis needs at least a "
        "log fold change."
    )


def gene_names(table: DETable) -> tuple[pd.Series, str]:
    """The names genes are matched to gene sets by: the symbols, or the IDs of a table without symbols.

    Ensembl IDs lose their version suffix (``ENSG00000000003.15`` -> ``ENSG00000000003``), so a GMT
    of unversioned Ensembl IDs matches. Returns the names (one string per row) and ``"symbol"`` or ``"ID"``.
    """
    if "symbol" in table.data:
        return table.data["symbol"], "symbol"
    ids = table.data["gene_id"].astype(str).str.replace(r"^(ENS[A-Z]*\d+)\.\d+$", r"\1", regex=True)
    return ids, "ID"


def gene_level(table: DETable) -> pd.DataFrame:
    """One row per gene, ready for ORA and GSEA.

    Genes are named by symbol (by ID in a table without symbols, see :func:`gene_names`). A row
    whose symbol names several genes (``A /// B``) counts for each of them; where several rows
    (probes) name the same gene, the row with the largest absolute ranking metric represents it.
    Rows without a name or without a ranking value are left out.

    Returns
    -------
    DataFrame
        Indexed by gene name (``symbol``), with ``gene_id``, ``metric`` and, where the table has
        them, ``logFC``, ``padj``, ``pvalue``, ``mean_expr``.
    """
    columns = ["logFC", "pvalue", "padj", "mean_expr"]
    metric, _ = ranking_metric(table)
    names, _ = gene_names(table)
    frame = table.data[["gene_id"] + [c for c in columns if c in table.data]].copy()
    frame["symbol"] = names.map(split_symbols)
    frame["metric"] = metric
    frame = frame.loc[frame["metric"].notna()]
    frame = frame.explode("symbol").dropna(subset=["symbol"])
    frame["_strength"] = frame["metric"].abs()
    frame = frame.sort_values(["_strength", "gene_id"], ascending=[False, True], kind="stable")
    frame = frame.drop_duplicates("symbol", keep="first").drop(columns="_strength")
    return frame.set_index("symbol").sort_index()


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


def _restricted_sets(
    gene_sets: GeneSets, universe: set[str], *, min_size: int, max_size: int
) -> dict[str, list[str]]:
    """Each set cut down to the genes in ``universe``, keeping the sets within the size limits."""
    restricted = {}
    for name, genes in gene_sets.sets.items():
        kept = [gene for gene in genes if gene in universe]
        if min_size <= len(kept) <= max_size:
            restricted[name] = kept
    return restricted


def regulated_genes(
    genes: pd.DataFrame, *, padj_threshold: float, lfc_threshold: float
) -> dict[str, list[str]]:
    r"""Symbols called up and down: adjusted p < ``padj_threshold`` and \|logFC\| >= ``lfc_threshold``.

    Tables without adjusted p-values use raw p-values; tables without logFC the ranking metric's sign.
    """
    significance = genes["padj"] if "padj" in genes else genes.get("pvalue")
    passed = significance < padj_threshold if significance is not None else pd.Series(True, index=genes.index)
    change = genes["logFC"] if "logFC" in genes else genes["metric"]
    up = passed & (change >= lfc_threshold) & (change > 0)
    down = passed & (change <= -lfc_threshold) & (change < 0)
    return {"up": sorted(genes.index[up]), "down": sorted(genes.index[down])}


ORA_COLUMNS = ["set", "direction", "size", "overlap", "pvalue", "fdr", "odds_ratio", "genes"]


def over_representation(
    genes: pd.DataFrame,
    gene_sets: GeneSets,
    *,
    padj_threshold: float = 0.05,
    lfc_threshold: float = 1.0,
    min_size: int = MIN_SET_SIZE,
    max_size: int = MAX_SET_SIZE,
) -> pd.DataFrame:
    """Hypergeometric over-representation of the up- and of the down-regulated genes, separately.

    The background is every tested gene with a symbol (the index of ``genes``); each set is cut
    down to that background and tested if it then has ``min_size`` to ``max_size`` genes. The
    p-value is P(X >= overlap) from ``gseapy.enrich``; sets without any overlap get p = 1, and the
    FDR is Benjamini-Hochberg over all tested sets of one direction.

    Returns
    -------
    DataFrame
        ``set, direction, size`` (set genes in the background), ``overlap`` (set genes in the
        list), ``pvalue, fdr, odds_ratio, genes`` (the overlapping genes, ``;``-joined), sorted by
        direction then p-value.
    """
    import gseapy

    background = set(genes.index)
    sets = _restricted_sets(gene_sets, background, min_size=min_size, max_size=max_size)
    lists = regulated_genes(genes, padj_threshold=padj_threshold, lfc_threshold=lfc_threshold)
    frames = []
    for direction, gene_list in lists.items():
        frame = pd.DataFrame(
            {"set": list(sets), "direction": direction, "size": [len(members) for members in sets.values()]}
        )
        frame["overlap"], frame["pvalue"], frame["odds_ratio"], frame["genes"] = 0, 1.0, 0.0, ""
        if gene_list and sets:
            with _quiet_gseapy():
                result = gseapy.enrich(
                    gene_list=gene_list,
                    gene_sets=sets,
                    background=sorted(background),
                    outdir=None,
                    no_plot=True,
                    verbose=False,
                )
            found = getattr(result, "results", None)
            if isinstance(found, pd.DataFrame) and not found.empty:
                found = found.set_index("Term")
                hits = found.reindex(frame["set"])
                present = hits["P-value"].notna().to_numpy()
                frame.loc[present, "overlap"] = [int(text.split("/")[0]) for text in hits["Overlap"][present]]
                frame.loc[present, "pvalue"] = hits["P-value"][present].to_numpy()
                frame.loc[present, "odds_ratio"] = hits["Odds Ratio"][present].to_numpy()
                frame.loc[present, "genes"] = [
                    ";".join(sorted(text.split(";"))) for text in hits["Genes"][present]
                ]
        frame["fdr"] = benjamini_hochberg(frame["pvalue"].to_numpy())
        frame["list_size"] = len(gene_list)
        frames.append(frame)
    result = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=ORA_COLUMNS)
    result = result.sort_values(["direction", "pvalue", "set"], ascending=[False, True, True], kind="stable")
    return result[ORA_COLUMNS + ["list_size"]].reset_index(drop=True)


GSEA_COLUMNS = ["set", "direction", "size", "overlap", "nes", "es", "pvalue", "fdr", "leading_edge"]


def preranked_gsea(
    genes: pd.DataFrame,
    gene_sets: GeneSets,
    *,
    permutations: int = 1000,
    seed: int = 42,
    min_size: int = 15,
    max_size: int = MAX_SET_SIZE,
    threads: int = 2,
    method: str = "auto",
) -> pd.DataFrame:
    """Preranked GSEA (``gseapy.prerank``) on the genes' ranking metric.

    ``method`` ``"permutation"`` uses ``permutations`` gene-set permutations; ``"multilevel"``
    gseapy's adaptive multilevel p-values (as fgsea), which resolve p-values far below
    1/permutations at a fraction of the cost; ``"auto"`` permutes for up to
    :data:`PERMUTATION_MAX_SETS` tested sets and uses multilevel above. The method used is in
    ``frame.attrs["method"]``.

    Returns
    -------
    DataFrame
        ``set``, ``direction`` (``up`` for a positive NES), ``size`` (set genes in the ranking),
        ``overlap`` (leading-edge genes), ``nes``, ``es``, ``pvalue`` and ``fdr`` (gseapy's nominal
        p-value and FDR q-value; 0 means below 1/permutations, see :func:`format_pvalue`),
        ``leading_edge``; sorted by p-value then \\|NES\\|.
    """
    import gseapy

    ranking = genes["metric"].astype(float)
    ranking = ranking.loc[np.isfinite(ranking.to_numpy())].sort_values(ascending=False, kind="stable")
    sets = _restricted_sets(gene_sets, set(ranking.index), min_size=min_size, max_size=max_size)
    if method not in ("auto", "permutation", "multilevel"):
        raise ValueError(f"method must be 'auto', 'permutation' or 'multilevel'; got {method!r}")
    if method == "auto":
        method = "permutation" if len(sets) <= PERMUTATION_MAX_SETS else "multilevel"
    if not sets:
        empty = pd.DataFrame(columns=GSEA_COLUMNS)
        empty.attrs["method"] = method
        return empty

    threads = min(threads, job_cap() or threads)  # a batch worker's share of the cores (same results)
    with _quiet_gseapy():
        result = gseapy.prerank(
            rnk=ranking,
            gene_sets=sets,
            permutation_num=permutations,
            min_size=min_size,
            max_size=max_size,
            threads=threads,
            seed=seed,
            outdir=None,
            no_plot=True,
            verbose=False,
            method=method,
        )
    found = result.res2d
    frame = pd.DataFrame(
        {
            "set": found["Term"].astype(str),
            "nes": pd.to_numeric(found["NES"], errors="coerce"),
            "es": pd.to_numeric(found["ES"], errors="coerce"),
            "pvalue": pd.to_numeric(found["NOM p-val"], errors="coerce"),
            "fdr": pd.to_numeric(found["FDR q-val"], errors="coerce"),
            "leading_edge": found["Lead_genes"].astype(str),
        }
    )
    frame["size"] = frame["set"].map(lambda name: len(sets[name])).astype(int)
    frame["overlap"] = (
        frame["leading_edge"].map(lambda text: len([g for g in text.split(";") if g])).astype(int)
    )
    frame["direction"] = np.where(frame["nes"] >= 0, "up", "down")
    frame["_abs"] = -frame["nes"].abs()
    frame = frame.sort_values(["pvalue", "_abs", "set"], kind="stable")
    frame = frame[GSEA_COLUMNS].reset_index(drop=True)
    frame.attrs["method"] = method
    return frame


def format_pvalue(value: float, *, permutations: int | None = None) -> str:
    """A p-value as text; a permutation p-value of 0 becomes ``< 1/permutations`` (e.g. ``< 0.001``)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if permutations and value <= 0:
        return f"< {1 / permutations:.2g}"
    if value == 0:
        return "0"
    return f"{value:.2e}" if value < 1e-3 else f"{value:.3f}"


@dataclass
class Enrichment:
    """Everything the report's gene-set sections show."""

    gene_sets: GeneSets
    match: MatchSummary
    ranking: str
    ora: pd.DataFrame
    gsea: pd.DataFrame
    permutations: int
    padj_threshold: float
    lfc_threshold: float
    list_sizes: dict[str, int] = field(default_factory=dict)
    gsea_method: str = "permutation"

    @property
    def _resolution(self) -> int | None:
        """Permutations behind the GSEA p-values (``None`` for multilevel p-values, which have no floor)."""
        return self.permutations if self.gsea_method == "permutation" else None

    @property
    def fdr_floor(self) -> float:
        """The smallest FDR the GSEA can resolve (1/permutations), or a tiny number for multilevel results."""
        return 1 / self.permutations if self.gsea_method == "permutation" else 1e-30

    @property
    def ran(self) -> bool:
        """Whether the tests were run (enough genes matched)."""
        return self.match.usable

    def ora_table(self, *, n: int = 10) -> pd.DataFrame:
        """The ``n`` best sets per direction, for the report."""
        if self.ora.empty:
            return pd.DataFrame(
                columns=["direction", "gene set", "genes in set", "overlap", "p-value", "FDR"]
            )
        shown = self.ora.loc[self.ora["overlap"] > 0].groupby("direction", sort=False).head(n)
        return pd.DataFrame(
            {
                "direction": shown["direction"],
                "gene set": shown["set"],
                "genes in set": shown["size"],
                "overlap": shown["overlap"],
                "p-value": [format_pvalue(p) for p in shown["pvalue"]],
                "FDR": [format_pvalue(p) for p in shown["fdr"]],
                "overlapping genes": [_shorten(text) for text in shown["genes"]],
            }
        ).reset_index(drop=True)

    def ora_best(self, *, n: int = 20) -> pd.DataFrame:
        """The ``n`` ORA results with the smallest p-values, both directions together (for the dot plot)."""
        tested = self.ora.loc[self.ora["overlap"] > 0]
        return tested.sort_values(["pvalue", "set"], kind="stable").head(n).reset_index(drop=True)

    def gsea_table(self, *, n: int = 20) -> pd.DataFrame:
        """The ``n`` sets with the smallest GSEA p-values; permutation p-values of 0 as ``< 1/n``."""
        shown = self.gsea.head(n)
        return pd.DataFrame(
            {
                "gene set": shown["set"],
                "direction": shown["direction"],
                "genes in set": shown["size"],
                "leading edge": shown["overlap"],
                "NES": shown["nes"].round(2),
                "p-value": [format_pvalue(p, permutations=self._resolution) for p in shown["pvalue"]],
                "FDR": [format_pvalue(p, permutations=self._resolution) for p in shown["fdr"]],
            }
        ).reset_index(drop=True)

    def methods_rows(self) -> list[tuple[str, str]]:
        """Rows for the methods table: the GMT's name, size and sha256, and how the tests were run."""
        info = self.gene_sets.describe()
        rows = [
            ("gene sets", f"{info['name']} ({info['path']})"),
            (
                "gene sets: size",
                f"{info['sets']:,} sets, {info['genes']:,} distinct genes, "
                f"{info['min_set_size']} to {info['max_set_size']} genes per set",
            ),
            ("gene sets: sha256", info["sha256"]),
            ("gene sets: matched", self.match.sentence()),
            ("ranking metric (GSEA)", self.ranking),
            (
                "ORA",
                f"hypergeometric P(X >= overlap), gseapy.enrich; background = tested genes with a symbol; "
                f"up: adjusted p < {self.padj_threshold} and logFC >= {self.lfc_threshold}; down: adjusted "
                f"p < {self.padj_threshold} and logFC <= -{self.lfc_threshold}; BH FDR per direction; "
                f"sets with {MIN_SET_SIZE} to {MAX_SET_SIZE} genes in the background",
            ),
        ]
        if self.gsea_method == "permutation":
            rows.append(
                (
                    "GSEA",
                    f"gseapy.prerank, {self.permutations} gene-set permutations, sets with 15 to "
                    f"{MAX_SET_SIZE} genes in the ranking; p-values of 0 reported as "
                    f"< 1/{self.permutations}",
                )
            )
        else:
            rows.append(
                (
                    "GSEA",
                    f"gseapy.prerank, adaptive multilevel p-values (more than "
                    f"{PERMUTATION_MAX_SETS} sets tested: permutations would take minutes), sets "
                    f"with 15 to {MAX_SET_SIZE} genes in the ranking",
                )
            )
        if info["attribution"]:
            rows.append(("gene sets: attribution", info["attribution"]))
        return rows

    def to_json(self) -> dict[str, Any]:
        """The JSON ``enrichment`` field."""
        info = self.gene_sets.describe()

        def entries(frame: pd.DataFrame, *, permutation: bool) -> list[dict[str, Any]]:
            rows = []
            for record in frame.to_dict("records"):
                entry = {
                    "set": record["set"],
                    "direction": record["direction"],
                    "size": int(record["size"]),
                    "overlap": int(record["overlap"]),
                }
                if permutation:
                    entry["nes"] = finite_or_none(record["nes"])
                pvalue, fdr = finite_or_none(record["pvalue"]), finite_or_none(record["fdr"])
                if permutation and self._resolution:
                    # a permutation p (or q) of 0 only says "below 1/permutations": report that bound.
                    entry["pvalue_below_resolution"] = pvalue is not None and pvalue <= 0
                    entry["fdr_below_resolution"] = fdr is not None and fdr <= 0
                    if pvalue is not None and pvalue <= 0:
                        pvalue = 1 / self.permutations
                    if fdr is not None and fdr <= 0:
                        fdr = 1 / self.permutations
                entry["pvalue"], entry["fdr"] = pvalue, fdr
                rows.append(entry)
            return rows

        return {
            "gene_sets": {
                "name": info["name"],
                "sha256": info["sha256"],
                "sets": info["sets"],
                "attribution": info["attribution"],
            },
            "matched_genes": self.match.matched,
            "tested_genes": self.match.genes,
            "ran": self.ran,
            "ranking_metric": self.ranking,
            "permutations": self.permutations,
            "gsea_method": self.gsea_method,
            "list_sizes": dict(self.list_sizes),
            # sets without any gene in the list (p = 1) are left out; their p-values still count in the FDR
            "ora": entries(self.ora.loc[self.ora["overlap"] > 0], permutation=False) if self.ran else [],
            "gsea": entries(self.gsea, permutation=True) if self.ran else [],
        }


def _shorten(text: str, *, limit: int = 12) -> str:
    genes = [gene for gene in str(text).split(";") if gene]
    shown = ", ".join(genes[:limit])
    return shown + (f", … (+{len(genes) - limit})" if len(genes) > limit else "")


def run_enrichment(
    table: DETable,
    gene_sets: GeneSets,
    *,
    padj_threshold: float = 0.05,
    lfc_threshold: float = 1.0,
    permutations: int = 1000,
    seed: int = 42,
    threads: int = 2,
    method: str = "auto",
) -> Enrichment:
    """ORA of up- and down-regulated genes plus preranked GSEA, or only the match counts when
    too few of the table's genes are in the gene sets (e.g. another organism, Ensembl IDs only)."""
    genes = gene_level(table)
    match = match_genes(table, genes, gene_sets)
    try:
        _, ranking = ranking_metric(table)
    except InputError:
        ranking = "none"
    ora = pd.DataFrame(columns=ORA_COLUMNS)
    gsea = pd.DataFrame(columns=GSEA_COLUMNS)
    lists = {"up": 0, "down": 0}
    if match.usable:
        lists = {
            direction: len(members)
            for direction, members in regulated_genes(
                genes, padj_threshold=padj_threshold, lfc_threshold=lfc_threshold
            ).items()
        }
        ora = over_representation(
            genes, gene_sets, padj_threshold=padj_threshold, lfc_threshold=lfc_threshold
        )
        gsea = preranked_gsea(
            genes, gene_sets, permutations=permutations, seed=seed, threads=threads, method=method
        )
    return Enrichment(
        gene_sets=gene_sets,
        match=match,
        ranking=ranking,
        ora=ora,
        gsea=gsea,
        permutations=permutations,
        padj_threshold=padj_threshold,
        lfc_threshold=lfc_threshold,
        list_sizes=lists,
        gsea_method=gsea.attrs.get("method", "permutation"),
    )


#: pathway features: a set becomes a feature when at least this many of the table's genes are in it
PATHWAY_MIN_GENES = 15
#: and at most this many sets (the ones covering most genes) become features, to keep the fits fast
PATHWAY_MAX_SETS = 50


def pathway_membership(
    table: DETable,
    gene_sets: GeneSets,
    *,
    min_genes: int = PATHWAY_MIN_GENES,
    max_sets: int = PATHWAY_MAX_SETS,
) -> pd.DataFrame:
    """Gene-set membership as 0/1 features, one column ``pathway: <set>`` per set, indexed by gene ID.

    A row belongs to a set when any of its symbols does. Only sets with at least ``min_genes``
    of the table's genes are kept, at most ``max_sets`` of them (those covering most genes).
    An empty frame (no columns) when the table has no symbols or no set is large enough.
    """
    ids = table.data["gene_id"].astype(str)
    names, _ = gene_names(table)
    symbols = names.map(split_symbols)
    genes = set(gene_level(table).index)
    coverage = {name: len(genes.intersection(members)) for name, members in gene_sets.sets.items()}
    kept = [
        name
        for name, count in sorted(coverage.items(), key=lambda item: (-item[1], item[0]))
        if count >= min_genes
    ][:max_sets]
    columns = {}
    for name in kept:
        members = set(gene_sets.sets[name])
        columns[f"pathway: {name}"] = [float(any(symbol in members for symbol in row)) for row in symbols]
    frame = pd.DataFrame(columns, index=ids.to_numpy())
    frame.index.name = "gene_id"
    return frame[~frame.index.duplicated(keep="first")]
