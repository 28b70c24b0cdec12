"""Benchmark: the default report against a plain scikit-learn run of the user's six models.

Prints wall time and peak memory of (a) `degtools report` on the bundled demo table and (b) a plain
script that reads the same table with pandas and runs the six models (linear, decision tree,
random forest, gradient boosting, SVR, KNN) at default settings with 5-fold CV and one test, so the
pipeline's overhead is a ratio measured in one run. Also prints per-model fit/CV seconds from the
report's JSON. Target: the report renders in under 90 s on 2 cores, and no model takes more than
half of it. (c) the same report without the evidence layer (`gene_features: none`), in
the same run: the evidence layer may add at most 30% (each report runs five times, in back-to-back
pairs whose order alternates; the figure is the median of the pairs' ratios). Then the HTML itself: its
size (budget 2.5 MB) and how long headless Chromium
takes to open it until its interactive gene table is drawn (budget 1 s; Playwright driving Debian's
chromium, "n/a" without it).

Usage: .venv/bin/python bench/bench_report.py
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: budgets of the default report: bytes of HTML, seconds to open it.
SIZE_BUDGET, LOAD_BUDGET = 2_500_000, 1.0
#: runs of each report (with and without the evidence layer); the median is printed.
RUNS = 5

PLAIN = r"""
import sys, pandas as pd
from sklearn.model_selection import train_test_split, cross_validate, KFold
from sklearn.linear_model import LinearRegression
from sklearn.tree import DecisionTreeRegressor
from sklearn.ensemble import RandomForestRegressor, GradientBoostingRegressor
from sklearn.svm import SVR
from sklearn.neighbors import KNeighborsRegressor
from sklearn.metrics import r2_score
table = pd.read_csv(sys.argv[1], sep="\t")
X = table[["adj.P.Val", "P.Value", "t", "B"]]
y = table["logFC"]
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
for model in (LinearRegression(), DecisionTreeRegressor(), RandomForestRegressor(), GradientBoostingRegressor(),
              SVR(), KNeighborsRegressor()):
    cross_validate(model, X_train, y_train, cv=KFold(5, shuffle=True, random_state=42))
    print(type(model).__name__, round(r2_score(y_test, model.fit(X_train, y_train).predict(X_test)), 3))
"""


# A fresh wrapper process per command, so each peak RSS covers only that command's process tree.
WRAPPER = (
    "import resource, subprocess, sys; run = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
    "sys.stdout.write(run.stdout); sys.stderr.write(run.stderr); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(run.returncode)"
)


def _run(command: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MB) of the largest process of the command's tree, and its stdout."""
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-c", WRAPPER, *command], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if run.returncode != 0:
        raise SystemExit(f"{command[0]} failed:\n{run.stderr[-2000:]}")
    peak_kb = int(run.stderr.strip().splitlines()[-1])
    return seconds, peak_kb / 1024, run.stdout


