"""``degtools batch``: planning, fingerprints, skipping, failures kept, exit status."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
import yaml
from conftest import DATA, ROOT

from degtools import batch, provenance
from degtools.cli import main
from degtools.errors import ParamsError
from degtools.report import DEFAULT_NOTEBOOK
from degtools.resources import available_cores, job_cap


def write_params(path: Path, **values) -> Path:
    path.write_text(yaml.safe_dump(values), encoding="utf-8")
    return path


@pytest.fixture
def tiny_table(tmp_path: Path) -> Path:
    """A GEO2R-like table too small to split (the notebook fails in its preparation step)."""
    lines = (DATA / "GSE2034.top.table.tsv").read_text(encoding="utf-8").splitlines(keepends=True)
    path = tmp_path / "tiny.tsv"
    path.write_text("".join(lines[:21]), encoding="utf-8")
    return path


def test_find_params_files_takes_folders_and_files(tmp_path: Path):
    first = write_params(tmp_path / "b.yaml", target="logFC")
    second = write_params(tmp_path / "a.yml", target="B")
    (tmp_path / "notes.txt").write_text("not a params file")
    assert batch.find_params_files([tmp_path]) == [second.resolve(), first.resolve()]
    assert batch.find_params_files([first, tmp_path]) == [first.resolve(), second.resolve()]


def test_find_params_files_errors(tmp_path: Path):
    with pytest.raises(ParamsError, match="neither a params file nor a folder"):
        batch.find_params_files([tmp_path / "missing"])
    with pytest.raises(ParamsError, match=r"no params files \(\*\.yaml\) found"):
        batch.find_params_files([tmp_path])


def test_repository_params_cover_every_table_and_target():
    jobs = batch.plan_jobs(batch.find_params_files([ROOT / "params"]))
    assert [job.problem for job in jobs if job.problem] == []
    pairs = {(job.dataset, job.target) for job in jobs}
    for dataset in ("GSE15852", "GSE2034", "airway", "pasilla", "yeast", "LN_vs_healthy_edgeR"):
        assert (dataset, "logFC") in pairs
    assert {("GSE15852", "B"), ("GSE2034", "B"), ("GSE15852", "t"), ("airway", "stat"),
            ("LN_vs_healthy_edgeR", "F")} <= pairs
    tables = {Path(yaml.safe_load(job.params_file.read_text())["input_table"]).name for job in jobs}
    shared = {path.name for path in DATA.iterdir() if path.suffix in (".csv", ".tsv")}
    assert shared | {"GSE15852.top.table.tsv"} <= tables


def test_plan_reports_bad_and_duplicate_params(tmp_path: Path, demo_slice: Path):
    write_params(tmp_path / "a.yaml", input_table=str(demo_slice), dataset_name="demo", target="logFC")
    write_params(tmp_path / "b.yaml", input_table=str(demo_slice), dataset_name="demo", target="logFC")
    write_params(tmp_path / "c.yaml", input_table=str(demo_slice), targte="B")
    write_params(tmp_path / "d.yaml", input_table=str(tmp_path / "nowhere.csv"))
    jobs = batch.plan_jobs(batch.find_params_files([tmp_path]))
    first = jobs[0]
    assert (first.stem, first.dataset, first.target, first.problem) == ("demo_logFC", "demo", "logFC", "")
    assert "a.yaml" in jobs[1].problem and "both write demo_logFC.html" in jobs[1].problem
    assert jobs[2].problem.startswith("ParamsError: unknown parameter 'targte': did you mean 'target'?")
    assert jobs[3].problem.startswith("InputError: input table")


def test_fingerprint_follows_content_not_spelling(tmp_path: Path, demo_slice: Path):
    from degtools.params import validate_params

    package = provenance.package_digest()

    def digest(**values) -> str:
        return batch.fingerprint(validate_params(values), notebook=DEFAULT_NOTEBOOK, package=package)

    base = digest(input_table=str(demo_slice))
    assert digest(input_table=str(demo_slice), cv_folds=5, seed=42) == base  # defaults written out
    assert digest(input_table=str(demo_slice), seed=1) != base
    assert digest(input_table=str(demo_slice), results_json="/elsewhere.json") == base
    copy = tmp_path / "copy" / demo_slice.name
    copy.parent.mkdir()
    copy.write_bytes(demo_slice.read_bytes())
    # the path is a parameter, so a copy elsewhere counts as different; same path, new bytes too
    before = digest(input_table=str(copy))
    copy.write_bytes(demo_slice.read_bytes() + b"extra\t1\t1\t1\t1\t1\tX\tx\n")
    assert digest(input_table=str(copy)) != before
    notebook = tmp_path / "analysis.ipynb"
    notebook.write_bytes(DEFAULT_NOTEBOOK.read_bytes() + b"\n")
    params = validate_params({"input_table": str(demo_slice)})
    assert batch.fingerprint(params, notebook=notebook, package=package) != base
    assert batch.fingerprint(params, notebook=DEFAULT_NOTEBOOK, package=package + "x") != base
    assert batch.fingerprint(params, notebook=DEFAULT_NOTEBOOK, package=package, with_code=True) != base


def test_up_to_date_needs_stamp_and_both_files(tmp_path: Path):
    job = batch.Job(params_file=tmp_path / "a.yaml", stem="x_logFC", fingerprint="abc")
    assert not batch.is_up_to_date(job, tmp_path)
    (tmp_path / "x_logFC.html").write_text("<html></html>")
    (tmp_path / "x_logFC.json").write_text("{}")
    assert not batch.is_up_to_date(job, tmp_path)
    batch.write_stamp(job, tmp_path)
    assert batch.is_up_to_date(job, tmp_path)
    job.fingerprint = "changed"
    assert not batch.is_up_to_date(job, tmp_path)
    job.fingerprint = "abc"
    (tmp_path / "x_logFC.json").unlink()
    assert not batch.is_up_to_date(job, tmp_path)


def test_progress_line_and_summary():
    job = batch.Job(params_file=Path("params/GSE2034_B.yaml"), stem="GSE2034_B", dataset="GSE2034",
                    target="B")
    failed = batch.Outcome(job, "failed", 3.25, "InputError: too few rows",
                           [Path("r/GSE2034_B.failed.ipynb")])
    line = batch.format_progress(failed, done=2, total=12)
    assert line.startswith("[ 2/12] failed   GSE2034 B") and line.endswith("3.2 s  InputError: too few rows")
    summary = batch.summarize([batch.Outcome(job, "rendered", 1.0), batch.Outcome(job, "skipped"), failed],
                              seconds=9.0)
    assert summary.splitlines() == [
        "1 rendered, 1 unchanged, 1 failed in 9.0 s",
        "  FAILED GSE2034_B.yaml: InputError: too few rows",
        "         kept r/GSE2034_B.failed.ipynb",
    ]


def test_limit_threads_sets_model_jobs(monkeypatch):

    for name in (*batch.THREAD_VARIABLES, batch.MODEL_JOBS_VARIABLE, "MPLBACKEND"):
        monkeypatch.setenv(name, "")  # monkeypatch restores the original values afterwards
    assert job_cap() is None
    batch.limit_threads(1)
    assert job_cap() == 1
    assert all(os.environ[name] == "1" for name in batch.THREAD_VARIABLES)
    assert "MPLBACKEND" not in os.environ


def test_jobs_must_be_positive(tmp_path: Path, capsys):
    assert main(["batch", str(tmp_path), "--jobs", "0"]) == 2
    assert "--jobs must be at least 1; got 0." in capsys.readouterr().err


def _crash_or_pretend(job: batch.Job, out_dir: Path, with_code: bool = False, notebook=None):
    """Stand-in renderer for the worker: kills its process for a "crash" report, else pretends."""
    if job.dataset == "crash":
        os._exit(1)
    time.sleep(0.5)
    return batch.Outcome(job, "rendered", 0.5)


def _report_model_jobs(job: batch.Job, out_dir: Path, with_code: bool = False, notebook=None):
    """Stand-in renderer: reports the model jobs the batch gave the job."""
    return batch.Outcome(job, "rendered", 0.0, reason=str(job.model_jobs))


def test_the_last_report_may_use_every_core(tmp_path: Path, demo_slice: Path):
    for name in ("first", "second", "third"):
        write_params(tmp_path / f"{name}.yaml", input_table=str(demo_slice), dataset_name=name)
    outcomes = batch.run_batch(batch.find_params_files([tmp_path]), out_dir=tmp_path / "out", jobs=2,
                               progress=lambda line: None, render=_report_model_jobs)
    # equal sizes keep the files' order: the third starts last
    assert [o.reason for o in outcomes] == ["0", "0", str(available_cores())]
    # one worker, or no more reports than workers: nobody runs alone at the end
    for jobs, files in ((1, ["first", "second", "third"]), (2, ["first", "second"])):
        outcomes = batch.run_batch([tmp_path / f"{name}.yaml" for name in files], out_dir=tmp_path / "out",
                                   jobs=jobs, force=True, progress=lambda line: None, render=_report_model_jobs)
        assert {o.reason for o in outcomes} == {"0"}


def test_render_job_sets_model_jobs_for_its_kernel_only(monkeypatch, tmp_path: Path):
    import degtools.report

    seen = []
    monkeypatch.setattr(degtools.report, "render_report",
                        lambda values, **options: seen.append(os.environ.get(batch.MODEL_JOBS_VARIABLE)))
    monkeypatch.setenv(batch.MODEL_JOBS_VARIABLE, "1")
    job = batch.Job(params_file=tmp_path / "x.yaml", stem="x", model_jobs=4)
    assert batch.render_job(job, tmp_path).status == "rendered"
    assert batch.render_job(batch.Job(params_file=tmp_path / "y.yaml", stem="y"), tmp_path).ok
    assert seen == ["4", "1"] and os.environ[batch.MODEL_JOBS_VARIABLE] == "1"


def test_dead_worker_fails_only_its_own_report(tmp_path: Path, demo_slice: Path):
    for name in ("crash", "first", "second"):
        write_params(tmp_path / f"{name}.yaml", input_table=str(demo_slice), dataset_name=name)
    lines = []
    outcomes = batch.run_batch(batch.find_params_files([tmp_path]), out_dir=tmp_path / "out", jobs=2,
                               progress=lines.append, render=_crash_or_pretend)
    assert [(o.job.dataset, o.status) for o in outcomes] == [
        ("crash", "failed"), ("first", "rendered"), ("second", "rendered")]
    assert outcomes[0].reason.startswith("its worker process died twice")
    assert len(lines) == 3
    assert not list((tmp_path / "out" / batch.STAMP_FOLDER).glob(f"{batch.CACHE_FOLDER}*"))


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
    assert printed[summary + 1].startswith("  FAILED bad.yaml: InputError: tiny.tsv has 20 rows")
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


def test_a_reference_table_counts_towards_a_jobs_size(tmp_path: Path, demo_slice: Path, tiny_table: Path):
    alone = write_params(tmp_path / "alone.yaml", input_table=str(demo_slice), dataset_name="alone")
    joined = write_params(tmp_path / "joined.yaml", input_table=str(demo_slice), dataset_name="joined",
                          reference_table=str(tiny_table))
    planned = {job.stem: job.input_bytes for job in batch.plan_jobs([alone, joined])}
    assert planned["alone_logFC"] == demo_slice.stat().st_size
    assert planned["joined_logFC"] == demo_slice.stat().st_size + tiny_table.stat().st_size


def _use_the_cache_from_the_notebook_folder(job: batch.Job, out_dir: Path, with_code: bool = False,
                                            notebook=None):
    """Stand-in renderer: shares a result from where a kernel runs (notebooks/), reports what it saw."""
    import stat

    from degtools.cache import CACHE_VARIABLE, KEY_VARIABLE, shared_call

    os.chdir(DEFAULT_NOTEBOOK.parent)
    folder = Path(os.environ[CACHE_VARIABLE])
    _, reused = shared_call(batch.fingerprint, {"x": 1}, notebook=DEFAULT_NOTEBOOK, package="p")
    seen = {"folder": str(folder), "absolute": folder.is_absolute(), "key": len(os.environ[KEY_VARIABLE]),
            "mode": oct(stat.S_IMODE(folder.stat().st_mode)), "files": len(list(folder.iterdir())),
            "reused": reused}
    return batch.Outcome(job, "rendered", 0.0, reason=json.dumps(seen))


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
    assert seen[0]["absolute"] and folder.parent == tmp_path / "out" / batch.STAMP_FOLDER
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


def _raise_instead(job: batch.Job, out_dir: Path, with_code: bool = False, notebook=None):
    """Stand-in renderer that raises (as a broken renderer would) instead of returning an Outcome."""
    if job.dataset == "raises":
        raise RuntimeError("renderer bug\nsecond line")
    return batch.Outcome(job, "rendered", 0.0)


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


def test_a_full_disk_while_rendering_fails_that_report_only(monkeypatch, tmp_path: Path):
    import errno

    import degtools.report

    def full(values, *, out_dir, **options):
        raise OSError(errno.ENOSPC, "No space left on device", str(Path(out_dir) / ".x_logFC-abcdefgh"))

    monkeypatch.setattr(degtools.report, "render_report", full)
    job = batch.Job(params_file=tmp_path / "x.yaml", stem="x_logFC")
    outcome = batch.render_job(job, tmp_path)
    assert (outcome.status, outcome.kept) == ("failed", [])
    assert outcome.reason.startswith("OSError: [Errno 28] No space left on device")
    assert "free some space or pass --out" in outcome.output_error
    # any other crash with a folder that cannot take its log: the failure, without the log
    monkeypatch.setattr(degtools.report, "render_report", lambda values, **options: 1 / 0)
    unwritable = tmp_path / "a-file"
    unwritable.write_text("")
    outcome = batch.render_job(job, unwritable)
    assert (outcome.status, outcome.reason, outcome.kept) == ("failed", "ZeroDivisionError: division by zero", [])


def test_a_renderer_that_raises_fails_its_own_report(tmp_path: Path, demo_slice: Path):
    for name in ("raises", "fine"):
        write_params(tmp_path / f"{name}.yaml", input_table=str(demo_slice), dataset_name=name)
    outcomes = batch.run_batch([tmp_path / "raises.yaml", tmp_path / "fine.yaml"], out_dir=tmp_path / "out",
                               jobs=1, progress=lambda line: None, render=_raise_instead)
    assert [(o.status, o.reason) for o in outcomes] == [("failed", "RuntimeError: renderer bug"),
                                                        ("rendered", "")]
