"""The parameter schema: names, types, ranges, and agreement with the notebook's parameters cell."""

from __future__ import annotations

import ast
import json

import pytest

from degtools.errors import ParamsError
from degtools.params import (
    PARAMETERS,
    check_notebook_parameters,
    defaults,
    load_params_file,
    parameters_from_namespace,
    validate_params,
)
from tests.conftest import ROOT


def test_defaults_fill_missing_values():
    assert validate_params({"target": "B"}) == {**defaults(), "target": "B"}


def test_misspelt_name_is_refused_with_suggestion_and_choices():
    with pytest.raises(ParamsError, match=r"unknown parameter 'targte': did you mean 'target'\?.*valid parameters are"):
        validate_params({"targte": "B"})


def test_values_are_coerced_to_the_declared_type():
    checked = validate_params({"cv_folds": "10", "test_size": 0.25, "seed": 7.0})
    assert checked["cv_folds"] == 10 and checked["seed"] == 7 and checked["test_size"] == 0.25


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("cv_folds", 1, "an integer between 2 and 20"),
        ("test_size", 0.9, "a number between 0.05 and 0.5"),
        ("seed", "abc", "must be a non-negative integer"),
        ("max_rows", 10, "0 \\(all rows\\) or at least 50"),
    ],
)
def test_out_of_range_values_name_the_expected_range(name, value, message):
    with pytest.raises(ParamsError, match=message):
        validate_params({name: value})


def test_namespace_ignores_modules_functions_and_ipython_names():
    import math

    namespace = {"target": "B", "math": math, "In": [], "_private": 1, "helper": lambda: 1, "seed": 3}
    assert parameters_from_namespace(namespace) == {"target": "B", "seed": 3}


def test_injected_unknown_name_in_namespace_is_caught():
    with pytest.raises(ParamsError, match="unknown parameter 'cv_fold'"):
        check_notebook_parameters({**defaults(), "cv_fold": 3})


def _notebook_parameters() -> dict[str, object]:
    notebook = json.loads((ROOT / "notebooks" / "analysis.ipynb").read_text(encoding="utf-8"))
    cells = [cell for cell in notebook["cells"] if "parameters" in cell.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, "the notebook needs exactly one cell tagged 'parameters'"
    values = {}
    for node in ast.parse("".join(cells[0]["source"])).body:
        target = node.target if isinstance(node, ast.AnnAssign) else node.targets[0]
        values[target.id] = ast.literal_eval(node.value)
    return values


def test_notebook_parameters_cell_matches_the_schema():
    assert _notebook_parameters() == defaults()


def test_every_parameter_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [param.name for param in PARAMETERS if f"`{param.name}`" not in readme]
    assert missing == []


def test_params_file_paths_are_relative_to_the_file(tmp_path):
    folder = tmp_path / "params"
    folder.mkdir()
    (folder / "x.yaml").write_text("input_table: ../data/t.tsv\ntarget: B\n", encoding="utf-8")
    values = load_params_file(folder / "x.yaml")
    assert values["input_table"] == str((tmp_path / "data" / "t.tsv").resolve())
    assert values["target"] == "B"


def test_params_file_must_be_a_mapping(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ParamsError, match="must hold a mapping of name: value; found a list"):
        load_params_file(path)


def test_shipped_params_files_are_valid():
    files = sorted((ROOT / "params").glob("*.yaml"))
    assert files, "params/ holds no YAML file"
    for path in files:
        values = load_params_file(path)
        validate_params(values)
        if values.get("input_table"):
            assert (ROOT / "params" / values["input_table"]).resolve().is_file(), path.name
