"""Feedback while it runs: step lines of `degtools report`, start lines with an ETA in a batch, --quiet."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from degtools import batch, batch_progress, steps
from degtools.cli import main
from degtools.planning import Job
from degtools.render import DEFAULT_NOTEBOOK, StepLines, format_step
from degtools.worker import Outcome
from tests.conftest import ROOT

TINY = ["-p", "models", "LinearRegression", "-p", "tuning", "none", "-p", "gsea_permutations", "100"]
STEP_LINE = re.compile(r"^  (\S.*?)\s+(\d+\.\d) s$")


def test_steps_announce_each_call_to_the_progress_file(monkeypatch, tmp_path: Path):
    log = tmp_path / "steps.tsv"
    monkeypatch.setenv(steps.PROGRESS_VARIABLE, str(log))
    double = steps.step("doubling")(lambda x: 2 * x)
    assert double(2) == 4 and double(3) == 6
    calls, offset = steps.read_announced(log)
    assert [name for name, _ in calls] == ["doubling", "doubling"] and all(s >= 0 for _, s in calls)
    assert offset == log.stat().st_size
    assert steps.read_announced(log, offset=offset) == ([], offset)


def test_a_step_over_two_cells_in_a_row_is_one_line(tmp_path: Path):
    log = tmp_path / "steps.tsv"
    printed: list[str] = []
    lines = StepLines(log, printed.append)

    def cell(*calls: tuple[str, float]) -> None:
        with open(log, "a", encoding="utf-8") as handle:
            handle.writelines(f"{name}\t{seconds}\n" for name, seconds in calls)
        lines.cell_executed(cell=None, cell_index=0, execute_reply=None)

    cell(("read", 0.5))
    assert printed == []  # held until the next cell: it may continue the step
    cell()
    assert printed == [format_step("read", 0.5)]
    cell(("importance", 1.0), ("importance", 0.25))
    cell(("plots", 2.0))
    cell(("plots", 1.0))
    cell(("gene sets", 3.0))
    lines.finish()
    assert printed == [format_step(*step) for step in
                       [("read", 0.5), ("importance", 1.25), ("plots", 3.0), ("gene sets", 3.0)]]
    assert format_step("models", 21.34) == "  models                   21.3 s"


@pytest.mark.slow
def test_report_prints_its_steps_in_order_with_seconds_and_quiet_prints_nothing(demo_slice, tmp_path, capsys):
    assert main(["report", "--input", str(demo_slice), "--target", "logFC", *TINY, "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    names = [STEP_LINE.match(line)[1] for line in out[:-1]]
    # the steps in the order the notebook runs them, and exactly the steps the report's JSON timed
    timed = [step for step in json.loads((tmp_path / "GSE15852_slice_logFC.json").read_text())["timings"]
             if step != "total"]
    assert names[:4] == ["read", "evidence", "prepare", "leakage audit"]
    assert names.index("models") < names.index("importance") < names.index("volcano and MA plots")
    assert set(names) == set(timed)
    assert re.fullmatch(rf"wrote {re.escape(str(tmp_path))}/GSE15852_slice_logFC\.html and "
                        r"GSE15852_slice_logFC\.json in \d+\.\d s", out[-1])
    (tmp_path / "GSE15852_slice_logFC.html").unlink()
    assert main(["report", "--input", str(demo_slice), "--target", "logFC", *TINY, "--out", str(tmp_path),
                 "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    assert (tmp_path / "GSE15852_slice_logFC.html").is_file()


def _job(name: str) -> Job:
    return Job(params_file=Path(f"{name}.yaml"), values={}, stem=name, dataset=name, target="logFC")


def test_batch_announces_starts_with_an_eta_from_the_finished_reports():
    printed: list[str] = []
    jobs = [_job(f"set{i}") for i in range(5)]
    board = batch_progress.Board(jobs, printed.append, rendering=5, workers=2)
    board.start("set0")
    board.start("set0")  # seen again at the next look: announced once
    assert printed == [f"   started  {'set0 logFC':<34} (ETA after the first report)"]
    board.finish(0, Outcome(jobs[0], "rendered", 30.0))
    board.finish(1, Outcome(jobs[1], "rendered", 10.0))
    board.start("set2")
    # mean 20 s x 3 reports left / 2 workers = 30 s
    assert printed[-1] == f"   started  {'set2 logFC':<34} (about 30 s left)"
    assert batch_progress.format_start(jobs[0], eta=185).endswith("(about 3 min 5 s left)")


def test_batch_quiet_prints_nothing_when_all_went_well(monkeypatch, tmp_path: Path, capsys):
    job = _job("one")

    def fake_run_batch(files, *, progress, **options):
        progress("[1/1] rendered one")
        return [Outcome(job, "rendered", 1.0)]

    monkeypatch.setattr(batch, "run_batch", fake_run_batch)
    monkeypatch.setattr(batch, "find_params_files", lambda paths: [])
    assert batch.main_batch(["params"], out_dir=str(tmp_path), index=False, quiet=True) == 0
    assert capsys.readouterr().out == ""
    assert batch.main_batch(["params"], out_dir=str(tmp_path), index=False) == 0
    assert capsys.readouterr().out.splitlines()[0] == "[1/1] rendered one"
    failed = Outcome(job, "failed", 1.0, "InputError: bad")
    monkeypatch.setattr(batch, "run_batch", lambda files, **options: [failed])
    assert batch.main_batch(["params"], out_dir=str(tmp_path), index=False, quiet=True) == 1
    assert "FAILED one.yaml: InputError: bad" in capsys.readouterr().out


def test_python_dash_m_degtools_prints_the_notebook_path():
    result = subprocess.run([sys.executable, "-m", "degtools", "notebook-path"], capture_output=True, text=True,
                            cwd=ROOT, check=True)
    assert result.stdout.strip() == str(DEFAULT_NOTEBOOK)
    assert DEFAULT_NOTEBOOK.read_bytes() == (ROOT / "notebooks" / "analysis.ipynb").read_bytes()


def test_render_turns_an_executed_notebook_into_the_html_report(tmp_path: Path, capsys):
    import nbformat

    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("print('hi')")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="the answer is 42\n")]
    notebook.cells = [nbformat.v4.new_markdown_cell("# A report"), cell]
    executed = tmp_path / "out.ipynb"
    nbformat.write(notebook, executed)
    assert main(["render", str(executed)]) == 0
    page = (tmp_path / "out.html").read_text(encoding="utf-8")
    assert "the answer is 42" in page and "<title>out · degtools report</title>" in page
    # the code is in the page, folded: one closed <details> per code cell
    assert page.count('<details class="degtools-code">') == 1 and 'class="degtools-code" open' not in page
    assert main(["render", str(executed), "--out", str(tmp_path / "teach.html"), "--with-code"]) == 0
    teaching = (tmp_path / "teach.html").read_text(encoding="utf-8")
    assert teaching.count('<details class="degtools-code" open="">') == 1 and "the answer is 42" in teaching
    capsys.readouterr()
    cell.outputs = []
    nbformat.write(notebook, executed)
    assert main(["render", str(executed)]) == 2
    assert capsys.readouterr().err.startswith(f"degtools: error: {executed} has no outputs: it was not executed.")


def _take_two_seconds(job: Job, out_dir: Path, with_code: bool = False, notebook=None) -> Outcome:
    """Stand-in renderer (runs in a batch worker): a report that says it took two seconds.

    It sleeps longer, so that the batch, which looks at its workers every second, sees it running
    even on a busy machine.
    """
    import time

    time.sleep(3 * batch.POLL_SECONDS)
    return Outcome(job, "rendered", 2.0)


@pytest.mark.slow
def test_a_batch_says_when_each_report_starts(tmp_path: Path, demo_slice: Path):
    from test_planning import write_params

    for name in ("one", "two", "three"):
        write_params(tmp_path / f"{name}.yaml", input_table=str(demo_slice), dataset_name=name)
    printed: list[str] = []
    batch.run_batch([tmp_path / f"{name}.yaml" for name in ("one", "two", "three")], out_dir=tmp_path / "out",
                    jobs=1, progress=printed.append, render=_take_two_seconds)
    starts = [line for line in printed if line.startswith("   started")]
    ends = [line for line in printed if not line.startswith("   started")]
    assert len(starts) == len(ends) == 3, printed
    for name in ("one", "two", "three"):  # each report starts before it ends
        assert printed.index(next(s for s in starts if f" {name} " in s)) < printed.index(
            next(e for e in ends if f" {name} " in e)), printed
    assert starts[0].endswith("(ETA after the first report)")
    # the finished reports took 2 s each, one worker: 2 s x 1 (or 2, when the third report started a moment
    # before the batch saw the second one end) reports left
    assert starts[2].endswith(("(about 2 s left)", "(about 4 s left)")), printed
