"""Run the analysis notebook with papermill and turn it into a self-contained HTML report.

A failed run leaves the failed notebook and its log beside the reports, and raises a one-line
:class:`~degtools.errors.ReportError` typed by whose fault it was.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from degtools.errors import InputError, ParamsError, ReportError, ReportInputError
from degtools.files import write_text_atomically
from degtools.naming import report_stem
from degtools.params import PATH_PARAMETERS, validate_params
from degtools.steps import PROGRESS_VARIABLE, read_announced

#: the offline nbconvert template (no CDN) and the notebook every report runs: package data, so that
#: an installed wheel renders reports from any folder (``notebooks/analysis.ipynb`` of the source
#: checkout is the same file, byte for byte; ``make notebook`` writes both).
TEMPLATES = Path(__file__).parent / "templates"
DEFAULT_NOTEBOOK = Path(__file__).resolve().parent / "notebooks" / "analysis.ipynb"


def export_html(notebook_path: Path, *, with_code: bool = False, title: str = "degtools report") -> str:
    """Render an executed notebook with the offline template (no CDN, code hidden unless asked)."""
    import nbformat
    from nbconvert import HTMLExporter

    notebook = nbformat.read(notebook_path, as_version=4)
    notebook.metadata["title"] = title
    exporter = HTMLExporter(
        template_name="degtools",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=not with_code,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(notebook)
    return body


def export_executed(notebook_path: Path, html_path: Path, *, with_code: bool = False) -> Path:
    """Write the HTML report of a notebook the user executed themselves (e.g. with papermill).

    The same page ``degtools report`` writes, titled after the notebook's file name.

    Raises
    ------
    InputError
        If the notebook is not a notebook, or holds no outputs (it was not executed).
    """
    import nbformat

    try:
        notebook = nbformat.read(notebook_path, as_version=4)
    except Exception as error:  # noqa: BLE001 - nbformat raises many types for a file that is not a notebook
        raise InputError(f"{notebook_path} is not a Jupyter notebook ({type(error).__name__}); pass the "
                         ".ipynb papermill wrote.") from None
    if not any(cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"):
        raise InputError(f"{notebook_path} has no outputs: it was not executed. Run it first: "
                         f"papermill {notebook_path} out.ipynb -p target logFC, then degtools render out.ipynb.")
    page = export_html(Path(notebook_path), with_code=with_code, title=f"degtools report: {Path(html_path).stem}")
    write_text_atomically(Path(html_path), page)
    return Path(html_path)


@contextmanager
def _stderr_to(path: Path):
    """Send this process's (and so the kernel's) stderr to ``path`` while papermill runs.

    The kernel inherits file descriptor 2; its start-up chatter belongs in a log, not on
    the user's terminal.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with open(path, "ab") as log:
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


@contextmanager
def _step_log(path: Path | None):
    """Have the kernel (started meanwhile) append its finished steps to ``path`` (None: as it was)."""
    if path is None:
        yield
        return
    previous = os.environ.get(PROGRESS_VARIABLE)
    os.environ[PROGRESS_VARIABLE] = str(path)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(PROGRESS_VARIABLE, None)
        else:
            os.environ[PROGRESS_VARIABLE] = previous


#: exceptions raised inside the notebook that mean the user's input or parameters were wrong.
USER_ERRORS = ("InputError", "ParamsError")


def _notebook_error(error, *, notebook: Path, log: Path) -> ReportError:
    """The :class:`ReportError` for a papermill execution error: one line, typed by whose fault it was."""
    evalue = str(error.evalue).strip().splitlines()
    line = f"{error.ename}: {evalue[0] if evalue else ''}"
    kind = ReportInputError if error.ename in USER_ERRORS else ReportError
    return kind(line, notebook=notebook, log=log, ename=error.ename)


def format_step(name: str, seconds: float) -> str:
    """One progress line of ``degtools report``: a finished analysis step and its seconds."""
    return f"  {name:<22} {seconds:6.1f} s"


