"""Another study joined to this one gene by gene: its fold change and statistic as features.

A reference study (another DE table of the same organism) is independent evidence about the
genes: how much of this study's change does it explain? :func:`join_reference` collapses both tables
to one row per gene and aligns the reference's values to this table's rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from degtools.errors import InputError
from degtools.gene_level import gene_level
from degtools.io import DETable
from degtools.io.genes import split_symbols
from degtools.numeric import finite_or_none


@dataclass
class ReferenceJoin:
    """A second DE table joined to this one by gene symbol."""

    name: str
    features: pd.DataFrame
    rows: int
    reference_rows: int
    genes: int
    reference_genes: int
    shared_genes: int
    matched_rows: int
    pearson: float
    spearman: float

    @property
    def matched_ids(self) -> pd.Index:
        """Gene IDs of this table that received reference values."""
        return self.features.index[self.features.notna().any(axis=1)]

    def summary(self) -> pd.DataFrame:
        """Overlap counts and the correlation of the two studies' logFC, for the report."""
        rows = [
            ("rows in this table / in the reference", f"{self.rows:,} / {self.reference_rows:,}"),
            ("gene symbols in this table / in the reference", f"{self.genes:,} / {self.reference_genes:,}"),
            ("gene symbols in both", f"{self.shared_genes:,}"),
            ("rows of this table given reference values", f"{self.matched_rows:,}"),
            ("correlation of the two studies' logFC per gene (Pearson / Spearman)",
             f"{self.pearson:.3f} / {self.spearman:.3f}"),
        ]
        return pd.DataFrame(rows, columns=["item", "value"])

    def record(self) -> dict:
        """Overlap counts and correlations."""
        return {"name": self.name, "rows": self.rows, "reference_rows": self.reference_rows,
                "genes": self.genes,
                "reference_genes": self.reference_genes, "shared_genes": self.shared_genes,
                "matched_rows": self.matched_rows, "pearson_logFC": finite_or_none(self.pearson),
                "spearman_logFC": finite_or_none(self.spearman)}


def join_reference(table: DETable, reference: DETable) -> ReferenceJoin:
    """Join ``reference`` to ``table`` by gene symbol: its logFC and statistic become features.

    Both tables are collapsed to one value per gene first (``A /// B`` rows count for each gene;
    of several rows per gene the one with the largest \\|statistic\\| speaks for it). A row of
    ``table`` takes the values of its first symbol.

    Raises
    ------
    InputError
        If either table has no gene symbols.
    """
    for which, frame in (("input table", table), ("reference_table", reference)):
        if not frame.has_symbols:
            raise InputError(
                f"the {which} {frame.path.name} has no gene-symbol column; reference_table joins by symbol. "
                "Give both tables a symbol column (or map IDs with id_map)."
            )
    own_genes = gene_level(table)
    reference_genes = gene_level(reference)
    name = reference.path.name.split(".")[0]
    values = pd.DataFrame(index=reference_genes.index)
    if "logFC" in reference_genes:
        values[f"{name} logFC"] = reference_genes["logFC"].astype(float)
    values[f"{name} statistic"] = reference_genes["metric"].astype(float)
    symbols = table.data["symbol"].map(split_symbols)
    first_symbol = symbols.map(lambda names: names[0] if names else None)
    features = values.reindex(first_symbol.to_numpy())
    features.index = table.data["gene_id"].to_numpy()
    features = features[~features.index.duplicated(keep="first")]
    shared = own_genes.index.intersection(reference_genes.index)
    pearson = spearman = float("nan")
    if len(shared) > 2 and "logFC" in own_genes and "logFC" in reference_genes:
        own = own_genes.loc[shared, "logFC"].astype(float)
        other = reference_genes.loc[shared, "logFC"].astype(float)
        pearson = float(own.corr(other))
        spearman = float(own.corr(other, method="spearman"))
    matched = int(features.notna().any(axis=1).sum())
    if matched == 0:
        raise InputError(
            f"no gene symbol of {table.path.name} occurs in the reference table {reference.path.name}; "
            "expected two studies of the same organism with gene symbols."
        )
    return ReferenceJoin(name, features, len(table.data), len(reference.data), len(own_genes),
                         len(reference_genes), len(shared), matched, pearson, spearman)
