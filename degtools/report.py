"""Run the analysis notebook with papermill and turn it into a self-contained HTML report.

Also holds what the notebook needs to describe itself: timings, package versions, the
machine-readable results (the per-report JSON, a public interface documented in the
README) and HTML tables with every data string escaped.
"""

from __future__ import annotations

import html
import json
import math
import os
import re
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from degtools.errors import ParamsError, ReportError, ReportInputError
from degtools.files import write_text_atomically
from degtools.numeric import finite_or_none
from degtools.params import PATH_PARAMETERS, validate_params
from degtools.provenance import package_versions

#: bump only with a documented, backwards-compatible change of the JSON fields.
RESULTS_SCHEMA_VERSION = 1

#: packages whose versions every report records.
TEMPLATES = Path(__file__).parent / "templates"
DEFAULT_NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "analysis.ipynb"


class Timings:
    """Seconds spent per step, recorded with ``with timings.step("name"):``, and the steps a batch reused."""

    def __init__(self) -> None:
        self._start = time.perf_counter()
        self.seconds: dict[str, float] = {}
        #: steps whose results were loaded from an identical computation earlier in the batch
        self.reused: list[str] = []

    def note_reused(self, name: str, reused: bool) -> None:
        """Record that step ``name`` was reused (when ``reused``)."""
        if reused and name not in self.reused:
            self.reused.append(name)

    @contextmanager
    def step(self, name: str):
        """Time the enclosed block and add it to ``name``."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start

    def as_dict(self) -> dict[str, float]:
        """Per-step seconds plus ``total`` since this object was made."""
        return {**{k: round(v, 3) for k, v in self.seconds.items()},
                "total": round(time.perf_counter() - self._start, 3)}


def dataset_name_from_path(path: str | Path) -> str:
    """Report name of a table: its file name up to the first dot (``GSE15852.top.table.tsv`` -> ``GSE15852``)."""
    name = Path(path).name.split(".")[0]
    return safe_file_part(name) or "table"


def safe_file_part(text: str) -> str:
    """Keep letters, digits, ``-``, ``_`` and ``.``; anything else becomes ``_``."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", str(text)).strip("._")


def report_stem(params: dict[str, Any]) -> str:
    """``<dataset>_<target>``: the file name (without suffix) of a report."""
    dataset = params["dataset_name"] or dataset_name_from_path(params["input_table"] or "GSE15852")
    return f"{safe_file_part(dataset)}_{safe_file_part(params['target'])}"


def html_table(frame: pd.DataFrame, *, digits: int = 3, index: bool = False):
    """An escaped HTML table for the report (every string in the data is escaped)."""
    from IPython.display import HTML

    def fmt(value: float) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return ""
        magnitude = abs(value)
        if magnitude != 0 and (magnitude < 10 ** -digits or magnitude >= 10**6):
            return f"{value:.{digits - 1}e}"
        return f"{value:.{digits}f}"

    markup = frame.to_html(index=index, escape=True, float_format=fmt, na_rep="", classes="degtools-table",
                           border=0)
    return HTML(markup)


def markdown(text: str, **values: Any):
    """Markdown for the report, with every substituted value HTML-escaped."""
    from IPython.display import Markdown

    escaped = {key: html.escape(str(value)) for key, value in values.items()}
    return Markdown(text.format(**escaped))


def model_entries(comparison) -> list[dict[str, Any]]:
    """The JSON ``models`` list: one entry per model with CV and test metrics."""
    entries = []
    for result in comparison.results:
        cv = result.cv_summary()
        entries.append(
            {
                "name": result.name,
                "cv": {key: finite_or_none(value) for key, value in cv.items()},
                "test": {key: finite_or_none(value) for key, value in result.test.items()},
                "fit_seconds": round(result.fit_seconds, 4),
                "cv_seconds": round(result.cv_seconds, 4),
                "tuning_seconds": round(getattr(result, "tuning_seconds", 0.0), 4),
            }
        )
    return entries


