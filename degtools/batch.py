"""Many reports at once: plan the params files, skip what has not changed, render the rest in parallel.

Every report is rendered by :func:`degtools.report.render_report` in a worker process (papermill's
``cwd`` handling is not thread-safe, and a process keeps one report's failure away from the
others). Before rendering, each report gets a *fingerprint*: a sha256 over its validated
parameters, the bytes of its input table, the notebook, and degtools' version and source files.
After a successful render the fingerprint is stored under ``<out>/.degtools-batch/``; a re-run
skips every report whose fingerprint, HTML and JSON are all still in place.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any, TextIO

from degtools.cache import CACHE_VARIABLE, KEY_VARIABLE
from degtools.errors import DegtoolsError, InputError, ParamsError, ReportError
from degtools.files import write_text_atomically
from degtools.output_folder import check_writable, is_write_error, unwritable_folder_error
from degtools.params import PATH_PARAMETERS, load_params_file, validate_params
from degtools.provenance import file_sha256, package_digest
from degtools.resources import MODEL_JOBS_VARIABLE, available_cores

#: where fingerprints of rendered reports are kept, inside the output folder.
STAMP_FOLDER = ".degtools-batch"

#: results shared between the reports of one batch run (see degtools.cache): a private folder
#: (mode 0700) ``<STAMP_FOLDER>/<CACHE_FOLDER>-XXXXXXXX`` per run, removed when the run ends.
CACHE_FOLDER = "shared-results"

#: environment variables that cap native thread pools (BLAS, OpenMP) in a worker and its kernel.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
                    "NUMEXPR_NUM_THREADS")


@dataclass
class Job:
    """One report to render: where its parameters come from and what it will be called."""

    params_file: Path
    values: dict[str, Any] = field(default_factory=dict)
    stem: str = ""
    dataset: str = ""
    target: str = ""
    fingerprint: str = ""
    input_bytes: int = 0  # size of the input (and reference) table: big jobs start first, so the batch ends sooner
    problem: str = ""  # set when the params file cannot be rendered at all (one line)
    model_jobs: int = 0  # processes its model comparison may use; 0: the worker's share of the cores


@dataclass
class Outcome:
    """What happened to one report."""

    job: Job
    status: str  # "rendered", "failed" or "skipped"
    seconds: float = 0.0
    reason: str = ""
    kept: list[Path] = field(default_factory=list)  # failed notebook / log left for the user
    output_error: str = ""  # the output folder cannot be written: what to do about it (one line)

    @property
    def ok(self) -> bool:
        """True unless the report failed."""
        return self.status != "failed"


def find_params_files(paths: Iterable[str | Path]) -> list[Path]:
    """Params files named by ``paths``: a folder contributes its ``*.yaml``/``*.yml`` files, sorted.

    Raises
    ------
    ParamsError
        If a path does not exist, or nothing at all was found.
    """
    found: list[Path] = []
    for entry in paths:
        path = Path(entry)
        if path.is_dir():
            found += sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
        elif path.is_file():
            found.append(path)
        else:
            raise ParamsError(
                f"{str(path)!r} is neither a params file nor a folder; pass params/ or YAML files.")
    unique = list(dict.fromkeys(p.resolve() for p in found))
    if not unique:
        names = ", ".join(str(p) for p in paths)
        raise ParamsError(f"no params files (*.yaml) found in {names}; pass a folder such as params/.")
    return unique


def fingerprint(params: dict[str, Any], *, notebook: Path, package: str, with_code: bool = False) -> str:
    """sha256 of everything a report depends on: parameters, input files, notebook, degtools.

    ``params`` must be validated (defaults filled in) so that writing a default explicitly does
    not count as a change; file parameters count by their content, not their name or time stamp.
    """
    from degtools.tables import resolve_input_path

    inputs = {}
    for name in PATH_PARAMETERS:
        value = params.get(name)
        path = resolve_input_path(value) if name == "input_table" else Path(str(value)) if value else None
        if path is not None and path.is_file():
            inputs[name] = file_sha256(path)
    record = {
        "params": {name: value for name, value in params.items() if name != "results_json"},
        "inputs": inputs,
        "notebook": file_sha256(notebook),
        "degtools": package,
        "with_code": with_code,
    }
    return hashlib.sha256(json.dumps(record, sort_keys=True, default=str).encode()).hexdigest()


def plan_jobs(
    params_files: Iterable[Path], *, notebook: Path | None = None, with_code: bool = False
) -> list[Job]:
    """One :class:`Job` per params file, fingerprinted; unusable files get a ``problem`` line.

    Two params files that would write the same report name are a problem for the second one.
    """
    from degtools.report import DEFAULT_NOTEBOOK, dataset_name_from_path, report_stem
    from degtools.tables import resolve_input_path

    notebook = Path(notebook) if notebook else DEFAULT_NOTEBOOK
    if not notebook.is_file():
        raise ParamsError(f"notebook {str(notebook)!r} not found; run degtools from its source checkout.")
    package = package_digest()
    jobs: list[Job] = []
    owners: dict[str, Path] = {}
    for params_file in params_files:
        job = Job(params_file=Path(params_file), stem=Path(params_file).stem)
        jobs.append(job)
        try:
            job.values = load_params_file(params_file)
            params = validate_params(job.values)
            job.stem = report_stem(params)
            job.dataset = params["dataset_name"] or dataset_name_from_path(
                params["input_table"] or "GSE15852")
            job.target = params["target"]
            job.fingerprint = fingerprint(params, notebook=notebook, package=package, with_code=with_code)
            job.input_bytes = resolve_input_path(params["input_table"]).stat().st_size
            if params["reference_table"]:  # a second study is read, joined and modelled too
                job.input_bytes += resolve_input_path(params["reference_table"]).stat().st_size
        except DegtoolsError as error:
            job.problem = f"{type(error).__name__}: {error}"
            continue
        if job.stem in owners:
            job.problem = (f"ParamsError: {job.params_file.name} and {owners[job.stem].name} both write "
                           f"{job.stem}.html; give one of them another dataset_name.")
        else:
            owners[job.stem] = job.params_file
    return jobs


def stamp_path(out_dir: Path, stem: str) -> Path:
    """Where the fingerprint of report ``stem`` is stored."""
    return Path(out_dir) / STAMP_FOLDER / f"{stem}.json"


def is_up_to_date(job: Job, out_dir: Path) -> bool:
    """True if the report's HTML and JSON exist and were made from the same inputs."""
    out_dir = Path(out_dir)
    if job.problem or not all((out_dir / f"{job.stem}{suffix}").is_file() for suffix in (".html", ".json")):
        return False
    try:
        stamp = json.loads(stamp_path(out_dir, job.stem).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return stamp.get("fingerprint") == job.fingerprint


def write_stamp(job: Job, out_dir: Path) -> None:
    """Record that ``job`` was rendered from its current inputs."""
    path = stamp_path(out_dir, job.stem)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"fingerprint": job.fingerprint, "params_file": str(job.params_file)}
    write_text_atomically(path, json.dumps(record, indent=2) + "\n")


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
    """While rendering one report, let its kernel's model comparison use ``count`` processes (0: unchanged)."""
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
    from degtools.report import render_report

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
        if is_write_error(error):  # read-only or full: the user's to fix, no log (it could not be written)
            return Outcome(job, "failed", seconds, _one_line(error),
                           output_error=str(unwritable_folder_error(error, out_dir)))
        log = out_dir / f"{job.stem}.failed.log"
        try:
            log.write_text("".join(traceback.format_exception(error)), encoding="utf-8")
        except OSError:
            return Outcome(job, "failed", seconds, _one_line(error))
        return Outcome(job, "failed", seconds, _one_line(error), [log])
    try:
        write_stamp(job, out_dir)
    except OSError:
        pass  # the report is in place; without its stamp the next run renders it again
    return Outcome(job, "rendered", time.perf_counter() - start)


