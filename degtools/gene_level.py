"""One row per gene: the ranking metric, the names genes are matched by, and the up/down rule.

Gene-set work (ORA, GSEA, pathway features, a reference study joined by symbol) and the volcano
and MA plots all read a DE table through these functions, so every one of them ranks genes, names
them and calls them up or down the same way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from degtools.errors import InputError
from degtools.io import DETable
from degtools.io.genes import split_symbols
from degtools.numeric import neg_log10_p

#: the labels :func:`call_regulation` gives.
UP, DOWN, NOT_SIGNIFICANT = "up", "down", "not significant"


def call_regulation(change: pd.Series, significant: pd.Series, *, lfc_threshold: float) -> pd.Series:
    r"""Call each gene up, down or not significant: the one rule of the plots and the ORA lists.

    Up: ``significant`` and ``change >= lfc_threshold`` (and > 0); down: ``significant`` and
    ``change <= -lfc_threshold`` (and < 0); everything else (including a missing value) is not
    significant. A threshold of 0 therefore still needs a non-zero change.

    Parameters
    ----------
    change
        The log fold change (or another signed value) per gene.
    significant
        Whether the gene's (adjusted) p-value passed, aligned with ``change``.
    lfc_threshold
        The smallest \|change\| that counts.

    Returns
    -------
    Series
        ``"up"``, ``"down"`` or ``"not significant"``, indexed like ``change``.
    """
    state = pd.Series(NOT_SIGNIFICANT, index=change.index)
    state[significant & (change >= lfc_threshold) & (change > 0)] = UP
    state[significant & (change <= -lfc_threshold) & (change < 0)] = DOWN
    return state


def ranking_metric(table: DETable) -> tuple[pd.Series, str]:
    """The per-row statistic genes are ranked by, and a sentence saying which it is.

    A signed statistic (limma t, DESeq2 Wald) is used as is; an unsigned one (F) or none at all
    is replaced by sign(logFC) x -log10(p); a table without p-values is ranked by logFC.
    """
    data = table.data
    if "stat" in data and table.stat_kind in ("t", "Wald") and data["stat"].notna().any():
        return data["stat"], f"the table's {table.display_name('stat')} statistic"
    if "logFC" in data and "pvalue" in data and data["pvalue"].notna().any():
        metric = np.sign(data["logFC"]) * neg_log10_p(data["pvalue"])
        return metric, (
            f"sign({table.display_name('logFC')}) x -log10({table.display_name('pvalue')}) "
            "(the table has no signed statistic)"
        )
    if "logFC" in data:
        return data["logFC"], f"{table.display_name('logFC')} (the table has no statistic or p-value)"
    raise InputError(unrankable_message(table))


def unrankable_message(table: DETable) -> str:
    """Why genes cannot be ranked for gene-set analysis: no log fold change and no signed statistic."""
    advice = table.column_map_advice("-p column_map")
    return (f"{table.path.name} has no log fold change column and no signed statistic (t or Wald), which "
            f"the gene-set analysis ranks genes by: {advice}")


def check_rankable(table: DETable) -> None:
    """Raise the :func:`unrankable_message` InputError now (at reading), not when the gene sets are reached."""
    data = table.data
    signed = "stat" in data and table.stat_kind in ("t", "Wald") and data["stat"].notna().any()
    if not signed and "logFC" not in data:
        raise InputError(unrankable_message(table))


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


def regulated_genes(
    genes: pd.DataFrame, *, padj_threshold: float, lfc_threshold: float
) -> dict[str, list[str]]:
    r"""Genes called up and down by :func:`call_regulation` (adjusted p < ``padj_threshold``).

    ``genes`` is a :func:`gene_level` frame. Tables without adjusted p-values use raw p-values
    (every gene passes when there are neither); tables without logFC the ranking metric's sign.
    """
    significance = genes["padj"] if "padj" in genes else genes.get("pvalue")
    passed = significance < padj_threshold if significance is not None else pd.Series(True, index=genes.index)
    change = genes["logFC"] if "logFC" in genes else genes["metric"]
    state = call_regulation(change, passed, lfc_threshold=lfc_threshold)
    return {UP: sorted(genes.index[state == UP]), DOWN: sorted(genes.index[state == DOWN])}


def ora_background(genes: pd.DataFrame) -> tuple[list[str], str]:
    """The genes an over-representation test draws from: those that were tested, and the rule as a sentence.

    A gene counts as tested when its adjusted p-value is present (DESeq2's independent filtering and
    outlier removal leave it missing: those genes could never have been on the up/down lists); tables
    without adjusted p-values use the raw p-value the same way, tables without either every gene.
    ``genes`` is a :func:`gene_level` frame; the returned list is sorted.
    """
    for column, label in (("padj", "an adjusted p-value"), ("pvalue", "a p-value")):
        if column in genes and genes[column].notna().any():
            tested = genes[column].notna()
            left_out = int((~tested).sum())
            rule = f"genes with a name and {label} (tested)"
            if left_out:
                rule += f"; {left_out:,} without one (e.g. removed by independent filtering) are left out"
            return sorted(genes.index[tested]), rule
    return sorted(genes.index), "every gene with a name and a ranking value (the table has no p-values)"