class StepLines:
    """Announce each analysis step of a running notebook once, as it finishes.

    The kernel appends every finished step call to a file (see :data:`degtools.steps.PROGRESS_VARIABLE`);
    after each cell (nbclient's ``on_cell_executed`` hook) the calls it made are summed by step. A
    step is announced after the next cell, so that a step spread over two cells in a row (the volcano
    and the MA plot) is one line.
    """

    def __init__(self, path: Path, progress: Callable[[str], None]) -> None:
        self.path, self.progress = path, progress
        self.offset = 0
        self.pending: list[tuple[str, float]] = []  # this cell's steps, announced after the next cell

    def cell_executed(self, **_: Any) -> None:
        """nbclient hook: take the steps the cell just executed ran."""
        calls, self.offset = read_announced(self.path, offset=self.offset)
        steps: list[tuple[str, float]] = []
        for name, seconds in calls:
            if steps and steps[-1][0] == name:
                steps[-1] = (name, steps[-1][1] + seconds)
            else:
                steps.append((name, seconds))
        if self.pending and steps and steps[0][0] == self.pending[-1][0]:
            steps[0] = (steps[0][0], steps[0][1] + self.pending.pop()[1])
        self.finish()
        self.pending = steps

    def finish(self) -> None:
        """Announce the steps still held back (after the last cell)."""
        for name, seconds in self.pending:
            self.progress(format_step(name, seconds))
        self.pending = []


def render_report(
    values: dict[str, Any],
    *,
    out_dir: str | Path = "reports",
    with_code: bool = False,
    notebook: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[Path, Path]:
    """Execute the notebook for ``values`` and write ``<dataset>_<target>.html`` and ``.json``.

    Parameter names, types and ranges are checked before a kernel starts. Files are
    written under temporary names and renamed at the end, so a failure never replaces a
    previous good report; a failed run leaves ``<stem>.failed.ipynb`` to look at. With
    ``progress``, each analysis step is announced (one line: name and seconds) as it finishes.

    Raises
    ------
    ParamsError, InputError
        Bad parameters or input, before anything runs.
    ReportError
        If a notebook cell failed.
    """
    import papermill

    params = validate_params(values)
    for name in PATH_PARAMETERS:  # the notebook runs in its own folder: give it absolute paths
        if params.get(name):
            params[name] = str(Path(params[name]).expanduser().resolve())
    # The table itself is checked by the notebook's first cell, so that every input problem leaves
    # the same trace: the one-line error, and the failed notebook and log beside the reports.
    notebook = Path(notebook) if notebook else DEFAULT_NOTEBOOK
    if not notebook.is_file():
        raise ParamsError(f"notebook {str(notebook)!r} not found; give the path of an existing notebook.")
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = report_stem(params)
    html_path, json_path = out_dir / f"{stem}.html", out_dir / f"{stem}.json"
    failed_path = out_dir / f"{stem}.failed.ipynb"
    work = Path(tempfile.mkdtemp(prefix=f".{stem}-", dir=out_dir))
    try:
        executed = work / f"{stem}.ipynb"
        run_params = {**params, "results_json": str(work / f"{stem}.json")}
        log_path = work / f"{stem}.log"
        lines = StepLines(work / "steps.tsv", progress) if progress else None
        hooks = {"on_cell_executed": lines.cell_executed} if lines else {}
        try:
            with _stderr_to(log_path), _step_log(lines.path if lines else None):
                papermill.execute_notebook(
                    str(notebook), str(executed), parameters=run_params, kernel_name="python3",
                    cwd=str(notebook.parent), progress_bar=False, log_output=False,
                    # write the notebook once at the end (or on a failure), not twice per cell: those
                    # ~90 serialisations of a notebook full of figures cost ~2 s of each report.
                    request_save_on_cell_execute=False, **hooks,
                )
            if lines:
                lines.finish()
        except papermill.PapermillExecutionError as error:
            shutil.copyfile(executed, failed_path)
            shutil.copyfile(log_path, failed_path.with_suffix(".log"))
            raise _notebook_error(error, notebook=failed_path, log=failed_path.with_suffix(".log")) from None
        if not (work / f"{stem}.json").is_file():
            raise ReportError(f"the notebook {notebook.name} ran but wrote no results JSON; is it degtools' own "
                              "analysis notebook?")
        page = export_html(executed, with_code=with_code, title=f"degtools report: {stem}")
        (work / f"{stem}.html").write_text(page, encoding="utf-8")
        os.replace(work / f"{stem}.html", html_path)
        os.replace(work / f"{stem}.json", json_path)
        failed_path.unlink(missing_ok=True)
        failed_path.with_suffix(".log").unlink(missing_ok=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return html_path, json_path
