"""Planning a batch: params files, one job per report, fingerprints that follow content, stamps."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import DATA, ROOT

from degtools import planning, provenance
from degtools.errors import ParamsError
from degtools.render import DEFAULT_NOTEBOOK


def write_params(path: Path, **values) -> Path:
    path.write_text(yaml.safe_dump(values), encoding="utf-8")
    return path


def test_find_params_files_takes_folders_and_files(tmp_path: Path):
    first = write_params(tmp_path / "b.yaml", target="logFC")
    second = write_params(tmp_path / "a.yml", target="B")
    (tmp_path / "notes.txt").write_text("not a params file")
    assert planning.find_params_files([tmp_path]) == [second.resolve(), first.resolve()]
    assert planning.find_params_files([first, tmp_path]) == [first.resolve(), second.resolve()]


def test_find_params_files_errors(tmp_path: Path):
    with pytest.raises(ParamsError, match="neither a params file nor a folder"):
        planning.find_params_files([tmp_path / "missing"])
    with pytest.raises(ParamsError, match=r"no params files \(\*\.yaml\) found"):
        planning.find_params_files([tmp_path])


def test_repository_params_cover_every_table_and_target():
    jobs = planning.plan_jobs(planning.find_params_files([ROOT / "params"]))
    assert [job.problem for job in jobs if job.problem] == []
    pairs = {(job.dataset, job.target) for job in jobs}
    for dataset in ("GSE15852", "GSE2034", "airway", "pasilla", "yeast", "LN_vs_healthy_edgeR"):
        assert (dataset, "logFC") in pairs
    assert {("GSE15852", "B"), ("GSE2034", "B"), ("GSE15852", "t"), ("airway", "stat"),
            ("LN_vs_healthy_edgeR", "F")} <= pairs
    tables = {Path(yaml.safe_load(job.params_file.read_text())["input_table"]).name for job in jobs}
    shared = {path.name for path in DATA.iterdir() if path.suffix in (".csv", ".tsv")}
    assert shared | {"GSE15852.top.table.tsv"} <= tables


def test_plan_reports_bad_and_duplicate_params(tmp_path: Path, demo_slice: Path):
    write_params(tmp_path / "a.yaml", input_table=str(demo_slice), dataset_name="demo", target="logFC")
    write_params(tmp_path / "b.yaml", input_table=str(demo_slice), dataset_name="demo", target="logFC")
    write_params(tmp_path / "c.yaml", input_table=str(demo_slice), targte="B")
    write_params(tmp_path / "d.yaml", input_table=str(tmp_path / "nowhere.csv"))
    jobs = planning.plan_jobs(planning.find_params_files([tmp_path]))
    first = jobs[0]
    assert (first.stem, first.dataset, first.target, first.problem) == ("demo_logFC", "demo", "logFC", "")
    assert "a.yaml" in jobs[1].problem and "both write demo_logFC.html" in jobs[1].problem
    assert jobs[2].problem.startswith("ParamsError: unknown parameter 'targte': did you mean 'target'?")
    assert jobs[3].problem.startswith("InputError: input table")


def test_fingerprint_follows_content_not_spelling(tmp_path: Path, demo_slice: Path):
    from degtools.params import validate_params

    package = provenance.package_digest()

    def digest(**values) -> str:
        return planning.fingerprint(validate_params(values), notebook=DEFAULT_NOTEBOOK, package=package)

    base = digest(input_table=str(demo_slice))
    assert digest(input_table=str(demo_slice), cv_folds=5, seed=42) == base  # defaults written out
    assert digest(input_table=str(demo_slice), seed=1) != base
    assert digest(input_table=str(demo_slice), results_json="/elsewhere.json") == base
    copy = tmp_path / "copy" / demo_slice.name
    copy.parent.mkdir()
    copy.write_bytes(demo_slice.read_bytes())
    # the path is a parameter, so a copy elsewhere counts as different; same path, new bytes too
    before = digest(input_table=str(copy))
    copy.write_bytes(demo_slice.read_bytes() + b"extra\t1\t1\t1\t1\t1\tX\tx\n")
    assert digest(input_table=str(copy)) != before
    notebook = tmp_path / "analysis.ipynb"
    notebook.write_bytes(DEFAULT_NOTEBOOK.read_bytes() + b"\n")
    params = validate_params({"input_table": str(demo_slice)})
    assert planning.fingerprint(params, notebook=notebook, package=package) != base
    assert planning.fingerprint(params, notebook=DEFAULT_NOTEBOOK, package=package + "x") != base
    assert planning.fingerprint(params, notebook=DEFAULT_NOTEBOOK, package=package, with_code=True) != base


def test_up_to_date_needs_stamp_and_both_files(tmp_path: Path):
    job = planning.Job(params_file=tmp_path / "a.yaml", stem="x_logFC", fingerprint="abc")
    assert not planning.is_up_to_date(job, tmp_path)
    (tmp_path / "x_logFC.html").write_text("<html></html>")
    (tmp_path / "x_logFC.json").write_text("{}")
    assert not planning.is_up_to_date(job, tmp_path)
    planning.write_stamp(job, tmp_path)
    assert planning.is_up_to_date(job, tmp_path)
    job.fingerprint = "changed"
    assert not planning.is_up_to_date(job, tmp_path)
    job.fingerprint = "abc"
    (tmp_path / "x_logFC.json").unlink()
    assert not planning.is_up_to_date(job, tmp_path)


def test_a_reference_table_counts_towards_a_jobs_size(tmp_path: Path, demo_slice: Path):
    tiny_table = tmp_path / "tiny.tsv"
    tiny_table.write_text("".join(demo_slice.read_text(encoding="utf-8").splitlines(keepends=True)[:21]))
    alone = write_params(tmp_path / "alone.yaml", input_table=str(demo_slice), dataset_name="alone")
    joined = write_params(tmp_path / "joined.yaml", input_table=str(demo_slice), dataset_name="joined",
                          reference_table=str(tiny_table))
    planned = {job.stem: job.input_bytes for job in planning.plan_jobs([alone, joined])}
    assert planned["alone_logFC"] == demo_slice.stat().st_size
    assert planned["joined_logFC"] == demo_slice.stat().st_size + tiny_table.stat().st_size
