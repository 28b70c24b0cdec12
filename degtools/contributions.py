"""What each source of independent features adds to the main leaderboard: drop it, refit, compare.

The sources are the table's own independent columns and every evidence source
(:mod:`degtools.evidence`) with columns the leakage audit calls independent. The score is the
per-fold cross-validated R² of one fast model (a small histogram gradient-boosting model, which
takes missing values as they are, fitted on at most 5,000 rows of each fold) on the same folds as the
leaderboards, so that the drops pair
fold by fold and the whole comparison costs a few seconds, not another leaderboard.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.metrics import r2_score
from threadpoolctl import threadpool_limits

from degtools.evidence import EvidenceLayer, SourceContributions, source_contributions
from degtools.leakage import LeakageReport
from degtools.prepare import Design

#: the table's own independent columns, as a source.
TABLE_COLUMNS = "table columns"
#: the scorer: boosting rounds, leaves per tree, and at most this many training rows per fold fit.
SCORER_ITERATIONS = 40
SCORER_LEAVES = 15
SCORER_MAX_ROWS = 5_000
#: the columns of an empty contributions table (no independent feature at all).
CONTRIBUTION_COLUMNS = ("source", "features", "r2_all", "r2_without", "drop_mean", "drop_sd", "drop_low",
                        "drop_high", "folds")


def contribution_sources(design: Design, audit: LeakageReport, layer: EvidenceLayer) -> dict[str, list[str]]:
    """Source -> its columns among the design's features that the audit calls independent.

    The table's own such columns form the source ``table columns``; a source with no independent
    column (e.g. other contrasts of the same fit) is left out.
    """
    independent = set(audit.independent) & set(design.features)
    joined = set(layer.columns())
    sources = {}
    own = [feature for feature in design.features if feature in independent and feature not in joined]
    if own:
        sources[TABLE_COLUMNS] = own
    for source, columns in layer.sources.items():
        kept = [column for column in columns if column in independent]
        if kept:
            sources[source] = kept
    return sources


def fold_scorer(design: Design, *, cv_folds: int, seed: int) -> Callable[[list[str]], list[float]]:
    """Per-fold CV R² of the fast model on given columns, on the leaderboards' folds of the training part."""
    splitter = design.cv_splitter(cv_folds, seed)
    folds = list(splitter.split(design.X_train, design.y_train, design.groups_train))
    y = design.y_train.to_numpy(dtype=float)
    generator = np.random.default_rng(seed)
    folds = [(train if len(train) <= SCORER_MAX_ROWS else np.sort(generator.choice(train, SCORER_MAX_ROWS,
                                                                                   replace=False)), valid)
             for train, valid in folds]

    def score(columns: list[str]) -> list[float]:
        X = design.X_train[columns].to_numpy(dtype=float)
        scores = []
        # one thread: the fits are small, and OpenMP threads fighting over busy cores cost far more than they win
        with threadpool_limits(limits=1):
            for train, valid in folds:
                model = HistGradientBoostingRegressor(max_iter=SCORER_ITERATIONS, max_leaf_nodes=SCORER_LEAVES,
                                                      early_stopping=False, random_state=seed)
                model.fit(X[train], y[train])
                scores.append(float(r2_score(y[valid], model.predict(X[valid]))))
        return scores

    return score


def evidence_contributions(design: Design, audit: LeakageReport, layer: EvidenceLayer, *, cv_folds: int,
                           seed: int) -> SourceContributions:
    """How much each source of independent features adds (:func:`~degtools.evidence.source_contributions`).

    ``design`` holds every candidate feature (the one the audit saw). An empty table when no
    feature is independent.
    """
    sources = contribution_sources(design, audit, layer)
    if not sources:
        return SourceContributions(pd.DataFrame(columns=list(CONTRIBUTION_COLUMNS)), [], {})
    return source_contributions(fold_scorer(design, cv_folds=cv_folds, seed=seed), sources)

#: gene sets whose membership joins the evidence layer (those covering most of the table's genes):
#: fewer than the side section's, so that the main leaderboard stays fast.
EVIDENCE_PATHWAY_SETS = 10
