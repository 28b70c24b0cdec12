"""Null models: on a target that is pure noise no model may beat the dummy; on a real signal one must.

The same pipeline runs on two seeded synthetic tables that differ only in the target: noise independent
of every feature, and ``2 × feature + small noise``. The first must not make a winner out of noise, the
second must find the signal, so a comparison that always or never declares a winner fails here.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import degtools

#: genes in the synthetic tables: 480 training rows, 96 per CV fold.
GENES = 600
CV_FOLDS = 5
MODELS = ["LinearRegression", "RandomForestRegressor", "KNeighborsRegressor"]
NOISE_FEATURES = ["AveExpr", "noise_a", "noise_b", "noise_c"]
#: how far above 0 the best CV R² on pure noise may be (it is a few hundredths below 0 in practice).
NULL_R2_MARGIN = 0.02


def synthetic_frame(*, signal: bool, seed: int = 11) -> pd.DataFrame:
    """Four independent normal features; logFC is noise, or 2 × AveExpr + noise of sd 0.1."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"ID": [f"gene{i}" for i in range(GENES)]})
    for name in NOISE_FEATURES:
        frame[name] = rng.normal(0, 1, GENES)
    noise = rng.normal(0, 1, GENES)
    frame["logFC"] = 2 * frame["AveExpr"] + 0.1 * noise if signal else noise
    return frame


def leaderboards_of(frame: pd.DataFrame, tmp_path, name: str):
    """Read the frame as a DE table and compare the models on all its features."""
    path = tmp_path / f"{name}.tsv"
    frame.to_csv(path, sep="\t", index=False)
    table = degtools.read_de_table(path)
    design = degtools.prepare_design(table, target="logFC", seed=0)
    assert design.features == ["mean_expr", "noise_a", "noise_b", "noise_c"]
    audit = degtools.audit_leakage(table, target="logFC", features=design.features)
    boards = degtools.compare_feature_sets(
        design, audit, features="all", models=MODELS, cv_folds=CV_FOLDS, tuning="none", seed=0
    )
    return design, boards


def nadeau_bengio_p(best, other, *, n_train: float, n_test: float) -> float:
    """Compute the corrected resampled t-test's p by hand from the per-fold R² (Nadeau & Bengio 2003)."""
    difference = np.asarray(best) - np.asarray(other)
    k = len(difference)
    variance = np.sum((difference - difference.mean()) ** 2) / (k - 1)
    t = difference.mean() / np.sqrt((1 / k + n_test / n_train) * variance)
    return float(2 * stats.t.sf(abs(t), df=k - 1))


def fold_sizes(design) -> tuple[float, float]:
    """Mean training and test rows per CV fold, from the design's own splitter."""
    splits = list(design.cv_splitter(CV_FOLDS, 0).split(design.X_train, design.y_train, design.groups_train))
    train_rows = float(np.mean([len(train) for train, _ in splits]))
    return train_rows, float(np.mean([len(test) for _, test in splits]))


@pytest.fixture(scope="module")
def null_and_control(tmp_path_factory):
    folder = tmp_path_factory.mktemp("null")
    return (
        leaderboards_of(synthetic_frame(signal=False), folder, "noise"),
        leaderboards_of(synthetic_frame(signal=True), folder, "signal"),
    )


def test_no_model_beats_the_dummy_on_a_pure_noise_target(null_and_control):
    from degtools.stats import corrected_resampled_ttest

    (design, boards), _ = null_and_control
    comparison = boards.comparison
    best = comparison.best
    dummy = comparison["DummyRegressor"]
    n_train, n_test = fold_sizes(design)
    assert (n_train, n_test) == (384.0, 96.0)
    _, p_value = corrected_resampled_ttest(
        best.cv_scores["r2"], dummy.cv_scores["r2"], n_train=n_train, n_test=n_test
    )
    assert p_value == pytest.approx(
        nadeau_bengio_p(best.cv_scores["r2"], dummy.cv_scores["r2"], n_train=n_train, n_test=n_test), rel=1e-9
    )
    assert p_value >= 0.05
    # the leaderboard says the same: the dummy cannot be told apart from the best
    table = comparison.table().set_index("model")
    assert table.loc["DummyRegressor", "p vs best"] == pytest.approx(p_value, rel=1e-9)
    assert table.loc["DummyRegressor", "indistinguishable from best"]
    best_r2 = float(np.mean(best.cv_scores["r2"]))
    assert best_r2 < NULL_R2_MARGIN
    assert best_r2 - float(np.mean(dummy.cv_scores["r2"])) < NULL_R2_MARGIN


def test_the_best_model_beats_the_dummy_on_a_real_signal(null_and_control):
    from degtools.stats import corrected_resampled_ttest

    _, (design, boards) = null_and_control
    comparison = boards.comparison
    best = comparison.best
    dummy = comparison["DummyRegressor"]
    n_train, n_test = fold_sizes(design)
    _, p_value = corrected_resampled_ttest(
        best.cv_scores["r2"], dummy.cv_scores["r2"], n_train=n_train, n_test=n_test
    )
    assert p_value == pytest.approx(
        nadeau_bengio_p(best.cv_scores["r2"], dummy.cv_scores["r2"], n_train=n_train, n_test=n_test), rel=1e-9
    )
    assert p_value < 0.05
    table = comparison.table().set_index("model")
    assert not table.loc["DummyRegressor", "indistinguishable from best"]
    # logFC = 2 × AveExpr + noise of sd 0.1: a linear model explains all but ~0.25% of the variance
    assert comparison.best_name == "LinearRegression"
    assert np.mean(best.cv_scores["r2"]) > 0.99


def says_nothing_beats_the_baseline(note: str) -> bool:
    """Tell whether a note says that no model does better than the dummy baseline (wording: issue 12)."""
    text = note.lower()
    return bool(
        re.search(r"\b(no|none of the|not one)\b.*\bmodels?\b", text)
        and re.search(r"\b(beats?|better than|outperforms?|improves? on|indistinguishable from)\b", text)
        and re.search(r"\b(baseline|dummy)", text)
    )


def test_the_notes_say_when_no_model_beats_the_baseline(null_and_control):
    (_, null_boards), (_, control_boards) = null_and_control
    assert not any(says_nothing_beats_the_baseline(note) for note in control_boards.notes)
    assert any(says_nothing_beats_the_baseline(note) for note in null_boards.notes)
