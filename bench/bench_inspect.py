"""Time `degtools inspect` on a 40,000-row DE table (target: under 3 s).

Run: .venv/bin/python bench/bench_inspect.py [ROWS]

Builds a DESeq2-like table (R write.csv shape: quoted, empty first header, NA values) and a
GEO2R-like one (tab, symbols, titles) of ROWS rows in a temporary folder, then times the whole
command-line call (Python start-up and imports included) and the reader alone. Prints the times;
asserts nothing.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def build_tables(folder: Path, rows: int) -> list[Path]:
    rng = np.random.default_rng(0)
    se = rng.uniform(0.05, 1, rows)
    logfc = rng.normal(0, 1, rows)
    p = np.clip(rng.uniform(0, 1, rows), 1e-300, 1)
    deseq2 = pd.DataFrame({"baseMean": rng.lognormal(5, 2, rows), "log2FoldChange": logfc, "lfcSE": se,
                           "stat": logfc / se, "pvalue": p, "padj": np.minimum(1, p * 3)},
                          index=[f"ENSG{i:011d}" for i in range(rows)])
    deseq2.loc[deseq2.index[::11], "padj"] = np.nan
    deseq2_path = folder / "deseq2_40k.csv"
    deseq2.to_csv(deseq2_path, na_rep="NA", float_format="%.15g", quoting=1, index_label="")
    geo2r = pd.DataFrame({"ID": [f"{i}_at" for i in range(rows)], "adj.P.Val": np.minimum(1, p * 3), "P.Value": p,
                          "t": logfc / se, "B": rng.normal(-3, 2, rows), "logFC": logfc,
                          "Gene.symbol": [f"GENE{i % 15000}" for i in range(rows)],
                          "Gene.title": [f"gene number {i % 15000} of the bench" for i in range(rows)]})
    geo2r_path = folder / "geo2r_40k.tsv"
    geo2r.to_csv(geo2r_path, sep="\t", index=False)
    return [deseq2_path, geo2r_path]


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 40_000
    degtools_command = Path(sys.executable).parent / "degtools"
    with tempfile.TemporaryDirectory() as folder:
        for path in build_tables(Path(folder), rows):
            start = time.perf_counter()
            done = subprocess.run([str(degtools_command), "inspect", str(path)], capture_output=True, text=True,
                                  check=False)
            command_seconds = time.perf_counter() - start
            from degtools.io import read_de_table

            start = time.perf_counter()
            table = read_de_table(path)
            reader_seconds = time.perf_counter() - start
            print(f"{path.name}: {rows:,} rows, tool {table.tool}; `degtools inspect` {command_seconds:.2f} s "
                  f"(exit {done.returncode}), read_de_table alone {reader_seconds:.2f} s")


if __name__ == "__main__":
    main()
