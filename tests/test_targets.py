"""The target: resolving its name, refusing unpredictable targets, derived columns and their meaning."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import SHARED_TABLES

from degtools.errors import InputError
from degtools.io import read_de_table
from degtools.targets import add_derived_columns, explain_target, resolve_target

CORPUS = Path(__file__).resolve().parent / "data"


def test_target_by_canonical_name_or_alias():
    table = read_de_table(SHARED_TABLES["airway"])
    assert resolve_target(table, "log2FoldChange") == "logFC" == resolve_target(table, "logFC")


@pytest.mark.parametrize(
    ("name", "target", "message"),
    [
        ("bad_all_na_target.csv", "B", r"target 'B' in bad_all_na_target.csv has no values \(all 40 missing\)"),
        ("bad_constant_target.csv", "B", r"target 'B' in bad_constant_target.csv is constant \(2.5\)"),
        ("bad_too_few_rows.csv", "logFC", r"has too few rows: 10 with a logFC value; the models need at least 30"),
        ("bad_one_row.csv", "logFC", r"has too few rows: 1 with a logFC value; the models need at least 30"),
        ("bad_constant_target.csv", "AveExpr", r"target 'AveExpr' is not a numeric column.*valid targets are B, "),
    ],
)
def test_bad_targets(name, target, message):
    table = read_de_table(CORPUS / name)
    with pytest.raises(InputError, match=message):
        resolve_target(table, target)


def test_derived_columns_are_named_after_the_users_headers():
    table = add_derived_columns(read_de_table(SHARED_TABLES["airway"]))
    names = {
        canonical: table.display_name(canonical)
        for canonical in ("abs_logFC", "neg_log10_p", "abs_stat", "log_mean_expr")
    }
    assert names == {
        "abs_logFC": "|log2FoldChange|",
        "neg_log10_p": "-log10(pvalue)",
        "abs_stat": "|stat|",
        "log_mean_expr": "log2(baseMean + 1)",
    }
    data = table.data
    assert np.allclose(data["abs_logFC"], data["logFC"].abs())
    valid = data["pvalue"].notna()
    assert np.allclose(
        data.loc[valid, "neg_log10_p"], -np.log10(data.loc[valid, "pvalue"].clip(lower=1e-300))
    )
    assert np.allclose(data["log_mean_expr"], np.log2(data["mean_expr"] + 1))
    # The original table is untouched, and a second call adds nothing.
    assert "abs_logFC" not in read_de_table(SHARED_TABLES["airway"]).data
    assert add_derived_columns(table).column_map == table.column_map


def test_limma_mean_is_already_log_so_no_log_mean(synthetic_table):
    table = add_derived_columns(read_de_table(synthetic_table))
    assert "log_mean_expr" not in table.data
    assert "abs_stat" in table.data


def test_every_target_gets_two_sentences(synthetic_table):
    table = add_derived_columns(read_de_table(synthetic_table))
    for target in ("logFC", "abs_logFC", "neg_log10_p", "B", "stat", "pvalue", "padj", "mean_expr"):
        text = explain_target(table, target)
        assert text.count(". ") >= 1 and text.endswith(".")
        assert "high R²" in text
    assert explain_target(table, "logFC").startswith("logFC is the log2 fold change")
