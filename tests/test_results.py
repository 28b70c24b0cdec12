"""The report JSON: writing it, and the versions it records."""

from __future__ import annotations

import json

import pytest

from degtools import results
from degtools.provenance import package_versions


def test_write_results_refuses_nan_and_writes_valid_json(tmp_path):
    path = results.write_results({"a": 1.5}, tmp_path / "r.json")
    assert json.loads(path.read_text()) == {"a": 1.5}
    with pytest.raises(ValueError):
        results.write_results({"a": float("nan")}, tmp_path / "bad.json")
    assert not (tmp_path / "bad.json").exists()


def test_write_results_without_a_path_writes_nothing(tmp_path):
    assert results.write_results({"a": 1.5}, "") is None


def test_versions_name_the_core_packages():
    versions = package_versions()
    for package in ("python", "scikit-learn", "pandas", "papermill", "nbconvert", "degtools"):
        assert versions[package] not in ("", "not installed")
