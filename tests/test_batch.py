"""``degtools batch``: rendering in workers, skipping, failures kept, time limits, exit status."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import DATA
from test_planning import write_params

from degtools import batch, planning, worker
from degtools.cli import main
from degtools.render import DEFAULT_NOTEBOOK
from degtools.resources import available_cores

pytestmark = pytest.mark.slow  # starts notebook kernels, browsers or worker pools (`make test-min` skips it)


@pytest.fixture
def tiny_table(tmp_path: Path) -> Path:
    """A GEO2R-like table too small to split (the notebook fails in its preparation step)."""
    lines = (DATA / "GSE2034.top.table.tsv").read_text(encoding="utf-8").splitlines(keepends=True)
    path = tmp_path / "tiny.tsv"
    path.write_text("".join(lines[:21]), encoding="utf-8")
    return path


def test_progress_line_and_summary():
    job = planning.Job(params_file=Path("params/GSE2034_B.yaml"), stem="GSE2034_B", dataset="GSE2034",
                    target="B")
    failed = worker.Outcome(job, "failed", 3.25, "InputError: too few rows",
                           [Path("r/GSE2034_B.failed.ipynb")])
    line = batch.format_progress(failed, done=2, total=12)
    assert line.startswith("[ 2/12] failed   GSE2034 B") and line.endswith("3.2 s  InputError: too few rows")
    summary = batch.summarize([worker.Outcome(job, "rendered", 1.0), worker.Outcome(job, "skipped"), failed],
                              seconds=9.0)
    assert summary.splitlines() == [
        "1 rendered, 1 unchanged, 1 failed in 9.0 s",
        "  FAILED GSE2034_B.yaml: InputError: too few rows",
        "         kept r/GSE2034_B.failed.ipynb",
    ]


def test_jobs_must_be_positive(tmp_path: Path, capsys):
    assert main(["batch", str(tmp_path), "--jobs", "0"]) == 2
    assert "--jobs must be at least 1; got 0." in capsys.readouterr().err


def _crash_or_pretend(job: planning.Job, out_dir: Path, with_code: bool = False, notebook=None):
    """Stand-in renderer for the worker: kills its process for a "crash" report, else pretends."""
    if job.dataset == "crash":
        os._exit(1)
    time.sleep(0.5)
    return worker.Outcome(job, "rendered", 0.5)


def _report_model_jobs(job: planning.Job, out_dir: Path, with_code: bool = False, notebook=None):
    """Stand-in renderer: reports the model jobs the batch gave the job."""
    return worker.Outcome(job, "rendered", 0.0, reason=str(job.model_jobs))


def test_the_last_report_may_use_every_core(tmp_path: Path, demo_slice: Path):
    for name in ("first", "second", "third"):
        write_params(tmp_path / f"{name}.yaml", input_table=str(demo_slice), dataset_name=name)
    outcomes = batch.run_batch(planning.find_params_files([tmp_path]), out_dir=tmp_path / "out", jobs=2,
                               progress=lambda line: None, render=_report_model_jobs)
    # equal sizes keep the files' order: the third starts last
    assert [o.reason for o in outcomes] == ["0", "0", str(available_cores())]
    # one worker, or no more reports than workers: nobody runs alone at the end
    for jobs, files in ((1, ["first", "second", "third"]), (2, ["first", "second"])):
        outcomes = batch.run_batch([tmp_path / f"{name}.yaml" for name in files], out_dir=tmp_path / "out",
                                   jobs=jobs, force=True, progress=lambda line: None,
                                   render=_report_model_jobs)
        assert {o.reason for o in outcomes} == {"0"}


def test_dead_worker_fails_only_its_own_report(tmp_path: Path, demo_slice: Path):
    for name in ("crash", "first", "second"):
        write_params(tmp_path / f"{name}.yaml", input_table=str(demo_slice), dataset_name=name)
    lines = []
    outcomes = batch.run_batch(planning.find_params_files([tmp_path]), out_dir=tmp_path / "out", jobs=2,
                               progress=lines.append, render=_crash_or_pretend)
    assert [(o.job.dataset, o.status) for o in outcomes] == [
        ("crash", "failed"), ("first", "rendered"), ("second", "rendered")]
    assert outcomes[0].reason.startswith("its worker process died twice")
    assert len([line for line in lines if not line.startswith("   started")]) == 3  # one per report
    assert not list((tmp_path / "out" / planning.STAMP_FOLDER).glob(f"{batch.CACHE_FOLDER}*"))


def test_batch_end_to_end(tmp_path: Path, demo_slice: Path, tiny_table: Path, capsys):
    """Two workers: one report renders, one fails in the notebook; re-runs skip, a change re-renders."""
    params = tmp_path / "params"
    params.mkdir()
    out = tmp_path / "reports"
    good = write_params(params / "good.yaml", input_table=str(demo_slice), dataset_name="demo", max_rows=200)
    write_params(params / "bad.yaml", input_table=str(tiny_table), dataset_name="tiny", target="B")

    assert main(["batch", str(params), "--jobs", "2", "--out", str(out)]) == 1
    printed = capsys.readouterr().out.splitlines()
    progress = sorted(" ".join(line.split()[1:]) for line in printed if line.startswith("["))
    assert len(progress) == 2
    assert progress[0].startswith("failed tiny B") and "InputError" in progress[0]
    assert progress[1].startswith("rendered demo logFC")
    summary = next(i for i, line in enumerate(printed)
                   if line.startswith("1 rendered, 0 unchanged, 1 failed in"))
    assert printed[summary + 1].startswith("  FAILED bad.yaml: InputError: tiny.tsv has too few rows: 20 with a B value")
    assert [line.split()[-1] for line in printed[summary + 2:]] == [
        str(out / "tiny_B.failed.ipynb"), str(out / "tiny_B.failed.log")]
    assert (out / "demo_logFC.html").is_file() and (out / "index.html").is_file()
    page = (out / "demo_logFC.html").read_text(encoding="utf-8")
    assert "Executing" not in page and "it/s]" not in page and "cell/s]" not in page  # no progress bars
    assert "<img" in page  # figures shown although the tests run with MPLBACKEND=Agg
    assert (out / "tiny_B.failed.ipynb").is_file() and (out / "tiny_B.failed.log").is_file()
    assert not (out / "tiny_B.html").exists()
    assert [p.name for p in out.iterdir() if p.name.startswith(".") and p.name != ".degtools-batch"] == []

    # nothing changed: the good report is skipped
    outcomes = batch.run_batch([good], out_dir=out, jobs=2, progress=lambda line: None)
    assert [o.status for o in outcomes] == ["skipped"]

    # the good report's input now fails: the previous HTML stays, its failure is kept beside it
    before = (out / "demo_logFC.html").read_bytes()
    write_params(params / "bad.yaml", input_table=str(tiny_table), dataset_name="demo", target="logFC")
    outcomes = batch.run_batch([params / "bad.yaml"], out_dir=out, jobs=1, progress=lambda line: None)
    assert [o.status for o in outcomes] == ["failed"]
    assert outcomes[0].reason.startswith("InputError:")
    assert (out / "demo_logFC.html").read_bytes() == before
    assert (out / "demo_logFC.failed.ipynb").is_file()
    assert json.loads((out / "demo_logFC.failed.ipynb").read_text())["metadata"]["papermill"]["exception"]



def _use_the_cache_from_the_notebook_folder(job: planning.Job, out_dir: Path, with_code: bool = False,
                                            notebook=None):
    """Stand-in renderer: shares a result from where a kernel runs (notebooks/), reports what it saw."""
    import stat

    from degtools.cache import CACHE_VARIABLE, KEY_VARIABLE, shared_call

    os.chdir(DEFAULT_NOTEBOOK.parent)
    folder = Path(os.environ[CACHE_VARIABLE])
    _, reused = shared_call(planning.fingerprint, {"x": 1}, notebook=DEFAULT_NOTEBOOK, package="p")
    seen = {"folder": str(folder), "absolute": folder.is_absolute(), "key": len(os.environ[KEY_VARIABLE]),
            "mode": oct(stat.S_IMODE(folder.stat().st_mode)), "files": len(list(folder.iterdir())),
            "reused": reused}
    return worker.Outcome(job, "rendered", 0.0, reason=json.dumps(seen))


def test_the_shared_results_are_private_absolute_and_removed(monkeypatch, tmp_path: Path, demo_slice: Path):
    """A relative --out: the cache is an absolute 0700 folder under <out>/.degtools-batch, never under
    notebooks/ or the current folder, and it is gone when the batch ends."""
    monkeypatch.chdir(tmp_path)
    for name in ("first", "second"):
        write_params(tmp_path / f"{name}.yaml", input_table=str(demo_slice), dataset_name=name)
    notebooks_before = sorted(p.name for p in DEFAULT_NOTEBOOK.parent.rglob("*"))
    outcomes = batch.run_batch([tmp_path / "first.yaml", tmp_path / "second.yaml"], out_dir="out", jobs=1,
                               progress=lambda line: None, render=_use_the_cache_from_the_notebook_folder)
    seen = [json.loads(o.reason) for o in outcomes]
    assert [s["reused"] for s in seen] == [False, True]  # shared between the reports of the run
    folder = Path(seen[0]["folder"])
    assert seen[0]["absolute"] and folder.parent == tmp_path / "out" / planning.STAMP_FOLDER
    assert folder.name.startswith(batch.CACHE_FOLDER) and seen[0]["mode"] == "0o700"
    assert seen[0]["key"] == 64 and seen[1]["files"] == 1
    assert not folder.exists()
    assert sorted(p.name for p in DEFAULT_NOTEBOOK.parent.rglob("*")) == notebooks_before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["GSE15852_slice.tsv", "first.yaml", "out",
                                                          "second.yaml"]
    # a second run gets a new folder and a new secret: nothing of the first run is reused
    outcomes = batch.run_batch([tmp_path / "first.yaml"], out_dir="out", jobs=1, force=True,
                               progress=lambda line: None, render=_use_the_cache_from_the_notebook_folder)
    again = json.loads(outcomes[0].reason)
    assert not again["reused"] and again["folder"] != seen[0]["folder"]


def _raise_instead(job: planning.Job, out_dir: Path, with_code: bool = False, notebook=None):
    """Stand-in renderer that raises (as a broken renderer would) instead of returning an Outcome."""
    if job.dataset == "raises":
        raise RuntimeError("renderer bug\nsecond line")
    return worker.Outcome(job, "rendered", 0.0)


def _assert_one_line_error(err: str, *found: str) -> None:
    assert err.count("\n") == 1 and err.startswith("degtools: error: the output folder ")
    assert "must be a folder degtools can write to" in err and "Traceback" not in err
    assert all(text in err for text in found), err


def test_an_unwritable_output_folder_is_one_line_and_status_2(tmp_path: Path, demo_slice: Path, capsys):
    """report, batch and index on a folder that cannot be written: one line, status 2, batch's summary."""
    params = write_params(tmp_path / "demo.yaml", input_table=str(demo_slice), dataset_name="demo")
    folders = [("/dev/null/x", "Not a directory")]  # a path under a file: unwritable even for root
    readonly = tmp_path / "readonly"
    readonly.mkdir()
    readonly.chmod(0o555)
    if not os.access(readonly, os.W_OK):  # chmod binds (not root): a real read-only folder too
        folders.append((str(readonly), "Permission denied"))
    try:
        for folder, found in folders:
            assert main(["report", "-f", str(params), "--out", folder]) == 2
            _assert_one_line_error(capsys.readouterr().err, found, "make it writable or pass --out")

            assert main(["batch", str(params), "--out", folder]) == 2
            printed = capsys.readouterr()
            _assert_one_line_error(printed.err, found)
            summary = printed.out.splitlines()
            assert summary[-2].startswith("0 rendered, 0 unchanged, 1 failed in")
            assert summary[-1].startswith("  FAILED demo.yaml: ") and found in summary[-1]
    finally:
        readonly.chmod(0o755)


