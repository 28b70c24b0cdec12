"""How a report and its files are named: ``<dataset>_<target>``, with file-safe parts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from degtools.io.source import DEMO_TABLE


def safe_file_part(text: str) -> str:
    """Keep letters, digits, ``-``, ``_`` and ``.``; anything else becomes ``_``."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", str(text)).strip("._")


def dataset_name_from_path(path: str | Path) -> str:
    """Report name of a table: its file name up to the first dot (``GSE15852.top.table.tsv`` -> ``GSE15852``)."""
    name = Path(path).name.split(".")[0]
    return safe_file_part(name) or "table"


def report_stem(params: dict[str, Any]) -> str:
    """``<dataset>_<target>``: the file name (without suffix) of a report."""
    dataset = params["dataset_name"] or dataset_name_from_path(params["input_table"] or DEMO_TABLE)
    return f"{safe_file_part(dataset)}_{safe_file_part(params['target'])}"
