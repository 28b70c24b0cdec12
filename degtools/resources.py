"""How many cores and worker processes this process may use (a leaf module).

``degtools batch`` runs several reports side by side and caps each one's worker processes through
:data:`MODEL_JOBS_VARIABLE`, so that parallel reports do not fight over the same cores.
"""

from __future__ import annotations

import os

#: environment variable holding the most worker processes one report may use (set per batch worker).
MODEL_JOBS_VARIABLE = "DEGTOOLS_N_JOBS"


def available_cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def job_cap() -> int | None:
    """Most worker processes a model comparison may use: :data:`MODEL_JOBS_VARIABLE`, else None."""
    value = os.environ.get(MODEL_JOBS_VARIABLE, "")
    return int(value) if value.isdigit() and int(value) > 0 else None