def _one_line(error: BaseException) -> str:
    """``Type: first line of the message``."""
    first = (str(error).strip().splitlines() or [""])[0]
    return f"{type(error).__name__}: {first}"


def format_progress(outcome: Outcome, *, done: int, total: int) -> str:
    """One progress line: counter, status, dataset, target, seconds, and the reason of a failure."""
    job = outcome.job
    name = f"{job.dataset or job.params_file.stem} {job.target}".strip()
    line = f"[{done:>{len(str(total))}}/{total}] {outcome.status:<8} {name:<34} {outcome.seconds:6.1f} s"
    if outcome.status == "failed":
        line += f"  {outcome.reason}"
    return line


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

    Returns
    -------
    list of Outcome
        One per params file, in the order the files were given.
    """
    if progress is None:
        def progress(line: str) -> None:
            print(line, flush=True)

    render = render or render_job
    out_dir = Path(out_dir).resolve()
    with suppress(OSError):  # a folder that cannot be made fails every report to render, below
        out_dir.mkdir(parents=True, exist_ok=True)
    notebook = Path(notebook) if notebook else None
    planned = plan_jobs(params_files, notebook=notebook, with_code=with_code)
    outcomes: dict[int, Outcome] = {}
    todo = []
    for index, job in enumerate(planned):
        if job.problem:
            outcomes[index] = Outcome(job, "failed", 0.0, job.problem)
        elif not force and is_up_to_date(job, out_dir):
            outcomes[index] = Outcome(job, "skipped")
        else:
            todo.append(index)
    total = len(planned)
    done = 0
    for outcome in outcomes.values():
        if outcome.status == "failed":
            done += 1
            progress(format_progress(outcome, done=done, total=total))
    skipped = sum(outcome.status == "skipped" for outcome in outcomes.values())
    if skipped:
        done += skipped
        progress(f"skipped {skipped} unchanged report(s) (--force renders them again)")
    if todo:
        todo.sort(key=lambda i: -planned[i].input_bytes)  # longest first: fewer idle workers at the end
        cores = available_cores()
        workers = max(1, min(jobs or cores, len(todo)))
        threads = max(1, cores // workers)
        if workers > 1 and len(todo) > workers:
            # The last report starts while the others finish and then runs alone: its model comparison
            # may use every core (the numbers do not depend on it), so the batch ends sooner.
            planned[todo[-1]].model_jobs = cores

        def finish(index: int, outcome: Outcome) -> None:
            nonlocal done
            outcomes[index] = outcome
            done += 1
            progress(format_progress(outcome, done=done, total=total))

        try:
            check_writable(out_dir)
            # Reports share identical computations (see degtools.cache) during this run only: in a private
            # folder (mkdtemp: mode 0700) named by an absolute path, signed with a secret kept in memory.
            stamps = out_dir / STAMP_FOLDER
            stamps.mkdir(parents=True, exist_ok=True)
            cache = Path(tempfile.mkdtemp(prefix=f"{CACHE_FOLDER}-", dir=stamps)).resolve()
        except OSError as error:  # read-only, full, or not a folder: no report can be written
            problem = str(unwritable_folder_error(error, out_dir))
            for index in sorted(todo):
                finish(index, Outcome(planned[index], "failed", 0.0, _one_line(error), output_error=problem))
            return [outcomes[index] for index in range(total)]
        sharing = (str(cache), secrets.token_hex(32))
        previous = _stop_on_sigterm()
        try:
            broken = _render_in_pool(planned, todo, finish, workers=workers, threads=threads, sharing=sharing,
                                     out_dir=out_dir, with_code=with_code, notebook=notebook, render=render)
            # A dead worker takes down the pool and every report running in it: retry those one at a
            # time, so that only a report that kills its worker again is counted as failed.
            for index in broken:
                if _render_in_pool(planned, [index], finish, workers=1, threads=cores, sharing=sharing,
                                   out_dir=out_dir, with_code=with_code, notebook=notebook, render=render):
                    finish(index, Outcome(planned[index], "failed", 0.0,
                                          "its worker process died twice (out of memory?); try it alone with "
                                          f"degtools report -f {planned[index].params_file}"))
        finally:
            _restore_sigterm(previous)
            shutil.rmtree(cache, ignore_errors=True)
    return [outcomes[index] for index in range(total)]


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _stop_on_sigterm():
    """Treat SIGTERM (a scheduler's kill) as Ctrl-C while the batch runs; returns the previous handler."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _interrupt)


def _restore_sigterm(previous) -> None:
    if previous is not None:
        signal.signal(signal.SIGTERM, previous)


def _render_in_pool(planned: list[Job], indices: list[int], finish: Callable[[int, Outcome], None], *,
                    workers: int, threads: int, sharing: tuple[str, str], out_dir: Path, with_code: bool,
                    notebook: Path | None, render: Callable[..., Outcome]) -> list[int]:
    """Render ``planned[i]`` for ``indices`` in a fresh pool; return the indices lost to a dead worker."""
    broken = []
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"),
                               initializer=limit_threads, initargs=(threads, *sharing))
    try:
        futures = {pool.submit(render, planned[i], out_dir, with_code, notebook): i for i in indices}
        for future in as_completed(futures):
            index = futures[future]
            try:
                outcome = future.result()
            except BrokenProcessPool:
                broken.append(index)
                continue
            except Exception as error:  # noqa: BLE001 - a renderer that raises fails its own report only
                outcome = Outcome(planned[index], "failed", 0.0, _one_line(error))
            finish(index, outcome)
    except BaseException:
        # Ctrl-C: drop the reports not started; stop the running ones (their kernels follow them)
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        _remove_work_folders(planned, indices, out_dir)
        raise
    pool.shutdown()
    _remove_work_folders(planned, broken, out_dir)
    return sorted(broken, key=indices.index)


