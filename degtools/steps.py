"""What a report did: the seconds of each analysis step and the steps a batch reused.

The notebook calls plain analysis functions (:mod:`degtools.api`); each is wrapped with
:func:`step`, which times the call into this process's :data:`RECORD` and, for a shared
step, loads the result from the batch's shared results (:func:`degtools.cache.shared_call`)
when an identical call ran before. A papermill kernel renders one report, so one record per
process is one record per report; the results JSON reads it (``timings``, ``reused``).
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Iterable
from typing import Any

from degtools.cache import shared_call


class StepRecord:
    """Seconds spent per step, and the steps loaded from an identical computation earlier in the batch."""

    def __init__(self) -> None:
        #: when the first step started (``total`` counts from here); None before any step
        self.started: float | None = None
        self.seconds: dict[str, float] = {}
        self.reused: list[str] = []

    def add(self, name: str, seconds: float) -> None:
        """Add ``seconds`` to step ``name``."""
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds

    def note_reused(self, name: str, reused: bool) -> None:
        """Record that step ``name`` was reused (when ``reused``)."""
        if reused and name not in self.reused:
            self.reused.append(name)

    def was_reused(self, name: str) -> bool:
        """Whether step ``name`` was loaded from the batch's shared results."""
        return name in self.reused

    def timings(self) -> dict[str, float]:
        """Per-step seconds plus ``total`` since the first step started."""
        total = 0.0 if self.started is None else time.perf_counter() - self.started
        return {**{name: round(seconds, 3) for name, seconds in self.seconds.items()}, "total": round(total, 3)}


#: the record of this process (one report per notebook kernel).
RECORD = StepRecord()

#: environment variable naming a file where each finished step call appends ``name<TAB>seconds``: how
#: ``degtools report`` (:mod:`degtools.render`) learns, cell by cell, which steps its kernel ran.
PROGRESS_VARIABLE = "DEGTOOLS_STEP_LOG"


def _announce(name: str, seconds: float) -> None:
    """Append one finished step call to the file named by :data:`PROGRESS_VARIABLE` (if any)."""
    path = os.environ.get(PROGRESS_VARIABLE)
    if not path:
        return
    try:
        with open(path, "a", encoding="utf-8") as log:
            log.write(f"{name}\t{seconds:.6f}\n")
    except OSError:
        pass  # progress lines are a courtesy: never fail a report for them


def read_announced(path: str | os.PathLike, *, offset: int = 0) -> tuple[list[tuple[str, float]], int]:
    """The step calls appended to ``path`` from byte ``offset`` on, and the offset after them."""
    try:
        with open(path, "rb") as log:
            log.seek(offset)
            chunk = log.read()
    except OSError:
        return [], offset
    complete = chunk[: chunk.rfind(b"\n") + 1]
    calls = []
    for line in complete.decode("utf-8").splitlines():
        name, _, seconds = line.rpartition("\t")
        if name:
            calls.append((name, float(seconds)))
    return calls, offset + len(complete)


def step(name: str, *, shared: bool = False, ignore: Iterable[str] = ()) -> Callable[[Callable], Callable]:
    """Decorator: time every call of a function as step ``name`` of :data:`RECORD`.

    With ``shared``, the call goes through :func:`~degtools.cache.shared_call`, so a batch loads
    the result of an identical earlier call (``ignore`` names keyword arguments that cannot change
    the result, e.g. a thread count) and the step is recorded as reused. The wrapped function
    returns exactly what the function returns.
    """
    ignored = list(ignore)

    def decorate(function: Callable) -> Callable:
        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            if RECORD.started is None:
                RECORD.started = start
            try:
                if not shared:
                    return function(*args, **kwargs)
                result, reused = shared_call(function, *args, ignore=ignored, **kwargs)
                RECORD.note_reused(name, reused)
                return result
            finally:
                seconds = time.perf_counter() - start
                RECORD.add(name, seconds)
                _announce(name, seconds)

        timed.step_name = name
        return timed

    return decorate