def build_results(*, params, table, design, comparison, timings: Timings, leakage=None, leaderboards=None,
                  ranking=None, target_explanation=None) -> dict[str, Any]:
    """The per-report JSON (see README, "The report JSON")."""
    results = {
        "schema_version": RESULTS_SCHEMA_VERSION,
        "dataset": params["dataset_name"] or dataset_name_from_path(table.path),
        "target": design.target_label,
        "parameters": {name: value for name, value in params.items() if name != "results_json"},
        "input": {
            "path": str(table.path),
            "sha256": table.sha256,
            "rows": int(design.rows_total),
            "rows_used": int(design.rows_used),
            "tool": table.tool,
            "columns": dict(table.column_map),
            "reader": table.record(),
        },
        "features": [design.feature_labels[feature] for feature in design.features],
        "split": {"train": len(design.X_train), "test": len(design.X_test), "cv_folds": comparison.cv_folds,
                  "seed": comparison.seed, "by": getattr(design, "split_kind", "random rows")},
        "versions": package_versions(),
        "models": model_entries(comparison),
        "best_model": comparison.best_name,
        "timings": timings.as_dict(),
        "reused": list(timings.reused),
    }
    results.update(modelling_results(leakage=leakage, leaderboards=leaderboards, ranking=ranking,
                                     target_explanation=target_explanation))
    return results


def modelling_results(*, leakage=None, leaderboards=None, ranking=None, target_explanation=None) -> dict[str, Any]:
    """JSON fields of the leakage audit, the leaderboards and the ranking comparison (those given)."""
    from degtools.leaderboards import leaderboard_entries

    fields: dict[str, Any] = {}
    if target_explanation is not None:
        fields["target_explanation"] = target_explanation
    if leakage is not None:
        fields["leakage"] = leakage.entries()
        fields["leakage_notes"] = list(leakage.notes)
    if leaderboards is not None:
        fields["leaderboards"] = {name: (leaderboard_entries(board) if board is not None else None)
                                  for name, board in leaderboards.boards.items()}
        fields["main_leaderboard"] = leaderboards.main
    if leaderboards is not None or ranking is not None:
        fields["ranking"] = None if ranking is None else {
            "threshold": ranking.threshold,
            "rows": json.loads(ranking.table.to_json(orient="records")),
        }
    return fields


def write_results(results: dict[str, Any], path: str | Path) -> Path | None:
    """Write the results JSON (atomically) if ``path`` is set."""
    if not path:
        return None
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_text_atomically(path, json.dumps(results, indent=2, allow_nan=False) + "\n")


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
            params[name] = str(Path(params[name]).expanduser().resolve())
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



def methods_table(results: dict[str, Any]) -> pd.DataFrame:
    """Parameters, input, seed, versions and timings as one two-column table."""
    rows = [("parameter: " + name, value) for name, value in results["parameters"].items()]
    rows += [
        ("input path", results["input"]["path"]),
        ("input sha256", results["input"]["sha256"]),
        ("input rows / used", f"{results['input']['rows']} / {results['input']['rows_used']}"),
        ("detected tool", results["input"]["tool"]),
        ("train / test rows", f"{results['split']['train']} / {results['split']['test']}"),
        ("cross-validation", f"{results['split']['cv_folds']}-fold KFold, shuffled, seed {results['split']['seed']}"),
    ]
    if "by" in results["split"]:
        from degtools.models import LARGE_TABLE_STRATEGY

        rows[-1] = ("cross-validation", f"{results['split']['cv_folds']}-fold, shuffled, seed "
                    f"{results['split']['seed']}; split {results['split']['by']}")
        rows.append(("large tables (SVR, KNN) and tuning", LARGE_TABLE_STRATEGY))
    rows += [("version: " + package, version) for package, version in results["versions"].items()]
    rows += [("seconds: " + step, f"{seconds:.2f}") for step, seconds in results["timings"].items()]
    if results.get("reused"):
        rows.append(("reused in the batch", ", ".join(results["reused"]) + " (loaded from an identical "
                     "computation for another report of the same batch: same data, settings, code and versions)"))
    return pd.DataFrame(rows, columns=["item", "value"]).astype(str)
