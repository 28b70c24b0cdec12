"""The analysis as the notebook calls it: one function per step, each recorded by :mod:`degtools.steps`.

Each name below is a package function wrapped with :func:`~degtools.steps.step`: it returns
exactly what the function returns, and its seconds (and, for the shared steps, whether a batch
reused an identical earlier result) go to the report's ``timings`` and ``reused``. The few
functions defined here only chain package calls that a report always makes together.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from degtools import (
    display,
    enrich,
    gene_level,
    genesets,
    interpret,
    leaderboards,
    leakage,
    pathways,
    prepare,
    results,
)
from degtools.io import DETable, read_de_table, reader_options
from degtools.reference import FeatureVariant, compare_feature_variant
from degtools.steps import RECORD, step
from degtools.studies import join_reference

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

    Returns the reference table, the :class:`~degtools.studies.ReferenceJoin` and the
    :class:`~degtools.reference.FeatureVariant`.
    """
    reference = read_de_table(path, id_map=id_map)
    join = join_reference(table, reference)
    variant = compare_feature_variant(table, join.features, target=target, label="reference",
                                                rows=join.matched_ids, test_size=test_size, seed=seed,
                                                max_rows=max_rows, cv_folds=cv_folds, alone=True)
    return reference, join, variant


def build_results(**objects: Any) -> dict[str, Any]:
    """:func:`degtools.results.build_results` with this report's step timings and reused steps."""
    return results.build_results(**objects, timings=RECORD.timings(), reused=RECORD.reused)
