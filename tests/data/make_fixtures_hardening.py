"""Build the reader-hardening fixtures in tests/data (run: python tests/data/make_fixtures_hardening.py).

Tables that are readable yet hostile: numbers near the largest float, a NUL byte after the first
8 KB, a single data row, and an ``.xlsx`` whose sheet declares ``dimension ref="A1"`` as R's
``xlsx`` package writes it. Seeded and deterministic; README.md describes each file.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

HERE = Path(__file__).resolve().parent


def limma_frame(rows: int, seed: int) -> pd.DataFrame:
    """A consistent limma topTable: t = logFC / SE, P.Value from t (df 10), BH adj.P.Val, symbols."""
    rng = np.random.default_rng(seed)
    logfc = rng.normal(0, 1, rows)
    se = rng.uniform(0.2, 0.6, rows)
    t = logfc / se
    p = 2 * stats.t.sf(np.abs(t), 10)
    return pd.DataFrame({
        "ID": [f"{1000 + i}_at" for i in range(rows)], "logFC": logfc, "AveExpr": rng.uniform(4, 12, rows),
        "t": t, "P.Value": p, "adj.P.Val": stats.false_discovery_control(p, method="bh"),
        "B": rng.normal(-3, 2, rows), "Gene.symbol": [f"GENE{i}" for i in range(rows)],
    })


def extreme_values() -> None:
    """60 rows; logFC holds +1e308 and -1e308 in two rows, AveExpr is scaled to ~1e306 in three rows."""
    frame = limma_frame(60, 301)
    frame.loc[[4, 17], "logFC"] = [1e308, -1e308]
    frame.loc[[8, 9, 30], "AveExpr"] *= 1e306
    frame.to_csv(HERE / "sanity_extreme_values.csv", index=False, float_format="%.15g")


def nul_after_8k() -> None:
    """A 200-row tab table whose Gene.symbol cell on row 150 (past byte 8192) holds a NUL byte."""
    frame = limma_frame(200, 302)
    frame.loc[150, "Gene.symbol"] = "GENE\x00150"
    text = frame.to_csv(sep="\t", index=False, float_format="%.15g")
    assert text.index("\x00") > 8192
    (HERE / "bad_nul_after_8k.tsv").write_bytes(text.encode("utf-8"))


def one_row() -> None:
    """A limma table with a header and a single data row."""
    limma_frame(1, 303).to_csv(HERE / "bad_one_row.csv", index=False, float_format="%.15g")


def xlsx_dimension_a1() -> None:
    """A 40-row DESeq2 sheet written by openpyxl, then its ``<dimension ref=...>`` rewritten to A1.

    R's ``xlsx`` package (via Apache POI) writes this declaration; openpyxl's read-only mode trusts it.
    Zip entries keep a fixed time stamp so the file is byte-identical between runs.
    """
    import openpyxl

    rng = np.random.default_rng(304)
    rows = 40
    logfc = rng.normal(0, 1, rows)
    se = rng.uniform(0.1, 0.5, rows)
    p = 2 * stats.norm.sf(np.abs(logfc / se))
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "results"
    sheet.append(["gene_id", "baseMean", "log2FoldChange", "lfcSE", "stat", "pvalue", "padj"])
    padj = stats.false_discovery_control(p, method="bh")
    for i in range(rows):
        sheet.append([f"ENSG{i:011d}", float(rng.lognormal(6, 1)), float(logfc[i]), float(se[i]),
                      float(logfc[i] / se[i]), float(p[i]), float(padj[i])])
    buffer = io.BytesIO()
    book.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data, count = re.subn(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1"/>', data)
                assert count == 1
            if item.filename == "docProps/core.xml":
                data = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2024-01-01T00:00:00Z", data)
            target.writestr(zipfile.ZipInfo(item.filename, date_time=(2024, 1, 1, 0, 0, 0)), data,
                            compress_type=zipfile.ZIP_DEFLATED)
    (HERE / "deseq2_dimension_a1.xlsx").write_bytes(out.getvalue())


def main() -> None:
    for build in (extreme_values, nul_after_8k, one_row, xlsx_dimension_a1):
        build()


if __name__ == "__main__":
    main()
