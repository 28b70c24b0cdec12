"""Where a result comes from: checksums of files, of degtools itself and the package versions.

A leaf module (it imports nothing from degtools), used by the reader (input checksums), the results
JSON (versions), the batch (fingerprints) and the shared-results cache (code digest).
"""

from __future__ import annotations

import hashlib
import platform
from functools import lru_cache
from importlib import metadata
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent

#: modules that drive reports but do not shape one: excluded from :func:`package_digest`.
DRIVER_MODULES = ("batch.py", "planning.py", "processes.py", "output_folder.py", "index.py", "cli.py",
                  "__main__.py")

#: packages whose versions a report records.
RECORDED_PACKAGES = (
    "degtools", "numpy", "pandas", "scipy", "scikit-learn", "matplotlib", "seaborn",
    "papermill", "nbconvert", "ipykernel", "gseapy",
)

#: packages whose versions can change a cached (shared) result.
NUMERICAL_PACKAGES = ("numpy", "scipy", "pandas", "scikit-learn", "gseapy", "joblib")


def file_sha256(path: str | Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _version(package: str, missing: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return missing


def package_versions() -> dict[str, str]:
    """Python and the versions of the packages a report depends on."""
    versions = {"python": platform.python_version()}
    for package in RECORDED_PACKAGES:
        versions[package] = _version(package, "not installed")
    return versions


def package_digest() -> str:
    """sha256 over degtools' version, its source files, templates and bundled data.

    A released version identifies the code; in a source checkout the files change without a new
    version, so they are hashed too (except :data:`DRIVER_MODULES`, which do not shape a report).
    """
    digest = hashlib.sha256(_version("degtools", "unknown").encode())
    files = sorted(p for p in PACKAGE_ROOT.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                   and p.relative_to(PACKAGE_ROOT).as_posix() not in DRIVER_MODULES)
    for path in files:
        digest.update(str(path.relative_to(PACKAGE_ROOT)).encode())
        digest.update(file_sha256(path).encode())
    return digest.hexdigest()


@lru_cache(maxsize=1)
def code_digest() -> str:
    """sha256 of degtools' source and data and the numerical packages' versions (one per process)."""
    digest = hashlib.sha256(package_digest().encode())
    for name in NUMERICAL_PACKAGES:
        digest.update(f"{name}={_version(name, 'absent')};".encode())
    return digest.hexdigest()
