"""The design: target shortcuts, features, gene-aware splits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from degtools import (
    InputError,
    ParamsError,
    add_derived_columns,
    prepare_design,
    read_de_table,
)
from degtools.io import DETable
from degtools.prepare import gene_groups, parse_feature_choice, resolve_features


@pytest.mark.parametrize(
    ("target", "canonical"),
    [
        ("logFC", "logFC"),
        ("B", "B"),
        ("abs_logFC", "abs_logFC"),
        ("neg_log10_p", "neg_log10_p"),
        ("|logFC|", "abs_logFC"),
        ("-log10(P.Value)", "neg_log10_p"),
    ],
)
def test_target_shortcuts(synthetic_table, target, canonical):
    table = read_de_table(synthetic_table)
    design = prepare_design(table, target=target)
    assert design.target == canonical
    # and the values are the column's, derived where asked: |logFC| and -log10(P.Value) of the same genes
    data = table.data.set_index("gene_id")
    source = {"logFC": data["logFC"], "B": data["B"], "abs_logFC": data["logFC"].abs(),
              "neg_log10_p": -np.log10(data["pvalue"])}[canonical]
    np.testing.assert_allclose(design.y_train, source.reindex(design.y_train.index), rtol=1e-12)
    assert design.target not in design.features
    # Derived features are off by default.
    assert not {"abs_logFC", "neg_log10_p", "abs_stat"} & set(design.features)


def test_derived_features_switch(synthetic_table):
    design = prepare_design(read_de_table(synthetic_table), target="logFC", derived_features=True)
    assert {"neg_log10_p", "abs_stat"} <= set(design.features)
    assert design.feature_labels["neg_log10_p"] == "-log10(P.Value)"


def test_unknown_target_lists_the_shortcuts(synthetic_table):
    with pytest.raises(InputError, match="valid targets are .*abs_logFC"):
        prepare_design(read_de_table(synthetic_table), target="nonsense")


def test_probes_of_one_gene_never_straddle_the_split(demo_slice):
    table = read_de_table(demo_slice)
    design = prepare_design(table, target="logFC")
    assert design.groups_train is not None
    symbols = table.data.set_index("gene_id")["symbol"]
    train_genes = set(symbols.reindex(design.X_train.index).dropna())
    test_genes = set(symbols.reindex(design.X_test.index).dropna())
    assert train_genes and test_genes and not train_genes & test_genes
    for train, test in design.cv_splitter(5, 42).split(design.X_train, design.y_train, design.groups_train):
        assert not set(design.groups_train.iloc[train]) & set(design.groups_train.iloc[test])


def test_integer_group_codes_split_exactly_as_the_gene_labels(demo_slice):
    # The design carries the gene groups as integer codes (fast look-ups); the splits must be the ones
    # scikit-learn gives for the labels themselves.
    from sklearn.model_selection import GroupKFold, GroupShuffleSplit

    table = read_de_table(demo_slice)
    design = prepare_design(table, target="logFC", seed=7)
    assert design.groups_train.dtype.kind == "i"
    data = add_derived_columns(table).data.set_index("gene_id", drop=False)
    data = data.loc[data["logFC"].notna()]
    labels = gene_groups(data)
    _, test_rows = next(GroupShuffleSplit(n_splits=1, test_size=0.2, random_state=7).split(data, groups=labels))
    assert list(design.X_test.index) == list(data.index[test_rows])
    train_labels = labels.loc[design.X_train.index]
    by_label = GroupKFold(n_splits=5, shuffle=True, random_state=7).split(design.X_train, groups=train_labels)
    by_code = design.cv_splitter(5, 7).split(design.X_train, design.y_train, design.groups_train)
    for (_, expected), (_, found) in zip(by_label, by_code, strict=True):
        assert np.array_equal(expected, found)


def test_unique_genes_use_plain_rows(synthetic_table):
    design = prepare_design(read_de_table(synthetic_table), target="logFC")
    assert design.groups_train is None
    assert design.split_kind == "random rows"


def test_gene_groups_give_unsymbolled_rows_their_own_group(demo_slice):
    data = read_de_table(demo_slice).data
    groups = gene_groups(data)
    missing = data["symbol"].isna()
    assert missing.any()
    assert groups[missing].str.startswith("row:").all()
    assert groups[missing].is_unique


def test_with_features_keeps_the_split(synthetic_table):
    design = prepare_design(read_de_table(synthetic_table), target="logFC")
    narrow = design.with_features(["mean_expr"])
    assert narrow.features == ["mean_expr"]
    assert list(narrow.X_train.columns) == ["mean_expr"]
    assert narrow.X_train.index.equals(design.X_train.index)
    with pytest.raises(ParamsError, match="not among this design's features"):
        design.with_features(["nope"])


def test_feature_choice_parsing(synthetic_table):
    table = read_de_table(synthetic_table)
    assert parse_feature_choice("independent") == "independent"
    assert parse_feature_choice("all") == "all"
    assert parse_feature_choice("AveExpr, t") == ["AveExpr", "t"]
    assert parse_feature_choice(["AveExpr"]) == ["AveExpr"]
    assert resolve_features(table, ["AveExpr", "-log10(P.Value)"], target="logFC") == [
        "mean_expr",
        "neg_log10_p",
    ]
    with pytest.raises(ParamsError, match="feature 'logFC' is not a numeric column .* other than the target"):
        resolve_features(table, ["logFC"], target="logFC")
    with pytest.raises(ParamsError, match="features must be"):
        parse_feature_choice(" , ")


def test_modelling_parameters_are_validated():
    from degtools import validate_params

    checked = validate_params({"features": ["baseMean", "lfcSE"], "tuning": "thorough", "models": "Ridge"})
    assert checked["features"] == "baseMean,lfcSE"
    assert checked["derived_features"] is False and checked["padj_threshold"] == 0.05
    with pytest.raises(
        ParamsError, match="parameter 'tuning' must be one of none, fast, thorough; got 'slow'"
    ):
        validate_params({"tuning": "slow"})
    with pytest.raises(ParamsError, match="parameter 'padj_threshold' must be a number between 0 and 1"):
        validate_params({"padj_threshold": 1.5})


def _repeated_symbols_table(tmp_path, symbols: list[str]) -> DETable:
    rows = len(symbols)
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"ID": [f"{i}_at" for i in range(rows)], "Gene.symbol": symbols,
                          "logFC": rng.normal(size=rows), "P.Value": rng.uniform(size=rows),
                          "AveExpr": rng.uniform(4, 12, size=rows)})
    path = tmp_path / "few_genes.csv"
    frame.to_csv(path, index=False)
    return read_de_table(path)


def test_too_few_genes_for_a_gene_split_fall_back_to_rows(tmp_path):
    # 120 rows naming 2 genes: a split by gene would leave GroupKFold(5) with 1-2 groups ("n_splits=5 greater
    # than the number of groups"); the rows are split instead, and the design says why.
    table = _repeated_symbols_table(tmp_path, ["GENEA", "GENEB"] * 60)
    design = prepare_design(table, target="logFC")
    assert design.groups_train is None
    assert design.split_kind.startswith("random rows (the symbols name only 2 distinct genes")
    folds = list(design.cv_splitter(5, 42).split(design.X_train, design.y_train))
    assert len(folds) == 5


def test_gene_split_refuses_more_folds_than_training_genes(tmp_path):
    symbols = [f"GENE{i % 45}" for i in range(180)]  # 45 genes: enough for a gene split, ~36 in training
    design = prepare_design(_repeated_symbols_table(tmp_path, symbols), target="logFC")
    genes = design.groups_train.nunique()
    assert genes < 45 and design.split_kind.startswith("by gene")
    design.cv_splitter(20, 42)  # 20 folds fit
    few = design.with_features(design.features)
    kept = design.groups_train.unique()[:12]
    few.groups_train = design.groups_train[design.groups_train.isin(kept)]  # 12 genes left
    with pytest.raises(ParamsError, match=r"cv_folds=20 needs at least 20 distinct genes in the training part, which "
                                          r"holds 12"):
        few.cv_splitter(20, 42)


def test_design_rows_are_the_sampled_rows_and_the_audit_runs_on_them(demo_slice):
    from degtools import audit_leakage, design_rows

    table = add_derived_columns(read_de_table(demo_slice))
    rows = len(table.data)
    full = prepare_design(table, target="logFC")
    assert design_rows(table, full) is table  # no max_rows: the audit sees the whole table, as before
    sampled = prepare_design(table, target="logFC", max_rows=100, seed=3)
    subset = design_rows(table, sampled)
    used = set(sampled.X_train.index) | set(sampled.X_test.index)
    assert set(subset.data["gene_id"]) == used and len(subset.data) >= 100
    assert len(table.data) == rows > len(subset.data)  # the table itself is untouched
    audit = audit_leakage(subset, target=sampled.target, features=sampled.features, seed=3)
    assert {feature.feature for feature in audit.features} == set(sampled.features)


def test_workers_get_the_same_numbers_without_the_gene_names(demo_slice):
    from degtools.compare import compare_models

    design = prepare_design(read_de_table(demo_slice), target="logFC", seed=3)
    light = design.for_workers()
    assert isinstance(light.X_train.index, pd.RangeIndex) and isinstance(light.y_test.index, pd.RangeIndex)
    np.testing.assert_array_equal(light.X_train.to_numpy(), design.X_train.to_numpy())
    np.testing.assert_array_equal(light.groups_train.to_numpy(), design.groups_train.to_numpy())
    assert design.X_train.index[0].endswith("_at")  # the original keeps its gene IDs
    # with gene groups, tuned: the worker processes (light designs) give the serial numbers exactly
    models = ("DummyRegressor", "Ridge", "DecisionTreeRegressor")
    serial = compare_models(design, models=models, tuning="fast", seed=3)
    parallel = compare_models(design, models=models, tuning="fast", seed=3, n_jobs=2)
    pd.testing.assert_frame_equal(serial.metric_table(), parallel.metric_table())
    assert [r.best_params for r in serial.results] == [r.best_params for r in parallel.results]
