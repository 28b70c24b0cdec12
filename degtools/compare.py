"""Cross-validate every model on the training part, pick the best by CV, test it once.

Every model of one design is scored on the same folds (so fold scores are paired) and tested
once on the held-out genes, with bootstrap intervals; :meth:`ModelComparison.versus_best` says
which models cannot be told apart from the best.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import mean_absolute_error, r2_score, root_mean_squared_error
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from degtools.errors import ParamsError
from degtools.models import DEFAULT_MODELS, cap_rows_per_tree, expected_cost, resolve_models
from degtools.prepare import Design
from degtools.resources import job_cap
from degtools.stats import (
    INDISTINGUISHABLE_P,
    bootstrap_intervals,
    corrected_resampled_ttest,
    regression_metrics,
)
from degtools.tuning import cap_neighbours, tune_pipeline


@dataclass
class ModelResult:
    """One model's cross-validation scores (per fold), test metrics and timings."""

    name: str
    pipeline: Pipeline
    cv_scores: dict[str, np.ndarray]
    test: dict[str, float]
    fit_seconds: float
    cv_seconds: float
    tuning_seconds: float = 0.0
    best_params: dict[str, Any] = field(default_factory=dict)
    test_intervals: dict[str, tuple[float, float]] = field(default_factory=dict)
    #: out-of-fold prediction of every training row (each from the fold model that did not see it), and
    #: the (folds, seed) of those folds; kept for the best model of a comparison only.
    oof_predictions: np.ndarray | None = None
    oof_folds: tuple[int, int] | None = None

    def cv_summary(self) -> dict[str, float]:
        """Mean and sd (ddof=1) over folds of R², RMSE and MAE."""
        summary = {}
        for metric, scores in self.cv_scores.items():
            summary[f"{metric}_mean"] = float(np.mean(scores))
            summary[f"{metric}_sd"] = float(np.std(scores, ddof=1))
        return summary


