"""What a batch tells its user as it runs: a line per report started and finished, then a summary.

:class:`Board` keeps the outcomes of :mod:`degtools.batch` and announces each one; a started
report's line carries the batch's expected time left (the finished reports' mean time, times the
reports left, over the workers).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from degtools.planning import Job
from degtools.worker import Outcome


def format_progress(outcome: Outcome, *, done: int, total: int) -> str:
    """One progress line: counter, status, dataset, target, seconds, and the reason of a failure."""
    job = outcome.job
    name = f"{job.dataset or job.params_file.stem} {job.target}".strip()
    line = f"[{done:>{len(str(total))}}/{total}] {outcome.status:<8} {name:<34} {outcome.seconds:6.1f} s"
    if outcome.status == "failed":
        line += f"  {outcome.reason}"
    return line


def format_start(job: Job, *, eta: float | None) -> str:
    """The line announcing that a report started, with the batch's expected time left (None: not known yet)."""
    name = f"{job.dataset or job.params_file.stem} {job.target}".strip()
    left = "ETA after the first report" if eta is None else f"about {_duration(eta)} left"
    return f"   started  {name:<34} ({left})"


def _duration(seconds: float) -> str:
    """``42 s``, ``3 min 5 s``, ``1 h 2 min``."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


@dataclass
class Board:
    """The outcomes so far, each announced with one progress line as it comes in."""

    planned: list[Job]
    progress: Callable[[str], None]
    outcomes: dict[int, Outcome] = field(default_factory=dict)
    started: set[str] = field(default_factory=set)  # stems of the reports announced as started
    rendering: int = 0  # reports to render in this run (not skipped or failed before they started)
    workers: int = 1

    def start(self, stem: str) -> None:
        """Announce that the report ``stem`` started, with the ETA of the batch."""
        if stem in self.started:
            return
        self.started.add(stem)
        job = next((job for job in self.planned if job.stem == stem), None)
        if job is not None:
            self.progress(format_start(job, eta=self.eta()))

    def eta(self) -> float | None:
        """Seconds the batch still needs: the finished reports' mean time x reports left / workers."""
        seconds = [o.seconds for o in self.outcomes.values() if o.status == "rendered" or (o.status == "failed"
                                                                                        and o.seconds > 0)]
        if not seconds:
            return None
        left = self.rendering - len(seconds)
        return sum(seconds) / len(seconds) * max(left, 0) / max(self.workers, 1)

    def finish(self, index: int, outcome: Outcome, *, quiet: bool = False) -> None:
        """Record the outcome of ``planned[index]``."""
        self.outcomes[index] = outcome
        if not quiet:
            self.progress(format_progress(outcome, done=len(self.outcomes), total=len(self.planned)))


def summarize(outcomes: list[Outcome], *, seconds: float) -> str:
    """The end-of-batch summary: counts, then each failed or stopped report with its reason and kept files."""
    counts = {status: sum(outcome.status == status for outcome in outcomes)
              for status in ("rendered", "skipped", "failed", "stopped")}
    stopped = f", {counts['stopped']} stopped" if counts["stopped"] else ""
    lines = [f"{counts['rendered']} rendered, {counts['skipped']} unchanged, {counts['failed']} failed"
             f"{stopped} in {seconds:.1f} s"]
    for outcome in outcomes:
        if outcome.status in ("failed", "stopped"):
            lines.append(f"  {outcome.status.upper()} {outcome.job.params_file.name}: {outcome.reason}")
            for path in outcome.kept:
                lines.append(f"         kept {path}")
    return "\n".join(lines)
