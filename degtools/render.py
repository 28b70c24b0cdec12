"""Run the analysis notebook with papermill and turn it into a self-contained HTML report.

A failed run leaves the failed notebook and its log beside the reports, and raises a one-line
:class:`~degtools.errors.ReportError` typed by whose fault it was.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from degtools.errors import ParamsError, ReportError, ReportInputError
from degtools.naming import report_stem
from degtools.params import PATH_PARAMETERS, resolve_path_parameter, validate_params

#: the offline nbconvert template (no CDN) and the notebook every report runs.
TEMPLATES = Path(__file__).parent / "templates"
DEFAULT_NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "analysis.ipynb"


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


#: exceptions raised inside the notebook that mean the user's input or parameters were wrong.
USER_ERRORS = ("InputError", "ParamsError")


def _notebook_error(error, *, notebook: Path, log: Path) -> ReportError:
    """The :class:`ReportError` for a papermill execution error: one line, typed by whose fault it was."""
    evalue = str(error.evalue).strip().splitlines()
    line = f"{error.ename}: {evalue[0] if evalue else ''}"
    kind = ReportInputError if error.ename in USER_ERRORS else ReportError
    return kind(line, notebook=notebook, log=log, ename=error.ename)


def render_report(
    values: dict[str, Any],
    *,
    out_dir: str | Path = "reports",
    with_code: bool = False,
    notebook: str | Path | None = None,
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
        If a notebook cell failed.
    """
    import papermill

    params = validate_params(values)
    for name in PATH_PARAMETERS:  # the notebook runs in its own folder: give it absolute paths
        if params.get(name):
            params[name] = resolve_path_parameter(name, params[name])
    # The table itself is checked by the notebook's first cell, so that every input problem leaves
    # the same trace: the one-line error, and the failed notebook and log beside the reports.
    notebook = Path(notebook) if notebook else DEFAULT_NOTEBOOK
    if not notebook.is_file():
        raise ParamsError(f"notebook {str(notebook)!r} not found; run degtools from its source checkout.")
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
        try:
            with _stderr_to(log_path):
                papermill.execute_notebook(
                    str(notebook), str(executed), parameters=run_params, kernel_name="python3",
                    cwd=str(notebook.parent), progress_bar=False, log_output=False,
                    # write the notebook once at the end (or on a failure), not twice per cell: those
                    # ~90 serialisations of a notebook full of figures cost ~2 s of each report.
                    request_save_on_cell_execute=False,
                )
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
