"""Per-model fit and tuning times of degtools' comparison, against a plain scikit-learn run.

Prints, in one run on the same table and split:

1. a plain scikit-learn baseline: the six models the user named (linear regression, decision
   tree, random forest, gradient boosting, SVR, KNN) at default settings, each in an
   imputer + scaler pipeline, 5-fold CV on the training part plus one fit, serial;
2. degtools' comparison at the report's defaults (all 12 registry models, tuning ``fast``,
   ``n_jobs`` 2): tuning, CV and fit seconds per model, and the ratio of the totals;
3. the accuracy cost of the large-table strategy: SVR on every training row vs on the
   4,000-row subsample degtools uses, and KNN on every row (degtools) vs on a subsample.

Timings depend on what else runs on the machine; the load average is printed with them.
Usage: ``python bench/bench_models.py [--table PATH] [--target logFC] [--tuning fast]``.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import cross_validate
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVR
from sklearn.tree import DecisionTreeRegressor
from threadpoolctl import threadpool_limits

import degtools
from degtools.compare import compare_models
from degtools.models import SVR_MAX_ROWS, SubsampledRegressor

PLAIN_SIX = {
    "LinearRegression": LinearRegression,
    "DecisionTreeRegressor": DecisionTreeRegressor,
    "RandomForestRegressor": RandomForestRegressor,
    "GradientBoostingRegressor": GradientBoostingRegressor,
    "SVR": SVR,
    "KNeighborsRegressor": KNeighborsRegressor,
}


def _cv(estimator, design, splits) -> tuple[float, float]:
    """Mean CV R² and seconds (CV plus one final fit) of ``estimator`` in an imputer + scaler pipeline."""
    pipeline = make_pipeline(SimpleImputer(strategy="median"), StandardScaler(), estimator)
    start = time.perf_counter()
    scores = cross_validate(pipeline, design.X_train, design.y_train, cv=splits, scoring="r2")
    pipeline.fit(design.X_train, design.y_train)
    return float(np.mean(scores["test_score"])), time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", default="", help="DE table (default: the bundled demo, GSE15852)")
    parser.add_argument("--target", default="logFC")
    parser.add_argument("--tuning", default="fast", choices=("none", "fast", "thorough"))
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args()

    table = degtools.read_de_table(args.table)
    design = degtools.prepare_design(table, target=args.target, seed=42)
    splits = list(design.cv_splitter(5, 42).split(design.X_train, design.y_train, design.groups_train))
    print(
        f"table {table.path.name}: {len(design.X_train):,} training rows, features "
        f"{', '.join(design.feature_labels.values())}; load average before: "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores"
    )
    print("NOTE: the machine is shared with other jobs; absolute seconds are inflated, ratios less so.\n")

    print("1. plain scikit-learn, six models at default settings, 5-fold CV + one fit, serial")
    plain_total = 0.0
    with threadpool_limits(limits=1):
        for name, factory in PLAIN_SIX.items():
            options = {"random_state": 42} if "random_state" in factory().get_params() else {}
            r2, seconds = _cv(factory(**options), design, splits)
            plain_total += seconds
            print(f"   {name:32s} CV R² {r2:7.3f}   {seconds:7.2f} s")
    print(f"   {'total':32s}              {plain_total:7.2f} s\n")

    print(f"2. degtools: all 12 models, tuning {args.tuning!r}, n_jobs {args.n_jobs}")
    start = time.perf_counter()
    comparison = compare_models(design, tuning=args.tuning, seed=42, n_jobs=args.n_jobs)
    degtools_total = time.perf_counter() - start
    print(f"   {'model':32s} {'CV R²':>7s} {'tuning s':>9s} {'CV s':>7s} {'fit s':>7s}")
    for result in comparison.results:
        print(
            f"   {result.name:32s} {np.mean(result.cv_scores['r2']):7.3f} {result.tuning_seconds:9.2f} "
            f"{result.cv_seconds:7.2f} {result.fit_seconds:7.2f}"
        )
    print(
        f"   wall-clock total {degtools_total:.2f} s; "
        f"ratio to the plain run: {degtools_total / plain_total:.2f}x\n"
    )

    print(f"3. large-table strategy (training rows: {len(design.X_train):,})")
    with threadpool_limits(limits=1):
        full_svr = _cv(SVR(), design, splits)
        sub_svr = _cv(SubsampledRegressor(SVR(), max_rows=SVR_MAX_ROWS, random_state=42), design, splits)
        full_knn = _cv(KNeighborsRegressor(n_neighbors=15), design, splits)
        sub_knn = _cv(
            SubsampledRegressor(KNeighborsRegressor(n_neighbors=15), max_rows=SVR_MAX_ROWS, random_state=42),
            design,
            splits,
        )
    for label, (r2, seconds) in (
        ("SVR, every row", full_svr),
        (f"SVR, {SVR_MAX_ROWS:,}-row subsample (degtools)", sub_svr),
        ("KNN, every row (degtools)", full_knn),
        (f"KNN, {SVR_MAX_ROWS:,}-row subsample", sub_knn),
    ):
        print(f"   {label:40s} CV R² {r2:7.4f}   {seconds:7.2f} s")
    print(
        f"   accuracy cost of the SVR subsample: {full_svr[0] - sub_svr[0]:+.4f} R² "
        f"for {full_svr[1] / max(sub_svr[1], 1e-9):.1f}x less time"
    )
    print(
        f"   a KNN subsample would cost {full_knn[0] - sub_knn[0]:+.4f} R² and save "
        f"{full_knn[1] - sub_knn[1]:.2f} s, so degtools keeps every row for KNN"
    )
    print(f"\nload average after: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
