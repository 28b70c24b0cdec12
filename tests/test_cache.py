"""Results shared between the reports of one batch: reused only when identical, and equal to a fresh run."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from degtools import batch, enrich, genesets, read_de_table
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
    sets = genesets.read_gmt("")
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


def test_batch_reports_share_what_they_have_in_common(tmp_path: Path, demo_slice: Path):
    """Three reports of one table in one worker: another target reuses the gene sets; the same target
    with other display settings also reuses the model comparison; both equal what was computed first."""
    params = tmp_path / "params"
    params.mkdir()
    common = dict(input_table=str(demo_slice), max_rows=200, models="LinearRegression,KNeighborsRegressor",
                  tuning="none", gsea_permutations=100)
    for name, values in (("a.yaml", dict(dataset_name="demo", target="logFC")),
                         ("b.yaml", dict(dataset_name="demo", target="t")),
                         ("c.yaml", dict(dataset_name="again", target="logFC", top_n=5))):
        (params / name).write_text(yaml.safe_dump({**common, **values}), encoding="utf-8")
    out = tmp_path / "reports"
    outcomes = batch.run_batch(batch.find_params_files([params]), out_dir=out, jobs=1, progress=lambda line: None)
    assert [o.status for o in outcomes] == ["rendered"] * 3
    first, other_target, same_target = (json.loads((out / f"{stem}.json").read_text(encoding="utf-8"))
                                        for stem in ("demo_logFC", "demo_t", "again_logFC"))
    assert first["enrichment"]["ran"]
    assert (first["reused"], other_target["reused"], same_target["reused"]) == ([], ["gene sets"],
                                                                               ["models", "gene sets"])
    assert other_target["enrichment"] == first["enrichment"] == same_target["enrichment"]
    assert same_target["leaderboards"] == first["leaderboards"] != other_target["leaderboards"]
    pages = {stem: (out / f"{stem}.html").read_text(encoding="utf-8") for stem in ("demo_logFC", "demo_t",
                                                                                   "again_logFC")}
    assert not [stem for stem, page in pages.items()
                if 'data-mime-type="application/vnd.jupyter.stderr"' in page]  # no warning leaked
    assert "reused here" not in pages["demo_logFC"]
    assert "Computed once for this table in the batch and reused here" in pages["demo_t"]
    assert "computed for an identical report earlier in this batch and reused here" in pages["again_logFC"]
    # the shared results live only as long as the batch run
    assert not (out / batch.STAMP_FOLDER / batch.CACHE_FOLDER).exists()
