"""Share identical computations between the reports of one batch.

Several reports of a batch often read the same table: one per target, whose gene-set analysis is
the same whatever the target (it ranks genes by the table's own statistic), or one per reference
table or gene-set file, whose model comparison is the same. ``degtools batch`` points :data:`CACHE_VARIABLE` at a folder for its workers; a report
that finds an identical earlier call there loads its result instead of computing it again.

A result is reused only when every argument is identical by content (joblib hashes them), and
degtools' code and data and the numerical packages' versions are those that computed it. The
reused result is therefore the one the call would return; the report says that it was reused.
Without the variable (a single ``degtools report``, papermill by hand) nothing is cached.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from degtools.provenance import code_digest

#: environment variable naming the folder of the batch's shared results (set by ``degtools batch``).
CACHE_VARIABLE = "DEGTOOLS_CACHE"

Result = TypeVar("Result")


def shared_call(
    function: Callable[..., Result], *args: Any, ignore: Iterable[str] = (), **kwargs: Any
) -> tuple[Result, bool]:
    """``function(*args, **kwargs)``, loaded from the batch's shared results when it ran before.

    ``ignore`` names keyword arguments that cannot change the result (e.g. a thread count).
    Returns the result and whether it was reused. Without :data:`CACHE_VARIABLE` in the
    environment the function simply runs.
    """
    location = os.environ.get(CACHE_VARIABLE)
    if not location:
        return function(*args, **kwargs), False
    from joblib import Memory

    memory = Memory(Path(location) / code_digest()[:16], verbose=0)
    memorized = memory.cache(function, ignore=list(ignore))
    reused = bool(memorized.check_call_in_cache(*args, **kwargs))
    with warnings.catch_warnings():
        # joblib's advice about slow argument summaries would land in the report as stderr
        warnings.filterwarnings("ignore", message="Persisting input arguments", category=UserWarning)
        return memorized(*args, **kwargs), reused
