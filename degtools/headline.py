"""The report's answer first: a few sentences on what was predicted, how well, and what it means.

Every number comes with its interval: the cross-validated R² with a 95% Student-t interval over
folds, the test R² with its bootstrap interval, each evidence source's share of R² with the
interval of its drop. When no model beats the dummy baseline the headline says so and names no
best model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from degtools.compare import ModelComparison, ModelResult
from degtools.enrich import format_pvalue
from degtools.leaderboards import Leaderboards
from degtools.numeric import mean_interval, t_interval

#: gene sets with an FDR below this are called themes.
THEME_FDR = 0.05
#: at most this many themes are named.
THEMES_SHOWN = 3
#: what the report calls the model with the highest CV R² when it does not beat the baseline.
NOT_BETTER_LABEL = "highest CV R² (does not beat the baseline)"


@dataclass
class Headline:
    """The headline box: a title naming dataset and target, 3-5 sentences, and the verdict.

    ``honest_r2`` is the main leaderboard's highest CV R² on independent features
    (``{"mean", "ci95": [low, high], "model"}``), None when the report has no independent leaderboard.
    """

    title: str
    sentences: list[str]
    beats_dummy: bool | None
    honest_r2: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)


def cv_interval(result: ModelResult, *, level: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high): a model's mean CV R² with its Student-t interval over folds."""
    scores = np.asarray(result.cv_scores["r2"], dtype=float)
    mean = float(scores.mean())
    low, high = t_interval(mean, float(scores.std(ddof=1)) if len(scores) > 1 else float("nan"), len(scores),
                           level=level)
    return mean, low, high


def _r2(result: ModelResult) -> str:
    mean, low, high = cv_interval(result)
    return f"{mean:.3f} (95% CI {low:.3f} to {high:.3f})"


def _test_r2(result: ModelResult) -> str:
    low, high = result.test_intervals.get("r2", (float("nan"), float("nan")))
    return f"{result.test['r2']:.3f} (95% bootstrap CI {low:.3f} to {high:.3f})"


def _listed(names: list[str], *, limit: int = 4) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def model_label(comparison: ModelComparison) -> str:
    """How the report names the top model: "best model" only when it beats the dummy baseline."""
    verdict = comparison.versus_dummy()
    if verdict is not None and not verdict[1]:
        return NOT_BETTER_LABEL
    return "best model by CV"


def _features_phrase(leaderboards: Leaderboards, target: str) -> str:
    comparison = leaderboards.comparison
    names = _listed(list(comparison.features))
    if leaderboards.main == "independent":
        return f"the {len(comparison.features)} column(s) the leakage audit calls independent of it ({names})"
    if leaderboards.main == "selected":
        return f"the selected column(s) {names}"
    if "independent" in leaderboards.boards and leaderboards.boards["independent"] is None:
        return f"all columns ({names}), every one of them computed from {target} or from its own test"
    return f"all columns ({names}), including any computed from {target} or from its own test"


def _verdict_sentence(comparison: ModelComparison, target: str, *, n_test: int) -> tuple[str, bool | None]:
    best = comparison.best
    verdict = comparison.versus_dummy()
    test = f"on the {n_test:,} held-out genes"
    if comparison.best_name == "DummyRegressor":
        return (f"Only the mean-only baseline was fitted: cross-validated R² {_r2(best)}; no model was compared.",
                None)
    if verdict is None:
        return (f"{best.name} has the highest cross-validated R², {_r2(best)}, and R² {_test_r2(best)} {test}; no "
                "dummy baseline was compared, so whether it beats the mean is not tested.", None)
    p_value, beats = verdict
    dummy = comparison["DummyRegressor"]
    if beats:
        return (f"{best.name} beats the mean-only baseline: cross-validated R² {_r2(best)} against the baseline's "
                f"{_r2(dummy)}, corrected resampled t-test p = {p_value:.2g}; on the {n_test:,} held-out genes R² "
                f"{_test_r2(best)}.", True)
    return (f"No model predicts {target} better than its mean: the highest cross-validated R², {_r2(best)} "
            f"({best.name}), cannot be told apart from the dummy baseline's {_r2(dummy)} (corrected resampled "
            f"t-test p = {p_value:.2g}).", False)


