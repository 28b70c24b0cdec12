"""The regressor registry: one entry per model, so that adding a model is one entry.

Every model is wrapped in the same Pipeline: median imputation of missing feature values,
then standardisation, then the estimator. The Pipeline is fitted on the training part only
(inside each CV fold and once on the whole training part), so no test information leaks
into the scaling or the imputation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.dummy import DummyRegressor
from sklearn.ensemble import GradientBoostingRegressor, HistGradientBoostingRegressor, RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, Ridge
from sklearn.neighbors import KNeighborsRegressor
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVR
from sklearn.tree import DecisionTreeRegressor
from sklearn.utils import get_tags
from sklearn.utils.validation import check_is_fitted, validate_data

from degtools.errors import ParamsError

#: a random-forest tree is grown on a random fifth of the training rows, but on no more than this many: on
#: a 1,000,000-row table a fifth would make each forest hundreds of MB (memory grows with the rows per tree).
FOREST_MAX_ROWS_PER_TREE = 10_000

#: SVR's fit time grows about as n^1.8: above this many training rows it is fitted on a
#: seeded random subsample of this size (see the report's methods and bench/).
SVR_MAX_ROWS = 3000


class SubsampledRegressor(RegressorMixin, BaseEstimator):
    """Fit ``estimator`` on a seeded random subsample of at most ``max_rows`` rows.

    Prediction uses the model fitted on the subsample. Used for kernel methods whose cost grows
    faster than linearly with the number of rows.

    Parameters
    ----------
    estimator
        The regressor to fit (cloned); None means ``SVR()``, the model this wrapper exists for.
    max_rows
        Largest number of rows it is fitted on; smaller data are used whole, in order.
    random_state
        Seed of the subsample (anything :func:`numpy.random.default_rng` takes); None draws a
        different subsample at each fit.
    """

    def __init__(self, estimator=None, *, max_rows: int = SVR_MAX_ROWS, random_state=None):
        self.estimator = estimator
        self.max_rows = max_rows
        self.random_state = random_state

    def _base_estimator(self) -> BaseEstimator:
        return SVR() if self.estimator is None else self.estimator

    def __sklearn_tags__(self):
        """The wrapper's tags, with the input it accepts (sparse, NaN) taken from the estimator."""
        tags = super().__sklearn_tags__()
        inner = get_tags(self._base_estimator())
        tags.input_tags.sparse = inner.input_tags.sparse
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        return tags

    def _validate(self, X, y=None, *, reset: bool):
        input_tags = self.__sklearn_tags__().input_tags
        options = {
            "accept_sparse": "csr" if input_tags.sparse else False,
            "ensure_all_finite": "allow-nan" if input_tags.allow_nan else True,
            "reset": reset,
        }
        if y is None and not reset:
            return validate_data(self, X, **options)
        return validate_data(self, X, y, y_numeric=True, **options)

    def fit(self, X, y):
        """Fit a clone of the estimator on at most ``max_rows`` rows of ``X``; returns self."""
        X, y = self._validate(X, y, reset=True)
        n_rows = X.shape[0]
        rows = np.arange(n_rows)
        if n_rows > self.max_rows:
            rows = np.random.default_rng(self.random_state).choice(n_rows, size=self.max_rows, replace=False)
            rows.sort()
        self.estimator_ = clone(self._base_estimator()).fit(X[rows], y[rows])
        self.n_rows_fitted_ = len(rows)
        return self

    def predict(self, X):
        """Predict with the estimator fitted on the subsample."""
        check_is_fitted(self)
        return self.estimator_.predict(self._validate(X, reset=False))


@dataclass(frozen=True)
class ModelSpec:
    """A registry entry: how to build the estimator, where to search its settings, a line for the report.

    ``space`` maps a parameter of the estimator (as named inside the registry's Pipeline step
    ``model``) to a list of values or a scipy distribution; an empty space means nothing is tuned.
    """

    name: str
    build: Callable[[int], BaseEstimator]
    description: str
    space: dict[str, Any] = field(default_factory=dict)


def _svr(seed: int) -> BaseEstimator:
    return SubsampledRegressor(SVR(), max_rows=SVR_MAX_ROWS, random_state=seed)


def _mlp(seed: int) -> BaseEstimator:
    return MLPRegressor(
        hidden_layer_sizes=(32, 16), early_stopping=True, max_iter=100, n_iter_no_change=5, random_state=seed
    )


