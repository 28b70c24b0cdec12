"""Features from outside the table: a group of extra columns, and a second study joined by gene symbol."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED_TABLES
from scipy import stats

from degtools import read_de_table, validate_params
from degtools.errors import InputError
from degtools.reference import compare_feature_variant
from degtools.results import variant_entry
from degtools.studies import join_reference


def test_feature_variant_finds_an_informative_extra_feature(synthetic_table):
    table = read_de_table(synthetic_table)
    rng = np.random.default_rng(3)
    extra = pd.DataFrame(
        {
            "helper": table.data["mean_expr"].to_numpy() + rng.normal(0, 0.05, len(table.data)),
            "useless": rng.normal(0, 1, len(table.data)),
        },
        index=table.data["gene_id"].to_numpy(),
    )
    variant = compare_feature_variant(
        table,
        extra,
        target="mean_expr",
        label="helpers",
        cv_folds=3,
        models=("LinearRegression",),
        alone=True,
    )
    summary = variant.table()
    assert set(summary["model"]) == {"DummyRegressor", "LinearRegression"}  # the baseline is always kept
    summary = summary[summary["model"] == "LinearRegression"].set_index("features")
    assert summary.loc["table's own features", "CV R²"] < 0.2  # AveExpr is unrelated to the rest
    assert summary.loc["own features + helpers", "CV R²"] > 0.9
    assert summary.loc["helpers only", "CV R²"] > 0.9
    assert variant.importances.iloc[0]["feature"] == "helper"
    data = variant_entry(variant)
    assert data["with"]["LinearRegression"]["cv_r2"] > data["without"]["LinearRegression"]["cv_r2"]
    json.dumps(data, allow_nan=False)


def test_reference_join_gse15852_with_gse2034():
    table = read_de_table(SHARED_TABLES["GSE15852"])
    reference = read_de_table(SHARED_TABLES["GSE2034"])
    joined = join_reference(table, reference)
    assert joined.shared_genes == joined.genes == joined.reference_genes  # same array platform
    assert joined.matched_rows == int(table.data["symbol"].notna().sum())
    assert list(joined.features.columns) == ["GSE2034 logFC", "GSE2034 statistic"]
    # the correlation of the two studies' logFC per shared gene, against numpy and scipy on a collapse by hand:
    # rows split on "///", and of several rows per gene the one with the largest |t| (ties: smallest ID)
    def logfc_per_gene(data: pd.DataFrame) -> pd.Series:
        rows = data.loc[data["stat"].notna(), ["gene_id", "symbol", "stat", "logFC"]].copy()
        rows["symbol"] = rows["symbol"].str.split("///")
        rows = rows.explode("symbol")
        rows["symbol"] = rows["symbol"].str.strip()
        rows = rows.loc[rows["symbol"].fillna("") != ""].assign(strength=lambda f: f["stat"].abs())
        rows = rows.sort_values(["strength", "gene_id"], ascending=[False, True], kind="stable")
        return rows.drop_duplicates("symbol").set_index("symbol")["logFC"]

    own, other = logfc_per_gene(table.data), logfc_per_gene(reference.data)
    shared = own.index.intersection(other.index)
    assert len(shared) == joined.shared_genes
    assert joined.pearson == pytest.approx(np.corrcoef(own[shared], other[shared])[0, 1], rel=1e-9)
    assert joined.spearman == pytest.approx(stats.spearmanr(own[shared], other[shared]).statistic, rel=1e-9)
    assert "gene symbols in both" in set(joined.summary()["item"])
    with pytest.raises(InputError, match="no gene-symbol column"):
        join_reference(table, read_de_table(SHARED_TABLES["pasilla"]))


def test_reference_params_example_is_valid():
    from degtools.params import load_params_file

    values = validate_params(load_params_file(Path(__file__).parents[1] / "params" /
                                              "GSE15852_with_GSE2034_logFC.yaml"))
    assert Path(values["reference_table"]).name == "GSE2034.top.table.tsv"
    assert Path(values["reference_table"]).is_file() and Path(values["input_table"]).is_file()
