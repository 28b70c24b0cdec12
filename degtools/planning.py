"""Which reports a batch renders: params files, one job per report, fingerprints and stamps.

Before rendering, each report gets a *fingerprint*: a sha256 over its validated parameters, the
bytes of its input table, the notebook, and degtools' version and source files. After a
successful render the fingerprint is stored under ``<out>/.degtools-batch/``; a re-run skips every
report whose fingerprint, HTML and JSON are all still in place. ``degtools batch`` and the
Snakemake workflow plan with the same functions.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from degtools.errors import DegtoolsError, ParamsError
from degtools.files import write_text_atomically
from degtools.io import resolve_input_path
from degtools.naming import dataset_name_from_path, report_stem
from degtools.params import (
    LIST_PATH_PARAMETERS,
    PATH_PARAMETERS,
    load_params_file,
    path_list,
    validate_params,
)
from degtools.provenance import file_sha256, package_digest
from degtools.render import DEFAULT_NOTEBOOK

#: where fingerprints of rendered reports are kept, inside the output folder.
STAMP_FOLDER = ".degtools-batch"


@dataclass
class Job:
    """One report to render: where its parameters come from and what it will be called."""

    params_file: Path
    values: dict[str, Any] = field(default_factory=dict)
    stem: str = ""
    dataset: str = ""
    target: str = ""
    fingerprint: str = ""
    input_bytes: int = 0  # size of the input (and reference) table: big jobs start first, so the batch ends sooner
    problem: str = ""  # set when the params file cannot be rendered at all (one line)
    model_jobs: int = 0  # processes its model comparison may use; 0: the worker's share of the cores


def find_params_files(paths: Iterable[str | Path]) -> list[Path]:
    """Params files named by ``paths``: a folder contributes its ``*.yaml``/``*.yml`` files, sorted.

    Raises
    ------
    ParamsError
        If a path does not exist, or nothing at all was found.
    """
    found: list[Path] = []
    for entry in paths:
        path = Path(entry)
        if path.is_dir():
            found += sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
        elif path.is_file():
            found.append(path)
        else:
            raise ParamsError(
                f"{str(path)!r} is neither a params file nor a folder; pass params/ or YAML files.")
    unique = list(dict.fromkeys(p.resolve() for p in found))
    if not unique:
        names = ", ".join(str(p) for p in paths)
        raise ParamsError(f"no params files (*.yaml) found in {names}; pass a folder such as params/.")
    return unique


def fingerprint(params: dict[str, Any], *, notebook: Path, package: str, with_code: bool = False) -> str:
    """sha256 of everything a report depends on: parameters, input files, notebook, degtools.

    ``params`` must be validated (defaults filled in) so that writing a default explicitly does
    not count as a change; file parameters count by their content, not their name or time stamp.
    """
    inputs = {}
    for name in PATH_PARAMETERS:
        value = params.get(name)
        if name in LIST_PATH_PARAMETERS:  # several files: each counts by its content
            files = [Path(entry) for entry in path_list(value) if Path(entry).is_file()]
            if files:
                inputs[name] = [file_sha256(path) for path in files]
            continue
        path = resolve_input_path(value) if name == "input_table" else Path(str(value)) if value else None
        if path is not None and path.is_file():
            inputs[name] = file_sha256(path)
    record = {
        "params": {name: value for name, value in params.items() if name != "results_json"},
        "inputs": inputs,
        "notebook": file_sha256(notebook),
        "degtools": package,
        "with_code": with_code,
    }
    return hashlib.sha256(json.dumps(record, sort_keys=True, default=str).encode()).hexdigest()


def plan_jobs(
    params_files: Iterable[Path], *, notebook: Path | None = None, with_code: bool = False
) -> list[Job]:
    """One :class:`Job` per params file, fingerprinted; unusable files get a ``problem`` line.

    Two params files that would write the same report name are a problem for the second one.
    """
    notebook = Path(notebook) if notebook else DEFAULT_NOTEBOOK
    if not notebook.is_file():
        raise ParamsError(f"notebook {str(notebook)!r} not found; give the path of an existing notebook.")
    package = package_digest()
    jobs: list[Job] = []
    owners: dict[str, Path] = {}
    for params_file in params_files:
        job = Job(params_file=Path(params_file), stem=Path(params_file).stem)
        jobs.append(job)
        try:
            job.values = load_params_file(params_file)
            params = validate_params(job.values)
            job.stem = report_stem(params)
            job.dataset = params["dataset_name"] or dataset_name_from_path(
                params["input_table"] or "GSE15852")
            job.target = params["target"]
            job.fingerprint = fingerprint(params, notebook=notebook, package=package, with_code=with_code)
            job.input_bytes = resolve_input_path(params["input_table"]).stat().st_size
            if params["reference_table"]:  # a second study is read, joined and modelled too
                job.input_bytes += resolve_input_path(params["reference_table"]).stat().st_size
        except DegtoolsError as error:
            job.problem = f"{type(error).__name__}: {error}"
            continue
        if job.stem in owners:
            job.problem = (f"ParamsError: {job.params_file.name} and {owners[job.stem].name} both write "
                           f"{job.stem}.html; give one of them another dataset_name.")
        else:
            owners[job.stem] = job.params_file
    return jobs


def stamp_path(out_dir: Path, stem: str) -> Path:
    """Where the fingerprint of report ``stem`` is stored."""
    return Path(out_dir) / STAMP_FOLDER / f"{stem}.json"


def is_up_to_date(job: Job, out_dir: Path) -> bool:
    """True if the report's HTML and JSON exist and were made from the same inputs."""
    out_dir = Path(out_dir)
    if job.problem or not all((out_dir / f"{job.stem}{suffix}").is_file() for suffix in (".html", ".json")):
        return False
    try:
        stamp = json.loads(stamp_path(out_dir, job.stem).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return stamp.get("fingerprint") == job.fingerprint


def write_stamp(job: Job, out_dir: Path) -> None:
    """Record that ``job`` was rendered from its current inputs."""
    path = stamp_path(out_dir, job.stem)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"fingerprint": job.fingerprint, "params_file": str(job.params_file)}
    write_text_atomically(path, json.dumps(record, indent=2) + "\n")
