"""Many reports at once: render in parallel what :mod:`degtools.planning` says has changed.

Every report is rendered by :func:`degtools.render.render_report` in a worker process (papermill's
``cwd`` handling is not thread-safe, and a process keeps one report's failure away from the
others). Workers die with the batch, keep to its time limit and share identical results through
a private, signed cache (see :mod:`degtools.processes` and :mod:`degtools.cache`). Ctrl-C or
SIGTERM stops them; the batch then says what was rendered and what was stopped.
"""

from __future__ import annotations

import multiprocessing
import os
import secrets
import shutil
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import suppress
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import TextIO

from degtools import processes
from degtools.batch_progress import Board, format_progress, summarize  # noqa: F401 - format_progress: re-exported
from degtools.errors import InputError
from degtools.output_folder import check_writable, unwritable_folder_error
from degtools.planning import STAMP_FOLDER, Job, find_params_files, is_up_to_date, plan_jobs
from degtools.resources import available_cores
from degtools.worker import Outcome, describe_error, render_job, run_in_worker, start_worker, timed_out_reason

#: results shared between the reports of one batch run (see degtools.cache): a private folder
#: (mode 0700) ``<STAMP_FOLDER>/<CACHE_FOLDER>-<pid>-...`` per run, removed when the run ends.
CACHE_FOLDER = "shared-results"

#: where workers claim the reports they render (see degtools.processes), inside STAMP_FOLDER.
CLAIMS_FOLDER = "running"

#: seconds a report may overrun its time limit (its kernel stopped) before its worker is killed too.
KILL_GRACE = 15.0

#: how often (seconds) the batch looks at its workers while it waits for them.
POLL_SECONDS = 1.0


def run_batch(
    params_files: Iterable[Path],
    *,
    out_dir: str | Path = "reports",
    jobs: int | None = None,
    force: bool = False,
    with_code: bool = False,
    notebook: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
    render: Callable[..., Outcome] | None = None,
    timeout: float | None = None,
) -> list[Outcome]:
    """Render every report whose inputs changed (all with ``force``) in ``jobs`` worker processes.

    Parameters
    ----------
    params_files
        Params YAML files (see :func:`find_params_files`).
    out_dir
        Folder of the reports, their JSON and the fingerprints.
    jobs
        Worker processes; default: the available cores. Native thread pools in each worker are
        capped at ``cores // jobs`` so that workers do not compete for the same cores.
    force
        Render every report even if its inputs did not change.
    progress
        Called with one line per finished report (default: print to stdout).
    render
        Renders one :class:`Job` in a worker process (default :func:`render_job`); a module-level
        function with the same signature.
    timeout
        Seconds one report may take (None: no limit). A report that takes longer fails ("timed out
        after ... s"); its kernel, and if need be its worker, is killed; the others go on.

    Returns
    -------
    list of Outcome
        One per params file, in the order the files were given. After Ctrl-C or SIGTERM, the
        reports that were running or not started yet are "stopped" (their workers and kernels killed).
    """
    if progress is None:
        def progress(line: str) -> None:
            print(line, flush=True)

    out_dir = Path(out_dir).resolve()
    with suppress(OSError):  # a folder that cannot be made fails every report to render, below
        out_dir.mkdir(parents=True, exist_ok=True)
        remove_leftovers(out_dir)
    planned = plan_jobs(params_files, notebook=Path(notebook) if notebook else None, with_code=with_code)
    board = Board(planned, progress)
    todo = []
    for index, job in enumerate(planned):
        if job.problem:
            board.finish(index, Outcome(job, "failed", 0.0, job.problem))
        elif force or not is_up_to_date(job, out_dir):
            todo.append(index)
    skipped = [index for index in range(len(planned)) if index not in board.outcomes and index not in todo]
    for index in skipped:
        board.finish(index, Outcome(planned[index], "skipped"), quiet=True)
    if skipped:
        progress(f"skipped {len(skipped)} unchanged report(s) (--force renders them again)")
    if todo:
        _render_all(board, todo, out_dir=out_dir, jobs=jobs, timeout=timeout,
                    task=(render or render_job, out_dir, with_code, Path(notebook) if notebook else None))
    return [board.outcomes[index] for index in range(len(planned))]


