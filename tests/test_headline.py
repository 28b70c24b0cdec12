"""The headline: the answer first, every number with its interval, no "best model" without one."""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from conftest import mean_driven_boards
from scipy import stats

from degtools import display
from degtools.headline import NOT_BETTER_LABEL, headline
from degtools.results import headline_json


def _boards(tmp_path, *, signal: bool):
    return mean_driven_boards(tmp_path, signal=signal)


@pytest.fixture(scope="module")
def noise(tmp_path_factory):
    return _boards(tmp_path_factory.mktemp("noise"), signal=False)


@pytest.fixture(scope="module")
def signal(tmp_path_factory):
    return _boards(tmp_path_factory.mktemp("signal"), signal=True)


def _shown(monkeypatch, function, *args, **kwargs) -> str:
    """Everything a display function shows, as one text (markdown and HTML)."""
    shown = []
    monkeypatch.setattr(display, "display", lambda obj, **_: shown.append(obj.data))
    monkeypatch.setattr(display.plt, "show", lambda: None)
    function(*args, **kwargs)
    return "\n".join(shown)


def _t_interval(scores) -> tuple[float, float]:
    scores = np.asarray(scores, dtype=float)
    half = stats.t.ppf(0.975, len(scores) - 1) * scores.std(ddof=1) / np.sqrt(len(scores))
    return scores.mean() - half, scores.mean() + half


def test_a_null_table_has_no_best_model_anywhere(noise, monkeypatch):
    _, boards = noise
    top = headline(boards, target_label="logFC", dataset="noise")
    assert top.beats_dummy is False and top.title == "noise: predicting logFC"
    assert 3 <= len(top.sentences) <= 5
    assert top.sentences[1].startswith("No model predicts logFC better than its mean")
    rendered = "\n".join([
        _shown(monkeypatch, display.show_headline, top),
        _shown(monkeypatch, display.show_main_leaderboard, boards),
        _shown(monkeypatch, display.show_leaderboards, boards),
        _shown(monkeypatch, display.show_best_model, boards.comparison),
    ])
    assert "no model predicts" in rendered.lower()
    assert "Best model by CV" not in rendered and "(best)" not in rendered and "same as best" not in rendered
    assert NOT_BETTER_LABEL in rendered


def test_a_table_with_signal_names_its_best_model_with_intervals(signal, monkeypatch):
    _, boards = signal
    top = headline(boards, target_label="logFC")
    best = boards.comparison.best
    low, high = _t_interval(best.cv_scores["r2"])
    assert top.beats_dummy is True
    assert f"{best.name} beats the mean-only baseline" in top.sentences[1]
    assert f"cross-validated R² {np.mean(best.cv_scores['r2']):.3f} (95% CI {low:.3f} to {high:.3f})" in \
        top.sentences[1]
    test_low, test_high = best.test_intervals["r2"]
    assert f"{best.test['r2']:.3f} (95% bootstrap CI {test_low:.3f} to {test_high:.3f})" in top.sentences[1]
    # what leakage would buy: the all-features board beside it
    everything = boards.boards["all"].best
    all_low, all_high = _t_interval(everything.cv_scores["r2"])
    assert f"R² would be {np.mean(everything.cv_scores['r2']):.3f} (95% CI {all_low:.3f} to {all_high:.3f})" in \
        top.sentences[2]
    gain = np.asarray(everything.cv_scores["r2"]) - np.asarray(best.cv_scores["r2"])  # same folds: paired
    gain_low, gain_high = _t_interval(gain)
    assert f"the {gain.mean():+.3f} (95% CI {gain_low:+.3f} to {gain_high:+.3f}) that leakage would buy" in \
        top.sentences[2]
    # every R² in the headline carries its interval
    for sentence in top.sentences:
        for match in re.finditer(r"R²[^.;]*?(-?\d\.\d{3})(?! \(95%)", sentence):
            assert "(95%" in sentence[match.end():match.end() + 8], sentence
    assert top.honest_r2["mean"] == pytest.approx(np.mean(best.cv_scores["r2"]))
    assert top.honest_r2["ci95"] == pytest.approx([low, high])
    shown = _shown(monkeypatch, display.show_best_model, boards.comparison)
    assert "Best model by CV" in shown


def test_evidence_sentence_only_with_contributions(signal):
    _, boards = signal
    assert not any("evidence source" in s for s in headline(boards, target_label="logFC").sentences)
    contributions = pd.DataFrame({
        "source": ["gene knowledge", "other studies"], "r2_all": [0.4, 0.4], "r2_without": [0.35, 0.2],
        "drop_mean": [0.05, 0.2], "drop_low": [0.01, 0.12], "drop_high": [0.09, 0.28]})
    top = headline(boards, target_label="logFC", contributions=contributions)
    evidence = [s for s in top.sentences if "evidence source" in s]
    assert evidence == ["Share of cross-validated R² each evidence source explains (drop without it): "
                        "other studies 0.200 (95% CI 0.120 to 0.280); gene knowledge 0.050 (95% CI 0.010 to 0.090)."]


def test_themes_name_the_strongest_sets_or_say_there_are_none(signal):
    _, boards = signal
    gsea = pd.DataFrame({"set": ["HALLMARK_B", "HALLMARK_A", "HALLMARK_C"], "direction": ["down", "up", "up"],
                         "nes": [-2.1, 1.8, 0.5], "pvalue": [0.001, 0.002, 0.6], "fdr": [0.01, 0.02, 0.7]})
    enrichment = SimpleNamespace(gene_sets=SimpleNamespace(name="Hallmark"), ran=True, gsea=gsea,
                                 ora=pd.DataFrame(columns=["set", "direction", "overlap", "pvalue", "fdr"]))
    top = headline(boards, target_label="logFC", enrichment=enrichment)
    assert top.sentences[-1] == ("Strongest biological themes (preranked GSEA, Hallmark, FDR < 0.05): HALLMARK_B "
                                 "(down, NES -2.10, FDR 0.010); HALLMARK_A (up, NES 1.80, FDR 0.020).")
    enrichment.gsea = gsea.assign(fdr=0.5)
    assert headline(boards, target_label="logFC", enrichment=enrichment).sentences[-1].startswith(
        "No gene set of Hallmark is enriched at FDR < 0.05")


def test_headline_box_escapes_text_and_json_has_the_documented_shape(signal, monkeypatch):
    _, boards = signal
    top = headline(boards, target_label="logFC", dataset="<script>alert(1)</script>")
    shown = _shown(monkeypatch, display.show_headline, top)
    assert shown.startswith('<div class="degtools-headline"') and "<script>" not in shown
    assert "&lt;script&gt;alert(1)&lt;/script&gt;: predicting logFC" in shown
    entry = headline_json(top)
    assert set(entry) == {"title", "sentences", "beats_dummy", "honest_r2"}
    assert entry["sentences"] == top.sentences and entry["beats_dummy"] is True
    assert set(entry["honest_r2"]) == {"mean", "ci95", "model"} and len(entry["honest_r2"]["ci95"]) == 2
