"""One report in a batch's worker process: render it within its time limit, never raise.

The batch (:mod:`degtools.batch`) starts its workers with :func:`start_worker` and hands each
report to :func:`run_in_worker`, which claims it (see :mod:`degtools.processes`), keeps to the
time limit and turns every failure into an :class:`Outcome` with a one-line reason.
"""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from degtools import processes
from degtools.cache import CACHE_VARIABLE, KEY_VARIABLE
from degtools.errors import DegtoolsError, ReportError
from degtools.output_folder import is_write_error, unwritable_folder_error
from degtools.planning import Job, write_stamp
from degtools.render import render_report
from degtools.resources import MODEL_JOBS_VARIABLE

#: environment variables that cap native thread pools (BLAS, OpenMP) in a worker and its kernel.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
                    "NUMEXPR_NUM_THREADS")


@dataclass
class Outcome:
    """What happened to one report."""

    job: Job
    status: str  # "rendered", "failed", "skipped" or "stopped" (Ctrl-C or SIGTERM)
    seconds: float = 0.0
    reason: str = ""
    kept: list[Path] = field(default_factory=list)  # failed notebook / log left for the user
    output_error: str = ""  # the output folder cannot be written: what to do about it (one line)

    @property
    def ok(self) -> bool:
        """True unless the report failed or was stopped."""
        return self.status not in ("failed", "stopped")


def limit_threads(threads: int, cache: str = "", key: str = "") -> None:
    """Prepare a worker: cap native and estimator thread pools of it and the kernels it starts.

    ``cache``: the absolute folder where its reports share results, ``key``: the secret (hex) that
    signs them (see degtools.cache; empty: nothing is shared).
    Also drops ``MPLBACKEND``: a kernel that inherits e.g. ``MPLBACKEND=Agg`` (common on headless
    servers) would not use its inline backend, and the report would have no figures.
    """
    for name in THREAD_VARIABLES:
        os.environ[name] = str(threads)
    os.environ[MODEL_JOBS_VARIABLE] = str(threads)
    if cache and key:
        os.environ[CACHE_VARIABLE] = cache
        os.environ[KEY_VARIABLE] = key
    os.environ.pop("MPLBACKEND", None)


@contextmanager
def _model_jobs(count: int):
    """While rendering one report, let its kernel's model comparison use ``count`` processes (0: as is)."""
    previous = os.environ.get(MODEL_JOBS_VARIABLE)
    if count:
        os.environ[MODEL_JOBS_VARIABLE] = str(count)
    try:
        yield
    finally:
        if count and previous is None:
            os.environ.pop(MODEL_JOBS_VARIABLE, None)
        elif count:
            os.environ[MODEL_JOBS_VARIABLE] = previous


def render_job(job: Job, out_dir: Path, with_code: bool = False, notebook: Path | None = None) -> Outcome:
    """Render one report (in a worker process); never raises, failures become an :class:`Outcome`."""
    out_dir = Path(out_dir)
    start = time.perf_counter()
    try:
        with _model_jobs(job.model_jobs):
            render_report(job.values, out_dir=out_dir, with_code=with_code, notebook=notebook)
    except ReportError as error:
        return Outcome(job, "failed", time.perf_counter() - start, str(error), error.kept_files)
    except DegtoolsError as error:
        return Outcome(job, "failed", time.perf_counter() - start, f"{type(error).__name__}: {error}")
    except Exception as error:  # noqa: BLE001 - a crashed kernel must not stop the batch
        seconds = time.perf_counter() - start
        if processes.TIME_UP.is_set():  # its kernel was stopped at the time limit: no traceback to keep
            return Outcome(job, "failed", seconds, "timed out")
        if is_write_error(error):  # read-only or full: the user's to fix, no log (it could not be written)
            return Outcome(job, "failed", seconds, describe_error(error),
                           output_error=str(unwritable_folder_error(error, out_dir)))
        log = out_dir / f"{job.stem}.failed.log"
        try:
            log.write_text("".join(traceback.format_exception(error)), encoding="utf-8")
        except OSError:
            return Outcome(job, "failed", seconds, describe_error(error))
        return Outcome(job, "failed", seconds, describe_error(error), [log])
    try:
        write_stamp(job, out_dir)
    except OSError:
        pass  # the report is in place; without its stamp the next run renders it again
    return Outcome(job, "rendered", time.perf_counter() - start)


def describe_error(error: BaseException) -> str:
    """``Type: first line of the message``."""
    first = (str(error).strip().splitlines() or [""])[0]
    return f"{type(error).__name__}: {first}"


def timed_out_reason(timeout: float | None) -> str:
    """The failure reason of a report that ran out of time."""
    return f"timed out after {timeout:g} s (--timeout); its kernel was stopped"


def start_worker(threads: int, cache: str, key: str, parent: int) -> None:
    """Pool initializer: die with the batch (``parent``), cap threads and share results (limit_threads)."""
    processes.die_with_parent(parent)
    limit_threads(threads, cache, key)


def run_in_worker(render: Callable[..., Outcome], job: Job, out_dir: Path, with_code: bool,
                  notebook: Path | None, *, timeout: float | None, claims: Path) -> Outcome:
    """Render ``job`` in a worker: claim it (see degtools.processes), keep to ``timeout``, then release it."""
    try:
        claimed = processes.claim(claims, job.stem)
    except OSError:
        claimed = None
    try:
        with processes.time_limit(timeout) as time_up:
            try:
                outcome = render(job, out_dir, with_code, notebook)
            except Exception:
                if time_up.is_set():
                    return Outcome(job, "failed", float(timeout), timed_out_reason(timeout))
                raise
        if time_up.is_set() and outcome.status != "rendered":
            outcome = Outcome(job, "failed", outcome.seconds, timed_out_reason(timeout), outcome.kept)
        return outcome
    finally:
        if claimed is not None:
            claimed.unlink(missing_ok=True)
