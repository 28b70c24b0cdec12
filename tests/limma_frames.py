"""DE tables written for the gene-set tests: a limma topTable from symbols and t statistics."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats


def write_table(tmp_path: Path, frame: pd.DataFrame, name: str = "table.tsv") -> Path:
    path = tmp_path / name
    frame.to_csv(path, sep="\t", index=False)
    return path


def limma_frame(
    symbols: list[str], t: list[float], *, logfc: list[float] | None = None, padj: list[float] | None = None
) -> pd.DataFrame:
    t = np.asarray(t, dtype=float)
    logfc = np.asarray(logfc if logfc is not None else t / 4, dtype=float)
    pvalue = 2 * stats.norm.sf(np.abs(t))
    return pd.DataFrame(
        {
            "ID": [f"p{i}" for i in range(len(symbols))],
            "logFC": logfc,
            "t": t,
            "P.Value": pvalue,
            "adj.P.Val": padj if padj is not None else np.minimum(1, pvalue * len(symbols)),
            "Gene.symbol": symbols,
            "Gene.title": [f"title {s}" for s in symbols],
        }
    )
