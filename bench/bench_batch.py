"""Time ``degtools batch params/ --jobs 2``: a full render, then a re-run with nothing changed.

Prints both wall-clock times (including the CLI's start-up) and the reports rendered per minute.
Reports go to bench/out/batch/ (git-ignored), which is emptied first so the first run renders all.

    .venv/bin/python bench/bench_batch.py [--jobs 2] [params/ ...]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out" / "batch"


def run(command: list[str]) -> tuple[float, int, str]:
    """Run ``command``; return its wall-clock seconds, exit status and output."""
    start = time.perf_counter()
    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    return time.perf_counter() - start, finished.returncode, finished.stdout + finished.stderr


def main() -> int:
    """Run the batch twice and print the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=["params"])
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    shutil.rmtree(OUT, ignore_errors=True)
    command = [sys.executable, "-m", "degtools.cli", "batch", *args.paths, "--jobs", str(args.jobs),
               "--out", str(OUT)]
    full, status, output = run(command)
    print(output, end="")
    rendered = sum(1 for path in OUT.glob("*.json"))
    results = [json.loads(path.read_text()) for path in OUT.glob("*.json")]
    seconds = [result["timings"]["total"] for result in results]
    reused = {step: sum(step in result.get("reused", []) for result in results) for step in ("models", "gene sets")}
    again, status_again, output_again = run(command)
    print(output_again, end="")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end "
          "(shared with other jobs: figures are inflated)")
    print(f"full batch, --jobs {args.jobs}: {full:.1f} s for {rendered} reports "
          f"({60 * rendered / full:.1f} reports/min; exit {status}); "
          f"notebook time per report {min(seconds, default=0):.1f}-{max(seconds, default=0):.1f} s")
    print(f"shared within the batch: the model comparison in {reused['models']} report(s), the gene sets in "
          f"{reused['gene sets']}")
    print(f"re-run, nothing changed: {again:.2f} s (exit {status_again})")
    return status or status_again


if __name__ == "__main__":
    sys.exit(main())
