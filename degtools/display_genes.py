"""What the notebook shows about single genes: the study-specific and generic genes, and one interactive
table of every gene (itables, offline) beside the static top-gene tables kept for print."""

from __future__ import annotations

import pandas as pd
from IPython.display import HTML, display

from degtools.display import html_table, markdown, show_notes


def _gene_list_table(frame: pd.DataFrame, label: str) -> pd.DataFrame:
    shown = frame.reset_index(names="ID")
    return pd.DataFrame({"ID": shown["ID"], "symbol": shown["symbol"], f"observed {label}": shown["observed"],
                         f"predicted {label}": shown["predicted"], "residual": shown["residual"],
                         "why": shown["reason"]})


def show_surprising_genes(surprising, *, label: str, n: int = 10) -> None:
    """The study-specific genes (to follow up), the generic responders, and the ORA of the study-specific ones."""
    show_notes(surprising.notes)
    display(markdown("**Study-specific genes:** change much more than {predictors} predict (out-of-sample "
                     "predictions of {model}); the ones to follow up.", predictors=surprising.predictors,
                     model=surprising.model))
    display(html_table(_gene_list_table(surprising.study_specific, label)) if len(surprising.study_specific)
            else markdown("No gene departs that far from its prediction."))
    display(markdown("**Generic responders:** large changes that {predictors} predict well.",
                     predictors=surprising.predictors))
    display(html_table(_gene_list_table(surprising.generic, label)) if len(surprising.generic)
            else markdown("No large change is predicted that well."))
    ora = surprising.ora
    if ora is not None and (ora["overlap"] > 0).any():
        tested = ora.loc[ora["overlap"] > 0].head(n)
        display(markdown("**Gene sets over-represented among the study-specific genes:**"))
        display(html_table(pd.DataFrame({"gene set": tested["set"], "genes in set": tested["size"],
                                         "overlap": tested["overlap"], "p-value": tested["pvalue"],
                                         "FDR": tested["fdr"], "genes": tested["genes"]})))


#: bytes of row data the interactive gene table may add to a report; genes beyond it are left out, least
#: significant first, and the sentence above the table says how many.
GENE_TABLE_BYTES = 400_000
#: significant digits kept of each number in the interactive table (smaller report, same reading).
GENE_TABLE_DIGITS = 4


def _rounded(values: pd.Series) -> pd.Series:
    return values.map(lambda value: float(f"{value:.{GENE_TABLE_DIGITS}g}") if pd.notna(value) else value)


def gene_table(table, best=None, design=None) -> pd.DataFrame:
    """One row per row of the table: ID, symbol, logFC, mean expression, statistic, p, padj and, when a model
    is given, its prediction, residual and whether the gene was held out; most significant first."""
    from degtools.interpret import all_predictions

    data = table.data
    columns = [column for column in ("gene_id", "symbol", "logFC", "mean_expr", "stat", "pvalue", "padj")
               if column in data]
    frame = data[columns].copy()
    if best is not None and design is not None:
        model_view = all_predictions(best, design).reindex(data["gene_id"])
        frame[f"predicted {design.target_label}"] = model_view["predicted"].to_numpy()
        frame["residual"] = model_view["residual"].to_numpy()
        frame["held out"] = model_view["in_test"].map({True: "yes", False: "no"}).fillna("not modelled").to_numpy()
    order = next((column for column in ("pvalue", "padj") if column in frame), None)
    if order is not None:
        frame = frame.sort_values(order, kind="stable", na_position="last")
    elif "stat" in frame:
        frame = frame.loc[frame["stat"].abs().sort_values(ascending=False, kind="stable").index]
    for column in frame.columns:
        if pd.api.types.is_float_dtype(frame[column]):
            frame[column] = _rounded(frame[column])
    return frame.rename(columns=table.display_name).reset_index(drop=True)


#: rows measured at a time by :func:`_rows_within`.
_SIZE_CHUNK = 2000


def _rows_within(frame: pd.DataFrame, max_bytes: int) -> int:
    """How many leading rows of ``frame`` fit in ``max_bytes`` of page (0 bytes: all of them).

    itables writes the rows as JSON inside a JSON string, so a row costs its JSON with quotes escaped.
    """
    import json

    import numpy as np

    if max_bytes <= 0:
        return len(frame)
    kept, spent = 0, 0
    # a chunk at a time, stopping at the budget: a million-row table is never written out whole
    for start in range(0, len(frame), _SIZE_CHUNK):
        rows = json.loads(frame.iloc[start:start + _SIZE_CHUNK].to_json(orient="values"))
        sizes = np.cumsum([len(json.dumps(json.dumps(row))) for row in rows]) + spent
        fitting = int(np.searchsorted(sizes, max_bytes, side="right"))
        kept += fitting
        if fitting < len(rows):
            return kept
        spent = int(sizes[-1])
    return kept


def _itables_bundle() -> str:
    """DataTables' JavaScript and CSS as shipped with itables, inline: the table works offline.

    The module is kept as text (not base64: a third smaller) and imported from a blob URL once the page loads.
    """
    from pathlib import Path

    from itables.javascript import _itables_ready_event, _itables_underscore_version
    from itables.options import dt_bundle

    source = Path(dt_bundle).read_text(encoding="utf-8")
    style = Path(dt_bundle).with_suffix(".css").read_text(encoding="utf-8")
    if "</script" in source.lower() or "</style" in style.lower():  # would end the element early
        raise RuntimeError("the itables bundle cannot be inlined as text; report this itables version")
    name, event = _itables_underscore_version(), _itables_ready_event()
    return (f'<style>{style}</style>\n<script type="text/plain" id="degtools-dt-bundle">{source}</script>\n'
            "<script>\nif (!window." + name + ") {\n"
            "  const text = document.getElementById('degtools-dt-bundle').textContent;\n"
            "  const url = URL.createObjectURL(new Blob([text], {type: 'text/javascript'}));\n"
            f"  window.{name} = import(url);\n"
            f"  window.{name}.then(() => {{ URL.revokeObjectURL(url); window.dispatchEvent(new Event('{event}')); }});\n"
            "}\n</script>\n")


def show_gene_table(table, best=None, design=None, *, max_bytes: int = GENE_TABLE_BYTES) -> None:
    """Every gene in one interactive table: search, sort, column filters, CSV download; works offline.

    One HTML output (a sentence, DataTables' code, the table), as several outputs in one cell break
    nbconvert's export of itables. Rows beyond ``max_bytes`` of data (0: no limit) are left out, least
    significant first, and the sentence says so.
    """
    from itables import to_html_datatable

    frame = gene_table(table, best, design)
    kept = _rows_within(frame, max_bytes)
    if kept >= len(frame):
        sentence = f"All {len(frame):,} rows of the table"
    else:
        sentence = (f"The {kept:,} most significant of the table's {len(frame):,} rows (the other "
                    f"{len(frame) - kept:,} are left out to keep the report small; they are in the input file)")
    sentence += (": type in the search box (any column) or in the boxes under the table (one column each) to filter, click a header to sort; "
                 "<b>CSV</b> downloads the rows shown.")
    markup = to_html_datatable(
        frame.head(kept), connected=False, maxBytes=0, showIndex=False, column_filters="footer", deferRender=True,
        buttons=["pageLength", {"extend": "csvHtml5", "title": "genes", "footer": False}], format_floats_in_python=False,
        classes="display compact", layout={"topStart": "buttons", "topEnd": "search"})
    display(HTML(f'<div class="degtools-gene-table"><p>{sentence}</p>\n{_itables_bundle()}{markup}</div>'))
