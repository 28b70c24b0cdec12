"""The index page: rows read from report JSON files, optional fields, self-contained HTML."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from degtools import index
from degtools.cli import main
from degtools.errors import InputError


def model(name: str, r2: float, sd: float, test: float) -> dict:
    return {"name": name, "cv": {"r2_mean": r2, "r2_sd": sd}, "test": {"r2": test}}


def write_report(folder: Path, stem: str, *, html: bool = True, **extra) -> Path:
    dataset, target = stem.rsplit("_", 1)
    results = {
        "schema_version": 1,
        "dataset": dataset,
        "target": target,
        "input": {"tool": "limma (GEO2R)", "rows": 1000, "rows_used": 900},
        "models": [model("DummyRegressor", -0.001, 0.002, -0.01), model("LinearRegression", 0.5, 0.05, 0.45),
                   model("RandomForestRegressor", 0.8, 0.03, 0.78)],
        "best_model": "RandomForestRegressor",
        **extra,
    }
    path = folder / f"{stem}.json"
    path.write_text(json.dumps(results), encoding="utf-8")
    if html:
        (folder / f"{stem}.html").write_text("<html><body>report</body></html>", encoding="utf-8")
    return path


def test_row_from_minimal_json_shows_not_available(tmp_path: Path):
    row = index.read_index_row(write_report(tmp_path, "GSE1_logFC"))
    assert (row.dataset, row.target, row.tool, row.genes, row.best_model) == (
        "GSE1", "logFC", "limma (GEO2R)", 900, "RandomForestRegressor")
    assert (row.cv_r2, row.cv_r2_sd, row.test_r2) == (0.8, 0.03, 0.78)
    assert row.independent_r2 is None and row.gene_sets is None
    assert row.has_report and not row.failed_last_run


def test_row_reads_independent_leaderboard_and_enrichment(tmp_path: Path):
    path = write_report(
        tmp_path, "GSE1_B",
        leaderboards={"independent": [model("DummyRegressor", 0.0, 0.0, 0.0), model("SVR", 0.31, 0.04, 0.3),
                                      model("LinearRegression", 0.22, 0.02, 0.2)]},
        enrichment={"gsea": [
            {"set": "HALLMARK_E2F_TARGETS", "direction": "up", "nes": 2.1, "pvalue": 0.001, "fdr": 0.01},
            {"set": "HALLMARK_MYOGENESIS", "direction": "down", "nes": -1.9, "pvalue": 0.002, "fdr": 0.004},
            {"set": "HALLMARK_APOPTOSIS", "direction": "up", "nes": 1.1, "pvalue": 0.4, "fdr": None},
            {"set": "HALLMARK_HYPOXIA", "direction": "up", "nes": 1.5, "pvalue": 0.05, "fdr": 0.2},
        ], "ora": []},
    )
    row = index.read_index_row(path)
    assert (row.independent_model, row.independent_r2, row.independent_r2_sd) == ("SVR", 0.31, 0.04)
    assert row.gene_sets == ["HALLMARK_MYOGENESIS (GSEA, down, FDR 0.004)",
                             "HALLMARK_E2F_TARGETS (GSEA, up, FDR 0.01)",
                             "HALLMARK_HYPOXIA (GSEA, up, FDR 0.2)"]


def test_top_gene_sets_falls_back_to_ora_and_none():
    assert index.top_gene_sets(None) is None
    assert index.top_gene_sets({"ora": [{"set": "A", "pvalue": 0.2}, {"set": "B", "pvalue": 0.01}]}) == [
        "B (ORA)", "A (ORA)"]
    assert index.top_gene_sets({"gsea": []}) == []


def test_other_json_files_are_ignored(tmp_path: Path):
    write_report(tmp_path, "b_logFC")
    write_report(tmp_path, "a_B", html=False)
    (tmp_path / "settings.json").write_text('{"theme": "dark"}')
    (tmp_path / "broken.json").write_text("{not json")
    rows = index.collect_index_rows(tmp_path)
    assert [(row.dataset, row.has_report) for row in rows] == [("a", False), ("b", True)]
    with pytest.raises(InputError, match="is not a folder"):
        index.collect_index_rows(tmp_path / "nothing")


def test_page_is_self_contained_sortable_and_escaped(tmp_path: Path):
    write_report(tmp_path, "GSE1_logFC")
    write_report(tmp_path, "GSE2_B", html=False, leaderboards={"independent": [model("SVR", 0.3, 0.1, 0.2)]})
    write_report(tmp_path, "evil<script>_logFC")
    (tmp_path / "GSE1_logFC.failed.log").write_text("boom")
    assert main(["index", str(tmp_path)]) == 0
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "evil<script>" not in page and "evil&lt;script&gt;" in page
    # no external resource: every src/href is a data: URI, a fragment or a local report
    for reference in re.findall(r'(?:src|href)="([^"]*)"', page):
        assert reference.startswith(("data:image/png;base64,", "#")) or reference.endswith(".html"), reference
    assert "http://" not in page and "https://" not in page
    links = re.findall(r'href="([^"]*\.html)"', page)
    assert sorted(links) == ["GSE1_logFC.html", "evil%3Cscript%3E_logFC.html"]
    assert page.count("<tr>") == 4 and 'class="sortable"' in page and "addEventListener" in page
    assert "0.800 ± 0.030" in page and "0.300 ± 0.100 (SVR)" in page and ">n/a<" in page
    assert "last run failed" in page
    assert index.index_is_stale(tmp_path) is False


def test_dataset_comparison_figure(tmp_path: Path):
    write_report(tmp_path, "GSE1_logFC", leaderboards={"independent": [model("SVR", 0.3, 0.1, 0.2)]})
    write_report(tmp_path, "GSE2_B")
    figure = index.plot_dataset_comparison(index.collect_index_rows(tmp_path))
    ax = figure.axes[0]
    assert ax.get_xlabel() == "R²"
    assert [label.get_text() for label in ax.get_yticklabels()] == ["GSE1 · logFC", "GSE2 · B"]
    assert [patch.get_width() for patch in ax.patches] == [0.8, 0.8]
    assert len(ax.collections) >= 2  # test R² markers and the independent-features marker
    empty = index.plot_dataset_comparison([])
    assert "no report" in empty.axes[0].texts[0].get_text()


def test_row_prefers_the_all_features_board_and_says_when_nothing_is_independent(tmp_path: Path):
    path = write_report(
        tmp_path, "GSE3_logFC",
        leaderboards={"independent": None, "all": [model("DummyRegressor", 0.0, 0.0, 0.0),
                                                   model("MLPRegressor", 0.93, 0.01, 0.92)]},
    )
    row = index.read_index_row(path)
    assert (row.best_model, row.cv_r2, row.test_r2) == ("MLPRegressor", 0.93, 0.92)
    assert row.no_independent_features and row.independent_r2 is None
    assert main(["index", str(tmp_path)]) == 0
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert index.NO_INDEPENDENT in page and "model (all features)" in page and "best model" not in page


def test_dollar_signs_in_names_are_literal_text(tmp_path: Path):
    """Dataset names and targets are user text: `$...$` in them is shown as typed, never parsed as math."""
    write_report(tmp_path, r"$\notacommand{x}$_logFC")
    path = write_report(tmp_path, "GSE1_logFC")
    results = json.loads(path.read_text())
    path.write_text(json.dumps({**results, "target": "price $5$ and $"}))
    assert main(["index", str(tmp_path)]) == 0
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert r"$\notacommand{x}$" in page and "price $5$ and $" in page
    figure = index.plot_dataset_comparison(index.collect_index_rows(tmp_path))
    labels = figure.axes[0].get_yticklabels()
    figure.canvas.draw()  # would raise ValueError on the mathtext
    assert [label.get_text() for label in labels] == [r"$\notacommand{x}$ · logFC", "GSE1 · price $5$ and $"]
    assert not any(label.get_parse_math() for label in labels)


def test_an_unwritable_folder_is_one_line_and_status_2(monkeypatch, tmp_path: Path, capsys):
    import errno
    import os

    write_report(tmp_path, "GSE1_logFC")
    tmp_path.chmod(0o555)
    try:
        if not os.access(tmp_path, os.W_OK):  # chmod binds (not root): a real read-only folder
            assert main(["index", str(tmp_path)]) == 2
            err = capsys.readouterr().err
            assert err.count("\n") == 1 and "Permission denied" in err and "make it writable" in err
    finally:
        tmp_path.chmod(0o755)
    for number, text, fix in ((errno.EROFS, "Read-only file system", "make it writable or pass --out"),
                              (errno.ENOSPC, "No space left on device", "free some space")):
        def refuse(path, page, number=number, text=text):
            raise OSError(number, text, str(path))

        monkeypatch.setattr(index, "write_text_atomically", refuse)
        assert main(["index", str(tmp_path)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("degtools: error: the output folder ")
        assert text in err and fix in err and "index.html" in err


def test_the_first_r2_column_is_the_honest_one_with_its_interval(tmp_path: Path):
    from scipy import stats

    independent = [model("DummyRegressor", 0.0, 0.01, 0.0), model("SVR", 0.31, 0.04, 0.3)]
    write_report(tmp_path, "GSE1_logFC", split={"cv_folds": 5}, leaderboards={
        "independent": independent, "all": [model("DummyRegressor", 0.0, 0.0, 0.0), model("MLPRegressor", 0.93, 0.01,
                                                                                        0.92)]},
        headline={"beats_dummy": False})
    write_report(tmp_path, "GSE2_logFC")  # an older report: no independent leaderboard
    assert main(["index", str(tmp_path)]) == 0
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    headers = re.findall(r"<th>([^<]*)</th>", page)
    r2_headers = [header for header in headers if "R²" in header]
    assert r2_headers[0] == "honest R² [95% CI] (independent features, cross-validated)"
    assert r2_headers[1] == "arithmetic (all features): CV R² ± sd"
    half = stats.t.ppf(0.975, 4) * 0.04 / 5 ** 0.5
    cells = [row for row in re.findall(r"<tr>(.*?)</tr>", page, flags=re.S) if "<td" in row]
    first = re.findall(r"<td[^>]*>(.*?)</td>", cells[0])
    assert first[4] == f"{0.31:.3f} [{0.31 - half:.3f}, {0.31 + half:.3f}] (SVR; does not beat the baseline)"
    assert first[5] == "0.930 ± 0.010"
    second = re.findall(r"<td[^>]*>(.*?)</td>", cells[1])
    assert second[4] == "n/a" and second[5] == "0.800 ± 0.030"