def _leakage_sentence(leaderboards: Leaderboards, target: str) -> str | None:
    main, everything = leaderboards.comparison, leaderboards.boards.get("all")
    if leaderboards.main == "all":
        if "independent" in leaderboards.boards and leaderboards.boards["independent"] is None:
            return (f"Every candidate column is computed from {target} or from its own test, so no honest "
                    f"prediction is possible: the R² above is arithmetic, not biology.")
        return ("The leaking columns were kept (features: all), so the R² above includes arithmetic; "
                "features: independent gives the honest figure.")
    if everything is None or everything is main:
        return None
    # both leaderboards score the same training rows on the same folds: the fold differences are paired
    difference = np.asarray(everything.best.cv_scores["r2"], float) - np.asarray(main.best.cv_scores["r2"], float)
    gain = float(difference.mean())
    low, high = mean_interval(difference)
    return (f"With every column, including those computed from {target} or its own test, the cross-validated "
            f"R² would be {_r2(everything.best)}: the {gain:+.3f} (95% CI {low:+.3f} to {high:+.3f}) that leakage "
            "would buy is arithmetic, not prediction.")


def _evidence_sentence(contributions: pd.DataFrame | None) -> str | None:
    """What each evidence source explains: the drop in CV R² without it, with its interval."""
    if contributions is None or contributions.empty:
        return None
    parts = [
        f"{row['source']} {row['drop_mean']:.3f} (95% CI {row['drop_low']:.3f} to {row['drop_high']:.3f})"
        for _, row in contributions.sort_values("drop_mean", ascending=False, kind="stable").iterrows()
    ]
    return "Share of cross-validated R² each evidence source explains (drop without it): " + "; ".join(parts) + "."


def _themes_sentence(enrichment) -> str | None:
    if enrichment is None:
        return None
    name = enrichment.gene_sets.name
    if not enrichment.ran:
        return f"Gene sets ({name}) could not be tested: {enrichment.match.sentence()}"
    for method, frame in (("preranked GSEA", enrichment.gsea), ("over-representation", enrichment.ora)):
        if frame is None or frame.empty:
            continue
        hits = frame.loc[frame["fdr"] < THEME_FDR].sort_values(["fdr", "pvalue", "set"], kind="stable")
        if method == "over-representation":
            hits = hits.loc[hits["overlap"] > 0]
        if hits.empty:
            continue
        named = []
        for _, hit in hits.head(THEMES_SHOWN).iterrows():
            detail = f"NES {hit['nes']:.2f}, " if "nes" in hit and pd.notna(hit.get("nes")) else ""
            resolution = getattr(enrichment, "permutations", None) if method == "preranked GSEA" and \
                getattr(enrichment, "gsea_method", "permutation") == "permutation" else None
            fdr = format_pvalue(hit["fdr"], permutations=resolution)
            named.append(f"{hit['set']} ({hit['direction']}, {detail}FDR {fdr})")
        return f"Strongest biological themes ({method}, {name}, FDR < {THEME_FDR:g}): " + "; ".join(named) + "."
    return f"No gene set of {name} is enriched at FDR < {THEME_FDR:g} (preranked GSEA and over-representation)."


def headline(leaderboards: Leaderboards, *, enrichment=None, contributions: pd.DataFrame | None = None,
             target_label: str, dataset: str = "") -> Headline:
    """The headline of a report: what was predicted from what, whether it beats the mean, what leakage,
    evidence and gene sets add.

    ``contributions`` (columns ``source``, ``drop_mean``, ``drop_low``, ``drop_high``: the drop in CV R²
    without each evidence source) adds the evidence sentence; None leaves it out.
    """
    comparison, design = leaderboards.comparison, leaderboards.design
    rows = len(design.X_train) + len(design.X_test)
    first = (f"{target_label} of {rows:,} genes was predicted from "
             f"{_features_phrase(leaderboards, target_label)}.")
    verdict, beats = _verdict_sentence(comparison, target_label, n_test=len(design.X_test))
    sentences = [first, verdict]
    for extra in (_leakage_sentence(leaderboards, target_label), _evidence_sentence(contributions),
                  _themes_sentence(enrichment)):
        if extra:
            sentences.append(extra)
    honest = None
    if leaderboards.main == "independent":
        mean, low, high = cv_interval(comparison.best)
        honest = {"mean": mean, "ci95": [low, high], "model": comparison.best.name}
    title = f"{dataset}: predicting {target_label}" if dataset else f"Predicting {target_label}"
    return Headline(title, sentences[:5], beats, honest)
