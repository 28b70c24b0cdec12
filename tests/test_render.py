"""Rendering: the offline template of the exported HTML."""

from __future__ import annotations

import re

from degtools import render

EXTERNAL = re.compile(r"<(script|img|iframe|link)\b[^>]*\b(src|href)\s*=\s*[\"']?(https?:)?//", re.I)


def test_offline_template_has_no_external_resources(tmp_path):
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("# Title\n\n$x^2$"), nbformat.v4.new_code_cell("1 + 1")]
    path = tmp_path / "n.ipynb"
    nbformat.write(notebook, path)
    page = render.export_html(path, with_code=False, title="t")
    assert not EXTERNAL.search(page)
    assert "cdnjs" not in page and "require.js" not in page.lower()
    assert "<title>t</title>" in page and 'id="Title"' in page
    assert 'class="jp-CodeMirrorEditor' not in page
    assert 'class="jp-CodeMirrorEditor' in render.export_html(path, with_code=True)
