"""The evidence layer: every source joined to the table's rows, annotation depth, and source contributions."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import KFold, cross_val_score

from degtools.evidence import (
    ANNOTATION_DEPTH,
    OTHER_CONTRASTS,
    PATHWAYS,
    annotation_depth,
    fold_summary,
    gather_evidence,
    source_contributions,
)
from degtools.genesets import read_gmt
from degtools.io import read_de_table

ROOT = Path(__file__).resolve().parents[1]
GSE2034 = ROOT / "data" / "GSE2034.top.table.tsv"

GMT = "S1\tfirst\tA\tB\tC\nS2\tsecond\tB\tC\tD\nS3\tthird\tC\tE\n"
SYMBOLS = ["A", "B", "C", "D", "E", "F", "A /// D", "", "C /// E"]
#: hand count: in how many of S1, S2, S3 each row's gene (any of its genes) is
DEPTHS = [1, 2, 3, 1, 1, 0, 2, math.nan, 3]


@pytest.fixture
def small(tmp_path: Path):
    """A 9-row DE table with symbols and a 3-set GMT."""
    (tmp_path / "three.gmt").write_text(GMT, encoding="utf-8")
    pd.DataFrame({"ID": [f"p{i}" for i in range(len(SYMBOLS))], "Gene.symbol": SYMBOLS,
                  "logFC": np.linspace(-2, 2, len(SYMBOLS)), "P.Value": np.linspace(0.01, 0.9, len(SYMBOLS))}
                 ).to_csv(tmp_path / "de.csv", index=False)
    return read_de_table(tmp_path / "de.csv"), read_gmt(tmp_path / "three.gmt")


def test_annotation_depth_matches_a_hand_count(small):
    table, gene_sets = small
    depth = annotation_depth(table, gene_sets)
    assert depth.name == ANNOTATION_DEPTH
    np.testing.assert_array_equal(depth.to_numpy(), np.array(DEPTHS, dtype=float))


def test_annotation_depth_is_missing_without_symbols(tmp_path: Path, small):
    _, gene_sets = small
    pd.DataFrame({"gene_id": ["ENSG00000000003", "ENSG00000000005"], "log2FoldChange": [1.0, -1.0],
                  "pvalue": [0.1, 0.2]}).to_csv(tmp_path / "ids.csv", index=False)
    table = read_de_table(tmp_path / "ids.csv")
    assert annotation_depth(table, gene_sets).isna().all()
    layer = gather_evidence(table, gene_sets=gene_sets, pathway_sets=None)
    assert layer.sources == {}
    assert any("no gene symbols" in note for note in layer.notes)


def test_gather_evidence_on_a_small_table(tmp_path: Path, small):
    table, gene_sets = small
    pd.DataFrame({"symbol": ["A", "B", "C", "D", "E", "F"], "score": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
                  "flat": [1.0] * 6}).to_csv(tmp_path / "scores.csv", index=False)
    other = pd.DataFrame({"X: logFC": np.arange(len(SYMBOLS), dtype=float)}, index=table.data.index)
    layer = gather_evidence(table, gene_features=[tmp_path / "scores.csv"], gene_sets=gene_sets,
                            other_contrasts=other, pathway_min_genes=2)
    assert list(layer.sources) == ["gene features: scores", PATHWAYS, ANNOTATION_DEPTH, OTHER_CONTRASTS]
    assert layer.sources["gene features: scores"] == ["scores: score"]
    assert layer.sources[PATHWAYS] == ["pathway: S1", "pathway: S2", "pathway: S3"]
    assert layer.features.index.equals(table.data.index)
    np.testing.assert_array_equal(layer.features["scores: score"], [1, 2, 3, 4, 5, 6, 1, np.nan, 3])
    assert layer.features["pathway: S3"].tolist() == [0, 0, 1, 0, 1, 0, 0, 0, 1]
    assert layer.columns(without=PATHWAYS) == ["scores: score", ANNOTATION_DEPTH, "X: logFC"]
    record = layer.record()
    json.dumps(record)
    assert record["sources"]["gene features: scores"]["matched_rows"] == 8
    assert record["sources"]["gene features: scores"]["key"]["kind"] == "symbol"


def test_gather_evidence_on_the_demo_with_sophie_gse2034_and_hallmark(demo_slice: Path):
    table = read_de_table(demo_slice)
    layer = gather_evidence(table, gene_features=["sophie"], references=[GSE2034], gene_sets=read_gmt(None))
    assert set(layer.sources) == {"gene features: sophie", "reference: GSE2034", PATHWAYS, ANNOTATION_DEPTH}
    assert layer.sources["reference: GSE2034"] == ["GSE2034 logFC", "GSE2034 statistic"]
    assert "sophie: Percent DE (simulated)" in layer.sources["gene features: sophie"]
    assert len(layer.features) == 600
    assert len(layer.attributions) == 2  # SOPHIE (BSD-3) and MSigDB Hallmark (CC BY 4.0)
    reference = layer.record()["sources"]["reference: GSE2034"]
    assert reference["file"] == "GSE2034.top.table.tsv" and reference["matched_rows"] > 500


def test_fold_summary_is_a_t_interval():
    mean, sd, low, high = fold_summary([1.0, 2.0, 3.0])
    assert (mean, sd) == (2.0, 1.0)
    assert high - mean == pytest.approx(4.302652729911275 / math.sqrt(3))
    assert math.isnan(fold_summary([1.0])[2])


def test_source_contributions_find_the_source_that_carries_the_signal():
    rng = np.random.default_rng(7)
    n = 600
    frame = pd.DataFrame(rng.normal(size=(n, 4)), columns=["s1", "s2", "n1", "n2"])
    y = frame["s1"] + 0.5 * frame["s2"] + rng.normal(scale=0.5, size=n)
    folds = KFold(5, shuffle=True, random_state=0)

    def score_folds(columns: list[str]) -> list[float]:
        return list(cross_val_score(LinearRegression(), frame[columns], y, cv=folds, scoring="r2"))

    result = source_contributions(score_folds, {"signal": ["s1", "s2"], "noise": ["n1", "n2"]})
    signal, noise = (result.table.set_index("source").loc[name] for name in ("signal", "noise"))
    assert signal["drop_mean"] > 0.5 and signal["drop_low"] > 0.4
    assert abs(noise["drop_mean"]) < 0.02 and noise["drop_low"] < 0 < noise["drop_high"]
    assert signal["r2_all"] == pytest.approx(noise["r2_all"])
    assert len(result.drops["signal"]) == 5
    record = result.record()
    json.dumps(record)
    assert [row["source"] for row in record["sources"]] == ["signal", "noise"]
    assert len(result.sentences()) == 2 and "signal" in result.sentences()[0]
    # a single source: without it nothing is left, and R² is taken as 0 in every fold
    alone = source_contributions(score_folds, {"signal": ["s1", "s2"]})
    assert alone.table.loc[0, "r2_without"] == 0.0