_LOG_ALPHA = stats.loguniform(1e-4, 1e2)

_SPECS = (
    ModelSpec(
        "DummyRegressor",
        lambda seed: DummyRegressor(strategy="mean"),
        "baseline: always predicts the training mean (R² 0 by construction)",
    ),
    ModelSpec(
        "LinearRegression",
        lambda seed: LinearRegression(),
        "ordinary least squares on the standardised features",
    ),
    ModelSpec(
        "Ridge",
        lambda seed: Ridge(alpha=1.0),
        "least squares with an L2 penalty that shrinks all coefficients",
        {"alpha": stats.loguniform(1e-3, 1e3)},
    ),
    ModelSpec(
        "Lasso",
        lambda seed: Lasso(alpha=0.001, max_iter=5000),
        "least squares with an L1 penalty that sets weak coefficients to zero",
        {"alpha": _LOG_ALPHA},
    ),
    ModelSpec(
        "ElasticNet",
        lambda seed: ElasticNet(alpha=0.001, l1_ratio=0.5, max_iter=5000),
        "least squares with a mix of L1 and L2 penalties",
        {"alpha": _LOG_ALPHA, "l1_ratio": stats.uniform(0.05, 0.9)},
    ),
    ModelSpec(
        "DecisionTreeRegressor",
        lambda seed: DecisionTreeRegressor(min_samples_leaf=5, random_state=seed),
        "a single regression tree (at least 5 genes per leaf)",
        {"max_depth": [4, 6, 8, 12, None], "min_samples_leaf": stats.randint(1, 50)},
    ),
    ModelSpec(
        "RandomForestRegressor",
        lambda seed: RandomForestRegressor(
            n_estimators=100, min_samples_leaf=3, max_samples=0.2, random_state=seed, n_jobs=1
        ),
        f"100 trees, each on a random fifth of the training genes (at most {FOREST_MAX_ROWS_PER_TREE:,}), averaged",
        {"min_samples_leaf": stats.randint(1, 30), "max_features": [1.0, 0.7, 0.5]},
    ),
    ModelSpec(
        "GradientBoostingRegressor",
        lambda seed: GradientBoostingRegressor(subsample=0.5, n_iter_no_change=10, random_state=seed),
        "up to 100 shallow trees fitted in sequence to the residuals, each on a random half of the genes; "
        "stops when 10 more trees do not improve a 10% validation part",
        {
            "learning_rate": stats.loguniform(0.02, 0.3),
            # shallow: interactions deeper than three splits are histogram gradient boosting's to find
            "max_depth": [2, 3],
            "min_samples_leaf": stats.randint(1, 50),
        },
    ),
    ModelSpec(
        "HistGradientBoostingRegressor",
        lambda seed: HistGradientBoostingRegressor(random_state=seed),
        "gradient boosting on binned features (fast on many genes), early stopping on large tables",
        {
            "learning_rate": stats.loguniform(0.02, 0.3),
            "max_leaf_nodes": [7, 15, 31, 63],
            "min_samples_leaf": stats.randint(5, 100),
            "l2_regularization": stats.loguniform(1e-4, 10),
        },
    ),
    ModelSpec(
        "SVR",
        _svr,
        f"support-vector regression, RBF kernel; fitted on at most {SVR_MAX_ROWS:,} training rows",
        {
            "estimator__C": stats.loguniform(0.1, 100),
            "estimator__gamma": ["scale", 0.01, 0.1, 1.0],
            "estimator__epsilon": stats.loguniform(0.01, 0.5),
        },
    ),
    ModelSpec(
        "KNeighborsRegressor",
        lambda seed: KNeighborsRegressor(n_neighbors=15),
        "mean target of the 15 nearest genes in standardised feature space",
        {"n_neighbors": stats.randint(3, 60), "weights": ["uniform", "distance"]},
    ),
    ModelSpec(
        "MLPRegressor",
        _mlp,
        "a small neural network (32 and 16 hidden units) with early stopping",
        {
            "hidden_layer_sizes": [(16,), (32,), (32, 16), (64, 32)],
            "alpha": stats.loguniform(1e-5, 1e-1),
            "learning_rate_init": stats.loguniform(1e-4, 1e-2),
        },
    ),
)

REGISTRY: dict[str, ModelSpec] = {spec.name: spec for spec in _SPECS}

