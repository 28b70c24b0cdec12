"""The last guard across the independent columns, and the strength sentence (degtools.guard)."""

from __future__ import annotations

import math

from degtools.guard import HIGH_R2, INDEPENDENT_SHARE, guard_independent, strength_sentence


def test_guard_names_the_columns_when_they_rebuild_the_target_together():
    # the proteomics case: per-sample counts passed as independent give CV R² 0.89 of the 0.95 of all
    sentence = guard_independent(0.89, 0.95, columns=["A1", "A2", "B1"], target="logFC")
    assert sentence is not None and "(A1, A2, B1)" in sentence and "logFC" in sentence
    assert f"{INDEPENDENT_SHARE:.0%}" in sentence and "0.89" in sentence


def test_guard_stays_quiet_otherwise():
    assert guard_independent(0.18, 0.95, columns=["baseMean"]) is None  # a weak share of a strong model
    assert guard_independent(0.4, 0.45, columns=["baseMean"]) is None  # most of a weak model
    assert guard_independent(INDEPENDENT_SHARE * HIGH_R2 - 1e-9, HIGH_R2, columns=["x"]) is None
    assert guard_independent(INDEPENDENT_SHARE * HIGH_R2, HIGH_R2, columns=["x"]) is not None
    assert guard_independent(math.nan, 0.9, columns=["x"]) is None
    assert guard_independent(0.9, 0.9, columns=[]) is None


def test_strength_sentence():
    assert strength_sentence(0.18) == "predicts 18% of the target"
    assert strength_sentence(0.18, target="log2FoldChange") == "predicts 18% of log2FoldChange"
    assert strength_sentence(-0.02) == "predicts none of the target"
    assert strength_sentence(0.001) == "predicts less than 1% of the target"
    assert strength_sentence(math.nan) == "strength not measured"