@dataclass
class ModelComparison:
    """All models of one design, best chosen by mean CV R² (never by the test set).

    ``fold_sizes`` (mean training and test rows per fold) feed the corrected resampled t-test.
    """

    results: list[ModelResult]
    cv_folds: int
    seed: int
    label: str = "all"
    features: list[str] = field(default_factory=list)
    tuning: str = "none"
    fold_sizes: tuple[float, float] | None = None
    best_name: str = field(init=False)

    def __post_init__(self) -> None:
        candidates = [result for result in self.results if result.name != "DummyRegressor"] or self.results
        self.best_name = max(candidates, key=lambda result: np.mean(result.cv_scores["r2"])).name
        for result in self.results:  # only the best model's out-of-fold predictions are used downstream
            if result.name != self.best_name:
                result.oof_predictions = result.oof_folds = None

    @property
    def best(self) -> ModelResult:
        """The model with the highest mean CV R²."""
        return self[self.best_name]

    def __getitem__(self, name: str) -> ModelResult:
        for result in self.results:
            if result.name == name:
                return result
        raise KeyError(name)

    def dummy_r2(self) -> float | None:
        """Mean CV R² of the baseline, if it was compared."""
        names = [result.name for result in self.results]
        return float(np.mean(self["DummyRegressor"].cv_scores["r2"])) if "DummyRegressor" in names else None

    def versus_dummy(self) -> tuple[float, bool] | None:
        """(p-value, whether the best model beats the dummy baseline); None without a dummy.

        The best model beats the baseline when its mean CV R² is higher and the corrected resampled
        t-test on the paired fold R² tells them apart (p < :data:`INDISTINGUISHABLE_P`).
        """
        names = [result.name for result in self.results]
        if "DummyRegressor" not in names or self.best_name == "DummyRegressor":
            return None
        p_value, same = self.versus_best()["DummyRegressor"]
        better = float(np.mean(self.best.cv_scores["r2"])) > self.dummy_r2()
        return p_value, bool(better and not same)

    def versus_best(self) -> dict[str, tuple[float, bool]]:
        """Model name -> (p-value against the best, indistinguishable from it) on the paired CV R².

        Uses the corrected resampled t-test (Nadeau & Bengio 2003), which widens the variance
        for the overlap of the training sets between folds.
        """
        best = self.best
        if self.fold_sizes is None:
            n_train, n_test = self.cv_folds - 1.0, 1.0
        else:
            n_train, n_test = self.fold_sizes
        outcome = {}
        for result in self.results:
            if result.name == self.best_name:
                outcome[result.name] = (1.0, True)
                continue
            _, p_value = corrected_resampled_ttest(
                best.cv_scores["r2"], result.cv_scores["r2"], n_train=n_train, n_test=n_test
            )
            outcome[result.name] = (p_value, bool(p_value >= INDISTINGUISHABLE_P))
        return outcome

    def table(self) -> pd.DataFrame:
        """The comparison table, sorted by mean CV R² (best first)."""
        rows = []
        dummy = self.dummy_r2()
        versus = self.versus_best()
        for result in self.results:
            cv = result.cv_summary()
            low, high = result.test_intervals.get("r2", (np.nan, np.nan))
            p_value, same = versus[result.name]
            rows.append(
                {
                    "model": result.name,
                    "CV R²": cv["r2_mean"],
                    "CV R² sd": cv["r2_sd"],
                    "CV RMSE": cv["rmse_mean"],
                    "CV RMSE sd": cv["rmse_sd"],
                    "CV MAE": cv["mae_mean"],
                    "CV MAE sd": cv["mae_sd"],
                    "test R²": result.test["r2"],
                    "test MSE": result.test["mse"],
                    "test RMSE": result.test["rmse"],
                    "test MAE": result.test["mae"],
                    "fit s": result.fit_seconds,
                    "CV s": result.cv_seconds,
                    "test R² low": low,
                    "test R² high": high,
                    "gain over dummy": cv["r2_mean"] - dummy if dummy is not None else np.nan,
                    "p vs best": p_value,
                    "indistinguishable from best": same,
                    "tuning s": result.tuning_seconds,
                }
            )
        return pd.DataFrame(rows).sort_values("CV R²", ascending=False, kind="stable").reset_index(drop=True)

    def display_table(self) -> pd.DataFrame:
        """The leaderboard as the report shows it: ``mean ± sd`` for CV, test metrics with 95% intervals."""
        table = self.table()
        intervals = {result.name: result.test_intervals for result in self.results}
        # "best" only for a model that beats the mean-only baseline; otherwise the top row is only the highest
        verdict = self.versus_dummy()
        top = "best" if verdict is None or verdict[1] else "highest CV R² (does not beat the baseline)"
        same_header = "same as best? (p)" if top == "best" else "same as the highest? (p)"

        def with_interval(name: str, metric: str, value: float) -> str:
            low, high = intervals[name].get(metric, (np.nan, np.nan))
            return f"{value:.3f} [{low:.3f}, {high:.3f}]"

        return pd.DataFrame(
            {
                "model": [name + (f" ({top})" if name == self.best_name else "") for name in table["model"]],
                "CV R²": [
                    f"{m:.3f} ± {s:.3f}" for m, s in zip(table["CV R²"], table["CV R² sd"], strict=True)
                ],
                "CV RMSE": [
                    f"{m:.3g} ± {s:.2g}" for m, s in zip(table["CV RMSE"], table["CV RMSE sd"], strict=True)
                ],
                "CV MAE": [
                    f"{m:.3g} ± {s:.2g}" for m, s in zip(table["CV MAE"], table["CV MAE sd"], strict=True)
                ],
                "gain over dummy (CV R²)": table["gain over dummy"],
                same_header: [
                    ("yes" if same else "no") + f" ({p:.2g})" if name != self.best_name else top.split(" (")[0]
                    for name, same, p in zip(
                        table["model"], table["indistinguishable from best"], table["p vs best"], strict=True
                    )
                ],
                "test R² [95% CI]": [
                    with_interval(n, "r2", v) for n, v in zip(table["model"], table["test R²"], strict=True)
                ],
                "test RMSE [95% CI]": [
                    with_interval(n, "rmse", v)
                    for n, v in zip(table["model"], table["test RMSE"], strict=True)
                ],
                "tuning (s)": table["tuning s"],
                "CV (s)": table["CV s"],
                "fit (s)": table["fit s"],
            }
        )

    def metric_table(self) -> pd.DataFrame:
        """:meth:`table` without the timing columns: what must not change between identical runs."""
        return self.table().drop(columns=["fit s", "CV s", "tuning s"])


