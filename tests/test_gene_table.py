"""The interactive gene table: its rows and columns, its byte budget, its offline code, and escaping."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from degtools import display_genes, read_de_table

SCRIPT_END = "</script><script>alert(1)</script>"


def test_gene_table_holds_every_row_with_the_models_view(fitted):
    table, design, best = fitted
    frame = display_genes.gene_table(table, best, design)
    assert list(frame.columns) == ["ID", "Gene.symbol", "logFC", "AveExpr", "t", "P.Value", "adj.P.Val",
                                   "predicted logFC", "residual", "held out"]
    assert len(frame) == len(table.data) == 400
    # most significant first, numbers to 4 significant digits
    assert list(frame["ID"]) == list(table.data.sort_values("pvalue", kind="stable")["gene_id"])
    source = table.data.set_index("gene_id").loc[frame["ID"]]
    np.testing.assert_allclose(frame["logFC"], source["logFC"], rtol=5e-4)
    assert frame["logFC"].map(lambda v: len(f"{abs(v):.10g}".replace(".", "").lstrip("0")) <= 4).all()
    features = pd.concat([design.X_train, design.X_test]).loc[frame["ID"]]
    np.testing.assert_allclose(frame["predicted logFC"], best.pipeline.predict(features), rtol=5e-4)
    np.testing.assert_allclose(frame["residual"], source["logFC"] - best.pipeline.predict(features), rtol=5e-3,
                               atol=1e-4)
    held_out = frame["ID"].isin(design.X_test.index)
    assert list(frame["held out"]) == ["yes" if flag else "no" for flag in held_out]
    plain = display_genes.gene_table(table)  # no model: the table's own columns only
    assert list(plain.columns) == ["ID", "Gene.symbol", "logFC", "AveExpr", "t", "P.Value", "adj.P.Val"]


def _shown(capsys_output: list) -> str:
    assert len(capsys_output) == 1, "one output per cell (several broke nbconvert's export of itables)"
    return capsys_output[0].data


@pytest.fixture
def shown(monkeypatch):
    outputs = []
    monkeypatch.setattr(display_genes, "display", lambda *objects: outputs.extend(objects))
    return outputs


def _rows_in(markup: str) -> list[list]:
    """The rows itables embedded: a JSON string holding the JSON list of rows."""
    encoded = re.search(r'"data_json": ("(?:[^"\\]|\\.)*")', markup)[1]
    return json.loads(json.loads(encoded))


def test_shown_table_keeps_every_row_within_the_budget_and_works_offline(fitted, shown):
    table, design, best = fitted
    display_genes.show_gene_table(table, best, design)
    markup = _shown(shown)
    assert markup.startswith('<div class="degtools-gene-table"><p>All 400 rows of the table')
    assert len(_rows_in(markup)) == 400
    # DataTables' code is in the page (no CDN), as text imported from a blob URL
    assert 'id="degtools-dt-bundle"' in markup and "unpkg" not in markup and "cdn." not in markup
    assert "csvHtml5" in markup and '"column_filters": "footer"' in markup


def test_rows_beyond_the_budget_are_left_out_least_significant_first_and_said_so(fitted, shown):
    table, design, best = fitted
    frame = display_genes.gene_table(table, best, design)
    budget = 5_000
    display_genes.show_gene_table(table, best, design, max_bytes=budget)
    markup = _shown(shown)
    rows = _rows_in(markup)
    kept = len(rows)
    assert 0 < kept < 400
    assert [row[0] for row in rows] == list(frame["ID"][:kept])  # the most significant rows
    assert len(json.dumps(json.dumps(rows))) <= budget + 2 * kept  # the budget holds (row separators aside)
    assert f"The {kept:,} most significant of the table's 400 rows (the other {400 - kept:,} are left out" in markup


def test_user_text_in_the_gene_table_stays_text(synthetic_table, shown, tmp_path):
    frame = pd.read_csv(synthetic_table, sep="\t")
    frame.loc[0, "Gene.symbol"] = SCRIPT_END
    frame.loc[1, "ID"] = "<img src=x onerror=alert(2)>"
    path = tmp_path / "hostile.tsv"
    frame.to_csv(path, sep="\t", index=False)
    display_genes.show_gene_table(read_de_table(path))
    markup = _shown(shown)
    assert SCRIPT_END not in markup and "alert(1)</script>" not in markup
    assert "<img src=x" not in markup
    assert any("&lt;/script&gt;" in str(cell) for row in _rows_in(markup) for cell in row)


def test_the_budget_is_counted_chunk_by_chunk_as_over_the_whole_table(fitted, monkeypatch):
    table, design, best = fitted
    frame = display_genes.gene_table(table, best, design)
    rows = json.loads(frame.to_json(orient="values"))
    sizes = np.cumsum([len(json.dumps(json.dumps(row))) for row in rows])
    monkeypatch.setattr(display_genes, "_SIZE_CHUNK", 7)  # chunk edges fall inside and at the budget
    for budget in (1, int(sizes[0]), int(sizes[6]), int(sizes[6]) + 1, 5_000, int(sizes[-1]), 10**9):
        expected = int(np.searchsorted(sizes, budget, side="right"))
        assert display_genes._rows_within(frame, budget) == expected
