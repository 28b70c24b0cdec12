"""A model must beat the dummy baseline before a report calls anything "best"."""

from __future__ import annotations

import numpy as np
import pandas as pd

from degtools import audit_leakage, compare_feature_sets, prepare_design, read_de_table


def _table(tmp_path, *, signal: bool):
    rng = np.random.default_rng(11)
    rows = 500
    mean = rng.normal(8, 2, rows)  # an "AveExpr": measured before the test, independent by provenance
    logfc = (0.8 * (mean - 8) if signal else 0) + rng.normal(scale=0.5, size=rows)
    frame = pd.DataFrame({"ID": [f"g{i}" for i in range(rows)], "logFC": logfc, "AveExpr": mean,
                          "P.Value": rng.uniform(size=rows)})
    path = tmp_path / ("signal.csv" if signal else "noise.csv")
    frame.to_csv(path, index=False)
    table = read_de_table(path)
    design = prepare_design(table, target="logFC", seed=1)
    audit = audit_leakage(table, target="logFC", features=design.features)
    return compare_feature_sets(design, audit, models=["LinearRegression", "KNeighborsRegressor"], seed=1)


def test_noise_gets_no_best_model_and_signal_does(tmp_path):
    noise = _table(tmp_path, signal=False)
    assert noise.main == "independent"
    p_value, beats = noise.comparison.versus_dummy()
    assert not beats and p_value >= 0.05
    assert any(note.startswith("No model predicts logFC better than its mean") for note in noise.notes)

    signal = _table(tmp_path, signal=True)
    p_value, beats = signal.comparison.versus_dummy()
    assert beats and p_value < 0.05
    assert not any("better than its mean" in note for note in signal.notes)
