"""Install and run anywhere: the wheel alone, in a fresh venv, renders a report from a folder outside the checkout.

The fresh venv borrows the third-party packages of the running environment through a ``.pth`` file
and nbconvert's templates (so that nothing is downloaded), but not its degtools: that ``.pth`` only adds the folder to
``sys.path``, it does not run the editable install's finder, and the wheel is installed into the new
venv's own site-packages, which comes first. The test proves it by asking the new venv where degtools is.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.conftest import DEMO, ROOT

pytestmark = pytest.mark.slow  # builds a wheel and renders a report in a fresh venv

try:
    import venv  # noqa: F401 - only its presence matters (some distributions ship Python without it)
except ImportError:  # pragma: no cover
    pytest.skip("the venv module is not available in this Python", allow_module_level=True)


def _run(command: list[str], *, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{command[:4]} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path, dict[str, str]]:
    """(the fresh venv, the wheel, an environment without this checkout on any path)."""
    work = tmp_path_factory.mktemp("wheel")
    env = {name: value for name, value in os.environ.items() if name not in ("PYTHONPATH", "PYTHONHOME")}
    env["JUPYTER_DATA_DIR"] = str(work / "jupyter-data")  # no user-level kernel spec pointing elsewhere
    # nbconvert's templates are data files beside the borrowed packages (share/jupyter), which a real
    # install puts in the new venv: lend them too, and only them (not the kernel specs)
    lent = work / "jupyter-path"
    lent.mkdir()
    (lent / "nbconvert").symlink_to(Path(sys.prefix) / "share" / "jupyter" / "nbconvert")
    env["JUPYTER_PATH"] = str(lent)
    # build from a copy of what a wheel is made of, so that the build leaves nothing in the checkout
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "degtools", source / "degtools", ignore=shutil.ignore_patterns("__pycache__"))
    dist = work / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
          str(source), "-w", str(dist)], cwd=work, env=env)
    wheel = next(dist.glob("degtools-*.whl"))
    fresh = work / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(fresh)], cwd=work, env=env)
    python = fresh / "bin" / "python"
    site_packages = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                              cwd=work, env=env).stdout.strip())
    (site_packages / "borrowed_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    _run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)], cwd=work, env=env)
    return fresh, wheel, env


def test_the_wheel_carries_the_notebook_templates_and_data(installed):
    _, wheel, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "degtools/notebooks/analysis.ipynb" in names
    assert "degtools/__main__.py" in names
    assert any(name.startswith("degtools/templates/degtools/") for name in names)
    for path in (ROOT / "degtools" / "data").iterdir():
        assert f"degtools/data/{path.name}" in names


def test_the_installed_wheel_renders_a_report_outside_the_checkout(installed, tmp_path):
    fresh, _, env = installed
    python = fresh / "bin" / "python"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = _run([str(python), "-c", "import degtools; print(degtools.__file__)"], cwd=elsewhere, env=env).stdout
    assert Path(where.strip()).resolve().is_relative_to(fresh.resolve()), where
    notebook = _run([str(python), "-m", "degtools", "notebook-path"], cwd=elsewhere, env=env).stdout.strip()
    assert Path(notebook).is_file() and Path(notebook).resolve().is_relative_to(fresh.resolve())
    assert Path(notebook).read_bytes() == (ROOT / "notebooks" / "analysis.ipynb").read_bytes()

    table = elsewhere / "small.tsv"
    table.write_text("".join(DEMO.read_text(encoding="utf-8").splitlines(keepends=True)[:401]), encoding="utf-8")
    out = elsewhere / "reports"
    result = _run([str(fresh / "bin" / "degtools"), "report", "--input", "small.tsv", "--target", "logFC",
                   "-p", "models", "LinearRegression", "-p", "tuning", "none", "-p", "gsea_permutations", "100",
                   "--out", str(out)], cwd=elsewhere, env=env)
    assert "wrote" in result.stdout
    assert (out / "small_logFC.html").is_file()
    parameters = json.loads((out / "small_logFC.json").read_text(encoding="utf-8"))["parameters"]
    assert parameters["input_table"] == str(table)
    assert parameters["target"] == "logFC" and parameters["models"] == "LinearRegression"
    assert parameters["tuning"] == "none" and parameters["gsea_permutations"] == 100
