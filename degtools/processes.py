"""The batch's worker processes: they die with the batch, keep to a time limit and leave no stale folders.

A leaf module (it imports nothing from degtools). Linux gives the strongest guarantees: a worker
asks the kernel (``prctl(PR_SET_PDEATHSIG)``) to be killed when the batch dies, even by
``kill -9``, and a notebook kernel started by a worker exits on its own within a second when its
parent is gone (ipykernel polls its parent). Elsewhere the batch still stops its workers on
Ctrl-C and SIGTERM.

A worker *claims* each report it renders with a small file ``<pid>.json`` in the batch's claims
folder, naming itself (pid and start time, so that a reused pid is not mistaken for it), the
report and the time it started. The batch reads claims to enforce its time limit and to say what
it stopped; the next run removes the work folders of claims whose owner is gone, and the private
folders (shared results) whose owner, named in the folder's name, is gone.

A single report (:func:`run_guard`) marks the processes it starts (the notebook kernel, and through
it joblib's loky workers and resource trackers) with :data:`RUN_VARIABLE` in their environment, and
starts a small guard process (this file run as a script) that waits for the report to end or die;
then it kills every process still carrying the run's mark. ``kill -9`` of ``degtools report``
otherwise leaves the workers and trackers running: ipykernel ends the kernel itself within a second
(it polls its parent), but not the kernel's children. The killed report's work folder, named after
its owner, is removed by the next report in that folder (:func:`remove_orphaned_work`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

#: ``prctl`` option that sends a signal to this process when its parent dies (linux/prctl.h).
PR_SET_PDEATHSIG = 1

#: set in a worker while the report it renders has run out of time (its kernel was killed).
TIME_UP = threading.Event()

#: the random part of a work folder made by ``tempfile.mkdtemp``.
_MKDTEMP_SUFFIX = r"[a-z0-9_]{8}"

#: environment variable that marks every process started for one report (see :func:`run_guard`).
RUN_VARIABLE = "DEGTOOLS_REPORT_RUN"

#: how long a report waits for its guard to sweep after a normal end (it takes milliseconds).
GUARD_WAIT_SECONDS = 10


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


@contextmanager
def sigterm_as_interrupt():
    """Treat SIGTERM (a scheduler's or a user's kill) as Ctrl-C inside the block, so that cleanup runs.

    Python's default SIGTERM ends the process at once, without ``finally`` blocks: a report's work
    folder and kernel would outlive it. Only the main thread can set a handler; elsewhere nothing changes.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def process_start(pid: int) -> str:
    """When process ``pid`` started (clock ticks since boot, from /proc); "" if unknown or gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[19]  # field 22, counted after the command name


def is_alive(pid: int, start: str = "") -> bool:
    """True if process ``pid`` exists (and, when ``start`` is given and /proc can tell, started then)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    now = process_start(pid)
    return not (start and now and now != start)


def child_pids(pid: int) -> list[int]:
    """The direct children of process ``pid`` (Linux /proc; empty elsewhere)."""
    children = []
    for entry in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError, IndexError, ValueError):
            if int(entry.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(entry.parent.name))
    return children


def kill_tree(pid: int, *, include_self: bool = True) -> None:
    """SIGKILL ``pid``'s children with their process groups (a kernel and its helpers), then ``pid``."""
    for child in child_pids(pid):
        with suppress(OSError):
            if os.getpgid(child) == child:  # a kernel leads its own session: take its helpers too
                os.killpg(child, signal.SIGKILL)
            else:
                os.kill(child, signal.SIGKILL)
    if include_self:
        with suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def die_with_parent(parent: int) -> None:
    """Make this process (a worker) die when process ``parent`` (the batch) dies, and leave its Ctrl-C to it.

    On Linux the kernel sends SIGKILL on the parent's death; if the parent died before this was
    set up, exit now. The worker also gets its own process group, so a Ctrl-C at the terminal
    reaches the batch only, which then stops its workers in order.
    """
    with suppress(OSError):
        os.setpgid(0, 0)
    if sys.platform.startswith("linux"):
        import ctypes

        with suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


@dataclass
class Claim:
    """A worker's claim on the report it renders."""

    pid: int
    start: str
    stem: str
    since: float
    path: Path

    def owner_alive(self) -> bool:
        """True while the worker that wrote the claim runs."""
        return is_alive(self.pid, self.start)


