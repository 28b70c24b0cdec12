"""``reports/index.html``: one self-contained page listing every report, built from the report JSON files.

The page has no external resources: the table is sorted by a few lines of inline JavaScript and
the dataset comparison figure is an embedded PNG. Fields that older reports lack (the leaderboard
with independent features only, gene-set enrichment) show as "n/a".
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from degtools.errors import InputError
from degtools.files import write_text_atomically
from degtools.numeric import t_interval
from degtools.output_folder import unwritable_folder_error

INDEX_NAME = "index.html"
NOT_AVAILABLE = "n/a"
#: shown when the leakage audit left no feature independent of the target.
NO_INDEPENDENT = "none: every feature comes from the target or from its own test"


@dataclass
class IndexRow:
    """What the index shows about one report."""

    stem: str
    dataset: str
    tool: str
    target: str
    genes: int | None
    best_model: str
    cv_r2: float | None
    cv_r2_sd: float | None
    test_r2: float | None
    independent_model: str
    independent_r2: float | None
    independent_r2_sd: float | None
    gene_sets: list[str]
    has_report: bool
    failed_last_run: bool
    no_independent_features: bool = False
    independent_ci: tuple[float, float] | None = None
    beats_dummy: bool | None = None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else None


def _best_entry(entries: Any, name: str | None = None) -> dict[str, Any] | None:
    """The entry called ``name``, else the one with the highest mean CV R² (the dummy baseline excluded)."""
    if not isinstance(entries, list):
        return None
    entries = [e for e in entries if isinstance(e, dict)]
    if name is not None:
        for entry in entries:
            if entry.get("name") == name:
                return entry
    scored = [e for e in entries if e.get("name") != "DummyRegressor"
              and _number((e.get("cv") or {}).get("r2_mean")) is not None]
    return max(scored, key=lambda e: e["cv"]["r2_mean"]) if scored else None


def top_gene_sets(enrichment: Any, *, n: int = 3) -> list[str] | None:
    """Up to ``n`` gene sets, most significant first: GSEA if present, else ORA; None if neither exists."""
    if not isinstance(enrichment, dict):
        return None
    for method in ("gsea", "ora"):
        found = enrichment.get(method)
        if not isinstance(found, list):
            continue
        hits = [hit for hit in found if isinstance(hit, dict) and hit.get("set")]

        def significance(hit: dict[str, Any]) -> tuple[float, float]:
            fdr, pvalue = _number(hit.get("fdr")), _number(hit.get("pvalue"))
            return (fdr if fdr is not None else math.inf, pvalue if pvalue is not None else math.inf)

        hits.sort(key=significance)
        labels = []
        for hit in hits[:n]:
            details = [str(hit["direction"])] if hit.get("direction") else []
            fdr = _number(hit.get("fdr"))
            if fdr is not None:
                details.append(f"FDR {fdr:.2g}")
            labels.append(f"{hit['set']} ({method.upper()}{', ' + ', '.join(details) if details else ''})")
        return labels
    return None


def read_index_row(path: Path) -> IndexRow | None:
    """An :class:`IndexRow` from one report JSON; None if the file is not a degtools report JSON."""
    try:
        results = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(results, dict) or "schema_version" not in results or "models" not in results:
        return None
    stem = Path(path).stem
    boards = results.get("leaderboards") or {}
    # The best model on all features (what the table's columns allow at all), beside the best on
    # independent features only: the gap between the two is what leakage buys.
    best = _best_entry(boards.get("all")) or _best_entry(results.get("models"), results.get("best_model")) or {}
    cv, test = best.get("cv") or {}, best.get("test") or {}
    independent = _best_entry(boards.get("independent")) or {}
    no_independent = "independent" in boards and not boards["independent"]
    independent_cv = independent.get("cv") or {}
    source = results.get("input") or {}
    independent_ci = _honest_interval(independent, results)
    rows_used = source.get("rows_used")
    return IndexRow(
        stem=stem,
        dataset=str(results.get("dataset", stem)),
        tool=str(source.get("tool", NOT_AVAILABLE)),
        target=str(results.get("target", "")),
        genes=int(rows_used) if isinstance(rows_used, int) else None,
        best_model=str(best.get("name") or results.get("best_model") or NOT_AVAILABLE),
        cv_r2=_number(cv.get("r2_mean")),
        cv_r2_sd=_number(cv.get("r2_sd")),
        test_r2=_number(test.get("r2")),
        independent_model=str(independent.get("name", "")),
        independent_r2=_number(independent_cv.get("r2_mean")),
        independent_r2_sd=_number(independent_cv.get("r2_sd")),
        no_independent_features=no_independent,
        independent_ci=independent_ci,
        beats_dummy=(results.get("headline") or {}).get("beats_dummy") if isinstance(results.get("headline"), dict)
        else None,
        gene_sets=top_gene_sets(results.get("enrichment")),
        has_report=(Path(path).with_suffix(".html")).is_file(),
        failed_last_run=Path(path).with_name(f"{stem}.failed.ipynb").is_file()
        or Path(path).with_name(f"{stem}.failed.log").is_file(),
    )


def _honest_interval(entry: dict[str, Any], results: dict[str, Any]) -> tuple[float, float] | None:
    """95% t-interval over folds of an independent-features CV R² (or the headline's), None if unknown."""
    cv = entry.get("cv") or {}
    mean, sd = _number(cv.get("r2_mean")), _number(cv.get("r2_sd"))
    folds = (results.get("split") or {}).get("cv_folds")
    if mean is not None and sd is not None and isinstance(folds, int) and folds >= 2:
        return t_interval(mean, sd, folds)
    honest = (results.get("headline") or {}).get("honest_r2") if isinstance(results.get("headline"), dict) else None
    if isinstance(honest, dict) and honest.get("model") == entry.get("name") and _number(honest.get("mean")) == mean:
        low, high = (list(honest.get("ci95") or []) + [None, None])[:2]
        if _number(low) is not None and _number(high) is not None:
            return float(low), float(high)
    return None


def collect_index_rows(reports_dir: str | Path) -> list[IndexRow]:
    """Rows for every report JSON in ``reports_dir``, sorted by dataset and target.

    Raises
    ------
    InputError
        If ``reports_dir`` is not a folder.
    """
    folder = Path(reports_dir)
    if not folder.is_dir():
        raise InputError(f"{str(folder)!r} is not a folder; pass the folder of the reports, e.g. reports/.")
    rows = [read_index_row(path) for path in sorted(folder.glob("*.json")) if not path.name.startswith(".")]
    return sorted((row for row in rows if row is not None), key=lambda row: (row.dataset.lower(), row.target))


def plot_dataset_comparison(rows: list[IndexRow], *, ax: Axes | None = None) -> Figure:
    """All-features (arithmetic) CV R² (± sd) and test R² per report, with the honest independent-features R²."""
    rows = [row for row in rows if row.cv_r2 is not None]
    if ax is None:
        figure = Figure(figsize=(9, 1.2 + 0.38 * max(len(rows), 1)), layout="constrained")
        ax = figure.add_subplot()
    positions = list(range(len(rows)))[::-1]
    ax.barh(positions, [row.cv_r2 for row in rows], xerr=[row.cv_r2_sd or 0.0 for row in rows],
            color="#8fb3d9", edgecolor="#3b6ea5", label="all features (arithmetic), CV R² ± sd")
    tests = [(y, row.test_r2) for y, row in zip(positions, rows, strict=True) if row.test_r2 is not None]
    if tests:
        ax.scatter([x for _, x in tests], [y for y, _ in tests], marker="D", color="#c0392b", zorder=3,
                   label="all features (arithmetic), test R²")
    independent = [(y, row.independent_r2) for y, row in zip(positions, rows, strict=True)
                   if row.independent_r2 is not None]
    if independent:
        ax.scatter([x for _, x in independent], [y for y, _ in independent], marker="o", facecolors="none",
                   edgecolors="black", zorder=3, label="independent features (honest), CV R² [95% CI]")
        for y, row in zip(positions, rows, strict=True):
            if row.independent_r2 is not None and row.independent_ci is not None:
                ax.plot(list(row.independent_ci), [y, y], color="black", linewidth=1, zorder=3)
    # dataset names and targets are the user's text: "$x$" in them is shown as typed, never parsed as math
    ax.set_yticks(positions, [f"{row.dataset} · {row.target}" for row in rows])
    for label in ax.get_yticklabels():
        label.set_parse_math(False)
        label.set_usetex(False)
    ax.axvline(0, color="grey", linewidth=0.8)
    ax.set_xlabel("R²")
    ax.set_title("Model performance across datasets and targets")
    if rows:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small", frameon=False)
    else:
        ax.text(0.5, 0.5, "no report with a cross-validated R²", transform=ax.transAxes, ha="center")
    return ax.figure


def _figure_png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _fmt(value: float | None, sd: float | None = None) -> str:
    if value is None:
        return NOT_AVAILABLE
    return f"{value:.3f}" + (f" ± {sd:.3f}" if sd is not None else "")


def _cell(text: str, sort_value: Any = None) -> str:
    key = text if sort_value is None else sort_value
    if isinstance(key, float):
        key = repr(key)
    return f'<td data-sort="{html.escape(str(key), quote=True)}">{html.escape(text)}</td>'


#: the honest R² (independent features) comes first; the all-features one beside it is arithmetic, not prediction.
_COLUMNS = ("dataset", "tool", "target", "genes", "honest R² [95% CI] (independent features, cross-validated)",
            "arithmetic (all features): CV R² ± sd", "model (all features)", "test R² (all features)", "top gene sets")

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { border-bottom: 1px solid #ddd; padding: 0.35em 0.6em; text-align: left; vertical-align: top; }
th { cursor: pointer; background: #f3f3f3; user-select: none; }
th[aria-sort="ascending"]::after { content: " ▲"; }
th[aria-sort="descending"]::after { content: " ▼"; }
td.na, .note { color: #888; }
td:last-child { min-width: 16em; max-width: 30em; overflow-wrap: anywhere; }
img { max-width: 100%; }
"""

# Sorts by each cell's data-sort value: numbers numerically, "n/a" last, text alphabetically.
_SCRIPT = """
document.querySelectorAll("table.sortable th").forEach(function (header, column) {
  header.addEventListener("click", function () {
    var table = header.closest("table"), body = table.tBodies[0];
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("th").forEach(function (th) { th.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    function key(row) {
      var value = row.cells[column].getAttribute("data-sort");
      if (value === "n/a") { return null; }
      var number = Number(value);
      return value.trim() !== "" && !isNaN(number) ? number : value.toLowerCase();
    }
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a), y = key(b);
      if (x === null || y === null) { return (x === null) - (y === null); }
      if (typeof x !== typeof y) { x = String(x); y = String(y); }
      return (x < y ? -1 : x > y ? 1 : 0) * (ascending ? 1 : -1);
    });
    rows.forEach(function (row) { body.appendChild(row); });
  });
});
"""


def _row_html(row: IndexRow) -> str:
    dataset = html.escape(row.dataset)
    if row.has_report:
        dataset = f'<a href="{html.escape(quote(row.stem + ".html"), quote=True)}">{dataset}</a>'
    if row.failed_last_run:
        dataset += ' <span class="note">(last run failed; this is the previous report)</span>'
    if row.independent_r2 is not None and row.independent_ci is not None:
        independent = f"{row.independent_r2:.3f} [{row.independent_ci[0]:.3f}, {row.independent_ci[1]:.3f}]"
    else:
        independent = _fmt(row.independent_r2, row.independent_r2_sd)
    if row.independent_model:
        independent += f" ({row.independent_model}" + ("; does not beat the baseline)" if row.beats_dummy is False
                                                        else ")")
    elif row.no_independent_features:
        independent = NO_INDEPENDENT
    if row.gene_sets is None:
        gene_sets = NOT_AVAILABLE
    else:
        gene_sets = "; ".join(row.gene_sets) if row.gene_sets else "none"
    cells = [
        f'<td data-sort="{html.escape(row.dataset.lower(), quote=True)}">{dataset}</td>',
        _cell(row.tool),
        _cell(row.target),
        _cell(str(row.genes) if row.genes is not None else NOT_AVAILABLE,
              float(row.genes) if row.genes is not None else NOT_AVAILABLE),
        _cell(independent, row.independent_r2 if row.independent_r2 is not None else NOT_AVAILABLE),
        _cell(_fmt(row.cv_r2, row.cv_r2_sd), row.cv_r2 if row.cv_r2 is not None else NOT_AVAILABLE),
        _cell(row.best_model),
        _cell(_fmt(row.test_r2), row.test_r2 if row.test_r2 is not None else NOT_AVAILABLE),
        _cell(gene_sets),
    ]
    return "<tr>" + "".join(cells) + "</tr>"


def render_index(rows: list[IndexRow], *, title: str = "degtools reports") -> str:
    """The index page's HTML: a sortable table of ``rows`` and the dataset comparison figure."""
    figure = plot_dataset_comparison(rows)
    image = _figure_png(figure)
    header = "".join(f"<th>{html.escape(name)}</th>" for name in _COLUMNS)
    body = "\n".join(_row_html(row) for row in rows)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>{html.escape(title)}</h1>
<p>{len(rows)} report(s). Click a column header to sort. The first R² is the honest one: the highest mean
cross-validated R² (95% t-interval over folds) on the columns the leakage audit calls independent of the
target. Beside it, the same on all of the table's columns, including those computed from the target or
from its own test: that R² is arithmetic, not prediction, and the gap between the two is what the leakage
buys. Models are chosen on cross-validation, never on the test set. "n/a": not recorded in that report's
JSON.</p>
<table class="sortable" id="reports">
<thead><tr>{header}</tr></thead>
<tbody>
{body}
</tbody>
</table>
<h2 id="comparison">Datasets compared</h2>
<img alt="Honest (independent features) and arithmetic (all features) R² for every report" src="data:image/png;base64,{image}">
<script>{_SCRIPT}</script>
</body>
</html>
"""


def write_index(reports_dir: str | Path, *, out: str | Path | None = None) -> Path:
    """Build ``index.html`` in ``reports_dir`` (or at ``out``) from the report JSON files there.

    Raises
    ------
    InputError
        If ``reports_dir`` is not a folder, or the page cannot be written there (read-only, full).
    """
    rows = collect_index_rows(reports_dir)
    path = Path(out) if out else Path(reports_dir) / INDEX_NAME
    page = render_index(rows)
    try:
        return write_text_atomically(path, page)
    except OSError as error:
        raise unwritable_folder_error(error, path.parent) from None


def index_is_stale(reports_dir: str | Path) -> bool:
    """True if the index is missing or older than a report JSON beside it."""
    folder = Path(reports_dir)
    index = folder / INDEX_NAME
    if not index.is_file():
        return True
    built = index.stat().st_mtime
    reports = (path for path in folder.glob("*.json") if not path.name.startswith("."))
    return any(path.stat().st_mtime > built for path in reports)
