"""Search a model's settings on the training part only, before it is cross-validated and tested."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from sklearn.experimental import enable_halving_search_cv  # noqa: F401  (registers HalvingRandomSearchCV)
from sklearn.model_selection import GroupKFold, HalvingRandomSearchCV, KFold, RandomizedSearchCV
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import Pipeline

from degtools.errors import ParamsError
from degtools.models import build_pipeline, search_space
from degtools.prepare import Design

#: tuning levels: how many settings to try, on at most how many training rows, with how many inner folds,
#: and whether successive halving (instead of scoring every setting on all rows) picks among them.
TUNING = {
    "none": None,
    "fast": {"candidates": 5, "max_rows": 2000, "folds": 3, "halving": False},
    "thorough": {"candidates": 40, "max_rows": 12000, "folds": 4, "halving": True},
}
#: successive halving keeps a third of the settings per round and gives the survivors three times the rows.
HALVING_FACTOR = 3
#: rows of the first halving round (fewer on small tables: a 1/HALVING_FACTOR share of the tuning rows).
HALVING_FIRST_ROWS = 500


def _subsample(design: Design, max_rows: int, seed: int):
    """The training part, or a seeded random ``max_rows`` of its rows (in table order) when larger."""
    X, y, groups = design.X_train, design.y_train, design.groups_train
    if len(X) > max_rows:
        rows = np.sort(np.random.default_rng(seed).choice(len(X), size=max_rows, replace=False))
        X, y = X.iloc[rows], y.iloc[rows]
        groups = groups.iloc[rows] if groups is not None else None
    return X, y, groups


def tune_pipeline(
    name: str, design: Design, *, tuning: str, seed: int, n_jobs: int = 1
) -> tuple[Pipeline, dict[str, Any], float]:
    """The registry's pipeline for ``name``, with settings searched on the training part only.

    ``tuning`` names a level of :data:`TUNING`: ``fast`` scores a few random settings by inner CV
    on a subsample of the training rows; ``thorough`` runs successive halving over more settings
    on a larger subsample. Returns the pipeline set to the chosen settings (unfitted), the
    settings, and the seconds spent.
    """
    if tuning not in TUNING:
        raise ParamsError(f"tuning must be one of {', '.join(TUNING)}; got {tuning!r}.")
    pipeline = build_pipeline(name, seed=seed)
    space = search_space(name)
    level = TUNING[tuning]
    if level is None or not space:
        return pipeline, {}, 0.0
    start = time.perf_counter()
    X, y, groups = _subsample(design, level["max_rows"], seed)
    folds = (
        GroupKFold(n_splits=level["folds"], shuffle=True, random_state=seed)
        if groups is not None
        else KFold(n_splits=level["folds"], shuffle=True, random_state=seed)
    )
    if level["halving"]:
        search = HalvingRandomSearchCV(
            pipeline,
            space,
            n_candidates=level["candidates"],
            factor=HALVING_FACTOR,
            cv=folds,
            scoring="r2",
            min_resources=min(HALVING_FIRST_ROWS, len(X) // HALVING_FACTOR),
            random_state=seed,
            n_jobs=n_jobs,
            refit=False,
            error_score=np.nan,
        )
    else:
        search = RandomizedSearchCV(
            pipeline,
            space,
            n_iter=level["candidates"],
            cv=folds,
            scoring="r2",
            random_state=seed,
            n_jobs=n_jobs,
            refit=False,
            error_score=np.nan,
        )
    search.fit(X, y, groups=groups)
    chosen = dict(search.best_params_)
    pipeline.set_params(**chosen)
    return (
        pipeline,
        {key.removeprefix("model__"): value for key, value in chosen.items()},
        time.perf_counter() - start,
    )


def cap_neighbours(pipeline: Pipeline, rows: int) -> None:
    """On tiny tables, ask a nearest-neighbour model for no more neighbours than a fold has rows."""
    model = pipeline.named_steps["model"]
    if isinstance(model, KNeighborsRegressor) and model.n_neighbors > rows:
        pipeline.set_params(model__n_neighbors=max(1, rows))
