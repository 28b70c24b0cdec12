"""Results shared between the reports of one batch: reused only when identical, and equal to a fresh run."""

from __future__ import annotations

import json
import pickle
import secrets
import stat
from pathlib import Path

import pytest
import yaml

from degtools import batch, cache, enrich, genesets, planning, read_de_table
from degtools.cache import CACHE_VARIABLE, KEY_VARIABLE, shared_call
from degtools.results import enrichment_json

CALLS: list[tuple] = []


def _square(value: float, *, threads: int = 1) -> float:
    """A module-level function (results are keyed by module and name) that records each real call."""
    CALLS.append((value, threads))
    return value * value


def test_without_the_variable_every_call_runs(monkeypatch):
    monkeypatch.delenv(CACHE_VARIABLE, raising=False)
    CALLS.clear()
    assert shared_call(_square, 3.0) == (9.0, False)
    assert shared_call(_square, 3.0) == (9.0, False)
    assert len(CALLS) == 2


@pytest.fixture
def shared(monkeypatch, tmp_path: Path) -> tuple[Path, bytes]:
    """Caching on, as in a batch worker: an absolute folder and a random secret."""
    folder, secret = tmp_path / "cache", secrets.token_bytes(32)
    monkeypatch.setenv(CACHE_VARIABLE, str(folder))
    monkeypatch.setenv(KEY_VARIABLE, secret.hex())
    return folder, secret


def test_identical_calls_are_reused_and_others_run(shared, tmp_path: Path):
    CALLS.clear()
    assert shared_call(_square, 3.0, threads=1, ignore=["threads"]) == (9.0, False)
    assert shared_call(_square, 3.0, threads=2, ignore=["threads"]) == (9.0, True)  # threads do not count
    assert shared_call(_square, 4.0, threads=1, ignore=["threads"]) == (16.0, False)
    assert CALLS == [(3.0, 1), (4.0, 1)]
    assert (tmp_path / "cache").is_dir()


def test_a_reused_enrichment_equals_a_fresh_one(monkeypatch, shared, tmp_path: Path, demo_slice: Path):
    table = read_de_table(demo_slice)
    sets = genesets.read_gmt("")
    options = dict(permutations=100, seed=3, threads=1)
    monkeypatch.delenv(CACHE_VARIABLE, raising=False)
    fresh = enrich.run_enrichment(table, sets, **options)
    assert fresh.ran and len(fresh.gsea)
    monkeypatch.setenv(CACHE_VARIABLE, str(shared[0]))
    first, reused_first = shared_call(enrich.run_enrichment, table, sets, ignore=["threads"], **options)
    again, reused_again = shared_call(enrich.run_enrichment, read_de_table(demo_slice), sets,
                                      ignore=["threads"], **{**options, "threads": 2})
    assert (reused_first, reused_again) == (False, True)
    assert enrichment_json(again) == enrichment_json(first) == enrichment_json(fresh)
    # another seed is another GSEA: not reused
    _, reused_other = shared_call(enrich.run_enrichment, table, sets, ignore=["threads"],
                                  **{**options, "seed": 4})
    assert not reused_other


@pytest.mark.slow
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
    outcomes = batch.run_batch(planning.find_params_files([params]), out_dir=out, jobs=1,
                               progress=lambda line: None)
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
    assert not list((out / planning.STAMP_FOLDER).glob(f"{batch.CACHE_FOLDER}*"))


class _Planted:
    """Unpickling this creates ``marker``: what a planted result file would run."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


def test_a_planted_result_is_never_unpickled(shared, tmp_path: Path):
    folder, secret = shared
    folder.mkdir()
    path = folder / f"{cache.call_key(_square, (3.0,), {'threads': 1}, ignore=['threads'])}{cache.SUFFIX}"
    marker = tmp_path / "planted-code-ran"
    payload = pickle.dumps(_Planted(marker))
    key = path.name.removesuffix(cache.SUFFIX)
    forged = [
        payload,  # a bare pickle (what joblib.Memory stored)
        cache.MAGIC + bytes(32) + payload,  # the format, a made-up signature
        cache.MAGIC + cache._signature(secrets.token_bytes(32), key, payload) + payload,  # another secret
        cache.MAGIC + cache._signature(secret, "0" * 64, payload) + payload,  # signed for another key
    ]
    for planted in forged:
        path.write_bytes(planted)
        CALLS.clear()
        assert shared_call(_square, 3.0, threads=1, ignore=["threads"]) == (9.0, False)  # recomputed
        assert CALLS == [(3.0, 1)] and not marker.exists()
        # the planted file was replaced by a signed result, which the next call reuses
        assert shared_call(_square, 3.0, threads=4, ignore=["threads"]) == (9.0, True)
        assert CALLS == [(3.0, 1)]
    assert cache.load_result(path, secret)[0] and not cache.load_result(path, secrets.token_bytes(32))[0]


def test_nothing_is_shared_without_a_secret_or_with_a_relative_folder(monkeypatch, tmp_path: Path):
    monkeypatch.chdir(tmp_path)
    cases = ((str(tmp_path / "a"), ""), ("relative", secrets.token_hex(32)), (str(tmp_path / "b"), "zz"))
    for folder, key in cases:
        monkeypatch.setenv(CACHE_VARIABLE, folder)
        monkeypatch.setenv(KEY_VARIABLE, key)
        CALLS.clear()
        assert shared_call(_square, 2.0) == (4.0, False)
        assert shared_call(_square, 2.0) == (4.0, False)
        assert len(CALLS) == 2
    assert list(tmp_path.iterdir()) == []


def test_arguments_count_by_value_not_by_spelling(shared):
    key = cache.call_key(_square, (3.0,), {}, ignore=())
    assert cache.call_key(_square, (), {"value": 3.0, "threads": 1}, ignore=()) == key  # default written out
    assert cache.call_key(_square, (3.0,), {"threads": 2}, ignore=()) != key
    assert cache.call_key(_square, (3.0,), {"threads": 2}, ignore=["threads"]) == cache.call_key(
        _square, (3.0,), {}, ignore=["threads"])
    with pytest.raises(ValueError, match="does not take"):
        cache.call_key(_square, (3.0,), {}, ignore=["thread"])


def test_stored_results_are_private(shared):
    folder, _ = shared
    shared_call(_square, 5.0)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert [p.suffix for p in folder.iterdir()] == [cache.SUFFIX]  # no temporary file left