def test_a_renderer_that_raises_fails_its_own_report(tmp_path: Path, demo_slice: Path):
    for name in ("raises", "fine"):
        write_params(tmp_path / f"{name}.yaml", input_table=str(demo_slice), dataset_name=name)
    outcomes = batch.run_batch([tmp_path / "raises.yaml", tmp_path / "fine.yaml"], out_dir=tmp_path / "out",
                               jobs=1, progress=lambda line: None, render=_raise_instead)
    assert [(o.status, o.reason) for o in outcomes] == [("failed", "RuntimeError: renderer bug"),
                                                        ("rendered", "")]


def _slow_kernel_or_stuck(job: planning.Job, out_dir: Path, with_code: bool = False, notebook=None):
    """Stand-in renderer: "slow" waits on a child process (as on a kernel), "stuck" hangs in the worker
    itself, anything else renders at once."""
    import subprocess
    import sys

    if job.dataset == "slow":
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
        (Path(out_dir) / "kernel.pid").write_text(str(child.pid))
        child.wait()
        raise RuntimeError("DeadKernelError: Kernel died")
    if job.dataset == "stuck":
        time.sleep(120)
    return worker.Outcome(job, "rendered", 0.0)


def _leftovers(out: Path) -> list:
    """Processes (workers, kernels) that still belong to a batch writing to ``out``."""
    import psutil

    found = []
    for process in psutil.process_iter():
        try:
            if str(out) in process.environ().get("DEGTOOLS_CACHE", ""):
                found.append(process)
        except (psutil.Error, OSError):
            continue
    return found


