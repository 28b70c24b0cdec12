"""What the notebook shows: escaped HTML tables and markdown that renders every value as its own text."""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest

from degtools.display import code_span, escape_markdown, html_table, markdown

#: strings a table could carry in a header, a file name or a note, each trying to become markup.
HOSTILE = [
    "[feat](javascript:alert(8))",
    "![x](data:image/png;base64,AAAA)",
    "[click](data:text/html;base64,PHNjcmlwdD4=)",
    "[x][ref]\n\n[ref]: javascript:alert(1)",
    "<a href='javascript:alert(1)'>x</a>",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<iframe src=x></iframe>",
    "<!-- hidden -->",
    "<javascript:alert(1)>",
    "<https://example.com>",
    "https://example.com/a_b",
    "www.example.com",
    "someone@example.com",
    "javascript:alert(1)",
    "&#106;avascript&colon;alert(1) &lt;b&gt; &amp;",
    "$x$",
    "$$x^2$$",
    "$<img src=x>$",
    "a | b | c",
    "| h |\n|---|\n| v |",
    "`code`",
    "``two `ticks` here``",
    "*star* _under_ **bold** __bold__ ~~strike~~",
    "# heading",
    "> quote",
    "- item",
    "1. item",
    "+ item",
    "back\\slash \\* \\_ \\[",
    "[^1] footnote",
    "{x} {0} {}",
    "line one\n# line two",
    "  spaced  ",
    "log2(FC) [x] {y} <z> 'q' \"dq\"",
]

TEMPLATES = ["{value}", "Value: {value}", "- {value}", "**{value}** · rest", "Code: {value:code}"]


def _render(source: str) -> str:
    """HTML of markdown as the report's exporter renders a text/markdown output (nbconvert, mistune)."""
    from nbconvert.exporters import HTMLExporter

    return HTMLExporter().markdown2html({}, source)


def _text(fragment: str) -> str:
    """The text a browser shows (white space collapsed)."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("template", TEMPLATES)
def test_markdown_values_render_as_their_own_text(template, value):
    page = _render(markdown(template, value=value).data)
    allowed = ({"ul", "li"} if template.startswith("- ") else {"p"}) | ({"strong"} if "**" in template else set()) | ({"code"} if ":code}" in template else set())
    tags = re.findall(r"<\s*/?\s*([^\s>/]+)([^>]*)>", page)
    assert {name for name, _ in tags} == allowed and not any(attributes.strip() for _, attributes in tags), page
    flat = " ".join(value.splitlines())
    expected = template.replace("**", "").replace("{value:code}", flat).replace("{value}", flat)
    if template.startswith("- "):
        expected = expected[2:]
    assert _text(page) == " ".join(expected.split()), page


def test_the_exported_report_shows_hostile_values_as_text(tmp_path):
    """The same through the whole exporter: a notebook whose output is the markdown, exported to HTML."""
    import nbformat

    from degtools.render import export_html

    notebook = nbformat.v4.new_notebook()
    outputs = [nbformat.v4.new_output("display_data", data={"text/markdown": markdown("{v} / {v:code}", v=value).data,
                                                             "text/plain": "<Markdown>"})
               for value in HOSTILE]
    notebook.cells = [nbformat.v4.new_code_cell("", outputs=outputs)]
    path = tmp_path / "n.ipynb"
    nbformat.write(notebook, path)
    page = export_html(path)
    shown = re.findall(r'data-mime-type="text/markdown"[^>]*>(.*?)</div>', page, flags=re.S)
    assert len(shown) == len(HOSTILE)
    for value, fragment in zip(HOSTILE, shown, strict=True):
        tags = re.findall(r"<\s*/?\s*([^\s>/]+)([^>]*)>", fragment)
        assert {name for name, _ in tags} <= {"p", "code"} and not any(a.strip() for _, a in tags), fragment
        flat = " ".join(value.splitlines())
        assert _text(fragment) == " ".join(f"{flat} / {flat}".split())


def test_markdown_escapes_substituted_values():
    assert "&lt;img" in markdown("name: {x}", x="<img src=x onerror=alert(1)>").data


def test_markdown_formats_numbers_before_escaping_them():
    assert _text(_render(markdown("{rows:,} rows, R² {r2:.3f}", rows=22283, r2=-0.12345).data)) == (
        "22,283 rows, R² -0.123")


def test_code_spans_take_any_backticks():
    assert code_span("a`b") == "``a`b``"
    assert code_span("`x`") == "`` `x` ``"
    assert code_span("") == ""
    assert _text(_render(markdown("{names:codes}", names=["a`b", "c_d"]).data)) == "a`b, c_d"
    assert escape_markdown("a\nb") == "a b"


def test_html_table_escapes_data_strings():
    frame = pd.DataFrame({"title": ["<script>alert(1)</script>"], "value": [0.123456]})
    markup = html_table(frame).data
    assert "<script>" not in markup and "&lt;script&gt;" in markup
    assert "0.123" in markup and "0.1234" not in markup
