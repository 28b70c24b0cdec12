"""The leaderboards: one model comparison per feature set, so the reader sees what leakage buys.

The main leaderboard uses the features the leakage audit calls independent (or the ones the
user selected); beside it, one on all features is the contrast.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from degtools.compare import ModelComparison, compare_models
from degtools.errors import ParamsError
from degtools.guard import guard_independent
from degtools.leakage import LeakageReport
from degtools.models import DEFAULT_MODELS, RELATIVE_COST, resolve_models
from degtools.prepare import Design

#: the all-features board beside an honest main board is a contrast (what the leaking columns give away),
#: not the answer: it runs the requested models whose relative cost (``models.RELATIVE_COST``) is at most
#: this -- linear models, a tree, nearest neighbours and histogram gradient boosting, enough to show the
#: arithmetic -- at default settings; the slow ensembles, SVR and the MLP are spent on the main board.
CONTRAST_MAX_COST = 51


def contrast_models(models: tuple[str, ...] | list[str] | str) -> tuple[str, ...]:
    """The models of the all-features contrast board: the requested ones up to :data:`CONTRAST_MAX_COST`."""
    names = resolve_models(models)
    cheap = tuple(name for name in names
                  if RELATIVE_COST.get(name, CONTRAST_MAX_COST + 1) <= CONTRAST_MAX_COST)
    return cheap if any(name != "DummyRegressor" for name in cheap) else names


@dataclass
class Leaderboards:
    """One leaderboard per feature set (``independent``, ``all`` or ``selected``), and the main one."""

    boards: dict[str, ModelComparison | None]
    designs: dict[str, Design]
    main: str
    notes: list[str] = field(default_factory=list)

    @property
    def comparison(self) -> ModelComparison:
        """The main leaderboard (the one the report's best model comes from)."""
        return self.boards[self.main]

    @property
    def design(self) -> Design:
        """The design of the main leaderboard."""
        return self.designs[self.main]

    def side_by_side(self) -> pd.DataFrame:
        """Mean CV R² of every model under each feature set, one column per leaderboard."""
        columns = {}
        for name, board in self.boards.items():
            if board is not None:
                table = board.table().set_index("model")
                columns[f"CV R², {name} features"] = table["CV R²"]
        frame = pd.DataFrame(columns)
        if len(frame.columns) == 2:
            frame["R² bought by leakage"] = frame.iloc[:, 1] - frame.iloc[:, 0]
        return frame.sort_values(frame.columns[0], ascending=False, kind="stable")


def compare_feature_sets(
    design: Design,
    audit: LeakageReport,
    *,
    features: str | list[str] = "independent",
    models: tuple[str, ...] | list[str] | str = DEFAULT_MODELS,
    cv_folds: int = 5,
    seed: int = 42,
    tuning: str = "none",
    n_jobs: int = 1,
) -> Leaderboards:
    """The leaderboards the ``features`` parameter asks for.

    ``independent`` (default): a main leaderboard on the features the leakage audit calls
    independent, and beside it one on all features, so the reader sees what R² the leakage buys;
    ``tuning`` applies to the main leaderboard, the all-features one keeps default settings and runs
    only the faster models (:func:`contrast_models`).
    When no feature is independent, the independent leaderboard is empty (``None``) and the
    all-features one becomes the main one, with a note. ``all``: one leaderboard on all features.
    A list of canonical names: a ``selected`` leaderboard plus ``all``.
    """
    options = dict(models=models, cv_folds=cv_folds, seed=seed, tuning=tuning, n_jobs=n_jobs)
    boards: dict[str, ModelComparison | None] = {}
    designs: dict[str, Design] = {"all": design}
    notes: list[str] = []
    if features == "all":
        boards["all"] = compare_models(design, label="all", **options)
        return Leaderboards(boards, designs, "all", notes + _baseline_notes(boards["all"], design))
    if features == "independent":
        key, chosen = "independent", [f for f in design.features if f in audit.independent]
    else:
        missing = [f for f in features if f not in design.features]
        if missing:
            raise ParamsError(
                f"feature(s) {', '.join(missing)} are not candidate features of this design "
                f"({', '.join(design.feature_labels.values())}); derived columns need derived_features: true."
            )
        key, chosen = "selected", [f for f in design.features if f in features]
        leaking = [design.feature_labels[f] for f in chosen if audit.verdict(f) != "independent"]
        if leaking:
            notes.append(
                f"Selected features the audit flags as leaking (fully or partly): {', '.join(leaking)}."
            )
    if chosen:
        designs[key] = design.with_features(chosen)
        boards[key] = compare_models(designs[key], label=key, **options)
        main = key
    else:
        boards[key] = None
        main = "all"
        notes.append(
            "No feature is left after removing the leaking ones, so there is no independent leaderboard: "
            "the only honest prediction is the training mean (the dummy baseline, R² ≈ 0). The all-features "
            "leaderboard below, and the best model and feature contributions after it, show arithmetic, "
            "not biology."
        )
    if design.features == chosen:
        boards["all"] = boards[key]
    elif main == "all":
        boards["all"] = compare_models(design, label="all", **options)
    else:
        # The all-features board is the contrast (what the leaking columns give away), not the answer: its
        # models keep their default settings, and the tuning budget goes to the main board.
        contrast = contrast_models(models)
        boards["all"] = compare_models(design, label="all",
                                       **{**options, "tuning": "none", "models": contrast})
        skipped = [name for name in resolve_models(models) if name not in contrast]
        if skipped:
            faster = ", ".join(name for name in contrast if name != "DummyRegressor")
            notes.append(
                "The all-features leaderboard is the contrast that shows what the leaking columns give "
                "away: "
                f"it runs the faster models ({faster}) and leaves {', '.join(skipped)} to the {key} leaderboard."
            )
        if tuning != "none":
            notes.append(
                f"Tuning ({tuning}) is spent on the {key} leaderboard; the all-features leaderboard, the "
                "contrast that shows what the leaking columns give away, runs every model at its default "
                "settings."
            )
    notes += _baseline_notes(boards[main], design)
    if key == "independent" and main == key and boards["all"] is not boards[key]:
        warning = guard_independent(
            boards[key].best.cv_summary()["r2_mean"], boards["all"].best.cv_summary()["r2_mean"],
            columns=[design.feature_labels[f] for f in chosen], target=design.target_label)
        if warning:
            notes.append(warning)
    return Leaderboards(boards, designs, main, notes)


def _baseline_notes(comparison: ModelComparison, design: Design) -> list[str]:
    """The no-best-model sentence when the main leaderboard's best model does not beat the dummy."""
    verdict = comparison.versus_dummy()
    if verdict is None or verdict[1]:
        return []
    return [no_model_beats_the_baseline(comparison, design.target_label, p_value=verdict[0])]


def no_model_beats_the_baseline(comparison: ModelComparison, target: str, *, p_value: float) -> str:
    """The sentence a report gives when no model predicts the target better than its mean."""
    best = comparison.best
    return (
        f"No model predicts {target} better than its mean: the highest cross-validated R², "
        f"{best.cv_summary()['r2_mean']:.3f} ({best.name}), cannot be told apart from the dummy baseline's "
        f"{comparison.dummy_r2():.3f} (corrected resampled t-test p = {p_value:.2g}). There is no best model "
        "here; the models below are listed for completeness."
    )
