"""Gene-set membership as model features (the report's "pathways as features")."""

from __future__ import annotations

import pandas as pd

from degtools.gene_level import gene_level, gene_names
from degtools.genesets import GeneSets
from degtools.io import DETable
from degtools.io.genes import split_symbols

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
