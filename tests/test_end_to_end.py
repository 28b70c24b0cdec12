"""End to end: the CLI runs the notebook via papermill on a slice of a real table and writes HTML + JSON."""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from degtools.cli import main
from degtools.models import DEFAULT_MODELS
from tests.conftest import DEMO, ROOT, SHARED_TABLES

pytestmark = pytest.mark.slow  # starts notebook kernels, browsers or worker pools (`make test-min` skips it)

SECTIONS = ("Data overview", "Preparation", "What is known independently", "Models", "Evaluation", "Top model",
            "Feature contributions", "Differential expression at a glance", "Top genes and the model",
            "Study-specific and generic genes", "Gene sets",
            "Methods and reproducibility")
EXTERNAL = re.compile(
    r"<(?:script|img|iframe|source)\b[^>]*\bsrc\s*=\s*[\"']?(?:https?:)?//|<link\b[^>]*\bhref\s*=\s*[\"']?(?:https?:)?//"
    r"|url\(\s*[\"']?(?:https?:)?//|@import\s+[\"'](?:https?:)?//",
    re.I,
)


#: wall-clock seconds of the CLI call that rendered the report below (the report's own total must fit inside)
RENDER_SECONDS: list[float] = []


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """One small report of the demo table (600 random rows), rendered by the CLI."""
    import time

    out = tmp_path_factory.mktemp("reports")
    start = time.perf_counter()
    status = main(["report", "--target", "logFC", "--out", str(out), "-p", "max_rows", "600", "-p", "top_n", "5"])
    RENDER_SECONDS.append(time.perf_counter() - start)
    assert status == 0
    html = (out / "GSE15852_logFC.html").read_text(encoding="utf-8")
    results = json.loads((out / "GSE15852_logFC.json").read_text(encoding="utf-8"))
    return out, html, results


def test_report_has_every_section_and_a_linked_table_of_contents(rendered):
    _, html, _ = rendered
    for section in SECTIONS:
        anchor = section.replace(" ", "-")
        assert f'id="{anchor}"' in html, f"section {section!r} missing"
        assert f'href="#{anchor}"' in html, f"table of contents does not link {section!r}"
    assert "<title>GSE15852 — logFC · degtools report</title>" in html
    assert re.search(r"<h1\b[^>]*>(.*?)</h1>", html, re.S)[1] == "GSE15852 — logFC"
    assert 'id="degtools-toc"' in html


#: the six models the user named, plus the baseline (issue 3); the registry holds more.
USER_MODELS = ("DummyRegressor", "LinearRegression", "DecisionTreeRegressor", "RandomForestRegressor",
               "GradientBoostingRegressor", "SVR", "KNeighborsRegressor")


def test_comparison_table_lists_the_users_models_and_the_baseline(rendered):
    _, html, results = rendered
    assert set(USER_MODELS) <= set(DEFAULT_MODELS)
    for model in USER_MODELS:
        assert f"<td>{model}" in html
    assert set(USER_MODELS) <= {entry["name"] for entry in results["models"]}


def _page_text(html: str) -> str:
    """The page without its scripts and style sheets (DataTables' code names errors it may raise)."""
    return re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)


def test_html_has_no_error_output_folded_code_and_no_external_resource(rendered):
    _, html, _ = rendered
    text = _page_text(html)
    assert "application/vnd.jupyter.stderr" not in text
    assert "Traceback" not in text and "Error" not in text.replace("Errors", "")
    assert "Warning" not in text
    assert not EXTERNAL.search(html)
    # every code cell is in the page, folded
    assert html.count('<details class="degtools-code">') == html.count('class="jp-CodeMirrorEditor') >= 20
    assert 'class="degtools-code" open' not in html
    assert html.count("data:image/png;base64,") >= 5
    # every figure says what it shows (alt text), and each is shown once, where its section puts it
    assert "figure (no description was recorded)" not in html
    alts = re.findall(r'<img[^>]*\balt="([^"]*)"', html)
    assert len(alts) == html.count("<img") >= 5


def test_html_names_no_path_of_the_machine(rendered):
    out, html, results = rendered
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html)
    for path in (str(out), str(ROOT), "/tmp/", str(Path.home()) + "/"):
        assert path not in text, path
    assert Path(results["input"]["path"]).is_absolute()  # the JSON keeps where the input was


def test_json_holds_every_documented_field_with_finite_metrics(rendered):
    _, _, results = rendered
    assert results["input"]["sha256"] == "fe06076488ab44f36944cdf20f3baadc5ea4fbfaf0e022d00c010803f7b20570"
    assert results["input"]["rows"] == 22283 and results["input"]["rows_used"] == 600
    assert results["parameters"]["max_rows"] == 600 and "results_json" not in results["parameters"]
    import sklearn

    assert results["versions"]["scikit-learn"] == sklearn.__version__
    for entry in results["models"]:
        assert set(entry["cv"]) == {"r2_mean", "r2_sd", "rmse_mean", "rmse_sd", "mae_mean", "mae_sd"}
        assert set(entry["test"]) == {"r2", "mse", "rmse", "mae"}
        values = [*entry["cv"].values(), *entry["test"].values(), entry["fit_seconds"]]
        assert all(isinstance(v, float) and math.isfinite(v) for v in values), entry
    best = max((e for e in results["models"] if e["name"] != "DummyRegressor"), key=lambda e: e["cv"]["r2_mean"])
    assert results["best_model"] == best["name"]
    steps = {name: seconds for name, seconds in results["timings"].items() if name != "total"}
    assert steps["models"] > 0
    # the timed steps do not overlap and lie inside the run (each rounded to 1 ms), and the run inside the CLI call
    assert sum(steps.values()) <= results["timings"]["total"] + 0.0005 * len(steps)
    assert results["timings"]["total"] <= RENDER_SECONDS[0]


