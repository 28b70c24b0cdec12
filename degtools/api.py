"""The analysis as the notebook calls it: one function per step, each recorded by :mod:`degtools.steps`.

Each name below is a package function wrapped with :func:`~degtools.steps.step`: it returns
exactly what the function returns, and its seconds (and, for the shared steps, whether a batch
reused an identical earlier result) go to the report's ``timings`` and ``reused``. The few
functions defined here only chain package calls that a report always makes together.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from degtools import (
    contributions,
    display,
    enrich,
    evidence,
    gene_level,
    genesets,
    interpret,
    leaderboards,
    leakage,
    pathways,
    prepare,
    results,
)
from degtools.headline import Headline, headline
from degtools.io import DETable, read_de_table, reader_options
from degtools.naming import dataset_name_from_path
from degtools.params import path_list
from degtools.reference import FeatureVariant, compare_feature_variant
from degtools.steps import RECORD, step
from degtools.studies import join_reference
from degtools.surprise import find_surprising_genes as _find_surprising_genes

prepare_design = step("prepare")(prepare.prepare_design)
audit_leakage = step("leakage audit")(leakage.audit_leakage)
#: the model comparison is the same for reports that differ only in later steps (e.g. another reference table)
compare_feature_sets = step("models", shared=True, ignore=["n_jobs"])(leaderboards.compare_feature_sets)
permutation_importances = step("importance")(interpret.permutation_importances)
impurity_importances = step("importance")(interpret.impurity_importances)
plot_volcano = step("volcano and MA plots")(display.show_volcano)
plot_ma = step("volcano and MA plots")(display.show_ma)
read_gmt = step("gene sets")(genesets.read_gmt)
#: the gene-set analysis ranks genes by the table's own statistic: the same for every target of a table
run_enrichment = step("gene sets", shared=True, ignore=["threads"])(enrich.run_enrichment)


@step("read")
def read_input_table(params: Mapping[str, Any]) -> DETable:
    """The table named by the parameters' ``input_table``, read with their reader options.

    A table whose genes cannot be ranked for the gene-set analysis stops the report here, with the
    column_map that would name its columns, rather than in the gene-set cells.
    """
    table = read_de_table(params["input_table"], **reader_options(params))
    gene_level.check_rankable(table)
    return table


def choose_features(table: DETable, choice: str | list[str], *, target: str) -> str | list[str]:
    """The ``features`` parameter for :func:`compare_feature_sets`: a feature set, or canonical column names."""
    choice = prepare.parse_feature_choice(choice)
    return choice if isinstance(choice, str) else prepare.resolve_features(table, choice, target=target)


@step("pathway features")
def compare_pathway_features(table: DETable, gene_sets: genesets.GeneSets, *, target: str, test_size: float,
                             seed: int, max_rows: int, cv_folds: int) -> FeatureVariant | None:
    """Models without and with gene-set membership as features; None when no set is large enough."""
    membership = pathways.pathway_membership(table, gene_sets)
    if not membership.shape[1]:
        return None
    return compare_feature_variant(table, membership, target=target, label="pathways",
                                             test_size=test_size, seed=seed, max_rows=max_rows, cv_folds=cv_folds)


@step("reference table")
def compare_reference(table: DETable, path: str, *, id_map: str, target: str, test_size: float, seed: int,
                      max_rows: int, cv_folds: int):
    """Another study's table joined by gene symbol, and models without, with and on only its features.

    ``path`` may list several tables (comma-separated): this section shows the first; all of them join
    the evidence layer (:func:`gather_evidence`).

    Returns the reference table, the :class:`~degtools.studies.ReferenceJoin` and the
    :class:`~degtools.reference.FeatureVariant`.
    """
    path = path_list(path)[0]  # with several reference tables, this section shows the first
    reference = read_de_table(path, id_map=id_map)
    join = join_reference(table, reference)
    variant = compare_feature_variant(table, join.features, target=target, label="reference",
                                                rows=join.matched_ids, test_size=test_size, seed=seed,
                                                max_rows=max_rows, cv_folds=cv_folds, alone=True)
    return reference, join, variant


#: the evidence layer's columns joined to the table row by row (no computation of its own)
with_evidence = evidence.with_evidence
#: what each source of independent features adds: a fast model refitted without each source
evidence_contributions = step("evidence")(contributions.evidence_contributions)


def evidence_gene_features(params: Mapping[str, Any]) -> list[str]:
    """The gene-feature files a report joins: ``gene_features`` as given; when empty, the bundled SOPHIE table
    for the demo (no ``input_table``) and none for a user's table; ``none``: none."""
    names = path_list(params.get("gene_features", ""))
    if not names:
        return [] if params.get("input_table") else ["sophie"]
    return [] if [name.lower() for name in names] == ["none"] else names


@step("evidence")
def gather_evidence(table: DETable, params: Mapping[str, Any]) -> evidence.EvidenceLayer:
    """Everything known about the table's genes independently of it (:func:`degtools.evidence.gather_evidence`).

    Gene-feature files (``gene_features``), other studies (``reference_table``, read with ``id_map``),
    gene-set membership and annotation depth (``gene_sets``, with ``evidence_pathways``), and the
    file's other contrasts (read with ``contrast``; they stay table columns, audited as such).
    """
    gene_features = evidence_gene_features(params)
    references = [read_de_table(path, id_map=params.get("id_map", "")) for path in
                  path_list(params.get("reference_table", ""))]
    gene_sets = genesets.read_gmt(params.get("gene_sets", "")) if params.get("evidence_pathways") else None
    layer = evidence.gather_evidence(table, gene_features=gene_features, references=references, gene_sets=gene_sets,
                                     pathway_max_sets=contributions.EVIDENCE_PATHWAY_SETS)
    if gene_features == ["sophie"] and not params.get("gene_features") and not params.get("input_table"):
        layer.notes.insert(0, "The demo table is joined to the bundled SOPHIE generic-gene table by default "
                              "(gene_features: none turns it off).")
    contrast = table.source.get("contrast")
    if contrast:
        others = [column for column in table.numeric_columns if column.endswith(("_logFC", "_t"))
                  and table.display_name(column) == column and not column.startswith(f"{contrast}_")]
        if others:
            layer.sources[evidence.OTHER_CONTRASTS] = others
            layer.details[evidence.OTHER_CONTRASTS] = {"file": table.path.name, "sha256": table.sha256,
                                                       "key": "same rows", "contrast": contrast}
            layer.notes.append(f"other contrasts of {table.path.name} ({', '.join(others)}): table columns, "
                               "audited as such (contrasts of one model fit are not independent evidence)")
    return layer


def build_results(**objects: Any) -> dict[str, Any]:
    """:func:`degtools.results.build_results` with this report's step timings and reused steps."""
    return results.build_results(**objects, timings=RECORD.timings(), reused=RECORD.reused)


find_surprising_genes = step("study-specific genes")(_find_surprising_genes)


@step("headline")
def report_headline(leaderboards_: leaderboards.Leaderboards, *, params: Mapping[str, Any], table: DETable,
                    enrichment=None, contributions=None) -> Headline:
    """The report's headline (:func:`degtools.headline.headline`), titled with the dataset and the target."""
    if contributions is not None and not isinstance(contributions, pd.DataFrame):
        contributions = contributions.table  # a SourceContributions: its per-source table
    return headline(leaderboards_, enrichment=enrichment, contributions=contributions,
                    target_label=leaderboards_.design.target_label,
                    dataset=params["dataset_name"] or dataset_name_from_path(table.path))
