"""Cross-validate every model on the training part, pick the best by CV, test it once."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
from sklearn.model_selection import KFold, cross_validate
from sklearn.pipeline import Pipeline

from degtools.models import DEFAULT_MODELS, build_pipeline
from degtools.prepare import Design

_SCORING = {"r2": "r2", "rmse": "neg_root_mean_squared_error", "mae": "neg_mean_absolute_error"}


@dataclass
class ModelResult:
    """One model's cross-validation scores (per fold), test metrics and timings."""

    name: str
    pipeline: Pipeline
    cv_scores: dict[str, np.ndarray]
    test: dict[str, float]
    fit_seconds: float
    cv_seconds: float

    def cv_summary(self) -> dict[str, float]:
        """Mean and sd (ddof=1) over folds of R², RMSE and MAE."""
        summary = {}
        for metric, scores in self.cv_scores.items():
            summary[f"{metric}_mean"] = float(np.mean(scores))
            summary[f"{metric}_sd"] = float(np.std(scores, ddof=1))
        return summary


@dataclass
class ModelComparison:
    """All models of one design, best chosen by mean CV R² (never by the test set)."""

    results: list[ModelResult]
    cv_folds: int
    seed: int
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

    def table(self) -> pd.DataFrame:
        """The comparison table, sorted by mean CV R² (best first)."""
        rows = []
        for result in self.results:
            cv = result.cv_summary()
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
                }
            )
        return pd.DataFrame(rows).sort_values("CV R²", ascending=False, kind="stable").reset_index(drop=True)


def regression_metrics(y_true, y_pred) -> dict[str, float]:
    """R², MSE, RMSE and MAE of a prediction."""
    mse = float(mean_squared_error(y_true, y_pred))
    return {
        "r2": float(r2_score(y_true, y_pred)),
        "mse": mse,
        "rmse": float(np.sqrt(mse)),
        "mae": float(mean_absolute_error(y_true, y_pred)),
    }


def evaluate_model(name: str, design: Design, *, cv_folds: int = 5, seed: int = 42) -> ModelResult:
    """k-fold CV on the training part, then one fit on all of it and one test evaluation."""
    folds = KFold(n_splits=cv_folds, shuffle=True, random_state=seed)
    start = time.perf_counter()
    scores = cross_validate(build_pipeline(name, seed=seed), design.X_train, design.y_train, cv=folds,
                            scoring=_SCORING, error_score="raise")
    cv_seconds = time.perf_counter() - start
    cv_scores = {
        "r2": scores["test_r2"],
        "rmse": -scores["test_rmse"],
        "mae": -scores["test_mae"],
    }
    pipeline = build_pipeline(name, seed=seed)
    start = time.perf_counter()
    pipeline.fit(design.X_train, design.y_train)
    fit_seconds = time.perf_counter() - start
    test = regression_metrics(design.y_test, pipeline.predict(design.X_test))
    return ModelResult(name, pipeline, cv_scores, test, fit_seconds, cv_seconds)


def compare_models(
    design: Design, *, models: tuple[str, ...] | list[str] = DEFAULT_MODELS, cv_folds: int = 5, seed: int = 42
) -> ModelComparison:
    """Evaluate every model on the same folds and the same split.

    All models share one KFold (same seed), so their fold scores are paired.
    """
    results = [evaluate_model(name, design, cv_folds=cv_folds, seed=seed) for name in models]
    return ModelComparison(results, cv_folds=cv_folds, seed=seed)


def predictions(result: ModelResult, design: Design) -> pd.DataFrame:
    """Observed and predicted target on the test set, indexed by gene ID."""
    predicted = result.pipeline.predict(design.X_test)
    frame = pd.DataFrame({"observed": design.y_test.to_numpy(), "predicted": predicted}, index=design.X_test.index)
    frame["residual"] = frame["observed"] - frame["predicted"]
    return frame