#: CPU seconds each model took over the full shared batch (bench/bench_batch.py, fast tuning): parallel
#: runs start the slowest first, so that no worker is left with a long model at the end.
RELATIVE_COST = {
    "MLPRegressor": 104, "RandomForestRegressor": 82, "GradientBoostingRegressor": 68, "SVR": 53,
    "HistGradientBoostingRegressor": 51, "KNeighborsRegressor": 8, "DecisionTreeRegressor": 7,
    "ElasticNet": 5, "Lasso": 4, "Ridge": 4, "LinearRegression": 1, "DummyRegressor": 1,
}


#: a tuned model costs about this many times its untuned fit and CV (the search comes first).
TUNING_COST = 1.5


def expected_cost(name: str, *, tuned: bool = False) -> float:
    """The model's :data:`RELATIVE_COST` (unknown names count as the slowest), times :data:`TUNING_COST` if tuned."""
    cost = RELATIVE_COST.get(name, max(RELATIVE_COST.values()))
    return cost * (TUNING_COST if tuned and search_space(name) else 1.0)


#: the models a report compares by default: all of the registry.
DEFAULT_MODELS = tuple(REGISTRY)

#: the six models the user named first, plus the baseline (the skeleton's set).
CLASSIC_MODELS = (
    "DummyRegressor",
    "LinearRegression",
    "DecisionTreeRegressor",
    "RandomForestRegressor",
    "GradientBoostingRegressor",
    "SVR",
    "KNeighborsRegressor",
)

def resolve_models(choice: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Model names from ``"all"``, a comma-separated string or a list; the baseline is always kept.

    Raises
    ------
    ParamsError
        For an unknown model name, listing the registry.
    """
    if isinstance(choice, str):
        text = choice.strip()
        names = (
            list(REGISTRY)
            if text in ("", "all")
            else [name.strip() for name in text.split(",") if name.strip()]
        )
    else:
        names = [str(name).strip() for name in choice]
    unknown = [name for name in names if name not in REGISTRY]
    if unknown:
        raise ParamsError(
            f"unknown model {unknown[0]!r}; the models parameter takes 'all' or a comma-separated subset of "
            f"{', '.join(REGISTRY)}."
        )
    if "DummyRegressor" not in names:
        names.insert(0, "DummyRegressor")
    return tuple(dict.fromkeys(names))


def search_space(name: str) -> dict[str, Any]:
    """The registry's search space of ``name``, keyed as Pipeline parameters (``model__...``)."""
    return {f"model__{key}": value for key, value in REGISTRY[name].space.items()}


def cap_rows_per_tree(pipeline: Pipeline, rows: int) -> None:
    """On large tables, grow each random-forest tree on at most :data:`FOREST_MAX_ROWS_PER_TREE` rows."""
    model = pipeline.named_steps["model"]
    share = getattr(model, "max_samples", None)
    too_many = isinstance(share, float) and share * rows > FOREST_MAX_ROWS_PER_TREE
    if isinstance(model, RandomForestRegressor) and too_many:
        pipeline.set_params(model__max_samples=FOREST_MAX_ROWS_PER_TREE)


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
        model = model._base_estimator()
    return type(model).__name__


def describe_models(names: tuple[str, ...] | list[str] = DEFAULT_MODELS) -> pd.DataFrame:
    """Model name, a one-line description and the tuned settings, for the report."""
    return pd.DataFrame(
        [
            {
                "model": name,
                "what it does": REGISTRY[name].description,
                "settings searched when tuning": ", ".join(REGISTRY[name].space) or "none (nothing to tune)",
            }
            for name in names
        ]
    )


#: how the slow-growing models are handled on large tables, for the report's methods.
LARGE_TABLE_STRATEGY = (
    f"SVR's fit time grows about as the square of the number of rows, so on tables with more than "
    f"{SVR_MAX_ROWS:,} training rows it is fitted on a seeded random subsample of {SVR_MAX_ROWS:,} rows (in "
    "every CV fold and in the final fit); bench/bench_models.py measures what this costs in R². A "
    f"random-forest tree grows on a random fifth of the training rows, at most {FOREST_MAX_ROWS_PER_TREE:,}. "
    "KNeighborsRegressor uses every training row: with few features its k-d tree makes fitting and "
    "prediction cheap. Tuning ('fast', 'thorough') searches the settings on a seeded subsample of the "
    "training part only, then the chosen settings are cross-validated and refitted on the whole "
    "training part. Because the same training rows helped choose the settings, the CV scores of tuned "
    "models can be slightly optimistic; the held-out test genes, never used to choose, are the check."
)
