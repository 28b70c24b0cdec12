"""Study-specific and generic genes: where this study departs from what the model's features predict.

Every gene gets an out-of-sample prediction from the main leaderboard's top model: training
genes from cross-validation on the leaderboard's own folds (and groups), test genes from the
fit on the training part. Genes that change much more than predicted are study-specific (the
ones to follow up); genes with a large change the features predict well are generic responders.
The study-specific genes are then tested for over-representation in the report's gene sets.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import cross_val_predict
from threadpoolctl import threadpool_limits

from degtools.compare import ModelComparison, ModelResult
from degtools.enrich import over_representation
from degtools.gene_level import gene_names
from degtools.io import DETable
from degtools.io.genes import split_symbols
from degtools.prepare import Design

#: a study-specific gene's residual is at least this many residual sd, with |observed| > |predicted|.
SPECIFIC_Z = 2.0
#: a generic responder's residual is below this many residual sd ...
GENERIC_Z = 0.5
#: ... and its |observed| is in this top fraction of all genes.
GENERIC_TOP_SHARE = 0.1
#: fewest study-specific genes (with a name in the gene sets' background) for an over-representation test.
ORA_MIN_LIST = 5


@dataclass
class SurprisingGenes:
    """Out-of-sample predictions of every gene, the study-specific and generic genes, and the ORA."""

    genes: pd.DataFrame
    study_specific: pd.DataFrame
    generic: pd.DataFrame
    model: str
    predictors: str
    beats_dummy: bool | None
    ora: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)


def out_of_sample_predictions(result: ModelResult, design: Design, *, cv_folds: int, seed: int) -> pd.DataFrame:
    """``observed``, ``predicted``, ``residual`` and ``in_test`` for every gene, each prediction out-of-sample.

    Training genes: the leaderboard's fold models (kept by :func:`~degtools.compare.compare_models` for
    the best model), or :func:`~sklearn.model_selection.cross_val_predict` on the same folds (and gene
    groups) when they were not kept; test genes: the model fitted on the whole training part.
    """
    kept = result.oof_predictions
    if kept is not None and result.oof_folds == (cv_folds, seed) and len(kept) == len(design.X_train):
        train = kept  # the leaderboard's own fold models predicted these already
    else:
        splits = list(design.cv_splitter(cv_folds, seed).split(design.X_train, design.y_train,
                                                               design.groups_train))
        with threadpool_limits(limits=1), warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            train = cross_val_predict(clone(result.pipeline), design.X_train, design.y_train, cv=splits)
    test = result.pipeline.predict(design.X_test)
    frame = pd.DataFrame({
        "observed": np.concatenate([design.y_train.to_numpy(), design.y_test.to_numpy()]),
        "predicted": np.concatenate([train, test]),
        "in_test": np.r_[np.zeros(len(train), bool), np.ones(len(test), bool)],
    }, index=pd.concat([design.X_train, design.X_test]).index)
    frame["residual"] = frame["observed"] - frame["predicted"]
    return frame[~frame.index.duplicated(keep="first")]


def _units(design: Design) -> str:
    return "log2 units" if design.target == "logFC" else f"units of {design.target_label}"


def _predictors(features: list[str]) -> str:
    shown = ", ".join(features[:3]) + (f" and {len(features) - 3} more" if len(features) > 3 else "")
    return f"the model's features ({shown})"


def _specific_reason(row: pd.Series, *, units: str, predictors: str) -> str:
    observed, predicted = row["observed"], row["predicted"]
    if observed * predicted < 0:
        way = "goes up" if observed > 0 else "goes down"
        return (f"{way} ({observed:+.2f}) where {predictors} predict the opposite ({predicted:+.2f}); residual "
                f"{row['z']:+.1f} sd")
    return (f"changes {abs(observed) - abs(predicted):.2f} {units} more than {predictors} predict "
            f"({observed:+.2f} observed, {predicted:+.2f} predicted; residual {row['z']:+.1f} sd)")


def _generic_reason(row: pd.Series, *, units: str, predictors: str) -> str:
    return (f"changes {row['observed']:+.2f} {units}, within {abs(row['residual']):.2f} of what {predictors} "
            f"predict (residual {row['z']:+.1f} sd): a change this study shares with what the features expect")


def find_surprising_genes(comparison: ModelComparison, design: Design, table: DETable, *, gene_sets=None,
                          n: int = 15) -> SurprisingGenes:
    """The study-specific and generic genes of the main leaderboard's top model (``n`` of each shown).

    Study-specific: residual of at least :data:`SPECIFIC_Z` residual sd and |observed| > |predicted|,
    largest residual first. Generic: |observed| in the top :data:`GENERIC_TOP_SHARE` of genes and a
    residual below :data:`GENERIC_Z` sd, largest change first. With ``gene_sets``, all study-specific
    genes (not only the ``n`` shown) are tested for over-representation against every modelled gene
    with a name.
    """
    result = comparison.best
    frame = out_of_sample_predictions(result, design, cv_folds=comparison.cv_folds, seed=comparison.seed)
    sd = float(frame["residual"].std(ddof=1)) if len(frame) > 1 else 0.0
    frame["z"] = frame["residual"] / sd if sd > 0 else 0.0
    names = table.data.drop_duplicates("gene_id").set_index("gene_id")
    frame["symbol"] = names["symbol"].reindex(frame.index).to_numpy() if "symbol" in names else None
    units, predictors = _units(design), _predictors(list(comparison.features))
    larger = frame["observed"].abs() > frame["predicted"].abs()
    specific = frame.loc[larger & (frame["z"].abs() >= SPECIFIC_Z)]
    specific = specific.iloc[np.argsort(-specific["z"].abs().to_numpy(), kind="stable")]
    cutoff = frame["observed"].abs().quantile(1 - GENERIC_TOP_SHARE)
    generic = frame.loc[(frame["observed"].abs() >= cutoff) & (frame["z"].abs() < GENERIC_Z)]
    generic = generic.iloc[np.argsort(-generic["observed"].abs().to_numpy(), kind="stable")]
    specific = specific.assign(reason=[_specific_reason(row, units=units, predictors=predictors)
                                       for _, row in specific.iterrows()])
    generic = generic.assign(reason=[_generic_reason(row, units=units, predictors=predictors)
                                     for _, row in generic.iterrows()])
    verdict = comparison.versus_dummy()
    beats = None if verdict is None else verdict[1]
    notes = [f"{len(specific):,} study-specific and {len(generic):,} generic genes among {len(frame):,} "
             f"(out-of-sample predictions of {result.name}; residual sd {sd:.3g})."]
    if beats is False:
        notes.append(f"No model predicts {design.target_label} better than its mean, so its predictions stay near "
                     "the mean: the study-specific genes are simply the largest changes, and few changes are "
                     "'expected'.")
    ora = None
    if gene_sets is not None:
        ora, note = _specific_ora(specific, frame, table, gene_sets)
        notes.append(note)
    return SurprisingGenes(frame, specific.head(n), generic.head(n), result.name, predictors, beats, ora, notes)


def _specific_ora(specific: pd.DataFrame, frame: pd.DataFrame, table: DETable, gene_sets):
    """Over-representation of the study-specific genes among all modelled genes with a name."""
    names, kind = gene_names(table)
    named = pd.Series(names.to_numpy(), index=table.data["gene_id"].to_numpy())
    named = named[~named.index.duplicated(keep="first")]

    def members(ids) -> set[str]:
        return {name for value in named.reindex(ids).dropna() for name in split_symbols(value)}

    background, chosen = members(frame.index), members(specific.index)
    if len(chosen) < ORA_MIN_LIST:
        return None, (f"Over-representation of the study-specific genes: not run, {len(chosen)} of them have a "
                      f"{kind} (at least {ORA_MIN_LIST} needed).")
    # over_representation tests the genes passing (padj, |logFC|) thresholds: the list is marked as passing
    marks = pd.DataFrame({"logFC": 0.0, "padj": 1.0}, index=sorted(background))
    marks.loc[sorted(chosen), ["logFC", "padj"]] = [1.0, 0.0]
    tested = over_representation(marks, gene_sets, padj_threshold=0.5, lfc_threshold=0.5)
    tested = tested.loc[tested["direction"] == "up"].drop(columns=["direction"]).reset_index(drop=True)
    return tested, (f"Over-representation of the {len(chosen):,} genes ({kind}s) the study-specific rows name, "
                    f"among the {len(background):,} the modelled rows name (hypergeometric, Benjamini-Hochberg "
                    "FDR).")