def load_seconds(html: Path, *, runs: int = 5) -> tuple[float, float] | None:
    """Median seconds until the page's load event, and until its gene table is drawn (None: no chromium).

    The browser starts once and each run opens the page in a fresh context, with every non-file request
    blocked, so the figures are the page's own cost, not the browser's start-up or the network's.
    """
    chromium = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if chromium is None:
        return None
    from playwright.sync_api import sync_playwright

    loads, tables = [], []
    local = ("file:", "data:", "blob:")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                             args=["--no-sandbox", "--disable-gpu"])
        for _ in range(runs):
            context = browser.new_context(viewport={"width": 1200, "height": 900})
            context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(local)
                          else route.abort())
            page = context.new_page()
            start = time.perf_counter()
            page.goto(html.as_uri(), wait_until="load")
            loads.append(time.perf_counter() - start)
            page.wait_for_selector(".degtools-gene-table table.dataTable tbody tr", timeout=30_000)
            tables.append(time.perf_counter() - start)
            context.close()
        browser.close()
    return sorted(loads)[runs // 2], sorted(tables)[runs // 2]


def main() -> None:
    """Run both and print the figures."""
    demo = ROOT / "degtools" / "data" / "GSE15852.top.table.tsv"
    degtools = Path(sys.executable).parent / "degtools"
    with tempfile.TemporaryDirectory() as out:
        plain_s, plain_mb, plain_out = _run([sys.executable, "-c", PLAIN, str(demo)])
        # The two reports alternate, RUNS times each: each time is a median, and what the evidence layer adds
        # is the median of the RUNS ratios of back-to-back runs (a shared machine's speed drifts by tens of
        # percent over minutes; a pair run back to back sees about the same machine).
        with_runs, bare_runs = [], []
        bare = Path(out) / "without_evidence"
        for pair in range(RUNS):
            with_layer = [str(degtools), "report", "--target", "logFC", "--out", out]
            without = [str(degtools), "report", "--target", "logFC", "--out", str(bare), "-p", "gene_features", "none"]
            if pair % 2:  # which of the two runs first alternates too
                bare_runs.append(_run(without))
                with_runs.append(_run(with_layer))
            else:
                with_runs.append(_run(with_layer))
                bare_runs.append(_run(without))
        report_s, report_mb, _ = sorted(with_runs)[RUNS // 2]
        bare_s, bare_mb, _ = sorted(bare_runs)[RUNS // 2]
        results = json.loads((Path(out) / "GSE15852_logFC.json").read_text())
        bare_results = json.loads((bare / "GSE15852_logFC.json").read_text())
        html = Path(out) / "GSE15852_logFC.html"
        size = html.stat().st_size
        load = load_seconds(html)
    print(f"plain scikit-learn, six models, defaults, 5-fold CV + test: {plain_s:6.1f} s, peak {plain_mb:6.0f} MB")
    print(plain_out.strip())
    print(f"degtools report (papermill + nbconvert, demo table):      {report_s:6.1f} s, peak {report_mb:6.0f} MB"
          f"   (median of {RUNS}: {', '.join(f'{run[0]:.1f}' for run in with_runs)} s)")
    print(f"degtools report without the evidence layer (gene_features none):              "
          f"{bare_s:6.1f} s, peak {bare_mb:6.0f} MB   (median of {RUNS}: "
          f"{', '.join(f'{run[0]:.1f}' for run in bare_runs)} s)")
    print(f"ratio report / plain: {report_s / plain_s:.2f}x   target: report < 90 s -> "
          f"{'OK' if report_s < 90 else 'MISSED'}")
    ratios = sorted(with_run[0] / bare_run[0] for with_run, bare_run in zip(with_runs, bare_runs, strict=True))
    added = ratios[RUNS // 2] - 1
    print(f"with / without the evidence layer, run by run: {', '.join(f'{ratio:.2f}' for ratio in ratios)}")
    print(f"evidence layer adds {100 * added:+.0f}% to the report (median of the pairs; medians of the times differ by "
          f"{report_s - bare_s:+.1f} s)   target: at most "
          f"+30% -> {'OK' if added <= 0.30 else 'MISSED'}")
    sources = {source["name"]: len(source["columns"]) for source in results.get("evidence", {}).get("sources", [])}
    print(f"evidence sources (columns): {sources}; independent leaderboard features: "
          f"{len((results['leaderboards'].get('independent') or [{}])[0].get('features', []))}")
    print(f"notebook steps without the evidence layer: {bare_results['timings']}")
    print("\nper model (from the report JSON):")
    total = results["timings"]["total"]
    for entry in results["models"]:
        spent = entry["fit_seconds"] + entry.get("cv_seconds", 0.0)
        print(f"  {entry['name']:<28} fit {entry['fit_seconds']:7.2f} s   CV {entry.get('cv_seconds', 0):7.2f} s"
              f"   {100 * spent / report_s:5.1f}% of the report")
    print(f"notebook steps: {results['timings']}  (notebook total {total:.1f} s)")
    print(f"\nreport HTML: {size / 1e6:.2f} MB (budget {SIZE_BUDGET / 1e6:.1f} MB -> "
          f"{'OK' if size <= SIZE_BUDGET else 'MISSED'})")
    if load is None:
        print("load time in headless Chromium: n/a (no chromium; apt-get install chromium)")
    else:
        print(f"load time in headless Chromium (median of 5): page loaded {load[0]:.2f} s, gene table drawn "
              f"{load[1]:.2f} s (budget {LOAD_BUDGET:.0f} s -> {'OK' if load[1] <= LOAD_BUDGET else 'MISSED'}; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")

if __name__ == "__main__":
    main()
