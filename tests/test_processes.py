"""Worker processes of a batch: claims, stale work folders, orphaned private folders, time limits."""

from __future__ import annotations

import contextlib
import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

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


# --- a single report: pid-named work folders and nothing left after kill -9 ------------------------------


def test_orphaned_report_work_folders_are_removed_by_the_next_run(tmp_path: Path):
    mine = processes.private_folder(tmp_path, ".GSE1_logFC")
    assert mine.name.startswith(f".GSE1_logFC-{os.getpid()}-")
    orphan = tmp_path / f".my-data_B-{_dead_pid()}-123-abcdefgh"
    orphan.mkdir()
    unrelated = [tmp_path / ".x_logFC-abcdefgh", tmp_path / ".degtools-batch", tmp_path / "r-1-2-abcdefgh"]
    for folder in unrelated:
        folder.mkdir()
    assert processes.remove_orphaned_work(tmp_path) == [orphan]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([mine.name] + [p.name for p in unrelated])


def _marked(mark: str) -> dict[int, str]:
    """Processes whose environment holds ``DEGTOOLS_TEST_MARK=mark``, with their command lines."""
    found = {}
    for entry in Path("/proc").glob("[0-9]*/environ"):
        try:
            if f"DEGTOOLS_TEST_MARK={mark}".encode() in entry.read_bytes().split(b"\0"):
                found[int(entry.parent.name)] = (entry.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError):
            continue
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_kill_9_of_a_report_leaves_no_process_and_the_next_run_removes_its_folder(tmp_path: Path, demo_slice: Path):
    import signal
    import uuid

    mark, out = uuid.uuid4().hex, tmp_path / "out"
    env = {**os.environ, "DEGTOOLS_TEST_MARK": mark, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    env.pop("DEGTOOLS_N_JOBS", None)  # two loky workers: what used to outlive the report
    report = subprocess.Popen(
        [sys.executable, "-m", "degtools.cli", "report", "--input", str(demo_slice), "--target", "logFC",
         "--out", str(out), "-p", "max_rows", "200"], env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 300
        while time.time() < deadline and not any("loky" in cmd for cmd in _marked(mark).values()):
            assert report.poll() is None, "the report ended before its models ran"
            time.sleep(0.5)
        running = _marked(mark)
        assert any("ipykernel" in cmd for cmd in running.values()), running
        assert any("loky" in cmd for cmd in running.values()), running
        assert [p.name for p in out.glob(f".*-{report.pid}-*")]  # the work folder names its owner
        os.kill(report.pid, signal.SIGKILL)
        report.wait()
        deadline = time.time() + 10
        while time.time() < deadline and _marked(mark):
            time.sleep(0.25)
        assert _marked(mark) == {}  # kernel, loky workers, resource trackers, and the guard itself
        left = list(out.glob(f".*-{report.pid}-*"))
        assert left and processes.remove_orphaned_work(out) == left  # what the next run does first
        assert list(out.glob(".*")) == []
    finally:
        for pid in _marked(mark):  # only what this test started
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sigterm_of_a_report_cleans_up_itself_and_says_so(tmp_path: Path, demo_slice: Path):
    import signal
    import uuid

    mark, out = uuid.uuid4().hex, tmp_path / "out"
    env = {**os.environ, "DEGTOOLS_TEST_MARK": mark, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    env.pop("DEGTOOLS_N_JOBS", None)
    report = subprocess.Popen(
        [sys.executable, "-m", "degtools.cli", "report", "--input", str(demo_slice), "--target", "logFC",
         "--out", str(out), "-p", "max_rows", "200"], env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 300
        while time.time() < deadline and not any("loky" in cmd for cmd in _marked(mark).values()):
            assert report.poll() is None, "the report ended before its models ran"
            time.sleep(0.5)
        assert [p.name for p in out.glob(f".*-{report.pid}-*")]
        report.send_signal(signal.SIGTERM)
        _, error = report.communicate(timeout=60)
        assert report.returncode == 130
        assert "stopped (Ctrl-C or SIGTERM)" in error and "Traceback" not in error
        assert list(out.glob(".*")) == []  # the report removed its own work folder: no next run needed
        deadline = time.time() + 10
        while time.time() < deadline and _marked(mark):
            time.sleep(0.25)
        assert _marked(mark) == {}
        assert not list(out.glob("*.html"))
    finally:
        for pid in _marked(mark):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


def test_a_batch_clean_up_also_removes_pid_named_work_folders(tmp_path: Path):
    orphan = tmp_path / f".a_logFC-{_dead_pid()}-7-abcdefgh"
    orphan.mkdir()
    assert processes.remove_stale_work(tmp_path, tmp_path / "claims") == [orphan]
