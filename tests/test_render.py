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
