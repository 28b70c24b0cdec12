"""Reading, preparing and comparing models on real slices and on a synthetic table with known truths."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression
from sklearn.metrics import r2_score
from sklearn.model_selection import KFold, train_test_split

from degtools import InputError, compare_models, prepare_design, read_de_table, resolve_target
from degtools.models import SubsampledRegressor, build_pipeline
from tests.conftest import SHARED_TABLES


@pytest.mark.parametrize(
    ("name", "tool", "logfc_header"),
    [
        ("GSE15852", "limma (GEO2R)", "logFC"),
        ("GSE2034", "limma (GEO2R)", "logFC"),
        ("airway", "PyDESeq2", "log2FoldChange"),
        ("pasilla", "DESeq2", "log2FoldChange"),
        ("edgeR", "edgeR (QL F-test)", "logFC"),
        ("yeast", "DESeq2", "log2FoldChange"),
    ],
)
def test_shared_tables_are_recognised(name, tool, logfc_header):
    table = read_de_table(SHARED_TABLES[name])
    assert table.tool == tool
    assert table.display_name("logFC") == logfc_header
    assert resolve_target(table, "logFC") == "logFC"
    assert resolve_target(table, logfc_header) == "logFC"


def test_b_target_only_where_the_table_has_it():
    assert resolve_target(read_de_table(SHARED_TABLES["GSE2034"]), "B") == "B"
    with pytest.raises(InputError, match=r"valid targets are .*log2FoldChange.*Pass one of them"):
        resolve_target(read_de_table(SHARED_TABLES["airway"]), "B")


def test_split_is_80_20_seeded_and_drops_rows_without_target():
    table = read_de_table(SHARED_TABLES["pasilla"])
    design = prepare_design(table, target="logFC", seed=1)
    assert design.missing_target == int(table.data["logFC"].isna().sum()) > 0
    assert design.rows_used == len(table.data) - design.missing_target
    assert len(design.X_test) == pytest.approx(0.2 * design.rows_used, abs=1)
    again = prepare_design(table, target="logFC", seed=1)
    assert list(again.X_test.index) == list(design.X_test.index)
    assert design.feature_labels["stat"] == "stat" and "padj" in design.missing_features


def test_linear_model_scores_match_an_independent_scikit_learn_run(synthetic_table):
    table = read_de_table(synthetic_table)
    design = prepare_design(table, target="logFC", features=["mean_expr", "stat"], seed=3)
    comparison = compare_models(design, models=["DummyRegressor", "LinearRegression"], cv_folds=4, seed=3)
    X = table.data[["mean_expr", "stat"]].to_numpy()
    y = table.data["logFC"].to_numpy()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=3)
    expected_test = r2_score(y_test, LinearRegression().fit(X_train, y_train).predict(X_test))
    assert comparison["LinearRegression"].test["r2"] == pytest.approx(expected_test, rel=1e-9)
    folds = [
        r2_score(y_train[test], LinearRegression().fit(X_train[train], y_train[train]).predict(X_train[test]))
        for train, test in KFold(4, shuffle=True, random_state=3).split(X_train)
    ]
    assert comparison["LinearRegression"].cv_scores["r2"] == pytest.approx(folds, rel=1e-9)
    assert comparison.best_name == "LinearRegression"
    assert abs(np.mean(comparison["DummyRegressor"].cv_scores["r2"])) < 0.1


def test_identity_is_learned_exactly_by_a_tree_model_on_t_and_se(synthetic_table):
    """logFC = t x SE: with both as features a flexible model nearly reproduces it."""
    table = read_de_table(synthetic_table)
    table.data["SE"] = table.data["logFC"] / table.data["stat"]
    design = prepare_design(table, target="logFC", features=["stat", "SE"], seed=0)
    comparison = compare_models(design, models=["GradientBoostingRegressor"], cv_folds=3, seed=0)
    assert comparison.best.test["r2"] > 0.95


def test_best_model_is_chosen_by_cv_not_by_test(synthetic_table):
    table = read_de_table(synthetic_table)
    design = prepare_design(table, target="logFC", seed=0)
    comparison = compare_models(design, models=["DummyRegressor", "LinearRegression", "KNeighborsRegressor"],
                                cv_folds=3, seed=0)
    by_cv = max(comparison.results[1:], key=lambda result: np.mean(result.cv_scores["r2"]))
    assert comparison.best_name == by_cv.name
    assert list(comparison.table()["CV R²"]) == sorted(comparison.table()["CV R²"], reverse=True)


def test_subsampled_regressor_fits_at_most_max_rows():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(500, 2)), rng.normal(size=500)
    model = SubsampledRegressor(LinearRegression(), max_rows=100, random_state=0).fit(X, y)
    assert model.n_rows_fitted_ == 100 and model.predict(X).shape == (500,)
    small = SubsampledRegressor(LinearRegression(), max_rows=1000, random_state=0).fit(X, y)
    assert np.allclose(small.predict(X), LinearRegression().fit(X, y).predict(X))


def test_unknown_model_name_lists_available():
    from degtools.errors import ParamsError

    with pytest.raises(ParamsError, match="unknown model 'SVM'; available models are .*SVR"):
        build_pipeline("SVM", seed=0)
