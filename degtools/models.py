"""The regressor registry: one entry per model, so that adding a model is one entry.

Every model is wrapped in the same Pipeline: median imputation of missing feature values,
then standardisation, then the estimator. The Pipeline is fitted on the training part only
(inside each CV fold and once on the whole training part), so no test information leaks
into the scaling or the imputation.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.dummy import DummyRegressor
from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVR
from sklearn.tree import DecisionTreeRegressor
from sklearn.utils.validation import check_is_fitted

from degtools.errors import ParamsError

#: SVR's fit time grows about as n^1.8: above this many training rows it is fitted on a
#: seeded random subsample of this size (see the report's methods and bench/).
SVR_MAX_ROWS = 4000


def estimator_jobs() -> int:
    """n_jobs of self-parallel estimators: 2, or ``DEGTOOLS_N_JOBS`` (set per worker by degtools batch)."""
    value = os.environ.get("DEGTOOLS_N_JOBS", "")
    return int(value) if value.isdigit() and int(value) > 0 else 2


class SubsampledRegressor(RegressorMixin, BaseEstimator):
    """Fit ``estimator`` on a seeded random subsample of at most ``max_rows`` rows.

    Prediction uses the model fitted on the subsample. Used for kernel methods whose
    cost grows faster than linearly with the number of rows.
    """

    def __init__(self, estimator=None, *, max_rows: int = SVR_MAX_ROWS, random_state: int | None = None):
        self.estimator = estimator
        self.max_rows = max_rows
        self.random_state = random_state

    def fit(self, X, y):
        """Fit a clone of the estimator on at most ``max_rows`` rows of ``X``."""
        X = np.asarray(X)
        y = np.asarray(y)
        rows = np.arange(len(X))
        if len(X) > self.max_rows:
            rows = np.random.default_rng(self.random_state).choice(len(X), size=self.max_rows, replace=False)
            rows.sort()
        self.estimator_ = clone(self.estimator).fit(X[rows], y[rows])
        self.n_rows_fitted_ = len(rows)
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X):
        """Predict with the estimator fitted on the subsample."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict(np.asarray(X))


@dataclass(frozen=True)
class ModelSpec:
    """A registry entry: how to build the estimator, and a line for the report."""

    name: str
    build: Callable[[int], BaseEstimator]
    description: str


def _svr(seed: int) -> BaseEstimator:
    return SubsampledRegressor(SVR(), max_rows=SVR_MAX_ROWS, random_state=seed)


REGISTRY: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec("DummyRegressor", lambda seed: DummyRegressor(strategy="mean"),
                  "baseline: always predicts the training mean (R² 0 by construction)"),
        ModelSpec("LinearRegression", lambda seed: LinearRegression(),
                  "ordinary least squares on the standardised features"),
        ModelSpec("DecisionTreeRegressor", lambda seed: DecisionTreeRegressor(random_state=seed),
                  "a single regression tree grown to purity"),
        ModelSpec("RandomForestRegressor",
                  lambda seed: RandomForestRegressor(n_estimators=100, random_state=seed,
                                                     n_jobs=estimator_jobs()),
                  "100 bootstrapped trees, averaged"),
        ModelSpec("GradientBoostingRegressor", lambda seed: GradientBoostingRegressor(random_state=seed),
                  "100 shallow trees fitted in sequence to the residuals"),
        ModelSpec("SVR", _svr,
                  f"support-vector regression, RBF kernel; fitted on at most {SVR_MAX_ROWS:,} training rows"),
        ModelSpec("KNeighborsRegressor", lambda seed: KNeighborsRegressor(n_neighbors=5),
                  "mean target of the 5 nearest genes in standardised feature space"),
    )
}

#: the models a report compares by default: the user's six plus the baseline.
DEFAULT_MODELS = tuple(REGISTRY)


def build_pipeline(name: str, *, seed: int) -> Pipeline:
    """Imputer + scaler + the registry's estimator ``name``, seeded."""
    if name not in REGISTRY:
        raise ParamsError(f"unknown model {name!r}; available models are {', '.join(REGISTRY)}.")
    return Pipeline(
        [
            ("impute", SimpleImputer(strategy="median")),
            ("scale", StandardScaler()),
            ("model", REGISTRY[name].build(seed)),
        ]
    )


def estimator_name(pipeline: Pipeline) -> str:
    """Class name of the estimator inside a pipeline (unwrapping the subsampler)."""
    model = pipeline.named_steps["model"]
    if isinstance(model, SubsampledRegressor):
        model = model.estimator
    return type(model).__name__


def describe_models(names: tuple[str, ...] | list[str] = DEFAULT_MODELS) -> pd.DataFrame:
    """Model name and a one-line description, for the report."""
    return pd.DataFrame(
        [{"model": name, "what it does": REGISTRY[name].description} for name in names]
    )
