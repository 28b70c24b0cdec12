"""Writing files so that a reader never sees half of one: write a temporary file, then rename.

A leaf module. ``os.replace`` is atomic on one file system, so a crash leaves either the old file or
the new one, never a mixture; the temporary file is removed when the write fails.
"""

from __future__ import annotations

import os
from pathlib import Path


def write_text_atomically(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` through a temporary sibling and a rename; returns the path."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
