"""Run the analysis notebook with papermill and turn it into a self-contained HTML report.

A failed run leaves the failed notebook and its log (the error, the failing cell's traceback, the
kernel's own messages) beside the reports, and raises a one-line
:class:`~degtools.errors.ReportError` typed by whose fault it was. The work folder is named after
its owner (``.<stem>-<pid>-<start>-XXXXXXXX``): a run that was killed leaves one that the next run
removes, and a guard process stops the kernel and its workers when the run dies (:mod:`degtools.processes`).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from degtools import processes
from degtools.errors import InputError, ParamsError, ReportError, ReportInputError
from degtools.files import write_text_atomically
from degtools.io.source import DEMO_TABLE
from degtools.naming import dataset_name_from_path, report_stem
from degtools.params import PATH_PARAMETERS, path_list, resolve_path_parameter, validate_params
from degtools.steps import PROGRESS_VARIABLE, read_announced

#: the offline nbconvert template (no CDN) and the notebook every report runs.
TEMPLATES = Path(__file__).parent / "templates"
DEFAULT_NOTEBOOK = Path(__file__).resolve().parent / "notebooks" / "analysis.ipynb"


def export_html(
    notebook_path: Path,
    *,
    with_code: bool = False,
    title: str = "degtools report",
    heading: str | None = None,
    hidden_paths: dict[str, str] | None = None,
) -> str:
    """Render an executed notebook with the offline template.

    Every code cell is in the page, folded (``with_code``: unfolded from the start); ``heading`` is
    the first heading (default: none besides the notebook's own); ``hidden_paths`` maps absolute
    paths to what the page shows instead (see :func:`hide_paths`).
    """
    import nbformat
    from nbconvert import HTMLExporter

    notebook = nbformat.read(notebook_path, as_version=4)
    notebook.metadata["title"] = title
    hide_paths(notebook, hidden_paths or {})
    exporter = HTMLExporter(
        template_name="degtools",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(notebook, resources={"degtools": {"heading": heading,
                                                                            "code_open": with_code}})
    return body.replace(" ± ", "\u00a0±\u00a0")  # "0.930 ± 0.006" never breaks across lines


#: notebook output types whose text may quote a path (images are left alone).
_TEXT_OUTPUTS = ("text/plain", "text/html", "text/markdown")


def hide_paths(notebook, replacements: dict[str, str]) -> None:
    """Replace every absolute path of ``replacements`` in the notebook's code and text outputs, longest first.

    The report names its inputs by file name and sha256; where the machine that rendered it kept
    them is nobody's business. Papermill's parameters cell gets a comment saying so.
    """
    if not replacements:
        return
    order = sorted(replacements, key=len, reverse=True)

    def scrub(text: str) -> str:
        for path in order:
            text = text.replace(path, replacements[path])
        return text

    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        source = scrub(cell.source)
        if "injected-parameters" in cell.metadata.get("tags", []) and source != cell.source:
            source = "# (paths shown as file names: the Methods table's sha256 identifies the inputs)\n" + source
        cell.source = source
        for output in cell.get("outputs", []):
            if "text" in output:
                output["text"] = scrub(output["text"])
            for mime in _TEXT_OUTPUTS:
                if mime in output.get("data", {}):
                    output["data"][mime] = scrub(output["data"][mime])
            if "traceback" in output:
                output["traceback"] = [scrub(line) for line in output["traceback"]]
                output["evalue"] = scrub(output.get("evalue", ""))


def report_heading(params: dict[str, Any]) -> str:
    """The report's title: its dataset and target (``GSE15852 — logFC``)."""
    dataset = params["dataset_name"] or dataset_name_from_path(params["input_table"] or DEMO_TABLE)
    return f"{dataset} — {params['target']}"


def _path_replacements(params: dict[str, Any], *, folders: list[Path]) -> dict[str, str]:
    """Absolute paths of the run (input files, the output and work folders, the checkout) and what to show instead."""
    replacements = {}
    for name in (*PATH_PARAMETERS, "results_json"):
        if params.get(name):
            replacements[str(params[name])] = ", ".join(Path(entry).name for entry in path_list(params[name]))
            for entry in path_list(params[name]):
                replacements[entry] = Path(entry).name
    for folder in folders:
        if len(Path(folder).parts) < 2:  # never the file system's root
            continue
        replacements[str(folder).rstrip("/") + "/"] = ""
        replacements.setdefault(str(folder), folder.name)
    return replacements


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
    page = export_html(Path(notebook_path), with_code=with_code, title=f"{Path(html_path).stem} · degtools report")
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


#: exceptions raised inside the notebook that mean the user's input or parameters were wrong.
USER_ERRORS = ("InputError", "ParamsError")


def _notebook_error(error, *, notebook: Path, log: Path) -> ReportError:
    """The :class:`ReportError` for a papermill execution error: one line, typed by whose fault it was."""
    evalue = str(error.evalue).strip().splitlines()
    line = f"{error.ename}: {evalue[0] if evalue else ''}"
    kind = ReportInputError if error.ename in USER_ERRORS else ReportError
    return kind(line, notebook=notebook, log=log, ename=error.ename)


#: seconds a notebook kernel may take to start and answer before the report gives up (papermill: 60).
KERNEL_START_TIMEOUT = 30

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _write_failure_log(path: Path, line: str, details: str, kernel_log: Path) -> None:
    """``<stem>.failed.log``: the one-line error, the details (the failing cell's traceback), the kernel's stderr."""
    try:
        kernel_messages = kernel_log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        kernel_messages = ""
    text = f"{line}\n\n{_ANSI.sub('', details).rstrip()}\n"
    if kernel_messages.strip():
        text += f"\n--- the notebook kernel's own messages ---\n{kernel_messages}"
    path.write_text(text, encoding="utf-8")


def _cell_details(error) -> str:
    """The failing cell's number, source and traceback, from a ``PapermillExecutionError``."""
    traceback = "\n".join(str(part) for part in (getattr(error, "traceback", None) or []))
    return (f"--- the failing cell [{getattr(error, 'exec_count', '?')}] ---\n{getattr(error, 'source', '')}\n\n"
            f"--- its traceback ---\n{traceback}")


def _kernel_start_error(error: BaseException, *, log: Path) -> ReportInputError:
    """The one-line error for a notebook kernel that did not start (or answer) in time."""
    reason = (str(error).strip().splitlines() or [""])[0] or type(error).__name__
    return ReportInputError(
        f"the notebook kernel could not start ({type(error).__name__}: {reason}); it talks to degtools over "
        "TCP on 127.0.0.1, so check that the loopback interface is up (ip link set lo up) and that ipykernel "
        f"is installed in this Python ({sys.executable}). Details: {log}", log=log)


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
    previous good report; a failed run leaves ``<stem>.failed.ipynb`` to look at.

    Raises
    ------
    ParamsError, InputError
        Bad parameters or input, before anything runs.
    ReportError
        If a notebook cell failed, or the notebook kernel did not start (a ``ReportInputError``: the
        environment is the user's to fix).
    """
    params = validate_params(values)
    for name in PATH_PARAMETERS:  # the notebook runs in its own folder: give it absolute paths
        if params.get(name):
            params[name] = resolve_path_parameter(name, params[name])
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
    processes.remove_orphaned_work(out_dir)  # left by runs that were killed
    work = processes.private_folder(out_dir, f".{stem}")
    try:
        with processes.run_guard():
            run_params = {**params, "results_json": str(work / f"{stem}.json")}
            _execute(notebook, work, stem, run_params=run_params, failed_path=failed_path, progress=progress)
            heading = report_heading(params)
            # the checkout and the package's folder (the bundled data and the notebook live there), and the
            # Python environment (a library's warning names its own file)
            folders = [work, out_dir, notebook.parent.resolve(), DEFAULT_NOTEBOOK.parents[1], Path(__file__).parent,
                       Path(sys.prefix), Path(sys.base_prefix)]
            page = export_html(work / f"{stem}.ipynb", with_code=with_code, title=f"{heading} · degtools report",
                               heading=heading, hidden_paths=_path_replacements(run_params, folders=folders))
            (work / f"{stem}.html").write_text(page, encoding="utf-8")
            os.replace(work / f"{stem}.html", html_path)
            os.replace(work / f"{stem}.json", json_path)
            failed_path.unlink(missing_ok=True)
            failed_path.with_suffix(".log").unlink(missing_ok=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return html_path, json_path


def _execute(notebook: Path, work: Path, stem: str, *, run_params: dict[str, Any], failed_path: Path,
             progress: Callable[[str], None] | None = None) -> None:
    """Run the notebook into ``work``; on a failure keep the failed notebook and log and raise one line."""
    import papermill

    executed, log_path = work / f"{stem}.ipynb", work / f"{stem}.log"
    failed_log = failed_path.with_suffix(".log")
    started: list[int] = []
    # ipykernel's debugger (debugpy) warns on every start under Python's frozen modules; the kernel needs no
    # debugger, and the warning would reach the user's terminal beside the one-line error.
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    lines = StepLines(work / "steps.tsv", progress) if progress else None
    hooks = {"on_cell_executed": lines.cell_executed} if lines else {}
    try:
        with _stderr_to(log_path), _step_log(lines.path if lines else None):
            papermill.execute_notebook(
                str(notebook), str(executed), parameters=run_params, kernel_name="python3",
                cwd=str(notebook.parent), progress_bar=False, log_output=False,
                # write the notebook once at the end (or on a failure), not twice per cell: those
                # ~90 serialisations of a notebook full of figures cost ~2 s of each report.
                request_save_on_cell_execute=False,
                start_timeout=KERNEL_START_TIMEOUT,
                on_cell_start=lambda cell, cell_index, **_: started.append(cell_index), **hooks,
            )
        if lines:
            lines.finish()
    except papermill.PapermillExecutionError as error:
        line = _notebook_error(error, notebook=failed_path, log=failed_log)
        shutil.copyfile(executed, failed_path)
        _write_failure_log(failed_log, str(line), _cell_details(error), log_path)
        raise line from None
    except Exception as error:
        if started or processes.TIME_UP.is_set():  # the kernel ran: not a start-up problem
            raise
        line = _kernel_start_error(error, log=failed_log)
        _write_failure_log(failed_log, str(line), f"{type(error).__name__}: {error}", log_path)
        raise line from None
    if not (work / f"{stem}.json").is_file():
        raise ReportError(f"the notebook {notebook.name} ran but wrote no results JSON; is it degtools' own "
                          "analysis notebook?")
