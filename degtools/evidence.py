"""Everything known about the genes independently of this study, as one feature layer.

The honest question to ask of a DE result is how much of this study's change is explained by what
is known independently about the genes (per-gene covariates, gene-set membership, how well studied
a gene is) and by other studies (their fold changes). :func:`gather_evidence` joins every source to
the table's rows and remembers which columns came from which source; :func:`source_contributions`
measures what each source adds by dropping it, given a function that fits models (kept out of this
module so that it does not depend on the evaluation code).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import EllipsisType
from typing import Any

import numpy as np
import pandas as pd

from degtools.gene_features import GeneFeatureTable, join_gene_features, read_gene_features
from degtools.genesets import GeneSets, read_gmt
from degtools.io import DETable, read_de_table
from degtools.io.genes import split_symbols
from degtools.numeric import finite_or_none, t_interval
from degtools.pathways import PATHWAY_MAX_SETS, PATHWAY_MIN_GENES, pathway_membership
from degtools.studies import join_reference

ANNOTATION_DEPTH = "annotation depth"
PATHWAYS = "pathways"
OTHER_CONTRASTS = "other contrasts"
GENE_FEATURES_PREFIX = "gene features: "
REFERENCE_PREFIX = "reference: "

#: confidence of the interval over folds around each source's drop in R².
CONFIDENCE = 0.95


@dataclass
class EvidenceLayer:
    """Feature columns from every evidence source, aligned to the rows of one DE table.

    Attributes
    ----------
    features
        One row per row of ``table.data`` (same index), one column per feature.
    sources
        Source name -> its columns, e.g. ``{"gene features: sophie": [...], "reference: GSE2034": [...],
        "pathways": [...], "annotation depth": ["annotation depth"]}``.
    notes
        What was joined how, and what was left out.
    details
        Source name -> its join record (file, checksum, key, matched rows ...), for the JSON.
    attributions
        Licence attributions of the bundled files used.
    """

    features: pd.DataFrame
    sources: dict[str, list[str]]
    notes: list[str] = field(default_factory=list)
    details: dict[str, dict[str, Any]] = field(default_factory=dict)
    attributions: list[str] = field(default_factory=list)

    def columns(self, *, without: str | None = None) -> list[str]:
        """Every feature column, or every one except those of the source ``without``."""
        return [column for source, columns in self.sources.items() if source != without for column in columns]

    def outside_columns(self) -> list[str]:
        """The columns joined from outside the table (every source but the file's other contrasts):
        independent of the target by provenance, for the leakage audit's ``evidence``."""
        return [column for source, columns in self.sources.items() if source != OTHER_CONTRASTS
                for column in columns]

    def record(self) -> dict[str, Any]:
        """Sources with their columns and join records, notes and attributions."""
        return {"rows": len(self.features),
                "sources": {source: {"columns": list(columns),
                                     "matched_rows": int(self.features[columns].notna().any(axis=1).sum()),
                                     **self.details.get(source, {})}
                            for source, columns in self.sources.items()},
                "notes": list(self.notes), "attributions": list(self.attributions)}


def annotation_depth(table: DETable, gene_sets: GeneSets) -> pd.Series:
    """In how many of ``gene_sets`` each row's gene is (any of its genes, for ``A /// B`` rows).

    A gene in no set gets 0; a row without a symbol gets NaN, and so does every row of a table
    without a symbol column.
    """
    if not table.has_symbols:
        return pd.Series(np.nan, index=table.data.index, name=ANNOTATION_DEPTH)
    memberships: dict[str, set[int]] = {}
    for number, members in enumerate(gene_sets.sets.values()):
        for gene in members:
            memberships.setdefault(gene, set()).add(number)

    def depth(symbols: list[str]) -> float:
        if not symbols:
            return math.nan
        return float(len(set().union(*(memberships.get(symbol, set()) for symbol in symbols))))

    return table.data["symbol"].map(split_symbols).map(depth).astype(float).rename(ANNOTATION_DEPTH)


def _by_gene_id(table: DETable, frame: pd.DataFrame) -> pd.DataFrame:
    """A frame indexed by gene ID, aligned to the table's rows."""
    aligned = frame.reindex(table.data["gene_id"].to_numpy())
    aligned.index = table.data.index
    return aligned


def _as_gene_sets(gene_sets: GeneSets | str | Path) -> GeneSets:
    return gene_sets if isinstance(gene_sets, GeneSets) else read_gmt(gene_sets)


def _unique(name: str, taken: Iterable[str]) -> str:
    taken = set(taken)
    if name not in taken:
        return name
    number = 2
    while f"{name} ({number})" in taken:
        number += 1
    return f"{name} ({number})"


#: two columns of one source with at least this |Spearman| (on the rows both have) are one number written twice.
SAME_ORDER = 0.999


def _same_order(ranks: pd.Series, other: pd.Series) -> bool:
    """Whether two rank vectors agree (or are reversed) on the rows both have: |Spearman| >= :data:`SAME_ORDER`."""
    both = ranks.notna() & other.notna()
    if both.sum() < 3 or ranks[both].nunique() < 2 or other[both].nunique() < 2:
        return False
    return abs(float(np.corrcoef(ranks[both].rank(), other[both].rank())[0, 1])) >= SAME_ORDER


def gather_evidence(
    table: DETable,
    *,
    gene_features: Iterable[str | Path | GeneFeatureTable] = (),
    references: Iterable[str | Path | DETable] = (),
    gene_sets: GeneSets | str | Path | None = None,
    pathway_sets: GeneSets | str | Path | None | EllipsisType = ...,
    other_contrasts: pd.DataFrame | None = None,
    pathway_min_genes: int = PATHWAY_MIN_GENES,
    pathway_max_sets: int = PATHWAY_MAX_SETS,
) -> EvidenceLayer:
    """Join every evidence source to ``table``'s rows.

    Parameters
    ----------
    table
        The DE table whose change is to be explained.
    gene_features
        Per-gene covariate files (paths, bundled short names such as ``"sophie"``, or read tables),
        each joined by its best-matching key (:func:`~degtools.gene_features.join_gene_features`).
    references
        Other studies' DE tables (paths or read tables): their fold change and statistic per gene,
        joined by symbol (:func:`~degtools.studies.join_reference`).
    gene_sets
        Gene sets for the annotation-depth feature (in how many sets the gene is); None: no such feature.
    pathway_sets
        Gene sets whose membership (0/1 per set with enough genes) become features; ``...`` (the
        default): the same as ``gene_sets``; None: no pathway features.
    other_contrasts
        Other contrasts of the same file as features (:func:`~degtools.io.contrasts.split_contrasts`),
        aligned to the table's rows.
    pathway_min_genes, pathway_max_sets
        Passed to :func:`~degtools.enrich.pathway_membership`.

    Raises
    ------
    InputError
        If a file cannot be read or matches no row of the table.
    """
    columns: dict[str, pd.Series] = {}
    sources: dict[str, list[str]] = {}
    layer = EvidenceLayer(pd.DataFrame(index=table.data.index), sources)

    def add(source: str, frame: pd.DataFrame, detail: dict[str, Any] | None = None) -> None:
        source = _unique(source, sources)
        taken = set(table.data.columns)
        kept: list[str] = []
        ranks: dict[str, pd.Series] = {}
        for column in frame.columns:
            values = frame[column].astype(float)
            if values.nunique() < 2:
                layer.notes.append(f"{source}: {column!r} left out (constant or empty on this table's rows)")
                continue
            ranked = values.rank()
            twin = next((other for other in kept if _same_order(ranked, ranks[other])), None)
            if twin is not None:
                layer.notes.append(f"{source}: {column!r} left out (the same order of genes as {twin!r}: one "
                                   "number written twice)")
                continue
            name = _unique(str(column), [*columns, *taken])
            ranks[name] = ranked
            columns[name] = values
            kept.append(name)
        if kept:
            sources[source] = kept
            if detail is not None:
                layer.details[source] = detail
        else:
            layer.notes.append(f"{source}: no usable column, left out")

    for item in gene_features:
        features = item if isinstance(item, GeneFeatureTable) else read_gene_features(item)
        joined = join_gene_features(table, features)
        layer.notes.append(joined.sentence())
        if features.attribution:
            layer.attributions.append(features.attribution)
        add(f"{GENE_FEATURES_PREFIX}{features.name}", joined.features, joined.record())
    for item in references:
        reference = item if isinstance(item, DETable) else read_de_table(item)
        joined = join_reference(table, reference)
        layer.notes.append(f"reference {joined.name}: {joined.matched_rows:,} of {joined.rows:,} rows "
                           f"matched by gene symbol ({joined.shared_genes:,} genes in both tables)")
        add(f"{REFERENCE_PREFIX}{joined.name}", _by_gene_id(table, joined.features),
            {"file": reference.path.name, "sha256": reference.sha256, **joined.record()})
    depth_sets = None if gene_sets is None else _as_gene_sets(gene_sets)
    membership_sets = depth_sets if pathway_sets is ... else (
        None if pathway_sets is None else _as_gene_sets(pathway_sets))
    if membership_sets is not None:
        membership = pathway_membership(table, membership_sets, min_genes=pathway_min_genes,
                                        max_sets=pathway_max_sets)
        if membership.empty or not len(membership.columns):
            layer.notes.append(f"pathways: no set of {membership_sets.name} has {pathway_min_genes} or more "
                               "of this table's genes (or the table has no gene names); no pathway feature")
        else:
            add(PATHWAYS, _by_gene_id(table, membership), {"gene_sets": membership_sets.name,
                                                           "sha256": membership_sets.sha256})
            if membership_sets.attribution:
                layer.attributions.append(membership_sets.attribution)
    if depth_sets is not None:
        depth = annotation_depth(table, depth_sets)
        if depth.isna().all():
            layer.notes.append(f"{ANNOTATION_DEPTH}: the table has no gene symbols; left out")
        else:
            add(ANNOTATION_DEPTH, depth.to_frame(),
                {"gene_sets": depth_sets.name, "sets": len(depth_sets.sets), "sha256": depth_sets.sha256})
            if depth_sets.attribution and depth_sets.attribution not in layer.attributions:
                layer.attributions.append(depth_sets.attribution)
    if other_contrasts is not None and len(other_contrasts.columns):
        add(OTHER_CONTRASTS, other_contrasts.reindex(table.data.index))
    layer.features = pd.DataFrame(columns, index=table.data.index)
    return layer


# ----------------------------------------------------------------------------------------------
# What each source adds
# ----------------------------------------------------------------------------------------------


@dataclass
class SourceContributions:
    """Cross-validated R² with every source and without each one, per fold and summarised."""

    table: pd.DataFrame
    all_folds: list[float]
    drops: dict[str, list[float]]
    confidence: float = CONFIDENCE

    def sentences(self) -> list[str]:
        """One line per source: how much R² drops without it, with its interval."""
        level = f"{self.confidence:.0%}"
        return [f"without {row.source}: CV R² {row.r2_all:.3f} -> {row.r2_without:.3f}, a drop of "
                f"{row.drop_mean:.3f} ({level} interval over {row.folds} folds {row.drop_low:.3f} to "
                f"{row.drop_high:.3f})" for row in self.table.itertuples(index=False)]

    def record(self) -> dict[str, Any]:
        """Per source: R² with all and without it, the drop per fold, its mean and interval."""
        rows = []
        for row in self.table.itertuples(index=False):
            rows.append({"source": row.source, "features": int(row.features),
                         "r2_all": finite_or_none(row.r2_all), "r2_without": finite_or_none(row.r2_without),
                         "drop_mean": finite_or_none(row.drop_mean), "drop_sd": finite_or_none(row.drop_sd),
                         "drop_low": finite_or_none(row.drop_low), "drop_high": finite_or_none(row.drop_high),
                         "drop_per_fold": [finite_or_none(value) for value in self.drops[row.source]]})
        return {"confidence": self.confidence, "r2_all_per_fold": [finite_or_none(v) for v in self.all_folds],
                "sources": rows}


def fold_summary(
    values: Sequence[float], *, confidence: float = CONFIDENCE
) -> tuple[float, float, float, float]:
    """Mean, standard deviation and a t-interval for the mean of per-fold values (NaN for one fold)."""
    array = np.asarray(values, dtype=float)
    mean = float(array.mean())
    if len(array) < 2:
        return mean, math.nan, math.nan, math.nan
    sd = float(array.std(ddof=1))
    low, high = t_interval(mean, sd, len(array), level=confidence)
    return mean, sd, low, high


def source_contributions(
    score_folds: Callable[[list[str]], Sequence[float]],
    sources: dict[str, list[str]],
    *,
    base: Sequence[str] = (),
    confidence: float = CONFIDENCE,
) -> SourceContributions:
    """How much each source adds: cross-validated R² with all sources and without each one.

    Parameters
    ----------
    score_folds
        Returns the per-fold CV R² of a model fitted on the given feature columns. It must use the
        same folds on every call (a fixed split), so that the drops can be paired fold by fold.
    sources
        Source name -> its feature columns (e.g. :attr:`EvidenceLayer.sources`).
    base
        Columns always included (e.g. the table's own features); empty by default.
    confidence
        Level of the t-interval over folds around each mean drop.

    Returns
    -------
    SourceContributions
        Per source: R² with all sources, without it, the drop per fold, its mean, standard
        deviation and interval. Without any feature left, R² is taken as 0 in every fold
        (a model that predicts the mean).
    """
    everything = [*base, *(column for columns in sources.values() for column in columns)]
    all_folds = [float(value) for value in score_folds(everything)]
    rows, drops = [], {}
    for source, columns in sources.items():
        remaining = [column for column in everything if column not in set(columns)]
        without = [float(value) for value in score_folds(remaining)] if remaining else [0.0] * len(all_folds)
        if len(without) != len(all_folds):
            raise ValueError(f"score_folds gave {len(without)} folds without {source!r} but {len(all_folds)} "
                             "with every source; it must use the same folds on every call")
        drop = [whole - part for whole, part in zip(all_folds, without, strict=True)]
        mean, sd, low, high = fold_summary(drop, confidence=confidence)
        drops[source] = drop
        rows.append({"source": source, "features": len(columns), "r2_all": float(np.mean(all_folds)),
                     "r2_without": float(np.mean(without)), "drop_mean": mean, "drop_sd": sd,
                     "drop_low": low, "drop_high": high, "folds": len(drop)})
    return SourceContributions(pd.DataFrame(rows), all_folds, drops, confidence)


def source_kind(source: str) -> str:
    """What kind of evidence a source is: ``gene features``, ``reference``, ``pathways``,
    ``annotation depth``, ``other contrasts`` or ``table columns`` (the table's own)."""
    if source.startswith(GENE_FEATURES_PREFIX):
        return "gene features"
    if source.startswith(REFERENCE_PREFIX):
        return "reference"
    if source.startswith(PATHWAYS):
        return PATHWAYS
    if source.startswith(ANNOTATION_DEPTH):
        return ANNOTATION_DEPTH
    if source.startswith(OTHER_CONTRASTS):
        return OTHER_CONTRASTS
    return "table columns"


def with_evidence(table: DETable, layer: EvidenceLayer) -> DETable:
    """A copy of ``table`` with the layer's feature columns added, row by row (shown under their own names)."""
    data = pd.concat([table.data, layer.features.reindex(table.data.index)], axis=1)
    column_map = {**table.column_map, **{column: column for column in layer.features.columns}}
    return replace(table, data=data, column_map=column_map)
