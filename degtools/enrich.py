"""Gene-set tests, offline: over-representation (ORA) and preranked GSEA, and what the report shows of them.

The statistics come from gseapy's offline functions (``gseapy.enrich`` with a background list
and ``gseapy.prerank``), always given a dict of gene sets, so nothing is fetched from the network.
"""

from __future__ import annotations

import io
import math
import warnings
from contextlib import contextmanager, redirect_stderr
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from degtools.errors import InputError
from degtools.gene_level import gene_level, ora_background, ranking_metric, regulated_genes
from degtools.genesets import GeneSets, MatchSummary, match_genes
from degtools.io import DETable
from degtools.numeric import benjamini_hochberg
from degtools.resources import job_cap

#: ORA tests a set when this many to :data:`MAX_SET_SIZE` of its genes are in the background.
ORA_MIN_SET_SIZE = 10
#: GSEA tests a set when this many to :data:`MAX_SET_SIZE` of its genes are in the ranking.
GSEA_MIN_SET_SIZE = 15
#: larger sets are not tested (by either method).
MAX_SET_SIZE = 500

#: above this many tested sets GSEA switches from permutations to gseapy's adaptive multilevel method
#: (1000 permutations x 2,500 GO sets took minutes; the multilevel estimate takes seconds, see bench/).
PERMUTATION_MAX_SETS = 500

#: the colour scale's floor for multilevel GSEA FDRs (which, unlike permutation FDRs, have no resolution).
MULTILEVEL_FDR_FLOOR = 1e-30


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


ORA_COLUMNS = ["set", "direction", "size", "overlap", "pvalue", "fdr", "odds_ratio", "genes"]


def over_representation(
    genes: pd.DataFrame,
    gene_sets: GeneSets,
    *,
    padj_threshold: float = 0.05,
    lfc_threshold: float = 1.0,
    min_size: int = ORA_MIN_SET_SIZE,
    max_size: int = MAX_SET_SIZE,
) -> pd.DataFrame:
    """Hypergeometric over-representation of the up- and of the down-regulated genes, separately.

    The background is the tested genes (:func:`~degtools.gene_level.ora_background`: a present
    adjusted p-value, so genes removed by DESeq2's independent filtering are not in it); each set is cut
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

    background = set(ora_background(genes)[0])
    sets = _restricted_sets(gene_sets, background, min_size=min_size, max_size=max_size)
    lists = regulated_genes(genes, padj_threshold=padj_threshold, lfc_threshold=lfc_threshold)
    lists = {direction: [gene for gene in members if gene in background] for direction, members in lists.items()}
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
    min_size: int = GSEA_MIN_SET_SIZE,
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
    #: the ORA background: ``genes`` (how many) and ``rule`` (which genes, as a sentence).
    background: dict[str, Any] = field(default_factory=lambda: {"genes": 0, "rule": ""})

    @property
    def resolution(self) -> int | None:
        """Permutations behind the GSEA p-values (``None`` for multilevel p-values, which have no floor)."""
        return self.permutations if self.gsea_method == "permutation" else None

    @property
    def fdr_floor(self) -> float:
        """The smallest FDR the GSEA can resolve (1/permutations), or a tiny number for multilevel results."""
        return 1 / self.permutations if self.gsea_method == "permutation" else MULTILEVEL_FDR_FLOOR

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
                "p-value": [format_pvalue(p, permutations=self.resolution) for p in shown["pvalue"]],
                "FDR": [format_pvalue(p, permutations=self.resolution) for p in shown["fdr"]],
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
                f"hypergeometric P(X >= overlap), gseapy.enrich; background = {self.background['genes']:,} "
                f"{self.background['rule']}; "
                f"up: adjusted p < {self.padj_threshold} and logFC >= {self.lfc_threshold}; down: adjusted "
                f"p < {self.padj_threshold} and logFC <= -{self.lfc_threshold}; BH FDR per direction; "
                f"sets with {ORA_MIN_SET_SIZE} to {MAX_SET_SIZE} genes in the background",
            ),
        ]
        if self.gsea_method == "permutation":
            rows.append(
                (
                    "GSEA",
                    f"gseapy.prerank, {self.permutations} gene-set permutations, sets with "
                    f"{GSEA_MIN_SET_SIZE} to {MAX_SET_SIZE} genes in the ranking; p-values of 0 reported "
                    f"as < 1/{self.permutations}",
                )
            )
        else:
            rows.append(
                (
                    "GSEA",
                    f"gseapy.prerank, adaptive multilevel p-values (more than "
                    f"{PERMUTATION_MAX_SETS} sets tested: permutations would take minutes), sets "
                    f"with {GSEA_MIN_SET_SIZE} to {MAX_SET_SIZE} genes in the ranking",
                )
            )
        if info["attribution"]:
            rows.append(("gene sets: attribution", info["attribution"]))
        return rows



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
    universe, rule = ora_background(genes)
    if match.clusters == 1:
        rule += " (Seurat FindAllMarkers lists only the genes that passed its filters for the cluster)"
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
        background={"genes": len(universe), "rule": rule},
    )
