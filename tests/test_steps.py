"""The steps' record: seconds per step, a total, and the steps a batch reused."""

from __future__ import annotations

from pathlib import Path

import pytest

from degtools import steps
from degtools.cache import CACHE_VARIABLE, KEY_VARIABLE

CALLS: list[tuple] = []


def _square(value: float, *, threads: int = 1) -> float:
    """A module-level function (joblib caches by module and name) that records each real call."""
    CALLS.append((value, threads))
    return value * value


@pytest.fixture
def record(monkeypatch) -> steps.StepRecord:
    """A fresh record for this test."""
    fresh = steps.StepRecord()
    monkeypatch.setattr(steps, "RECORD", fresh)
    return fresh


def test_timings_accumulate_per_step_and_total(record):
    timed = steps.step("a")(lambda n: sum(range(n)))
    assert timed(1000) == sum(range(1000))
    steps.step("a")(lambda: None)()
    values = record.timings()
    assert set(values) == {"a", "total"} and values["total"] >= values["a"] >= 0
    assert list(values) == ["a", "total"] and record.reused == []


def test_a_step_keeps_the_function_s_name_and_its_exceptions(record):
    def fails():
        raise ValueError("no")

    wrapped = steps.step("b")(fails)
    assert wrapped.__name__ == "fails" and wrapped.__wrapped__ is fails and wrapped.step_name == "b"
    with pytest.raises(ValueError):
        wrapped()
    assert "b" in record.timings()


def test_a_shared_step_records_reuse_in_a_batch(record, monkeypatch, tmp_path: Path):
    shared = steps.step("squares", shared=True, ignore=["threads"])(_square)
    monkeypatch.delenv(CACHE_VARIABLE, raising=False)
    CALLS.clear()
    assert shared(3.0) == 9.0 and not record.was_reused("squares")
    monkeypatch.setenv(CACHE_VARIABLE, str(tmp_path / "cache"))
    monkeypatch.setenv(KEY_VARIABLE, "ab" * 32)  # a batch sets both (hex secret); without the key nothing is shared
    assert shared(3.0, threads=1) == 9.0 and not record.was_reused("squares")
    assert shared(3.0, threads=2) == 9.0 and record.was_reused("squares")
    assert CALLS == [(3.0, 1), (3.0, 1)]
    assert record.reused == ["squares"] and list(record.timings()) == ["squares", "total"]