def _fold_splits(design: Design, cv_folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The design's CV folds of the training part (row positions), shared by every model."""
    splitter = design.cv_splitter(cv_folds, seed)
    return list(splitter.split(design.X_train, design.y_train, design.groups_train))


def evaluate_model(
    name: str,
    design: Design,
    *,
    cv_folds: int = 5,
    seed: int = 42,
    tuning: str = "none",
    n_jobs: int = 1,
    splits: list | None = None,
) -> ModelResult:
    """Tune (optionally), k-fold CV on the training part, one fit on all of it, one test evaluation."""
    if splits is None:
        splits = _fold_splits(design, cv_folds, seed)
    pipeline, chosen, tuning_seconds = tune_pipeline(name, design, tuning=tuning, seed=seed, n_jobs=n_jobs)
    cap_neighbours(pipeline, min(len(train) for train, _ in splits))
    cap_rows_per_tree(pipeline, len(design.X_train))
    start = time.perf_counter()
    cv_scores, oof = _cross_validate(pipeline, design.X_train, design.y_train, splits)
    cv_seconds = time.perf_counter() - start
    start = time.perf_counter()
    pipeline.fit(design.X_train, design.y_train)
    fit_seconds = time.perf_counter() - start
    predicted = pipeline.predict(design.X_test)
    test = regression_metrics(design.y_test, predicted)
    intervals = bootstrap_intervals(design.y_test, predicted, seed=seed)
    return ModelResult(
        name, pipeline, cv_scores, test, fit_seconds, cv_seconds, tuning_seconds, chosen, intervals,
        oof_predictions=oof, oof_folds=(cv_folds, seed),
    )


def _cross_validate(
    pipeline: Pipeline, X: pd.DataFrame, y: pd.Series, splits: list[tuple[np.ndarray, np.ndarray]]
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """R², RMSE and MAE of a fresh clone of ``pipeline`` on each fold, and the out-of-fold predictions.

    The scores are those of scikit-learn's ``cross_validate`` with the ``r2``,
    ``neg_root_mean_squared_error`` and ``neg_mean_absolute_error`` scorers (signs turned back);
    each fold model is dropped after it has predicted its held-out rows.
    """
    scores: dict[str, list[float]] = {"r2": [], "rmse": [], "mae": []}
    oof = np.full(len(y), np.nan)
    for train_rows, test_rows in splits:
        model = clone(pipeline).fit(X.iloc[train_rows], y.iloc[train_rows])
        predicted = model.predict(X.iloc[test_rows])
        observed = y.iloc[test_rows].to_numpy()
        oof[test_rows] = predicted
        del model  # one fold model at a time: a forest on a large table is hundreds of MB
        scores["r2"].append(r2_score(observed, predicted))
        scores["rmse"].append(root_mean_squared_error(observed, predicted))
        scores["mae"].append(mean_absolute_error(observed, predicted))
    return {metric: np.asarray(values, dtype=float) for metric, values in scores.items()}, oof


@dataclass(frozen=True)
class Board:
    """One leaderboard to compute: its label, design, models and tuning level."""

    label: str
    design: Design
    models: tuple[str, ...]
    tuning: str = "none"


def compare_models(
    design: Design,
    *,
    models: tuple[str, ...] | list[str] | str = DEFAULT_MODELS,
    cv_folds: int = 5,
    seed: int = 42,
    tuning: str = "none",
    n_jobs: int = 1,
    label: str = "all",
) -> ModelComparison:
    """Evaluate every model on the same folds and the same split.

    All models share one list of folds (by gene when genes repeat), so their fold scores are
    paired. With ``n_jobs`` > 1 the models run in that many worker processes; every model runs
    with BLAS/OpenMP limited to one thread, so workers do not oversubscribe the cores, and the
    results do not depend on ``n_jobs``. Convergence warnings of the iterative models (Lasso,
    MLP) are silenced: their CV scores show whether they converged well enough.
    """
    board = Board(label, design, resolve_models(models), tuning)
    return compare_boards([board], cv_folds=cv_folds, seed=seed, n_jobs=n_jobs)[label]


def compare_boards(
    boards: list[Board], *, cv_folds: int = 5, seed: int = 42, n_jobs: int = 1
) -> dict[str, ModelComparison]:
    """:func:`compare_models` for several leaderboards at once, all their models in one pool of workers.

    One pool keeps both workers busy to the end: the slowest models of every board start first
    (:func:`~degtools.models.expected_cost`), and the cheap ones fill the gaps.
    Each board's results are those :func:`compare_models` gives for it alone.
    """
    plans = {}
    for board in boards:
        if not board.design.features:
            raise ParamsError(
                f"the {board.label!r} feature set is empty: there is nothing to compare models on."
            )
        plans[board.label] = _fold_splits(board.design, cv_folds, seed)
    cap = job_cap()
    if cap is not None:
        n_jobs = min(n_jobs, cap)
    tasks = [(board, name) for board in boards for name in board.models]
    if n_jobs > 1:
        # The slowest models start first (fewer idle workers at the end); results keep each board's order.
        tasks.sort(key=lambda task: -expected_cost(task[1], tuned=task[0].tuning != "none"))
    # Workers get the numbers without the gene names (one copy of the names per task would be the largest
    # part of each task on a large table); the folds were drawn from the names above.
    light = {board.label: board.design.for_workers() if n_jobs > 1 else board.design for board in boards}
    jobs = [
        delayed(_evaluate_quietly)(name, light[board.label], cv_folds=cv_folds, seed=seed, tuning=board.tuning,
                                   splits=plans[board.label])
        for board, name in tasks
    ]
    if n_jobs > 1:
        outcomes = Parallel(n_jobs=n_jobs, backend="loky")(jobs)
        _stop_idle_workers()
    else:
        outcomes = [function(*args, **kwargs) for function, args, kwargs in jobs]
    finished = {(board.label, name): result for (board, name), result in zip(tasks, outcomes, strict=True)}
    comparisons = {}
    for board in boards:
        splits = plans[board.label]
        comparisons[board.label] = ModelComparison(
            [finished[board.label, name] for name in board.models],
            cv_folds=cv_folds,
            seed=seed,
            label=board.label,
            features=[board.design.feature_labels[feature] for feature in board.design.features],
            tuning=board.tuning,
            fold_sizes=(
                float(np.mean([len(train) for train, _ in splits])),
                float(np.mean([len(test) for _, test in splits])),
            ),
        )
    return comparisons


def _stop_idle_workers() -> None:
    """End joblib's reusable worker processes now rather than after their 300 s idle timeout.

    Each holds its imports and the last design (a few hundred MB on a large table) while the rest of the
    report runs; the next comparison starts fresh ones (about a second).
    """
    from joblib.externals.loky import reusable_executor

    executor = getattr(reusable_executor, "_executor", None)
    if executor is not None:
        executor.shutdown(wait=True, kill_workers=True)


def _evaluate_quietly(name: str, design: Design, **options) -> ModelResult:
    """:func:`evaluate_model` with one BLAS/OpenMP thread and convergence warnings silenced (worker side)."""
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return evaluate_model(name, design, n_jobs=1, **options)


def predictions(result: ModelResult, design: Design) -> pd.DataFrame:
    """Observed and predicted target on the test set, indexed by gene ID."""
    predicted = result.pipeline.predict(design.X_test)
    frame = pd.DataFrame(
        {"observed": design.y_test.to_numpy(), "predicted": predicted}, index=design.X_test.index
    )
    frame["residual"] = frame["observed"] - frame["predicted"]
    return frame
