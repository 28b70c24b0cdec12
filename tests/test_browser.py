"""A rendered report and the index page, opened in headless Chromium with the network blocked.

Checks what a reader would notice: console errors, images that do not decode, index links that
lead nowhere, table-of-contents entries without a target. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from conftest import ROOT

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
ARTIFACTS = ROOT / "tests" / "artifacts"

#: flags for a quiet, offline, sandbox-free headless browser (CI containers run as root).
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND",  # no name resolves: nothing can leave the machine
]

if CHROMIUM is None:
    pytest.skip("chromium is not installed (apt-get install chromium; make test does it)",
                allow_module_level=True)

from playwright import sync_api  # noqa: E402 - a dev dependency; drives the system chromium, downloads nothing

pytestmark = pytest.mark.slow  # starts notebook kernels, browsers or worker pools (`make test-min` skips it)


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> Path:
    """One small real report, a copy of it under a second name with other numbers, and the index."""
    from conftest import DEMO

    from degtools.index import write_index
    from degtools.render import render_report

    out = tmp_path_factory.mktemp("reports")
    small = out / "demo_slice.tsv"
    lines = DEMO.read_text(encoding="utf-8").splitlines(keepends=True)
    small.write_text("".join(lines[:401]), encoding="utf-8")
    # a kernel inheriting MPLBACKEND=Agg from the environment must still show its figures
    backend = os.environ.pop("MPLBACKEND", None)
    try:
        html_path, json_path = render_report(
            {"input_table": str(small), "dataset_name": "demo", "max_rows": 200}, out_dir=out)
    finally:
        if backend is not None:
            os.environ["MPLBACKEND"] = backend
    small.unlink()
    results = json.loads(json_path.read_text(encoding="utf-8"))
    results["dataset"] = "copy"
    boards = [board for board in (results.get("leaderboards") or {}).values() if board]
    for entry in [*results["models"], *(entry for board in boards for entry in board)]:
        entry["cv"]["r2_mean"] = (entry["cv"]["r2_mean"] or 0) - 0.5
    (out / "copy_logFC.json").write_text(json.dumps(results), encoding="utf-8")
    shutil.copyfile(html_path, out / "copy_logFC.html")
    write_index(out)
    return out


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


class Visit:
    """A page opened with every non-file request blocked, and what went wrong on it."""

    def __init__(self, browser, path: Path):
        self.errors: list[str] = []
        self.blocked: list[str] = []
        self.context = browser.new_context(viewport={"width": 1200, "height": 900})
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.goto(path.as_uri(), wait_until="load")

    def _route(self, route):
        if route.request.url.startswith(("file:", "data:")):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def undecoded_images(self) -> list[str]:
        return self.page.eval_on_selector_all(
            "img",
            "images => images.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src.slice(0, 80))")

    def close(self) -> None:
        self.context.close()

    def __enter__(self) -> Visit:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def test_report_in_browser(browser, reports: Path):
    with Visit(browser, reports / "demo_logFC.html") as visit:
        page = visit.page
        assert page.title() == "demo — logFC · degtools report"
        assert page.locator("h1").first.inner_text() == "demo — logFC"
        assert page.locator("img").count() >= 4
        assert visit.undecoded_images() == []
        alts = page.eval_on_selector_all("img", "images => images.map(i => i.alt)")
        assert all(alt and not alt.startswith("figure (no description") for alt in alts), alts
        anchors = page.eval_on_selector_all("a[href^='#']", "links => links.map(a => a.getAttribute('href'))")
        toc = [href for href in anchors if not href.startswith("#") or len(href) > 1]
        assert {"#Data-overview", "#Evaluation", "#Methods-and-reproducibility"} <= set(toc)
        missing = page.evaluate(
            "hrefs => hrefs.filter(h => !document.getElementById(decodeURIComponent(h.slice(1))))", toc)
        assert missing == []
        # the sticky contents: one entry per h2/h3, in page order, and it stays in view when scrolled
        headings = page.eval_on_selector_all("main h2[id], main h3[id]", "hs => hs.map(h => '#' + h.id)")
        sidebar = page.eval_on_selector_all("#degtools-toc a", "links => links.map(a => a.getAttribute('href'))")
        assert sidebar == headings and "#Top-genes-and-the-model" in sidebar
        page.click("#degtools-toc a[href='#Methods-and-reproducibility']")
        assert page.locator("#degtools-toc").bounding_box()["y"] == 0
        assert page.locator("#Methods-and-reproducibility").is_visible()
        page.evaluate("window.scrollTo(0, 0)")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=False)
        assert visit.errors == [] and visit.blocked == []


def test_code_is_folded_per_cell_and_by_one_switch(browser, reports: Path):
    with Visit(browser, reports / "demo_logFC.html") as visit:
        page = visit.page
        blocks = page.locator("details.degtools-code")
        count = blocks.count()
        assert count >= 20
        code = page.locator("details.degtools-code .jp-InputArea-editor")
        assert code.count() == count and not any(code.nth(i).is_visible() for i in range(count))
        first = blocks.nth(3)
        first.locator("summary").click()  # one cell
        assert code.nth(3).is_visible() and not code.nth(4).is_visible()
        first.locator("summary").click()
        assert not code.nth(3).is_visible()
        switch = page.locator("#degtools-code-switch")
        assert switch.inner_text() == "show all code"
        switch.click()  # every cell
        assert all(code.nth(i).is_visible() for i in range(count))
        assert switch.inner_text() == "hide all code"
        shown = page.eval_on_selector_all("details.degtools-code", "ds => ds.map(d => d.innerText).join('\\n')")
        assert "degtools.show_gene_table(" in shown
        assert "shared_call" not in shown and "timings" not in shown
        page.locator("details.degtools-code").nth(1).scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "report-code.png"), full_page=False)
        switch.click()
        assert not any(code.nth(i).is_visible() for i in range(count))
        assert visit.errors == [] and visit.blocked == []


def test_code_toggle_works_without_javascript(browser, reports: Path):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto((reports / "demo_logFC.html").as_uri(), wait_until="load")
        code = page.locator("details.degtools-code .jp-InputArea-editor")
        assert not code.nth(2).is_visible()
        page.locator("details.degtools-code summary").nth(2).click()
        assert code.nth(2).is_visible() and not code.nth(3).is_visible()
        assert not page.locator("#degtools-toc").is_visible()  # no script: no empty sidebar
    finally:
        context.close()


def test_page_names_no_path_of_the_machine(browser, reports: Path):
    with Visit(browser, reports / "demo_logFC.html") as visit:
        text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", visit.page.content())
        shown = visit.page.inner_text("body")
        for path in (str(reports), str(ROOT), "/tmp/", str(Path.home()) + "/"):
            assert path not in text and path not in shown, path
        assert "demo_slice.tsv" in shown  # the input is named by its file name (and sha256)


def test_gene_table_searches_sorts_and_downloads(browser, reports: Path):
    with Visit(browser, reports / "demo_logFC.html") as visit:
        page = visit.page
        table = page.locator(".degtools-gene-table table.dataTable")
        table.wait_for(state="visible", timeout=10_000)
        info = page.locator(".degtools-gene-table .dt-info")

        def counts() -> tuple[int, int]:
            numbers = [int(n.replace(",", "")) for n in re.findall(r"[\d,]+", info.inner_text())]
            return numbers[2], (numbers[3] if len(numbers) > 3 else numbers[2])  # shown of (total)

        assert counts() == (400, 400)  # every row of the 400-row table
        headers = page.eval_on_selector_all(".degtools-gene-table table.dataTable thead tr:first-child th",
                                            "ths => ths.map(th => th.innerText.trim())")
        assert headers[:2] == ["ID", "Gene.symbol"] and "residual" in headers and "predicted logFC" in headers
        from conftest import DEMO

        rows_of_slice = DEMO.read_text(encoding="utf-8").splitlines()[1:401]  # the table the report was made of
        symbols = [line.split("\t")[6] for line in rows_of_slice]
        term = "KRT1"
        expected = sum(term.lower() in symbol.lower() for symbol in symbols)
        assert 0 < expected < 400
        page.locator(".degtools-gene-table .dt-search input").fill(term)
        assert counts() == (expected, 400)
        rows = page.eval_on_selector_all(".degtools-gene-table table.dataTable tbody tr",
                                    "rs => rs.map(r => r.cells[1].innerText)")
        assert len(rows) == min(expected, 10) and all(term in row for row in rows)
        page.locator(".degtools-gene-table .dt-search input").fill("")
        # a column filter under the table: the held-out column
        column = headers.index("held out")
        page.locator(".degtools-gene-table tfoot input").nth(column).press_sequentially("yes")
        held_out = counts()[0]
        assert 0 < held_out < 400
        assert page.locator(".degtools-gene-table .buttons-csv").count() == 1
        with page.expect_download() as download:
            page.locator(".degtools-gene-table .buttons-csv").click()
        lines = Path(download.value.path()).read_text(encoding="utf-8-sig").strip().splitlines()
        assert len(lines) == held_out + 1 and lines[0].startswith('"ID"')
        table.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "gene-table.png"), full_page=False)
        assert visit.errors == [] and visit.blocked == []


def test_index_in_browser(browser, reports: Path):
    with Visit(browser, reports / "index.html") as visit:
        page = visit.page
        assert visit.undecoded_images() == []
        links = page.eval_on_selector_all("#reports a[href]", "links => links.map(a => a.href)")
        assert len(links) == 2
        for link in links:
            target = Path(unquote(urlparse(link).path))
            assert target.is_file() and target.parent == reports
            page.goto(link)
            assert page.title().endswith("· degtools report")
            page.go_back()

        def first_column() -> list[str]:
            return page.eval_on_selector_all("#reports tbody tr",
                                             "rows => rows.map(r => r.cells[0].innerText)")

        assert first_column() == ["copy", "demo"]
        header = page.locator("#reports th", has_text="CV R²")
        header.click()
        assert first_column() == ["copy", "demo"]  # ascending: copy has the lower R²
        header.click()
        assert first_column() == ["demo", "copy"]
        assert header.get_attribute("aria-sort") == "descending"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "index.png"), full_page=True)
        assert visit.errors == [] and visit.blocked == []


def test_headline_box_and_honest_r2_first_in_browser(browser, reports: Path):
    """The report opens with the filled headline box; the index's first R² column is the honest one."""
    from degtools.index import NO_INDEPENDENT

    with Visit(browser, reports / "demo_logFC.html") as visit:
        page = visit.page
        box = page.locator("div.degtools-headline")
        assert box.count() == 1 and box.is_visible()
        text = box.inner_text()
        assert text.startswith("demo: predicting logFC") and "appears here once" not in text
        assert 3 <= box.locator("li").count() <= 5 and "95% CI" in text
        # above the first section: the answer comes first
        overview = page.locator("#Data-overview")
        assert box.bounding_box()["y"] < overview.bounding_box()["y"]
        results = json.loads((reports / "demo_logFC.json").read_text(encoding="utf-8"))
        assert [item.inner_text() for item in box.locator("li").all()] == results["headline"]["sentences"]
        assert visit.errors == [] and visit.blocked == []
    with Visit(browser, reports / "index.html") as visit:
        page = visit.page
        headers = page.eval_on_selector_all("#reports th", "cells => cells.map(c => c.innerText)")
        r2 = [position for position, header in enumerate(headers) if "R²" in header]
        assert headers[r2[0]].startswith("honest R²") and "independent features" in headers[r2[0]]
        assert headers[r2[1]].startswith("arithmetic (all features)")
        honest = page.eval_on_selector_all("#reports tbody tr", f"rows => rows.map(r => r.cells[{r2[0]}].innerText)")
        for cell in honest:  # the demo slice has no independent column: the cell says so, never a leaky R²
            assert cell == NO_INDEPENDENT or re.fullmatch(r"-?\d\.\d{3} \[-?\d\.\d{3}, -?\d\.\d{3}\] \(.+\)", cell)
        assert visit.errors == [] and visit.blocked == []
