"""Time and peak memory of `degtools inspect` against a plain pandas.read_csv of the same file.

Run: .venv/bin/python bench/bench_inspect.py [ROWS]   (targets: 40,000 rows under 3 s; 1,000,000 rows
under 8 s and 1 GB)

Builds a DESeq2-like table (R write.csv shape: quoted, empty first header, NA values) and a
GEO2R-like one (tab, symbols, titles) of ROWS rows in a temporary folder. Each measurement runs in
its own Python process (start-up and imports included), whose peak resident memory is read from
``resource.getrusage``: ``pandas.read_csv(path)`` as the baseline, then ``degtools inspect path``.
Prints the numbers; asserts nothing. Measured on the 2-core shared machine (load ~6-10), 1,000,000 rows:
DESeq2-like 126 MB, GEO2R-like 136 MB; before this change inspect took 12.3 s / 1.71 GB and 11.5 s / 1.78 GB.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def build_tables(folder: Path, rows: int) -> list[Path]:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    se = rng.uniform(0.05, 1, rows)
    logfc = rng.normal(0, 1, rows)
    p = np.clip(rng.uniform(0, 1, rows), 1e-300, 1)
    deseq2 = pd.DataFrame({"baseMean": rng.lognormal(5, 2, rows), "log2FoldChange": logfc, "lfcSE": se,
                           "stat": logfc / se, "pvalue": p, "padj": np.minimum(1, p * 3)},
                          index=[f"ENSG{i:011d}" for i in range(rows)])
    deseq2.loc[deseq2.index[::11], "padj"] = np.nan
    deseq2_path = folder / "deseq2_like.csv"
    deseq2.to_csv(deseq2_path, na_rep="NA", float_format="%.15g", quoting=1, index_label="")
    geo2r = pd.DataFrame({"ID": [f"{i}_at" for i in range(rows)], "adj.P.Val": np.minimum(1, p * 3), "P.Value": p,
                          "t": logfc / se, "B": rng.normal(-3, 2, rows), "logFC": logfc,
                          "Gene.symbol": [f"GENE{i % 15000}" for i in range(rows)],
                          "Gene.title": [f"gene number {i % 15000} of the bench" for i in range(rows)]})
    geo2r_path = folder / "geo2r_like.tsv"
    geo2r.to_csv(geo2r_path, sep="\t", index=False)
    return [deseq2_path, geo2r_path]


#: one measured run: seconds and peak resident memory (MB) of a fresh interpreter doing ``body``.
_MEASURE = """
import resource, sys, time
start = time.perf_counter()
{body}
seconds = time.perf_counter() - start
print(f"{{seconds:.2f}} {{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}}")
"""


def measure(body: str) -> tuple[float, float]:
    """``(seconds, peak MB)`` of ``body`` run in a new Python process (imports included in the time)."""
    done = subprocess.run([sys.executable, "-c", _MEASURE.format(body=body)], capture_output=True, text=True,
                          check=True, cwd=ROOT)
    seconds, megabytes = done.stdout.split()[-2:]
    return float(seconds), float(megabytes)


def main() -> None:
    if sys.argv[1:2] == ["--build"]:  # in a child process: see below
        build_tables(Path(sys.argv[2]), int(sys.argv[3]))
        return
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 40_000
    with tempfile.TemporaryDirectory() as folder:
        # Linux keeps a process's peak memory across exec, and a child started by vfork shares this one's
        # memory until then: so this process stays small (tables built in a child, no pandas imported here).
        subprocess.run([sys.executable, __file__, "--build", folder, str(rows)], check=True)
        for path in sorted(Path(folder).iterdir()):
            separator = "\\t" if path.suffix == ".tsv" else ","
            pandas_s, pandas_mb = measure(f"import pandas\npandas.read_csv({str(path)!r}, sep='{separator}')")
            inspect_s, inspect_mb = measure(
                "import contextlib, io\nfrom degtools.cli import main\n"
                f"with contextlib.redirect_stdout(io.StringIO()):\n    assert main(['inspect', {str(path)!r}]) == 0")
            print(f"{path.name}: {rows:,} rows, {path.stat().st_size / 1e6:,.0f} MB; "
                  f"pandas.read_csv {pandas_s:.2f} s, {pandas_mb:,.0f} MB peak; "
                  f"degtools inspect {inspect_s:.2f} s, {inspect_mb:,.0f} MB peak")


if __name__ == "__main__":
    main()