def _remove_work_folders(planned: list[Job], indices: list[int], out_dir: Path) -> None:
    """Remove the temporary folders that stopped renders of ``planned[i]`` left behind."""
    for index in indices:
        for work in Path(out_dir).glob(f".{planned[index].stem}-*"):
            shutil.rmtree(work, ignore_errors=True)


def summarize(outcomes: list[Outcome], *, seconds: float) -> str:
    """The end-of-batch summary: counts, then each failure with its one-line reason and kept files."""
    counts = {status: sum(outcome.status == status for outcome in outcomes)
              for status in ("rendered", "skipped", "failed")}
    lines = [f"{counts['rendered']} rendered, {counts['skipped']} unchanged, {counts['failed']} failed "
             f"in {seconds:.1f} s"]
    for outcome in outcomes:
        if outcome.status == "failed":
            lines.append(f"  FAILED {outcome.job.params_file.name}: {outcome.reason}")
            for path in outcome.kept:
                lines.append(f"         kept {path}")
    return "\n".join(lines)


def main_batch(paths: list[str], *, out_dir: str = "reports", jobs: int | None = None, force: bool = False,
               with_code: bool = False, index: bool = True, stream: TextIO | None = None) -> int:
    """``degtools batch``: render, print progress and a summary, rebuild the index; the exit status."""
    stream = stream or sys.stdout
    start = time.perf_counter()
    files = find_params_files(paths)
    outcomes = run_batch(files, out_dir=out_dir, jobs=jobs, force=force, with_code=with_code,
                         progress=lambda line: print(line, file=stream, flush=True))
    problems = list(dict.fromkeys(o.output_error for o in outcomes if o.output_error))
    if index and not problems:
        from degtools.index import index_is_stale, write_index

        try:
            if any(o.status == "rendered" for o in outcomes) or index_is_stale(out_dir):
                print(f"wrote {write_index(out_dir)}", file=stream)
        except InputError as error:  # the folder cannot be written
            problems.append(str(error))
    print(summarize(outcomes, seconds=time.perf_counter() - start), file=stream, flush=True)
    if problems:
        print(f"degtools: error: {problems[0]}", file=sys.stderr, flush=True)
        return 2
    return 0 if all(o.ok for o in outcomes) else 1
