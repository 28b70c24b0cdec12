"""Print pip constraints that pin every dependency of pyproject.toml to its declared floor (``>=X`` -> ``==X``).

``make test-min`` installs degtools[dev] with them, so that CI proves the minimum versions we declare.
"""

import re
import sys
import tomllib
from pathlib import Path

project = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text("utf-8"))["project"]
requirements = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
for requirement in requirements:
    match = re.fullmatch(r"([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*>=\s*([0-9][0-9A-Za-z.]*)", requirement.strip())
    if match is None:
        sys.exit(f"cannot pin {requirement!r}: declare its floor as NAME>=VERSION")
    print(f"{match[1]}=={match[2]}")
