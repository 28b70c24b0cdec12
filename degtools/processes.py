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
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
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

    Only folders made after the claim (by its owner) are removed; returns what was removed.
    """
    removed = []
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
