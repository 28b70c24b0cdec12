"""Worker processes of a batch: claims, stale work folders, orphaned private folders, time limits."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

from degtools import processes


def _dead_pid() -> int:
    """The pid of a process that has ended."""
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True)
    return int(finished.stdout)


def test_stale_work_folders_go_only_when_their_owner_is_gone(tmp_path: Path):
    claims = tmp_path / ".degtools-batch" / "running"
    old = tmp_path / ".x_logFC-abcdefgh"
    old.mkdir()  # made before the claim below: not its owner's
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    mine = processes.claim(claims, "x_logFC")  # this process: alive
    (tmp_path / ".x_logFC-12345678").mkdir()
    dead = _dead_pid()
    record = {"pid": dead, "start": "", "stem": "y_B", "since": time.time()}
    (claims / f"{dead}.json").write_text(json.dumps(record))
    (tmp_path / ".y_B-a1b2c3d4").mkdir()
    (tmp_path / ".y_B-not-mkdtemp").mkdir()  # not a work folder's name
    reused = {"pid": os.getpid(), "start": "1", "stem": "z_t", "since": time.time()}  # a reused pid
    (claims / "reused.json").write_text(json.dumps(reused))
    (tmp_path / ".z_t-zzzzzzzz").mkdir()
    removed = processes.remove_stale_work(tmp_path, claims)
    assert sorted(p.name for p in removed) == [".y_B-a1b2c3d4", ".z_t-zzzzzzzz"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".degtools-batch", ".x_logFC-12345678",
                                                          ".x_logFC-abcdefgh", ".y_B-not-mkdtemp"]
    assert sorted(p.name for p in claims.iterdir()) == [mine.name]


def test_private_folders_are_0700_and_removed_when_orphaned(tmp_path: Path):
    mine = processes.private_folder(tmp_path, "shared-results")
    assert stat.S_IMODE(mine.stat().st_mode) == 0o700
    assert mine.name.startswith(f"shared-results-{os.getpid()}-")
    orphan = tmp_path / f"shared-results-{_dead_pid()}--abcdefgh"
    orphan.mkdir()
    other = tmp_path / "shared-results-unrelated"
    other.mkdir()
    assert processes.remove_orphaned_folders(tmp_path, "shared-results") == [orphan]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([mine.name, other.name])


def test_time_limit_stops_the_children_only(tmp_path: Path):
    # In a process of its own: time_limit kills every child of the process that runs it (in a batch worker:
    # the report's kernel), which here would include pytest's other helpers.
    script = tmp_path / "limit.py"
    script.write_text(
        "import os, subprocess, sys\n"
        "from degtools import processes\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "with processes.time_limit(0.5) as time_up:\n"
        "    child.wait(timeout=30)\n"
        "assert time_up.is_set() and child.returncode == -9, child.returncode\n"
        "with processes.time_limit(None) as time_up:\n"
        "    pass\n"
        "assert not time_up.is_set()\n"
        "assert processes.is_alive(os.getpid())\n"
        "print('ok')\n",
        encoding="utf-8",
    )
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr[-2000:]
    assert not processes.is_alive(_dead_pid())
