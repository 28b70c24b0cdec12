"""A model must beat the dummy baseline before a report calls anything "best"."""

from __future__ import annotations

from conftest import mean_driven_boards


def _table(tmp_path, *, signal: bool):
    return mean_driven_boards(tmp_path, signal=signal)[1]


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
