"""Peak memory of a whole `degtools report` process tree on a large table, against plain pandas.

Run: .venv/bin/python bench/bench_memory.py [ROWS] [--max-rows N]   (target, issue 13: 1,000,000 rows,
default report: the whole process tree -- the command, the notebook kernel and its model workers --
stays at or under 2 GB at every moment)

Builds the GEO2R-like table of bench/bench_inspect.py (tab-separated, symbols and titles, ROWS rows) in
a temporary folder, then measures two commands, each started fresh:

- the baseline: a plain Python process that reads the table with ``pandas.read_csv``;
- ``degtools report`` on it (target logFC, default settings; ``--max-rows`` passes ``-p max_rows N``).

While a command runs, the resident memory of its process and of every descendant is summed every
0.2 s (psutil); the largest sum is the tree's peak. Resident pages a process shares with another are
counted twice, so the figure errs high. Prints wall time, the peak and the ratio to the baseline's
peak; asserts nothing.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_inspect import build_tables  # noqa: E402

#: the issue's budget for the whole process tree of a 1,000,000-row report.
BUDGET_MB = 2048
#: seconds between two samples of the tree's memory.
INTERVAL = 0.2


def tree_rss_mb(root: psutil.Process) -> float:
    """Resident memory (MB) of ``root`` and all its descendants now (processes that just ended count 0)."""
    total = 0
    for process in [root, *root.children(recursive=True)]:
        try:
            total += process.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total / 2**20


def measure(command: list[str]) -> tuple[float, float, int]:
    """Wall seconds, peak resident MB of the whole process tree, and the exit status of ``command``."""
    start = time.perf_counter()
    with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as child:
        root = psutil.Process(child.pid)
        peak = 0.0
        while child.poll() is None:
            peak = max(peak, tree_rss_mb(root))
            time.sleep(INTERVAL)
        error = child.stderr.read()
    if child.returncode != 0:
        print(f"{command[0]} ended with status {child.returncode}: {error.strip()[-1500:]}", file=sys.stderr)
    return time.perf_counter() - start, peak, child.returncode


def main() -> None:
    """Build the table, measure the baseline and the report, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--max-rows", type=int, default=0, help="pass -p max_rows N to the report")
    options = parser.parse_args()
    degtools = str(Path(sys.executable).parent / "degtools")
    with tempfile.TemporaryDirectory() as folder:
        table = build_tables(Path(folder), options.rows)[1]
        plain_s, plain_mb, _ = measure([sys.executable, "-c", f"import pandas; pandas.read_csv({str(table)!r}, sep='\\t')"])
        command = [degtools, "report", "--input", str(table), "--target", "logFC", "--out", str(Path(folder) / "out")]
        if options.max_rows:
            command += ["-p", "max_rows", str(options.max_rows)]
        report_s, report_mb, status = measure(command)
    print(f"{options.rows:,} rows, GEO2R-like table")
    print(f"plain pandas.read_csv:  {plain_s:7.1f} s, peak {plain_mb:7.0f} MB")
    print(f"degtools report{' (max_rows ' + str(options.max_rows) + ')' if options.max_rows else ''}: "
          f"{report_s:7.1f} s, peak of the whole process tree {report_mb:7.0f} MB "
          f"({report_mb / plain_mb:.1f}x the plain read; status {status})")
    print(f"target: at most {BUDGET_MB} MB -> {'OK' if report_mb <= BUDGET_MB and status == 0 else 'MISSED'}")


if __name__ == "__main__":
    main()