@dataclass
class _Pools:
    """What every worker pool of one batch run shares."""

    board: Board
    task: tuple  # the renderer and its arguments after the job: (render, out_dir, with_code, notebook)
    sharing: tuple[str, str]  # the shared-results folder and its secret
    claims: Path
    timeout: float | None
    stopped: set[str] = field(default_factory=set)  # reports running when the batch was stopped

    @property
    def planned(self) -> list[Job]:
        return self.board.planned

    def time_out(self, index: int) -> None:
        """Record that ``planned[index]`` ran out of time."""
        self.board.finish(index, Outcome(self.planned[index], "failed", self.timeout or 0.0,
                                         timed_out_reason(self.timeout)))


def _render_all(board: Board, todo: list[int], *, out_dir: Path, jobs: int | None, timeout: float | None,
                task: tuple) -> None:
    """Render ``board.planned[i]`` for ``todo`` in worker processes, sharing results between them."""
    planned = board.planned
    todo = sorted(todo, key=lambda i: -planned[i].input_bytes)  # longest first: fewer idle workers at the end
    cores = available_cores()
    workers = max(1, min(jobs or cores, len(todo)))
    threads = max(1, cores // workers)
    if workers > 1 and len(todo) > workers:
        # The last report starts while the others finish and then runs alone: its model comparison
        # may use every core (the numbers do not depend on it), so the batch ends sooner.
        planned[todo[-1]].model_jobs = cores
    stamps = out_dir / STAMP_FOLDER
    try:
        check_writable(out_dir)
        stamps.mkdir(parents=True, exist_ok=True)
        # Reports share identical computations (see degtools.cache) during this run only: in a private
        # folder (mkdtemp: mode 0700) named by an absolute path, signed with a secret kept in memory.
        cache = processes.private_folder(stamps, CACHE_FOLDER)
    except OSError as error:  # read-only, full, or not a folder: no report can be written
        problem = str(unwritable_folder_error(error, out_dir))
        for index in sorted(todo):
            board.finish(index, Outcome(planned[index], "failed", 0.0, describe_error(error),
                                        output_error=problem))
        return
    board.rendering, board.workers = len(todo), workers
    pools = _Pools(board, task, (str(cache), secrets.token_hex(32)), stamps / CLAIMS_FOLDER, timeout)
    with processes.sigterm_as_interrupt():  # SIGTERM: like Ctrl-C, the workers stop and the summary is printed
        try:
            broken, overdue = _render_in_pool(pools, todo, workers=workers, threads=threads)
            while overdue and broken:
                # a worker killed for its time limit takes the pool down with it: the others were not at fault
                broken, overdue = _render_in_pool(pools, broken, workers=min(workers, len(broken)),
                                                  threads=threads)
            # A worker that died on its own took down the pool and every report running in it: retry those
            # one at a time, so that only a report that kills its worker again is counted as failed.
            for index in broken:
                lost, _ = _render_in_pool(pools, [index], workers=1, threads=cores)
                if lost:
                    board.finish(index, Outcome(
                        planned[index], "failed", 0.0, "its worker process died twice (out of memory?); try it "
                        f"alone with degtools report -f {planned[index].params_file}"))
        except KeyboardInterrupt:  # Ctrl-C or SIGTERM: the workers are stopped; say which reports were
            for index in todo:
                if index not in board.outcomes:
                    reason = "stopped while rendering" if planned[index].stem in pools.stopped else "not started"
                    board.finish(index, Outcome(planned[index], "stopped", 0.0, reason), quiet=True)
        finally:
            shutil.rmtree(cache, ignore_errors=True)


def remove_leftovers(out_dir: Path) -> None:
    """Remove what killed runs left in ``out_dir``: work folders of dead workers, orphaned shared results."""
    stamps = Path(out_dir) / STAMP_FOLDER
    if stamps.is_dir():
        processes.remove_stale_work(out_dir, stamps / CLAIMS_FOLDER)
        processes.remove_orphaned_folders(stamps, CACHE_FOLDER)


def _render_in_pool(pools: _Pools, indices: list[int], *, workers: int,
                    threads: int) -> tuple[list[int], bool]:
    """Render ``planned[i]`` for ``indices`` in a fresh pool.

    Returns the indices lost to a dead worker (not those killed for their time limit, which are
    recorded as timed out), and whether a worker was killed for its time limit.
    """
    planned, render, *arguments = pools.planned, *pools.task
    out_dir = arguments[0]
    known = set(multiprocessing.active_children())
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"),
                               initializer=start_worker, initargs=(threads, *pools.sharing, os.getpid()))
    broken, overdue = [], set()
    try:
        futures = {pool.submit(run_in_worker, render, planned[i], *arguments, timeout=pools.timeout,
                               claims=pools.claims): i for i in indices}
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
            for future in finished:
                index = futures[future]
                try:
                    outcome = future.result()
                except BrokenProcessPool:
                    broken.append(index)
                    continue
                except Exception as error:  # noqa: BLE001 - a renderer that raises fails its own report only
                    outcome = Outcome(planned[index], "failed", 0.0, describe_error(error))
                pools.board.finish(index, outcome)
            _announce_starts(pools, _worker_pids(known))  # after the finished ones: their times make the ETA
            if pools.timeout:
                overdue |= _kill_overdue(pools, _worker_pids(known))
    except BaseException:
        # Ctrl-C: drop the reports not started; stop the running ones with their kernels
        pids = _worker_pids(known)
        for claim in processes.read_claims(pools.claims):
            if claim.pid in pids:
                pools.stopped.add(claim.stem)
                claim.path.unlink(missing_ok=True)
        for pid in pids:
            processes.kill_tree(pid)
        pool.shutdown(wait=False, cancel_futures=True)
        _remove_work_folders(planned, indices, out_dir)
        raise
    pool.shutdown()
    _remove_work_folders(planned, broken, out_dir)
    for index in [i for i in broken if planned[i].stem in overdue]:
        broken.remove(index)
        pools.time_out(index)
    return sorted(broken, key=indices.index), bool(overdue)


