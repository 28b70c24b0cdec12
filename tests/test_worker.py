"""One report in a batch worker: thread caps, model jobs for its kernel, failures as one-line outcomes."""

from __future__ import annotations

import os
from pathlib import Path

from degtools import planning, worker
from degtools.resources import job_cap


def test_limit_threads_sets_model_jobs(monkeypatch):
    for name in (*worker.THREAD_VARIABLES, worker.MODEL_JOBS_VARIABLE, "MPLBACKEND"):
        monkeypatch.setenv(name, "")  # monkeypatch restores the original values afterwards
    assert job_cap() is None
    worker.limit_threads(1)
    assert job_cap() == 1
    assert all(os.environ[name] == "1" for name in worker.THREAD_VARIABLES)
    assert "MPLBACKEND" not in os.environ


def test_render_job_sets_model_jobs_for_its_kernel_only(monkeypatch, tmp_path: Path):
    seen = []
    monkeypatch.setattr(worker, "render_report",
                        lambda values, **options: seen.append(os.environ.get(worker.MODEL_JOBS_VARIABLE)))
    monkeypatch.setenv(worker.MODEL_JOBS_VARIABLE, "1")
    job = planning.Job(params_file=tmp_path / "x.yaml", stem="x", model_jobs=4)
    assert worker.render_job(job, tmp_path).status == "rendered"
    assert worker.render_job(planning.Job(params_file=tmp_path / "y.yaml", stem="y"), tmp_path).ok
    assert seen == ["4", "1"] and os.environ[worker.MODEL_JOBS_VARIABLE] == "1"


def test_a_full_disk_while_rendering_fails_that_report_only(monkeypatch, tmp_path: Path):
    import errno

    def full(values, *, out_dir, **options):
        raise OSError(errno.ENOSPC, "No space left on device", str(Path(out_dir) / ".x_logFC-abcdefgh"))

    monkeypatch.setattr(worker, "render_report", full)
    job = planning.Job(params_file=tmp_path / "x.yaml", stem="x_logFC")
    outcome = worker.render_job(job, tmp_path)
    assert (outcome.status, outcome.kept) == ("failed", [])
    assert outcome.reason.startswith("OSError: [Errno 28] No space left on device")
    assert "free some space or pass --out" in outcome.output_error
    # any other crash with a folder that cannot take its log: the failure, without the log
    monkeypatch.setattr(worker, "render_report", lambda values, **options: 1 / 0)
    unwritable = tmp_path / "a-file"
    unwritable.write_text("")
    outcome = worker.render_job(job, unwritable)
    assert (outcome.status, outcome.reason, outcome.kept) == ("failed", "ZeroDivisionError: division by zero",
                                                              [])
