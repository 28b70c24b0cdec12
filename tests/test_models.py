"""The model registry: twelve entries, valid search spaces, the SVR subsampler."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.model_selection import ParameterSampler
from sklearn.svm import SVR
from sklearn.tree import DecisionTreeRegressor
from sklearn.utils.estimator_checks import parametrize_with_checks

from degtools import ParamsError
from degtools.models import (
    CLASSIC_MODELS,
    DEFAULT_MODELS,
    REGISTRY,
    SubsampledRegressor,
    build_pipeline,
    describe_models,
    estimator_name,
    resolve_models,
    search_space,
)

TWELVE = {
    "DummyRegressor",
    "LinearRegression",
    "Ridge",
    "Lasso",
    "ElasticNet",
    "DecisionTreeRegressor",
    "RandomForestRegressor",
    "GradientBoostingRegressor",
    "HistGradientBoostingRegressor",
    "SVR",
    "KNeighborsRegressor",
    "MLPRegressor",
}


def test_registry_holds_the_twelve_models():
    # Every entry builds the estimator it is named after, fits, and learns a plain linear signal on held-out
    # rows (the dummy: exactly the training mean); the same seed gives the same predictions.
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import r2_score

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + rng.normal(0, 0.1, 200)
    for name in REGISTRY:
        pipeline = build_pipeline(name, seed=0)
        assert estimator_name(pipeline) == name
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            predicted = pipeline.fit(X[:150], y[:150]).predict(X[150:])
            again = build_pipeline(name, seed=0).fit(X[:150], y[:150]).predict(X[150:])
        np.testing.assert_array_equal(predicted, again, err_msg=name)
        if name == "DummyRegressor":
            np.testing.assert_allclose(predicted, y[:150].mean())
        else:
            assert r2_score(y[150:], predicted) > 0.5, name
    assert set(CLASSIC_MODELS) <= set(REGISTRY)


def test_parallel_runs_start_with_the_slowest_models():
    from degtools.models import RELATIVE_COST, expected_cost

    def slowest_first(names):
        return sorted(names, key=lambda name: -expected_cost(name))

    assert set(RELATIVE_COST) == set(REGISTRY)  # every model has a cost, no cost names a missing model
    order = slowest_first(DEFAULT_MODELS)
    assert sorted(order) == sorted(DEFAULT_MODELS)
    assert order[0] == "MLPRegressor" and set(order[-2:]) == {"LinearRegression", "DummyRegressor"}
    assert slowest_first(["Ridge", "SomeNewModel"]) == ["SomeNewModel", "Ridge"]
    # a tuned model counts more than the same model untuned; a model without a search space does not
    assert expected_cost("SVR", tuned=True) > expected_cost("SVR") == RELATIVE_COST["SVR"]
    assert expected_cost("LinearRegression", tuned=True) == expected_cost("LinearRegression")


@pytest.mark.parametrize("name", sorted(TWELVE))
def test_every_search_space_is_accepted_by_its_pipeline(name):
    pipeline = build_pipeline(name, seed=0)
    space = search_space(name)
    if name in ("DummyRegressor", "LinearRegression"):
        assert space == {}
        return
    for setting in ParameterSampler(space, n_iter=3, random_state=0):
        pipeline.set_params(**setting)  # raises on a misnamed parameter


def test_resolve_models_keeps_the_baseline_and_rejects_typos():
    assert resolve_models("all") == DEFAULT_MODELS
    assert resolve_models("Ridge, SVR") == ("DummyRegressor", "Ridge", "SVR")
    assert resolve_models(["Lasso"]) == ("DummyRegressor", "Lasso")
    with pytest.raises(ParamsError, match="unknown model 'Rigde'.*comma-separated subset"):
        resolve_models("Rigde")
    with pytest.raises(ParamsError, match="unknown model 'Nope'"):
        build_pipeline("Nope", seed=0)


def test_describe_models_lists_the_searched_settings():
    table = describe_models(("Ridge", "DummyRegressor"))
    assert list(table["model"]) == ["Ridge", "DummyRegressor"]
    assert table.loc[0, "settings searched when tuning"] == "alpha"
    assert table.loc[1, "settings searched when tuning"].startswith("none")


def test_subsampled_regressor_fits_on_at_most_max_rows():
    from sklearn.linear_model import LinearRegression

    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 2))
    y = X @ np.array([1.0, -2.0])
    model = SubsampledRegressor(LinearRegression(), max_rows=100, random_state=0).fit(X, y)
    assert model.n_rows_fitted_ == 100
    assert np.allclose(model.predict(X), y)
    small = SubsampledRegressor(LinearRegression(), max_rows=1000, random_state=0).fit(X, y)
    assert small.n_rows_fitted_ == 500


@parametrize_with_checks(
    [
        SubsampledRegressor(),
        SubsampledRegressor(SVR(), max_rows=50, random_state=0),
        # a tree accepts missing values: the wrapper's tags follow the estimator it wraps
        SubsampledRegressor(DecisionTreeRegressor(random_state=0), max_rows=50, random_state=0),
    ]
)
def test_subsampled_regressor_passes_the_scikit_learn_estimator_checks(estimator, check):
    """A well-behaved scikit-learn estimator: cloning, validation, tags, fitted state, pickling."""
    check(estimator)


def test_subsampled_regressor_defaults_to_svr():
    assert estimator_name(build_pipeline("SVR", seed=0)) == "SVR"
    X, y = np.arange(40.0).reshape(20, 2), np.arange(20.0)
    model = SubsampledRegressor(max_rows=10, random_state=0).fit(X, y)
    assert isinstance(model.estimator_, SVR) and model.n_rows_fitted_ == 10 and model.n_features_in_ == 2


def test_forest_trees_grow_on_at_most_the_capped_rows_on_large_tables():
    from sklearn.ensemble import RandomForestRegressor

    from degtools.models import FOREST_MAX_ROWS_PER_TREE, build_pipeline, cap_rows_per_tree

    small = build_pipeline("RandomForestRegressor", seed=0)
    cap_rows_per_tree(small, 40_000)  # a fifth of 40,000 rows is 8,000: unchanged
    assert small.named_steps["model"].max_samples == 0.2
    large = build_pipeline("RandomForestRegressor", seed=0)
    cap_rows_per_tree(large, 800_000)
    assert large.named_steps["model"].max_samples == FOREST_MAX_ROWS_PER_TREE == 10_000
    # scikit-learn draws that many rows for every tree: leaves of single rows count them
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60_000, 2)), rng.normal(size=60_000)
    forest = RandomForestRegressor(n_estimators=2, max_samples=FOREST_MAX_ROWS_PER_TREE, min_samples_leaf=1,
                                   random_state=0).fit(X, y)
    assert all(tree.tree_.n_node_samples[0] <= FOREST_MAX_ROWS_PER_TREE for tree in forest.estimators_)
    other = build_pipeline("GradientBoostingRegressor", seed=0)
    cap_rows_per_tree(other, 800_000)
    assert other.named_steps["model"].get_params() == build_pipeline(
        "GradientBoostingRegressor", seed=0).named_steps["model"].get_params()
