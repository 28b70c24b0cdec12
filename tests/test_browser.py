"""A rendered report and the index page, opened in headless Chromium with the network blocked.

Checks what a reader would notice: console errors, images that do not decode, index links that
lead nowhere, table-of-contents entries without a target. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import json
import os
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


def test_report_in_browser(browser, reports: Path):
    visit = Visit(browser, reports / "demo_logFC.html")
    try:
        page = visit.page
        assert page.title() == "degtools report: demo_logFC"
        assert page.locator("img").count() >= 4
        assert visit.undecoded_images() == []
        anchors = page.eval_on_selector_all("a[href^='#']", "links => links.map(a => a.getAttribute('href'))")
        toc = [href for href in anchors if not href.startswith("#") or len(href) > 1]
        assert {"#Data-overview", "#Evaluation", "#Methods-and-reproducibility"} <= set(toc)
        missing = page.evaluate(
            "hrefs => hrefs.filter(h => !document.getElementById(decodeURIComponent(h.slice(1))))", toc)
        assert missing == []
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=False)
        assert visit.errors == [] and visit.blocked == []
    finally:
        visit.close()


def test_index_in_browser(browser, reports: Path):
    visit = Visit(browser, reports / "index.html")
    try:
        page = visit.page
        assert visit.undecoded_images() == []
        links = page.eval_on_selector_all("#reports a[href]", "links => links.map(a => a.href)")
        assert len(links) == 2
        for link in links:
            target = Path(unquote(urlparse(link).path))
            assert target.is_file() and target.parent == reports
            page.goto(link)
            assert page.title().startswith("degtools report:")
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
    finally:
        visit.close()