def test_a_report_over_its_time_limit_fails_and_its_kernel_is_stopped(tmp_path: Path, demo_slice: Path):
    for name in ("slow", "quick"):
        write_params(tmp_path / f"{name}.yaml", input_table=str(demo_slice), dataset_name=name)
    out = tmp_path / "out"
    start = time.perf_counter()
    outcomes = batch.run_batch([tmp_path / "slow.yaml", tmp_path / "quick.yaml"], out_dir=out, jobs=2,
                               timeout=2, progress=lambda line: None, render=_slow_kernel_or_stuck)
    assert time.perf_counter() - start < 60
    assert [(o.status, o.reason) for o in outcomes] == [
        ("failed", "timed out after 2 s (--timeout); its kernel was stopped"), ("rendered", "")]
    from degtools.processes import is_alive

    assert not is_alive(int((out / "kernel.pid").read_text()))
    assert list((out / planning.STAMP_FOLDER / batch.CLAIMS_FOLDER).iterdir()) == []


def test_a_worker_stuck_past_its_time_limit_is_killed_and_the_others_go_on(monkeypatch, tmp_path: Path,
                                                                           demo_slice: Path):
    monkeypatch.setattr(batch, "KILL_GRACE", 1.0)
    for name in ("stuck", "quick", "third"):
        write_params(tmp_path / f"{name}.yaml", input_table=str(demo_slice), dataset_name=name)
    out = tmp_path / "out"
    start = time.perf_counter()
    outcomes = batch.run_batch([tmp_path / f"{name}.yaml" for name in ("stuck", "quick", "third")],
                               out_dir=out, jobs=2, timeout=1, progress=lambda line: None,
                               render=_slow_kernel_or_stuck)
    assert time.perf_counter() - start < 60
    assert [(o.job.dataset, o.status) for o in outcomes] == [
        ("stuck", "failed"), ("quick", "rendered"), ("third", "rendered")]
    assert outcomes[0].reason.startswith("timed out after 1 s")
    assert _leftovers(out) == []


