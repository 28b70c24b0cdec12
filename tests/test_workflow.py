"""The Snakemake workflow: same per-report step, re-runs only what changed, failures stay readable."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import DATA, ROOT

pytestmark = pytest.mark.slow  # runs Snakemake workflows (`make test-min` skips it)

pytest.importorskip("snakemake", reason="the optional extra degtools[workflow] (Snakemake) is not installed")

SNAKEFILE = ROOT / "workflow" / "Snakefile"


def snakemake(workdir: Path, params: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "snakemake", "-s", str(SNAKEFILE), "-d", str(workdir), "--cores", "2",
               "--keep-going", "--config", f"params={params}", f"out={out}", *extra]
    return subprocess.run(command, capture_output=True, text=True, timeout=600)


def job_counts(output: str) -> dict[str, int]:
    """The first "Job stats" table of Snakemake's output, as job name -> count (without the total)."""
    lines = output.splitlines()
    start = lines.index("Job stats:") + 3
    counts = {}
    for line in lines[start:]:
        parts = line.split()
        if len(parts) != 2 or parts[0] == "total":
            break
        counts[parts[0]] = int(parts[1])
    return counts


def test_snakemake_renders_reruns_changes_and_keeps_failures(tmp_path: Path, demo_slice: Path):
    params, out = tmp_path / "params", tmp_path / "reports"
    params.mkdir()
    (params / "demo.yaml").write_text(yaml.safe_dump(
        {"input_table": str(demo_slice), "dataset_name": "demo", "max_rows": 150}))
    (params / "yeast.yaml").write_text(yaml.safe_dump(
        {"input_table": str(DATA / "yeast_conB_vs_conA_deseq2_results.csv"), "dataset_name": "yeast",
         "max_rows": 150}))
    tiny = tmp_path / "tiny.tsv"
    tiny.write_text("".join(demo_slice.read_text().splitlines(keepends=True)[:21]))
    (params / "tiny.yaml").write_text(yaml.safe_dump({"input_table": str(tiny), "dataset_name": "tiny"}))

    first = snakemake(tmp_path, params, out)
    assert first.returncode != 0, first.stderr[-2000:]
    assert (out / "demo_logFC.html").is_file() and (out / "yeast_logFC.json").is_file()
    assert "<img" in (out / "demo_logFC.html").read_text(encoding="utf-8")  # figures despite MPLBACKEND=Agg
    # the failed job's notebook and log survive Snakemake's clean-up of failed outputs
    assert (out / "tiny_logFC.failed.ipynb").is_file()
    assert "InputError" in (out / "tiny_logFC.failed.log").read_text() or \
        "InputError" in (out / "logs" / "tiny_logFC.log").read_text()
    assert not (out / "tiny_logFC.html").exists() and not (out / "index.html").exists()

    # without the failing report: only the index is left to build, nothing is re-rendered
    (params / "tiny.yaml").unlink()
    second = snakemake(tmp_path, params, out)
    assert second.returncode == 0, second.stderr[-2000:]
    assert job_counts(second.stdout + second.stderr) == {"index": 1, "all": 1}
    assert (out / "index.html").is_file()

    # a changed parameter re-runs that report alone (and the index)
    (params / "yeast.yaml").write_text(yaml.safe_dump(
        {"input_table": str(DATA / "yeast_conB_vs_conA_deseq2_results.csv"), "dataset_name": "yeast",
         "max_rows": 150, "seed": 7}))
    third = snakemake(tmp_path, params, out, "--dry-run")
    assert third.returncode == 0, third.stderr[-2000:]
    assert job_counts(third.stdout + third.stderr) == {"report": 1, "index": 1, "all": 1}


FAKE_DEGTOOLS = '''
import json, sys
from pathlib import Path
from degtools.params import load_params_file, validate_params
from degtools.naming import report_stem

args = sys.argv[1:]
with open(sys.argv[0] + ".calls", "a", encoding="utf-8") as calls:
    calls.write(json.dumps(args) + "\\n")
if args[0] == "report":
    out = Path(args[args.index("--out") + 1])
    stem = report_stem(validate_params(load_params_file(args[args.index("-f") + 1])))
    for suffix in (".html", ".json"):
        (out / f"{stem}{suffix}").write_text("{}")
else:
    (Path(args[1]) / "index.html").write_text("index")
'''


def test_file_names_in_shell_commands_are_never_run(tmp_path: Path):
    """A params file and an output folder whose names hold `$(touch ...)`: every command gets the names
    as they are (a stand-in for degtools records what it was given) and nothing is touched."""
    hostile = tmp_path / "in$(touch PARAMS_RAN)"
    hostile.mkdir()
    params = hostile / "a$(touch FILE_RAN).yaml"
    params.write_text(yaml.safe_dump({"dataset_name": "a", "target": "logFC"}))
    out = tmp_path / "out$(touch OUT_RAN)"
    fake = tmp_path / "fake_degtools.py"
    fake.write_text(FAKE_DEGTOOLS)
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"params": str(hostile), "out": str(out),
                                      "degtools": f"{sys.executable} {fake}"}))
    command = [sys.executable, "-m", "snakemake", "-s", str(SNAKEFILE), "-d", str(tmp_path), "--cores", "1",
               "--configfile", str(config)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    ran = [path / name for path in (tmp_path, hostile, out, Path.cwd())
           for name in ("PARAMS_RAN", "FILE_RAN", "OUT_RAN") if (path / name).exists()]
    assert ran == []
    calls = [json.loads(line) for line in Path(f"{fake}.calls").read_text().splitlines()]
    assert calls == [["report", "-f", str(params), "--out", str(out)], ["index", str(out)]]
    assert (out / "a_logFC.html").is_file() and (out / "index.html").is_file()
