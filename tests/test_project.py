"""Project-level promises: dependency lists agree, the notebook is clean and paired with its script."""

from __future__ import annotations

import json
import re
import tomllib

import yaml

from tests.conftest import ROOT

# conda-forge names that differ from PyPI names
CONDA_NAMES = {}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower()


def test_environment_yml_lists_the_same_packages_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = [requirement for group in project["optional-dependencies"].values() for requirement in group]
    pypi = {_name(r) for r in project["dependencies"]} | {_name(r) for r in extras}
    environment = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    conda = {_name(r) for r in environment["dependencies"] if isinstance(r, str)} - {"python", "pip"}
    assert {CONDA_NAMES.get(name, name) for name in pypi} == conda


def test_environment_yml_uses_conda_forge():
    environment = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert environment["channels"][0] == "conda-forge"


def test_notebook_is_committed_without_outputs():
    notebook = json.loads((ROOT / "notebooks" / "analysis.ipynb").read_text(encoding="utf-8"))
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert code and all(not cell.get("outputs") and cell.get("execution_count") is None for cell in code)


def test_notebook_is_in_sync_with_its_percent_script():
    import jupytext

    script = jupytext.read(ROOT / "notebooks" / "analysis.py")
    notebook = jupytext.read(ROOT / "notebooks" / "analysis.ipynb")

    def cells(nb):
        return [(cell.cell_type, cell.source.strip(), tuple(cell.metadata.get("tags", []))) for cell in nb.cells]

    assert cells(script) == cells(notebook), "run `make notebook` after editing notebooks/analysis.py"


def test_data_files_carry_their_source():
    for folder in (ROOT / "data", ROOT / "degtools" / "data"):
        sources = (folder / "SOURCES.md").read_text(encoding="utf-8")
        for path in folder.iterdir():
            if path.name != "SOURCES.md":
                assert path.name in sources, f"{path} is not described in {folder}/SOURCES.md"


def test_the_package_notebook_is_the_checkout_notebook_byte_for_byte():
    package = ROOT / "degtools" / "notebooks" / "analysis.ipynb"
    assert package.read_bytes() == (ROOT / "notebooks" / "analysis.ipynb").read_bytes(), (
        "run `make notebook`: it writes notebooks/analysis.ipynb and its copy in degtools/notebooks/")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "notebooks/*.ipynb" in project["tool"]["setuptools"]["package-data"]["degtools"]


def _floors(requirements) -> dict[str, str]:
    floors = {}
    for requirement in requirements:
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*>=\s*([0-9][0-9A-Za-z.]*)", requirement.strip())
        assert match, f"{requirement!r}: declare a floor as NAME>=VERSION (make test-min pins it)"
        floors[match[1].lower()] = match[2]
    return floors


def test_environment_yml_declares_the_same_minimum_versions_and_python():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = [requirement for group in project["optional-dependencies"].values() for requirement in group]
    pypi = _floors([*project["dependencies"], *extras])
    environment = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    conda = _floors([r for r in environment["dependencies"] if isinstance(r, str) and r != "pip"])
    assert conda.pop("python") == project["requires-python"].removeprefix(">=")
    assert {CONDA_NAMES.get(name, name): floor for name, floor in pypi.items()} == conda
