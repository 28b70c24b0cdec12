"""Results shared between the reports of one batch: reused only when identical, and equal to a fresh run."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from degtools import batch, enrich, read_de_table
from degtools.cache import CACHE_VARIABLE, shared_call

CALLS: list[tuple] = []


def _square(value: float, *, threads: int = 1) -> float:
    """A module-level function (joblib caches by module and name) that records each real call."""
    CALLS.append((value, threads))
    return value * value


def test_without_the_variable_every_call_runs(monkeypatch):
    monkeypatch.delenv(CACHE_VARIABLE, raising=False)
    CALLS.clear()
    assert shared_call(_square, 3.0) == (9.0, False)
    assert shared_call(_square, 3.0) == (9.0, False)
    assert len(CALLS) == 2


def test_identical_calls_are_reused_and_others_run(monkeypatch, tmp_path: Path):
    monkeypatch.setenv(CACHE_VARIABLE, str(tmp_path / "cache"))
    CALLS.clear()
    assert shared_call(_square, 3.0, threads=1, ignore=["threads"]) == (9.0, False)
    assert shared_call(_square, 3.0, threads=2, ignore=["threads"]) == (9.0, True)  # threads do not count
    assert shared_call(_square, 4.0, threads=1, ignore=["threads"]) == (16.0, False)
    assert CALLS == [(3.0, 1), (4.0, 1)]
    assert (tmp_path / "cache").is_dir()


def test_a_reused_enrichment_equals_a_fresh_one(monkeypatch, tmp_path: Path, demo_slice: Path):
    table = read_de_table(demo_slice)
    sets = enrich.read_gmt("")
    options = dict(permutations=100, seed=3, threads=1)
    monkeypatch.delenv(CACHE_VARIABLE, raising=False)
    fresh = enrich.run_enrichment(table, sets, **options)
    assert fresh.ran and len(fresh.gsea)
    monkeypatch.setenv(CACHE_VARIABLE, str(tmp_path / "cache"))
    first, reused_first = shared_call(enrich.run_enrichment, table, sets, ignore=["threads"], **options)
    again, reused_again = shared_call(enrich.run_enrichment, read_de_table(demo_slice), sets,
                                      ignore=["threads"], **{**options, "threads": 2})
    assert (reused_first, reused_again) == (False, True)
    assert again.to_json() == first.to_json() == fresh.to_json()
    # another seed is another GSEA: not reused
    _, reused_other = shared_call(enrich.run_enrichment, table, sets, ignore=["threads"],
                                  **{**options, "seed": 4})
    assert not reused_other


def test_batch_reports_of_one_table_share_gene_sets(tmp_path: Path, demo_slice: Path):
    """Two targets of one table in one worker: the second report reuses the first's gene sets."""
    params = tmp_path / "params"
    params.mkdir()
    common = dict(input_table=str(demo_slice), dataset_name="demo", max_rows=200, models="LinearRegression",
                  tuning="none", gsea_permutations=100)
    for name, target in (("a.yaml", "logFC"), ("b.yaml", "t")):
        (params / name).write_text(yaml.safe_dump({**common, "target": target}), encoding="utf-8")
    out = tmp_path / "reports"
    outcomes = batch.run_batch(batch.find_params_files([params]), out_dir=out, jobs=1, progress=lambda line: None)
    assert [o.status for o in outcomes] == ["rendered", "rendered"]
    first = json.loads((out / "demo_logFC.json").read_text(encoding="utf-8"))["enrichment"]
    second = json.loads((out / "demo_t.json").read_text(encoding="utf-8"))["enrichment"]
    assert first["ran"] and (first["reused"], second["reused"]) == (False, True)
    assert second["gsea"] == first["gsea"] and second["ora"] == first["ora"]
    assert "reused here" in (out / "demo_t.html").read_text(encoding="utf-8")
    assert "reused here" not in (out / "demo_logFC.html").read_text(encoding="utf-8")
    # the shared results live only as long as the batch run
    assert not (out / batch.STAMP_FOLDER / batch.CACHE_FOLDER).exists()
