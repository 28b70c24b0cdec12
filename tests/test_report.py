"""Report helpers: names, escaping, the offline template, the JSON writer, timings."""

from __future__ import annotations

import json
import re

import pytest

from degtools import report
from degtools.provenance import package_versions
from degtools.report import dataset_name_from_path, html_table, markdown, report_stem, safe_file_part

EXTERNAL = re.compile(r"<(script|img|iframe|link)\b[^>]*\b(src|href)\s*=\s*[\"']?(https?:)?//", re.I)


def test_dataset_name_is_the_file_name_up_to_the_first_dot():
    assert dataset_name_from_path("/x/GSE15852.top.table.tsv") == "GSE15852"
    assert dataset_name_from_path("airway_deseq2_results.csv") == "airway_deseq2_results"


def test_report_stem_uses_dataset_name_and_target_and_is_file_safe():
    params = {"dataset_name": "", "input_table": "/d/GSE2034.top.table.tsv", "target": "B"}
    assert report_stem(params) == "GSE2034_B"
    assert report_stem({**params, "dataset_name": "my study/1"}) == "my_study_1_B"
    assert safe_file_part("../../etc") == "etc"


def test_html_table_escapes_data_strings():
    import pandas as pd

    frame = pd.DataFrame({"title": ["<script>alert(1)</script>"], "value": [0.123456]})
    markup = html_table(frame).data
    assert "<script>" not in markup and "&lt;script&gt;" in markup
    assert "0.123" in markup and "0.1234" not in markup


def test_markdown_escapes_substituted_values():
    assert "&lt;img" in markdown("name: {x}", x="<img src=x onerror=alert(1)>").data


def test_write_results_refuses_nan_and_writes_valid_json(tmp_path):
    path = report.write_results({"a": 1.5}, tmp_path / "r.json")
    assert json.loads(path.read_text()) == {"a": 1.5}
    with pytest.raises(ValueError):
        report.write_results({"a": float("nan")}, tmp_path / "bad.json")
    assert not (tmp_path / "bad.json").exists()


def test_timings_accumulate_per_step_and_total(monkeypatch):
    # a clock that reads these values in turn: created at 10, step a 11 -> 13.5 and 14 -> 14.25, step b
    # 15 -> 15.5, total read at 20
    import time

    ticks = iter([10.0, 11.0, 13.5, 14.0, 14.25, 15.0, 15.5, 20.0])
    monkeypatch.setattr(time, "perf_counter", lambda: next(ticks))
    timings = report.Timings()
    with timings.step("a"):
        pass
    with timings.step("a"):
        pass
    with timings.step("b"):
        pass
    assert timings.as_dict() == {"a": 2.75, "b": 0.5, "total": 10.0}


def test_versions_name_the_core_packages():
    versions = package_versions()
    for package in ("python", "scikit-learn", "pandas", "papermill", "nbconvert", "degtools"):
        assert versions[package] not in ("", "not installed")


def test_offline_template_has_no_external_resources(tmp_path):
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("# Title\n\n$x^2$"), nbformat.v4.new_code_cell("1 + 1")]
    path = tmp_path / "n.ipynb"
    nbformat.write(notebook, path)
    page = report.export_html(path, with_code=False, title="t")
    assert not EXTERNAL.search(page)
    assert "cdnjs" not in page and "require.js" not in page.lower()
    assert "<title>t</title>" in page and 'id="Title"' in page
    assert 'class="jp-CodeMirrorEditor' not in page
    assert 'class="jp-CodeMirrorEditor' in report.export_html(path, with_code=True)