def test_default_report_uses_the_evidence_layer_in_its_main_leaderboard(rendered):
    _, html, results = rendered
    sources = {source["name"]: source for source in results["evidence"]["sources"]}
    sophie = sources["gene features: sophie"]
    assert sophie["kind"] == "gene features" and sophie["file"] == "sophie_generic_genes_SRP012656.tsv.gz"
    assert results["main_leaderboard"] == "independent"
    features = set(results["leaderboards"]["independent"][0]["features"])
    assert set(sophie["columns"]) <= features and not {"t", "P.Value", "adj.P.Val", "B"} & features
    contributions = {entry["source"]: entry for entry in results["evidence"]["contributions"]}
    assert "gene features: sophie" in contributions
    for entry in contributions.values():
        low, high = entry["drop_ci95"]
        assert low <= entry["drop_mean"] <= high and entry["folds"] == results["split"]["cv_folds"]
    assert "The demo table is joined to the bundled SOPHIE generic-gene table" in html


def test_unknown_target_exits_2_with_choices_and_keeps_the_previous_report(rendered, capsys):
    out, html, _ = rendered
    status = main(["report", "--target", "logFCC", "--out", str(out)])
    lines = capsys.readouterr().err.strip().splitlines()
    message = lines[0]
    assert status == 2
    assert len(lines) == 2 and lines[1].startswith("degtools: the failed notebook is kept at")
    assert "target 'logFCC' is not a numeric column of GSE15852.top.table.tsv" in message
    assert "valid targets are" in message and "B" in message
    assert (out / "GSE15852_logFC.html").read_text(encoding="utf-8") == html
    assert not list(out.glob("GSE15852_logFCC*.html")) and not list(out.glob("GSE15852_logFCC*.json"))


def test_missing_input_and_misspelt_parameter_exit_2(tmp_path, capsys):
    assert main(["report", "--input", str(tmp_path / "nope.tsv"), "--target", "logFC", "--out", str(tmp_path)]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["report", "--target", "logFC", "-p", "cv_fold", "3", "--out", str(tmp_path)]) == 2
    assert "unknown parameter 'cv_fold': did you mean 'cv_folds'?" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.html"))


@pytest.mark.parametrize("name", ["GSE2034", "airway", "edgeR"])
def test_other_tools_render_with_the_cli(name, tmp_path):
    status = main(["report", "--input", str(SHARED_TABLES[name]), "--target", "logFC", "--out", str(tmp_path),
                   "-p", "max_rows", "300", "-p", "cv_folds", "3"])
    assert status == 0
    results = json.loads(next(tmp_path.glob("*.json")).read_text(encoding="utf-8"))
    assert results["input"]["rows_used"] == 300


def _papermill(tmp_path, *params):
    papermill = shutil.which("papermill", path=str(ROOT / ".venv" / "bin")) or shutil.which("papermill")
    if papermill is None:
        papermill = str(__import__("pathlib").Path(sys.executable).parent / "papermill")
    return subprocess.run(
        [papermill, "analysis.ipynb", str(tmp_path / "out.ipynb"), "-k", "python3", *params],
        cwd=ROOT / "notebooks", capture_output=True, text=True, timeout=300,
    )


def test_papermill_stops_in_the_first_cell_on_a_misspelt_parameter(tmp_path):
    run = _papermill(tmp_path, "-p", "targte", "B")
    assert run.returncode != 0
    assert "ParamsError: unknown parameter 'targte': did you mean 'target'?" in run.stderr
    notebook = json.loads((tmp_path / "out.ipynb").read_text(encoding="utf-8"))
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    failed = [i for i, cell in enumerate(code) if any(o.get("output_type") == "error" for o in cell["outputs"])]
    tags = [cell["metadata"].get("tags", []) for cell in code]
    # parameters, injected-parameters, then the first real cell: that is where it stops
    assert failed == [tags.index(["injected-parameters"]) + 1]


def test_papermill_runs_with_only_a_target_on_a_copied_table(tmp_path):
    table = tmp_path / "slice.tsv"
    table.write_text("".join(DEMO.read_text(encoding="utf-8").splitlines(keepends=True)[:301]), encoding="utf-8")
    run = _papermill(tmp_path, "-p", "input_table", str(table), "-p", "target", "B", "-p", "cv_folds", "3")
    assert run.returncode == 0, run.stderr[-2000:]


def test_relative_output_folder_works_from_any_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["report", "--target", "B", "--out", "out", "-p", "max_rows", "200", "-p", "cv_folds", "2"]) == 0
    assert (tmp_path / "out" / "GSE15852_B.html").is_file() and (tmp_path / "out" / "GSE15852_B.json").is_file()
    assert [p.name for p in (tmp_path / "out").iterdir() if p.name.startswith(".")] == []
