"""Tuning searches the settings inside the training part only."""

from __future__ import annotations

from degtools import (
    prepare_design,
    read_de_table,
)
from degtools.tuning import tune_pipeline


def test_tuning_searches_inside_the_training_part(synthetic_table):
    synthetic_design = prepare_design(read_de_table(synthetic_table), target="logFC")
    pipeline, chosen, seconds = tune_pipeline("Ridge", synthetic_design, tuning="fast", seed=0)
    assert set(chosen) == {"alpha"} and seconds > 0
    assert pipeline.get_params()["model__alpha"] == chosen["alpha"]
    _, nothing, no_time = tune_pipeline("LinearRegression", synthetic_design, tuning="thorough", seed=0)
    assert nothing == {} and no_time == 0.0
    _, halving, _ = tune_pipeline("KNeighborsRegressor", synthetic_design, tuning="thorough", seed=0)
    assert set(halving) == {"n_neighbors", "weights"}
