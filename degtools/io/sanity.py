"""Sanity checks on a freshly read DE table: findings become warnings, never errors.

Each check looks for one way a table can be technically readable yet not what its headers
claim: fold changes that are not logged, a statistic whose sign disagrees with the fold
change, p-values out of range, adjusted p-values below raw ones, a Bonferroni-looking
adjustment, genes without counts, p-values of exactly 0, and Seurat tables that mix clusters.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from degtools.io.table import DETable

#: |log fold change| above this is not a log2 fold change of a real gene (2^50 times).
MAX_PLAUSIBLE_LOG_FC = 50.0
#: share of rows whose statistic sign disagrees with the fold change before we warn.
SIGN_DISAGREEMENT_SHARE = 0.01
#: |value| above this is read as missing: its square overflows a float (1e150² = 1e300; a sum of a
#: million such squares still fits below 1.8e308), so variances, scaling and least squares would fail.
MAX_MAGNITUDE = 1e150


def mask_extreme_values(numbers: pd.Series) -> tuple[pd.Series, int]:
    """``numbers`` with every value beyond ±:data:`MAX_MAGNITUDE` set to missing, and how many there were."""
    extreme = numbers.abs() > MAX_MAGNITUDE
    count = int(extreme.sum())
    return (numbers.mask(extreme), count) if count else (numbers, 0)


def check_extreme_values(table: DETable) -> list[str]:
    """Columns that held values too large to compute with (set to missing by the reader)."""
    if not table.extreme_values:
        return []
    listed = ", ".join(f"{name} ({count:,})" for name, count in table.extreme_values.items())
    return [f"values beyond ±{MAX_MAGNITUDE:.0e} were read as missing in {listed}: squaring them overflows a "
            "float, so no statistic or model could use them. They look like placeholders or a unit error; "
            "check those rows in the source table."]


def _values(table: DETable, column: str) -> pd.Series:
    return table.data[column].dropna() if column in table.numeric_columns else pd.Series(dtype=float)


def check_fold_change(table: DETable) -> list[str]:
    """Fold changes that look like ratios or un-logged values."""
    logfc = _values(table, "logFC")
    name = table.display_name("logFC")
    if logfc.empty:
        return []
    found = []
    largest = float(logfc.abs().max())
    if largest > MAX_PLAUSIBLE_LOG_FC:
        exponent = f"{largest:,.0f}" if largest < 1e6 else f"{largest:.3g}"
        found.append(
            f"{name} reaches |{largest:,.4g}|: a log2 fold change that large means a 2^{exponent}-fold "
            "change; the column looks un-logged (a plain ratio or difference). Check the column, or take log2."
        )
    elif len(logfc) >= 20 and logfc.min() > 0 and 0.25 <= logfc.median() <= 4:
        found.append(
            f"{name} is positive for every gene and centred near 1 (median {logfc.median():.3g}): it looks "
            "like a fold-change ratio, not a log fold change. If so, take log2 first."
        )
    return found


def check_mean_scale(table: DETable) -> list[str]:
    """Average expression on the wrong scale for its header (log2 expected, or linear expected)."""
    mean = _values(table, "mean_expr")
    name = table.display_name("mean_expr")
    if mean.empty:
        return []
    if table.mean_scale == "log2" and mean.max() > 100:
        return [f"{name} reaches {mean.max():,.4g}: a log2 expression of 100 is impossible; the values look "
                "linear (raw intensities or counts), not log2."]
    if table.mean_scale == "linear":
        if mean.min() < 0:
            return [f"{name} has negative values (min {mean.min():.3g}): a mean of normalised counts cannot be "
                    "negative; the values look log-transformed."]
        if len(mean) >= 100 and mean.max() < 20:
            return [f"{name} never exceeds {mean.max():.3g} over {len(mean):,} genes: for a mean of counts this "
                    "is low; the values may be log-transformed."]
    return []


def check_stat_sign(table: DETable) -> list[str]:
    """A signed statistic (t, Wald) whose sign disagrees with the fold change."""
    if "stat" not in table.numeric_columns or "logFC" not in table.numeric_columns:
        return []
    both = table.data[["stat", "logFC"]].dropna()
    both = both[(both["stat"] != 0) & (both["logFC"] != 0)]
    if both.empty or (both["stat"] >= 0).all():
        return []  # an unsigned statistic (F, LR) says nothing about direction
    disagree = int((np.sign(both["stat"]) != np.sign(both["logFC"])).sum())
    if disagree > SIGN_DISAGREEMENT_SHARE * len(both):
        return [f"{table.display_name('stat')} and {table.display_name('logFC')} have opposite signs in "
                f"{disagree:,} of {len(both):,} genes: the contrast may be reversed in one of them, or the "
                "columns are mislabelled."]
    return []


def check_p_values(table: DETable) -> list[str]:
    """p-values outside [0, 1], exactly 0, adjusted below raw, and Bonferroni-looking adjustment."""
    found = []
    for column in ("pvalue", "padj"):
        values = _values(table, column)
        name = table.display_name(column)
        outside = int(((values < 0) | (values > 1)).sum())
        if outside:
            found.append(f"{name} has {outside:,} values outside [0, 1] (range {values.min():.3g} to "
                         f"{values.max():.3g}): not p-values; check the column mapping.")
        zeros = int((values == 0).sum())
        if zeros and column == "pvalue":
            found.append(f"{name} is exactly 0 for {zeros:,} genes (below the smallest number the tool could "
                         "write): -log10 of them is infinite; treat them as 'smaller than 1e-300'.")
    if {"pvalue", "padj"} <= set(table.numeric_columns):
        both = table.data[["pvalue", "padj"]].dropna()
        below = int((both["padj"] < both["pvalue"] * (1 - 1e-2)).sum())
        if below:
            found.append(f"{table.display_name('padj')} is below {table.display_name('pvalue')} for {below:,} "
                         "genes: an adjusted p-value is never smaller than the raw one; the columns may be "
                         "swapped or mislabelled.")
        found += _check_bonferroni(table, both)
    return found


def _check_bonferroni(table: DETable, both: pd.DataFrame) -> list[str]:
    if len(both) < 20 or table.tool.startswith("Seurat"):
        return []  # Seurat documents its p_val_adj as Bonferroni: nothing to warn about
    ones = float((both["padj"] == 1).mean())
    partial = both[(both["padj"] < 1) & (both["pvalue"] > 0)]
    ratio = float((partial["padj"] / partial["pvalue"]).median()) if not partial.empty else np.nan
    tested = len(both)
    looks_bonferroni = np.isfinite(ratio) and abs(ratio - tested) <= 0.1 * tested and len(partial) >= 3
    if ones > 0.5 or looks_bonferroni:
        return [f"{table.display_name('padj')} is exactly 1 for {ones:.0%} of genes"
                + (f" and equals p x {tested:,} elsewhere" if looks_bonferroni else "")
                + ": this looks like a Bonferroni (family-wise) adjustment rather than Benjamini-Hochberg "
                "FDR; expect far fewer significant genes."]
    return []


def check_zero_genes(table: DETable) -> list[str]:
    """Genes without any counts (mean expression exactly 0 on a linear scale)."""
    if table.mean_scale != "linear":
        return []
    mean = _values(table, "mean_expr")
    zeros = int((mean == 0).sum())
    if zeros:
        return [f"{zeros:,} genes have {table.display_name('mean_expr')} 0 (no counts in any sample); their "
                "statistics are missing or meaningless: they are dropped where the target is missing."]
    return []


def check_clusters(table: DETable, *, cluster_given: bool) -> list[str]:
    """A FindAllMarkers table whose genes repeat across clusters, without a ``cluster`` choice."""
    if cluster_given or "cluster" not in table.data:
        return []
    key = "symbol" if "symbol" in table.data else "gene_id"
    repeated = int(table.data[key].dropna().duplicated().sum())
    if not repeated:
        return []
    clusters = sorted(table.data["cluster"].dropna().astype(str).unique(), key=lambda value: (len(value), value))
    return [f"{repeated:,} rows repeat a gene of another cluster ({len(clusters)} clusters: "
            f"{', '.join(clusters[:12])}): the rows are not independent genes. Choose one cluster with "
            "-p cluster NAME."]


def sanity_warnings(table: DETable, *, cluster_given: bool = False) -> list[str]:
    """Every sanity-check finding for ``table``, as plain sentences."""
    return [
        *check_extreme_values(table),
        *check_fold_change(table),
        *check_mean_scale(table),
        *check_stat_sign(table),
        *check_p_values(table),
        *check_zero_genes(table),
        *check_clusters(table, cluster_given=cluster_given),
    ]
