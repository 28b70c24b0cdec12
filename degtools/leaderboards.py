"""The leaderboards: one model comparison per feature set, so the reader sees what leakage buys.

The main leaderboard uses the features the leakage audit calls independent (or the ones the
user selected); beside it, one on all features is the contrast.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from degtools.compare import Board, ModelComparison, compare_boards, compare_models
from degtools.errors import ParamsError
from degtools.guard import guard_independent
from degtools.leakage import LeakageReport
from degtools.models import DEFAULT_MODELS, resolve_models
from degtools.prepare import Design

#: the all-features board beside an honest main board is a contrast (what the leaking columns give away),
#: not the answer: it runs the requested models among these -- the linear models and histogram gradient
#: boosting, enough to show linear and non-linear (monotone, product) arithmetic -- at default settings; the
#: other models (the tree, the slow ensembles, SVR, the MLP, nearest neighbours, whose predictions slow down
#: with every column) are spent on the main board.
CONTRAST_MODELS = ("DummyRegressor", "LinearRegression", "Ridge", "Lasso", "ElasticNet",
                   "HistGradientBoostingRegressor")


def contrast_models(models: tuple[str, ...] | list[str] | str) -> tuple[str, ...]:
    """The models of the all-features contrast board: the requested ones among :data:`CONTRAST_MODELS`."""
    names = resolve_models(models)
    cheap = tuple(name for name in names if name in CONTRAST_MODELS)
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
    only the models of :data:`CONTRAST_MODELS` (:func:`contrast_models`).
    When no feature is independent, the independent leaderboard is empty (``None``) and the
    all-features one becomes the main one, with a note. ``all``: one leaderboard on all features.
    A list of canonical names: a ``selected`` leaderboard plus ``all``.
    """
    names = resolve_models(models)
    run = dict(cv_folds=cv_folds, seed=seed, n_jobs=n_jobs)
    boards: dict[str, ModelComparison | None] = {}
    designs: dict[str, Design] = {"all": design}
    notes: list[str] = []
    if features == "all":
        boards["all"] = compare_models(design, label="all", models=names, tuning=tuning, **run)
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
    if not chosen:
        boards[key] = None
        notes.append(
            "No feature is left after removing the leaking ones, so there is no independent leaderboard: "
            "the only honest prediction is the training mean (the dummy baseline, R² ≈ 0). The all-features "
            "leaderboard below, and the best model and feature contributions after it, show arithmetic, "
            "not biology."
        )
        boards["all"] = compare_models(design, label="all", models=names, tuning=tuning, **run)
        main = "all"
    elif design.features == chosen:
        designs[key] = design.with_features(chosen)
        boards[key] = boards["all"] = compare_models(designs[key], label=key, models=names, tuning=tuning, **run)
        main = key
    else:
        # The all-features board is the contrast (what the leaking columns give away), not the answer: its
        # models keep their default settings, and the tuning budget goes to the main board. Both boards'
        # models share one pool of workers.
        designs[key] = design.with_features(chosen)
        contrast = contrast_models(names)
        computed = compare_boards(
            [Board(key, designs[key], names, tuning), Board("all", design, contrast, "none")], **run)
        boards[key], boards["all"] = computed[key], computed["all"]
        main = key
        skipped = [name for name in names if name not in contrast]
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