def test_a_real_report_over_its_time_limit(tmp_path: Path, demo_slice: Path, capsys):
    params = write_params(tmp_path / "demo.yaml", input_table=str(demo_slice), dataset_name="demo")
    out = tmp_path / "out"
    assert main(["batch", str(params), "--out", str(out), "--timeout", "2", "--no-index"]) == 1
    printed = capsys.readouterr().out
    assert "FAILED demo.yaml: timed out after 2 s (--timeout); its kernel was stopped" in printed
    assert _leftovers(out) == []
    assert not (out / "demo_logFC.failed.log").exists() and not (out / "demo_logFC.html").exists()
    assert [p.name for p in out.iterdir()] == [planning.STAMP_FOLDER]  # no work folder left
    assert main(["batch", str(params), "--timeout", "0"]) == 2
    assert "--timeout must be a positive number of seconds; got 0." in capsys.readouterr().err


def _start_batch(params: Path, out: Path) -> subprocess.Popen:
    """``degtools batch`` in its own process, one worker."""
    command = [sys.executable, "-m", "degtools.cli", "batch", str(params), "--out", str(out), "--jobs", "1",
               "--no-index"]
    # Ctrl-C's default action, whatever the test runner inherited: a shell's background job (`make test &`)
    # ignores SIGINT, and Python keeps an ignored SIGINT ignored.
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _wait_for_a_kernel(pid: int, *, seconds: float = 120) -> list:
    """The processes under ``pid`` once one of them is a notebook kernel (a report is being rendered)."""
    import psutil

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            family = psutil.Process(pid).children(recursive=True)
            if any("ipykernel" in " ".join(p.cmdline()) for p in family):
                return family
        except psutil.Error:
            pass
        time.sleep(0.2)
    raise AssertionError("no report started in time")


