"""Build the multi-contrast fixtures in tests/data (run: python tests/data/make_fixtures_contrasts.py).

Each file imitates one shape of a DE table with several contrasts (40 genes, seeded numbers,
t = logFC / SE, p from t, BH-adjusted p). ``tests/test_contrasts.py`` asserts what
``degtools.contrasts`` detects in each:

- ``limma_multicoef_toptable.tsv``: limma ``topTable`` of two coefficients, columns renamed
  ``logFC.<coef>`` / ``t.<coef>`` (coefficients drugA, drugB), with ``AveExpr`` and the
  F test's ``F``, ``P.Value``, ``adj.P.Val`` over both.
- ``timecourse_logfc.csv``: one fold change per time point, ``logFC_2h, logFC_6h, logFC_24h``,
  plus ``gene`` and ``AveExpr``.
- ``deseq2_contrasts_prefix.csv``: DESeq2 results of two contrasts side by side, kind first
  (``log2FoldChange_treated_vs_control``, ``lfcSE_...``, ``stat_...``, ``pvalue_...``, ``padj_...``).
- ``deseq2_contrasts_suffix.tsv``: the same numbers, contrast first (``treated_vs_control_log2FoldChange``),
  tab-separated.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from make_fixtures import bh  # the same step-up as the reader corpus (run from this folder)
from scipy import stats

HERE = Path(__file__).resolve().parent
ROWS = 40
RNG = np.random.default_rng(1212)


def contrast_numbers() -> dict[str, np.ndarray]:
    """Consistent statistics of one contrast."""
    se = RNG.uniform(0.1, 0.5, ROWS)
    logfc = RNG.normal(0, 1, ROWS)
    stat = logfc / se
    p = 2 * stats.norm.sf(np.abs(stat))
    return {"logFC": logfc.round(6), "lfcSE": se.round(6), "stat": stat.round(6), "p": p, "padj": bh(p)}


def main() -> None:
    """Write every fixture."""
    ids = [f"ENSG{index:011d}" for index in range(1, ROWS + 1)]
    symbols = [f"GENE{index}" for index in range(1, ROWS + 1)]

    drug_a, drug_b = contrast_numbers(), contrast_numbers()
    f_stat = (drug_a["stat"] ** 2 + drug_b["stat"] ** 2) / 2
    f_p = stats.f.sf(f_stat, 2, 20)
    pd.DataFrame({
        "ID": ids, "logFC.drugA": drug_a["logFC"], "logFC.drugB": drug_b["logFC"],
        "t.drugA": drug_a["stat"], "t.drugB": drug_b["stat"], "AveExpr": RNG.normal(7, 1.5, ROWS).round(4),
        "F": f_stat.round(4), "P.Value": f_p, "adj.P.Val": bh(f_p), "Gene.symbol": symbols,
    }).to_csv(HERE / "limma_multicoef_toptable.tsv", sep="\t", index=False)

    times = {hours: contrast_numbers() for hours in ("2h", "6h", "24h")}
    frame = pd.DataFrame({"gene": symbols})
    for hours, numbers in times.items():
        frame[f"logFC_{hours}"] = numbers["logFC"]
    frame["AveExpr"] = RNG.normal(5, 2, ROWS).round(4)
    frame.to_csv(HERE / "timecourse_logfc.csv", index=False)

    contrasts = {"treated_vs_control": contrast_numbers(), "knockdown_vs_control": contrast_numbers()}
    base_mean = RNG.lognormal(6, 1.5, ROWS).round(3)
    kinds = {"log2FoldChange": "logFC", "lfcSE": "lfcSE", "stat": "stat", "pvalue": "p", "padj": "padj"}
    prefix = pd.DataFrame({"gene_id": ids, "symbol": symbols, "baseMean": base_mean})
    suffix = prefix.copy()
    for name, numbers in contrasts.items():
        for header, key in kinds.items():
            prefix[f"{header}_{name}"] = numbers[key]
            suffix[f"{name}_{header}"] = numbers[key]
    prefix.to_csv(HERE / "deseq2_contrasts_prefix.csv", index=False)
    suffix.to_csv(HERE / "deseq2_contrasts_suffix.tsv", sep="\t", index=False)


if __name__ == "__main__":
    main()
