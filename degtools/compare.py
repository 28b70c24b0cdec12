"""Cross-validate every model on the training part, pick the best by CV, test it once.

Also: tuning inside the training part, bootstrap intervals of the test metrics, the corrected
resampled t-test that says which models cannot be told apart from the best, the two
leaderboards (independent features, all features), and regression vs classification for
ranking genes.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy import stats
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.experimental import enable_halving_search_cv  # noqa: F401  (registers HalvingRandomSearchCV)
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score, roc_auc_score
from sklearn.model_selection import (
    GroupKFold,
    HalvingRandomSearchCV,
    KFold,
    RandomizedSearchCV,
    cross_validate,
)
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from degtools.errors import ParamsError
from degtools.models import (
    DEFAULT_MODELS,
    TUNING,
    build_pipeline,
    resolve_models,
    search_space,
    slowest_first,
)
from degtools.numeric import is_signed, spearman
from degtools.prepare import Design
from degtools.resources import job_cap

_SCORING = {"r2": "r2", "rmse": "neg_root_mean_squared_error", "mae": "neg_mean_absolute_error"}

#: models whose fold scores are indistinguishable from the best's at this p-value or above.
INDISTINGUISHABLE_P = 0.05
#: bootstrap resamples of the test set.
BOOTSTRAP_RESAMPLES = 1000


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

        def with_interval(name: str, metric: str, value: float) -> str:
            low, high = intervals[name].get(metric, (np.nan, np.nan))
            return f"{value:.3f} [{low:.3f}, {high:.3f}]"

        return pd.DataFrame(
            {
                "model": [name + (" (best)" if name == self.best_name else "") for name in table["model"]],
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
                "same as best? (p)": [
                    ("yes" if same else "no") + f" ({p:.2g})" if name != self.best_name else "best"
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


def regression_metrics(y_true, y_pred) -> dict[str, float]:
    """R², MSE, RMSE and MAE of a prediction."""
    mse = float(mean_squared_error(y_true, y_pred))
    return {
        "r2": float(r2_score(y_true, y_pred)),
        "mse": mse,
        "rmse": float(np.sqrt(mse)),
        "mae": float(mean_absolute_error(y_true, y_pred)),
    }


def bootstrap_intervals(
    y_true, y_pred, *, resamples: int = BOOTSTRAP_RESAMPLES, seed: int = 42, level: float = 0.95
) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap intervals of R², RMSE and MAE over resampled test genes."""
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    rng = np.random.default_rng(seed)
    n = len(y_true)
    r2, rmse, mae = [], [], []
    for start in range(0, resamples, 200):
        rows = rng.integers(0, n, size=(min(200, resamples - start), n))
        observed, error = y_true[rows], y_true[rows] - y_pred[rows]
        sse = np.sum(error**2, axis=1)
        sst = np.sum((observed - observed.mean(axis=1, keepdims=True)) ** 2, axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            r2.append(np.where(sst > 0, 1 - sse / sst, np.nan))
        rmse.append(np.sqrt(sse / n))
        mae.append(np.mean(np.abs(error), axis=1))
    tail = 100 * (1 - level) / 2
    intervals = {}
    for name, values in (("r2", r2), ("rmse", rmse), ("mae", mae)):
        values = np.concatenate(values)
        values = values[np.isfinite(values)]
        low, high = np.percentile(values, [tail, 100 - tail]) if len(values) else (np.nan, np.nan)
        intervals[name] = (float(low), float(high))
    return intervals


def corrected_resampled_ttest(scores_a, scores_b, *, n_train: float, n_test: float) -> tuple[float, float]:
    """Nadeau & Bengio's corrected resampled t-test on paired per-fold scores.

    The variance of the fold differences is scaled by ``1/k + n_test/n_train`` instead of
    ``1/k``, because the folds' training sets overlap. Returns (t, two-sided p) with k-1
    degrees of freedom; identical score vectors give (0, 1).
    """
    difference = np.asarray(scores_a, dtype=float) - np.asarray(scores_b, dtype=float)
    k = len(difference)
    if k < 2:
        raise ValueError(f"the corrected t-test needs at least 2 paired folds; got {k}.")
    mean = float(np.mean(difference))
    variance = float(np.var(difference, ddof=1))
    if variance == 0:
        return (0.0, 1.0) if mean == 0 else (float(np.sign(mean) * np.inf), 0.0)
    t = mean / np.sqrt((1 / k + n_test / n_train) * variance)
    return float(t), float(2 * stats.t.sf(abs(t), df=k - 1))


def _fold_splits(design: Design, cv_folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    splitter = design.cv_splitter(cv_folds, seed)
    return list(splitter.split(design.X_train, design.y_train, design.groups_train))


def _subsample(design: Design, max_rows: int, seed: int):
    X, y, groups = design.X_train, design.y_train, design.groups_train
    if len(X) > max_rows:
        rows = np.sort(np.random.default_rng(seed).choice(len(X), size=max_rows, replace=False))
        X, y = X.iloc[rows], y.iloc[rows]
        groups = groups.iloc[rows] if groups is not None else None
    return X, y, groups


def tune_pipeline(
    name: str, design: Design, *, tuning: str, seed: int, n_jobs: int = 1
) -> tuple[Pipeline, dict[str, Any], float]:
    """The registry's pipeline for ``name``, with settings searched on the training part only.

    ``fast``: 5 random settings scored by 3-fold CV on at most 2,000 training rows.
    ``thorough``: successive halving over 40 random settings on at most 12,000 rows, 4 folds.
    Returns the pipeline set to the chosen settings (unfitted), the settings, and the seconds spent.
    """
    if tuning not in TUNING:
        raise ParamsError(f"tuning must be one of {', '.join(TUNING)}; got {tuning!r}.")
    pipeline = build_pipeline(name, seed=seed)
    space = search_space(name)
    level = TUNING[tuning]
    if level is None or not space:
        return pipeline, {}, 0.0
    start = time.perf_counter()
    X, y, groups = _subsample(design, level["max_rows"], seed)
    folds = (
        GroupKFold(n_splits=level["folds"], shuffle=True, random_state=seed)
        if groups is not None
        else KFold(n_splits=level["folds"], shuffle=True, random_state=seed)
    )
    if level["halving"]:
        search = HalvingRandomSearchCV(
            pipeline,
            space,
            n_candidates=level["candidates"],
            factor=3,
            cv=folds,
            scoring="r2",
            min_resources=min(500, len(X) // 3),
            random_state=seed,
            n_jobs=n_jobs,
            refit=False,
            error_score=np.nan,
        )
    else:
        search = RandomizedSearchCV(
            pipeline,
            space,
            n_iter=level["candidates"],
            cv=folds,
            scoring="r2",
            random_state=seed,
            n_jobs=n_jobs,
            refit=False,
            error_score=np.nan,
        )
    search.fit(X, y, groups=groups)
    chosen = dict(search.best_params_)
    pipeline.set_params(**chosen)
    return (
        pipeline,
        {key.removeprefix("model__"): value for key, value in chosen.items()},
        time.perf_counter() - start,
    )


def _cap_neighbours(pipeline: Pipeline, rows: int) -> None:
    """On tiny tables, ask a nearest-neighbour model for no more neighbours than a fold has rows."""
    model = pipeline.named_steps["model"]
    if isinstance(model, KNeighborsRegressor) and model.n_neighbors > rows:
        pipeline.set_params(model__n_neighbors=max(1, rows))


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
    _cap_neighbours(pipeline, min(len(train) for train, _ in splits))
    start = time.perf_counter()
    scores = cross_validate(
        clone(pipeline),
        design.X_train,
        design.y_train,
        cv=splits,
        scoring=_SCORING,
        error_score="raise",
        n_jobs=n_jobs,
    )
    cv_seconds = time.perf_counter() - start
    cv_scores = {
        "r2": scores["test_r2"],
        "rmse": -scores["test_rmse"],
        "mae": -scores["test_mae"],
    }
    start = time.perf_counter()
    pipeline.fit(design.X_train, design.y_train)
    fit_seconds = time.perf_counter() - start
    predicted = pipeline.predict(design.X_test)
    test = regression_metrics(design.y_test, predicted)
    intervals = bootstrap_intervals(design.y_test, predicted, seed=seed)
    return ModelResult(
        name, pipeline, cv_scores, test, fit_seconds, cv_seconds, tuning_seconds, chosen, intervals
    )


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
    names = resolve_models(models)
    if not design.features:
        raise ParamsError(f"the {label!r} feature set is empty: there is nothing to compare models on.")
    splits = _fold_splits(design, cv_folds, seed)
    fold_sizes = (
        float(np.mean([len(train) for train, _ in splits])),
        float(np.mean([len(test) for _, test in splits])),
    )
    cap = job_cap()
    if cap is not None:
        n_jobs = min(n_jobs, cap)
    # In parallel the slowest models start first (fewer idle workers at the end); results keep `names`' order.
    order = slowest_first(names) if n_jobs > 1 else list(names)
    jobs = (
        delayed(_evaluate_quietly)(name, design, cv_folds=cv_folds, seed=seed, tuning=tuning, splits=splits)
        for name in order
    )
    if n_jobs > 1:
        finished = dict(zip(order, Parallel(n_jobs=n_jobs, backend="loky")(jobs), strict=True))
    else:
        finished = {name: function(*args, **kwargs) for name, (function, args, kwargs) in zip(order, jobs)}
    results = [finished[name] for name in names]
    return ModelComparison(
        results,
        cv_folds=cv_folds,
        seed=seed,
        label=label,
        features=[design.feature_labels[feature] for feature in design.features],
        tuning=tuning,
        fold_sizes=fold_sizes,
    )


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
    audit,
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
    ``tuning`` applies to the main leaderboard, the all-features one keeps default settings.
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
        return Leaderboards(boards, designs, "all", notes)
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
        boards["all"] = compare_models(design, label="all", **{**options, "tuning": "none"})
        if tuning != "none":
            notes.append(
                f"Tuning ({tuning}) is spent on the {key} leaderboard; the all-features leaderboard, the "
                "contrast that shows what the leaking columns give away, runs every model at its default "
                "settings."
            )
    return Leaderboards(boards, designs, main, notes)


def leaderboard_entries(comparison: ModelComparison) -> list[dict[str, Any]]:
    """JSON entries of one leaderboard: shaped like the ``models`` entries, plus features and the tests."""

    def finite(value) -> float | None:
        return float(value) if value is not None and np.isfinite(value) else None

    versus = comparison.versus_best()
    dummy = comparison.dummy_r2()
    entries = []
    for result in comparison.results:
        cv = result.cv_summary()
        p_value, same = versus[result.name]
        entries.append(
            {
                "name": result.name,
                "cv": {key: finite(value) for key, value in cv.items()},
                "test": {key: finite(value) for key, value in result.test.items()},
                "test_ci95": {
                    key: [finite(low), finite(high)] for key, (low, high) in result.test_intervals.items()
                },
                "fit_seconds": round(result.fit_seconds, 4),
                "cv_seconds": round(result.cv_seconds, 4),
                "tuning_seconds": round(result.tuning_seconds, 4),
                "tuned_settings": {key: _plain(value) for key, value in result.best_params.items()},
                "features": list(comparison.features),
                "gain_over_dummy_r2": finite(cv["r2_mean"] - dummy) if dummy is not None else None,
                "p_vs_best": finite(p_value),
                "indistinguishable_from_best": same,
                "best": result.name == comparison.best_name,
            }
        )
    return entries


def _plain(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, (tuple, list)):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, (int, float, str, bool)):
        return value
    return str(value)


@dataclass
class RankingComparison:
    """Regression's continuous prediction vs a classifier of significance, for ranking test genes."""

    table: pd.DataFrame
    threshold: float
    significant_train: int
    significant_test: int
    magnitude_label: str
    notes: list[str] = field(default_factory=list)


def compare_ranking(
    regression: ModelResult, design: Design, table, *, padj_threshold: float = 0.05, seed: int = 42
) -> RankingComparison | None:
    """Does binarising the target (significant or not) lose what regression keeps?

    A gradient-boosting classifier learns "adjusted p below ``padj_threshold``" from the same
    features and training genes as the regression model. On the test genes both rank genes: the
    regression by its prediction (its absolute value for a signed target, oriented so that higher
    means more significant on the training genes), the classifier by its probability. Scores:
    Spearman with the observed |log fold change| and AUC for significance. A row for the
    observed 0/1 label shows what the binary label itself keeps of the magnitude.

    Returns None (nothing to compare) when the table has no adjusted p-value or a class is absent
    from the training genes.
    """
    if "padj" not in table.data.columns:
        return None
    genes = table.data.drop_duplicates("gene_id").set_index("gene_id")
    padj = genes["padj"]
    magnitude_column = "logFC" if "logFC" in genes.columns else design.target
    # DESeq2 leaves padj empty for filtered genes: they were not called significant.
    sig_train = (padj.reindex(design.X_train.index) < padj_threshold).to_numpy()
    sig_test = (padj.reindex(design.X_test.index) < padj_threshold).to_numpy()
    if sig_train.all() or not sig_train.any() or sig_test.all() or not sig_test.any():
        return None
    magnitude = genes[magnitude_column].reindex(design.X_test.index).abs().to_numpy()
    with threadpool_limits(limits=1):
        classifier = HistGradientBoostingClassifier(random_state=seed).fit(design.X_train, sig_train)
        probability = classifier.predict_proba(design.X_test)[:, 1]
    y_train = design.y_train.to_numpy()
    signed = is_signed(y_train)
    fitted = regression.pipeline.predict(design.X_train)
    train_score = np.abs(fitted) if signed else fitted
    orientation = 1.0 if spearman(train_score, sig_train.astype(float)) >= 0 else -1.0
    predicted = regression.pipeline.predict(design.X_test)
    regression_score = orientation * (np.abs(predicted) if signed else predicted)
    magnitude_label = f"|{table.display_name(magnitude_column)}|"
    ok = np.isfinite(magnitude)
    rows = []
    for approach, score in (
        (
            f"regression ({regression.name}): {'|predicted|' if signed else 'predicted'} "
            f"{design.target_label}",
            regression_score,
        ),
        ("classification (HistGradientBoostingClassifier): P(significant)", probability),
        ("observed label: significant or not (0/1)", sig_test.astype(float)),
    ):
        rows.append(
            {
                "ranking by": approach,
                f"Spearman with {magnitude_label}": spearman(score[ok], magnitude[ok]),
                "AUC for significance": (
                    float(roc_auc_score(sig_test, score)) if not approach.startswith("observed") else np.nan
                ),
            }
        )
    notes = [
        f"Significant: {table.display_name('padj')} < {padj_threshold:g} "
        f"({int(sig_train.sum()):,} of {len(sig_train):,} training genes, {int(sig_test.sum()):,} of "
        f"{len(sig_test):,} test genes); genes without an adjusted p-value count as not significant."
    ]
    from_test = [
        design.feature_labels[f]
        for f in design.features
        if f in ("padj", "pvalue", "stat", "B", "neg_log10_p", "abs_stat")
    ]
    if from_test:
        notes.append(
            f"{', '.join(from_test)} {'is a feature' if len(from_test) == 1 else 'are features'} "
            "here, and significance is computed from the same test: an AUC near 1 is arithmetic."
        )
    return RankingComparison(
        pd.DataFrame(rows), padj_threshold, int(sig_train.sum()), int(sig_test.sum()), magnitude_label, notes
    )
