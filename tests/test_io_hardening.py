"""Hostile or unusual input to the reader: non-regular files, extreme values, stray bytes, odd workbooks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from degtools.errors import InputError
from degtools.io import read_de_table
from degtools.planning import plan_jobs

CORPUS = Path(__file__).resolve().parent / "data"
ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------------------------
# 1. A FIFO (or any non-regular file) is refused before it is opened
# --------------------------------------------------------------------------------------------


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes on this platform")
    path = tmp_path / "table.csv"
    os.mkfifo(path)
    return path


def test_inspect_refuses_a_fifo_without_hanging(fifo):
    # Without the check, reading a FIFO nobody writes to blocks forever: the timeout turns that into a failure.
    done = subprocess.run([sys.executable, "-m", "degtools.cli", "inspect", str(fifo)], capture_output=True, text=True,
                          timeout=60, check=False, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert "is a named pipe (FIFO), not a regular file" in lines[0] and str(fifo) in lines[0]


def test_batch_planning_flags_a_fifo_input(fifo, tmp_path):
    params = tmp_path / "pipe.yaml"
    params.write_text(f"input_table: {fifo}\ntarget: logFC\n", encoding="utf-8")
    (job,) = plan_jobs([params])
    assert job.problem is not None and "named pipe (FIFO)" in job.problem
