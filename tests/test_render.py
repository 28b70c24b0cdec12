"""Rendering: the offline template of the exported HTML."""

from __future__ import annotations

import re
from pathlib import Path

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
    assert "<details class=\"degtools-code\">" in page  # code kept, folded
    assert "<details class=\"degtools-code\" open=\"\">" in render.export_html(path, with_code=True)


def _notebook(tmp_path, *, paths=("/home/someone/data/GSE1.tsv", "/srv/out/.GSE1-x/GSE1.json")):
    """A small executed-looking notebook: papermill's parameters cell, a figure with alt text, a table and text
    outputs quoting machine paths."""
    import nbformat

    notebook = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell(f'# Parameters\ninput_table = "{paths[0]}"\nresults_json = "{paths[1]}"\n')
    parameters.metadata["tags"] = ["injected-parameters"]
    figure = nbformat.v4.new_code_cell("plots.plot_volcano(table);")
    figure.outputs = [nbformat.v4.new_output(
        "display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"},
        metadata={"image/png": {"alt": "Volcano plot: \"up\" & <down>"}})]
    text = nbformat.v4.new_code_cell("degtools.show_methods(results)")
    text.outputs = [
        nbformat.v4.new_output("display_data", data={
            "text/html": f"<table><tr><td>input path</td><td>{paths[0]}</td></tr>"
                         "<tr><td>CV R²</td><td>0.930 ± 0.006</td></tr></table>"}),
        nbformat.v4.new_output("stream", name="stdout", text=f"read {paths[0]}\n"),
    ]
    notebook.cells = [nbformat.v4.new_markdown_cell("# Title\n\n## Part one\n\n### Detail"), parameters, figure, text]
    path = tmp_path / "n.ipynb"
    nbformat.write(notebook, path)
    return path


def test_code_is_kept_folded_per_cell_and_with_code_only_unfolds_it(tmp_path):
    path = _notebook(tmp_path)
    folded = render.export_html(path, with_code=False, title="t")
    shown = render.export_html(path, with_code=True, title="t")
    assert folded.count('<details class="degtools-code">') == 3 and "<details class=\"degtools-code\" open=\"\">" not in folded
    assert shown.count('<details class="degtools-code" open="">') == 3
    assert folded.count('class="jp-CodeMirrorEditor') == shown.count('class="jp-CodeMirrorEditor') == 3
    assert folded.replace('<details class="degtools-code">', "") == shown.replace(
        '<details class="degtools-code" open="">', "")  # the only difference: whether the code starts open
    assert 'id="degtools-code-switch"' in folded and 'id="degtools-toc"' in folded
    assert not EXTERNAL.search(folded)


def _image_alts(page: str) -> list[str]:
    from html.parser import HTMLParser

    alts = []

    class Images(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag == "img":
                alts.append(dict(attrs).get("alt"))

    Images().feed(page)
    return alts


def test_title_heading_alt_text_and_unbroken_plus_minus(tmp_path):
    page = render.export_html(_notebook(tmp_path), title="GSE1 — logFC · degtools report",
                              heading="GSE1 <b> — logFC")
    assert "<title>GSE1 — logFC · degtools report</title>" in page
    first = re.search(r"<h1\b[^>]*>(.*?)</h1>", page, re.S)[1]
    assert first == "GSE1 &lt;b&gt; — logFC"  # the dataset name is text
    assert _image_alts(page) == ['Volcano plot: "up" & <down>']
    assert "0.930\u00a0±\u00a00.006" in page and "0.930 ± 0.006" not in page


def test_machine_paths_become_file_names(tmp_path):
    machine = ("/home/someone/data/GSE1.tsv", "/srv/out/.GSE1-x/GSE1.json")
    path = _notebook(tmp_path, paths=machine)
    replacements = render._path_replacements({"input_table": machine[0], "results_json": machine[1]},
                                              folders=[Path("/srv/out"), Path("/srv/out/.GSE1-x")])
    page = render.export_html(path, title="t", hidden_paths=replacements)
    for fragment in ("/home/", "/srv/", "someone", ".GSE1-x"):
        assert fragment not in page
    assert page.count("GSE1.tsv") == 3  # parameters cell, the Methods table, the printed line
    assert "paths shown as file names" in page
    assert 'src="data:image/png;base64,iVBORw0KGgo="' in page  # images untouched
    unchanged = render.export_html(path, title="t")
    assert machine[0] in unchanged  # the test notebook does hold the paths


def test_report_heading_names_dataset_and_target():
    assert render.report_heading({"dataset_name": "", "input_table": "/x/GSE2034.top.table.tsv",
                                  "target": "B"}) == "GSE2034 — B"
    assert render.report_heading({"dataset_name": "", "input_table": "", "target": "logFC"}) == "GSE15852 — logFC"
    assert render.report_heading({"dataset_name": "my study", "input_table": "", "target": "t"}) == "my study — t"


def test_path_replacements_never_touch_the_root_and_cover_the_environment():
    import sys

    replacements = render._path_replacements({"input_table": "/data/x.tsv"},
                                              folders=[Path("/"), Path(sys.prefix)])
    assert "/" not in replacements and replacements["/data/x.tsv"] == "x.tsv"
    assert replacements[sys.prefix.rstrip("/") + "/"] == ""


# --- failed runs: the log, a kernel that cannot start, leftovers ----------------------------------------


def _dead_pid() -> int:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(done.stdout)


def test_a_failed_report_keeps_the_error_and_its_traceback_in_the_log(tmp_path, demo_slice, capsys):
    from degtools import cli

    tiny = tmp_path / "tiny.tsv"
    tiny.write_text("".join(demo_slice.read_text().splitlines(keepends=True)[:21]))
    out = tmp_path / "out"
    out.mkdir()
    stale = out / f".old_logFC-{_dead_pid()}-42-abcdefgh"  # left by a run that was killed
    stale.mkdir()
    status = cli.main(["report", "--input", str(tiny), "--target", "logFC", "--out", str(out)])
    assert status == 2
    error_line = capsys.readouterr().err.splitlines()[0].removeprefix("degtools: error: ")
    assert error_line.startswith("InputError: ")
    log = (out / "tiny_logFC.failed.log").read_text(encoding="utf-8")
    assert log.splitlines()[0] == error_line  # the one-line error first ...
    assert "--- its traceback ---" in log and "InputError" in log.split("--- its traceback ---")[1]
    assert "\x1b[" not in log  # ... and the traceback as plain text
    assert sorted(p.name for p in out.iterdir()) == ["tiny_logFC.failed.ipynb", "tiny_logFC.failed.log"]


def test_a_kernel_that_cannot_start_is_one_line_and_exit_2(tmp_path, demo_slice, monkeypatch, capsys):
    import papermill
    from jupyter_client.manager import AsyncKernelManager

    from degtools import cli

    async def refuse(self, **kwargs):
        raise RuntimeError("Kernel didn't respond in 30 seconds")

    seen = {}
    original = papermill.execute_notebook

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(AsyncKernelManager, "start_kernel", refuse)
    monkeypatch.setattr(papermill, "execute_notebook", spy)
    out = tmp_path / "out"
    status = cli.main(["report", "--input", str(demo_slice), "--target", "logFC", "--out", str(out)])
    err = capsys.readouterr().err
    assert status == 2 and seen["start_timeout"] == render.KERNEL_START_TIMEOUT == 30
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("degtools: error: the notebook kernel could not start (RuntimeError: Kernel didn't "
                          "respond in 30 seconds)") and "loopback" in err
    assert [p.name for p in out.iterdir()] == ["GSE15852_slice_logFC.failed.log"]  # no temp folder left