def claim(folder: Path, stem: str) -> Path:
    """Record that this process renders report ``stem`` from now on; returns the claim's file."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    pid = os.getpid()
    path = folder / f"{pid}.json"
    record = {"pid": pid, "start": process_start(pid), "stem": stem, "since": time.time()}
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(record), encoding="utf-8")
    os.replace(temporary, path)
    return path


def read_claims(folder: Path) -> list[Claim]:
    """Every readable claim in ``folder``."""
    claims = []
    for path in sorted(Path(folder).glob("*.json")):
        with suppress(OSError, ValueError, KeyError, TypeError):
            record = json.loads(path.read_text(encoding="utf-8"))
            claims.append(Claim(int(record["pid"]), str(record["start"]), str(record["stem"]),
                                float(record["since"]), path))
    return claims


def remove_stale_work(out_dir: Path, claims_folder: Path) -> list[Path]:
    """Remove the work folders (``.<stem>-XXXXXXXX``) of claims whose owner is gone, and those claims.

    Only folders made after the claim (by its owner) are removed; so are the work folders named after
    an owner that is gone (:func:`remove_orphaned_work`). Returns what was removed.
    """
    removed = remove_orphaned_work(out_dir)
    for stale in read_claims(claims_folder):
        if stale.owner_alive():
            continue
        pattern = re.compile(rf"\.{re.escape(stale.stem)}-{_MKDTEMP_SUFFIX}")
        for work in Path(out_dir).glob(f".{stale.stem}-*"):
            with suppress(OSError):
                if pattern.fullmatch(work.name) and work.is_dir() and work.stat().st_mtime >= stale.since - 1:
                    shutil.rmtree(work)
                    removed.append(work)
        stale.path.unlink(missing_ok=True)
    return removed


def private_folder(parent: Path, prefix: str) -> Path:
    """A new folder ``<prefix>-<pid>-<start>-XXXXXXXX`` in ``parent`` (mode 0700) owned by this process.

    Its name says who made it, so that :func:`remove_orphaned_folders` can tell when it is stale.
    """
    pid = os.getpid()
    return Path(tempfile.mkdtemp(prefix=f"{prefix}-{pid}-{process_start(pid)}-", dir=parent)).resolve()


def remove_orphaned_folders(parent: Path, prefix: str) -> list[Path]:
    """Remove the :func:`private_folder` folders in ``parent`` whose owner is gone; returns them."""
    pattern = re.compile(rf"{re.escape(prefix)}-(\d+)-(\d*)-{_MKDTEMP_SUFFIX}")
    removed = []
    for folder in Path(parent).glob(f"{prefix}-*"):
        found = pattern.fullmatch(folder.name)
        if found and folder.is_dir() and not is_alive(int(found[1]), found[2]):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


@contextmanager
def time_limit(seconds: float | None):
    """Within the block, kill this process's children (the report's kernel) after ``seconds``.

    :data:`TIME_UP` tells whether that happened; the code that waits for the kernel then fails
    and the caller reports the time-out. ``None`` or 0: no limit.
    """
    TIME_UP.clear()
    if not seconds:
        yield TIME_UP
        return

    def expire() -> None:
        TIME_UP.set()
        kill_tree(os.getpid(), include_self=False)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    try:
        yield TIME_UP
    finally:
        timer.cancel()


def remove_orphaned_work(out_dir: Path) -> list[Path]:
    """Remove the work folders ``.<stem>-<pid>-<start>-XXXXXXXX`` in ``out_dir`` whose owner is gone.

    A report names its work folder with :func:`private_folder` (prefix ``.<stem>``), so a report killed
    before it could clean up leaves a folder the next run in the same output folder recognises.
    """
    pattern = re.compile(rf"\..+-(\d+)-(\d*)-{_MKDTEMP_SUFFIX}")
    removed = []
    for folder in Path(out_dir).glob(".*-*"):
        found = pattern.fullmatch(folder.name)
        if found and folder.is_dir() and not is_alive(int(found[1]), found[2]):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def processes_of_run(marker: str) -> list[int]:
    """The processes (of this user) whose environment carries ``RUN_VARIABLE=marker``, this one excepted."""
    needle = f"{RUN_VARIABLE}={marker}".encode()
    found = []
    for entry in Path("/proc").glob("[0-9]*/environ"):
        with suppress(OSError, ValueError):
            if needle in entry.read_bytes().split(b"\0") and int(entry.parent.name) != os.getpid():
                found.append(int(entry.parent.name))
    return found


def kill_run(marker: str, *, rounds: int = 20) -> int:
    """SIGKILL every process of run ``marker`` (again, until none is left or ``rounds`` passes); returns how many."""
    killed: set[int] = set()
    for _ in range(rounds):
        left = processes_of_run(marker)
        if not left:
            break
        for pid in left:
            with suppress(OSError):
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
        time.sleep(0.05)
    return len(killed)


_RUNS = iter(range(1, 1 << 62))


@contextmanager
def run_guard():
    """Within the block, processes started from here carry this run's mark; none outlives the run.

    A guard process (own session, so a Ctrl-C at the terminal does not stop it) holds the read end
    of a pipe whose write end only this process has. When the block ends, or this process dies in
    any way (``kill -9`` included), the pipe closes; the guard then kills the run's processes.
    Yields the run's mark.
    """
    pid = os.getpid()
    marker = f"{pid}-{process_start(pid)}-{next(_RUNS)}"
    read_end, write_end = os.pipe()
    environment = {name: value for name, value in os.environ.items() if name != RUN_VARIABLE}
    try:
        guard = subprocess.Popen([sys.executable, "-I", __file__, marker], stdin=read_end,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment,
                                 start_new_session=True)
    finally:
        os.close(read_end)
    previous = os.environ.get(RUN_VARIABLE)
    os.environ[RUN_VARIABLE] = marker
    try:
        yield marker
    finally:
        if previous is None:
            os.environ.pop(RUN_VARIABLE, None)
        else:
            os.environ[RUN_VARIABLE] = previous
        os.close(write_end)
        with suppress(subprocess.TimeoutExpired):
            guard.wait(timeout=GUARD_WAIT_SECONDS)


def _guard(marker: str) -> None:
    """The guard process: wait for the end of standard input, then sweep the run (see :func:`run_guard`)."""
    with suppress(OSError):
        while os.read(0, 4096):
            pass
    kill_run(marker)


if __name__ == "__main__":  # the guard of :func:`run_guard` (run with -I: only the standard library)
    _guard(sys.argv[1])