def _announce_starts(pools: _Pools, pids: set[int]) -> None:
    """Announce the reports that workers of this pool claimed since the last look (see degtools.processes)."""
    for claim in sorted(processes.read_claims(pools.claims), key=lambda claim: claim.since):
        if claim.pid in pids:
            pools.board.start(claim.stem)


def _worker_pids(known: set) -> set[int]:
    """The pids of this process's children that were not in ``known`` (the current pool's workers)."""
    return {process.pid for process in multiprocessing.active_children() if process not in known}


def _kill_overdue(pools: _Pools, pids: set[int]) -> set[str]:
    """Kill the workers (with their kernels) whose report overran its time limit by :data:`KILL_GRACE`.

    A report's own worker stops its kernel when its time is up; this is for a worker that does not
    come back after that. Returns the stems of the reports whose worker was killed.
    """
    killed = set()
    for claim in processes.read_claims(pools.claims):
        if claim.pid in pids and time.time() - claim.since > pools.timeout + KILL_GRACE:
            processes.kill_tree(claim.pid)
            claim.path.unlink(missing_ok=True)
            killed.add(claim.stem)
    return killed


def _remove_work_folders(planned: list[Job], indices: list[int], out_dir: Path) -> None:
    """Remove the temporary folders that stopped renders of ``planned[i]`` left behind."""
    for index in indices:
        for work in Path(out_dir).glob(f".{planned[index].stem}-*"):
            shutil.rmtree(work, ignore_errors=True)


def main_batch(paths: list[str], *, out_dir: str = "reports", jobs: int | None = None, force: bool = False,
               with_code: bool = False, index: bool = True, timeout: float | None = None,
               stream: TextIO | None = None, quiet: bool = False) -> int:
    """``degtools batch``: render, print progress and a summary, rebuild the index; the exit status.

    With ``quiet``, nothing is printed unless a report fails or the batch is stopped (then the summary).
    """
    stream = stream or sys.stdout
    start = time.perf_counter()
    files = find_params_files(paths)
    outcomes = run_batch(files, out_dir=out_dir, jobs=jobs, force=force, with_code=with_code, timeout=timeout,
                         progress=(lambda line: None) if quiet else
                         (lambda line: print(line, file=stream, flush=True)))
    problems = list(dict.fromkeys(o.output_error for o in outcomes if o.output_error))
    stopped = any(o.status == "stopped" for o in outcomes)
    if index and not problems and not stopped:
        from degtools.index import index_is_stale, write_index

        try:
            if any(o.status == "rendered" for o in outcomes) or index_is_stale(out_dir):
                written = write_index(out_dir)
                if not quiet:
                    print(f"wrote {written}", file=stream)
        except InputError as error:  # the folder cannot be written
            problems.append(str(error))
    if not quiet or problems or stopped or not all(o.ok for o in outcomes):
        print(summarize(outcomes, seconds=time.perf_counter() - start), file=stream, flush=True)
    if problems:
        print(f"degtools: error: {problems[0]}", file=sys.stderr, flush=True)
        return 2
    if stopped:
        print("degtools: stopped; the same command renders what is left (finished reports are skipped).",
              file=sys.stderr, flush=True)
        return 130
    return 0 if all(o.ok for o in outcomes) else 1