def _two_reports(tmp_path: Path, demo_slice: Path) -> tuple[Path, Path]:
    params = tmp_path / "params"
    params.mkdir()
    for name in ("a", "b"):
        write_params(params / f"{name}.yaml", input_table=str(demo_slice), dataset_name=name)
    return params, tmp_path / "out"


def _survivors(family: list, seconds: float = 10) -> list:
    import psutil

    gone, alive = psutil.wait_procs(family, timeout=seconds)
    for process in alive:  # do not leave them to the next test
        process.kill()
    return alive


def test_a_killed_batch_takes_its_workers_along_and_the_next_run_cleans_up(tmp_path: Path, demo_slice: Path):
    pytest.importorskip("psutil")
    params, out = _two_reports(tmp_path, demo_slice)
    with _start_batch(params, out) as running:
        try:
            family = _wait_for_a_kernel(running.pid)
            os.kill(running.pid, signal.SIGKILL)
            running.communicate(timeout=30)
        finally:
            running.kill()
    assert len(family) >= 2  # at least the worker and its kernel
    assert _survivors(family) == []
    stamps = out / planning.STAMP_FOLDER
    left = [p.name for p in out.iterdir() if p.name.startswith(".a_logFC-")]
    assert left and list(stamps.glob(f"{batch.CACHE_FOLDER}-*"))
    assert list((stamps / batch.CLAIMS_FOLDER).iterdir())
    # the next run removes what the killed one left: its work folder, its shared results, its claims
    live = out / ".b_logFC-abcdefgh"  # a work folder nobody claimed (e.g. a `degtools report` running now)
    live.mkdir()
    outcomes = batch.run_batch([params / "b.yaml"], out_dir=out, progress=lambda line: None,
                               render=_report_model_jobs)
    assert [o.status for o in outcomes] == ["rendered"]
    hidden = sorted(p.name for p in out.iterdir() if p.name.startswith("."))
    assert hidden == [live.name, planning.STAMP_FOLDER]
    assert list(stamps.glob(f"{batch.CACHE_FOLDER}-*")) == []
    assert list((stamps / batch.CLAIMS_FOLDER).iterdir()) == []


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_stopped_batch_says_what_it_did_and_what_it_stopped(tmp_path: Path, demo_slice: Path, stop):
    pytest.importorskip("psutil")
    params, out = _two_reports(tmp_path, demo_slice)
    with _start_batch(params, out) as running:
        try:
            family = _wait_for_a_kernel(running.pid)
            running.send_signal(stop)
            printed, errors = running.communicate(timeout=60)
        finally:
            running.kill()
    assert running.returncode == 130, errors
    lines = printed.splitlines()
    assert lines[-3].startswith("0 rendered, 0 unchanged, 0 failed, 2 stopped in ")
    assert lines[-2:] == ["  STOPPED a.yaml: stopped while rendering", "  STOPPED b.yaml: not started"]
    assert "Traceback" not in errors and "stopped; the same command renders what is left" in errors
    assert _survivors(family) == []
    stamps = out / planning.STAMP_FOLDER
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == [planning.STAMP_FOLDER]
    assert list(stamps.glob(f"{batch.CACHE_FOLDER}-*")) == []
    assert list((stamps / batch.CLAIMS_FOLDER).iterdir()) == []
