"""Build the provenance-audit fixtures in tests/data (run: python tests/data/make_fixtures_origins.py).

Each table imitates a shape whose columns are made from each other in a known way, so that
tests/test_origins.py and tests/test_rebuild.py can check what degtools.origins and
degtools.rebuild find: per-sample values that rebuild the fold change, a voom B that is not
monotone in t, lfcShrink fold changes that are not stat × lfcSE, an apeglm s-value. Seeded and
deterministic; README.md describes each file.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

HERE = Path(__file__).resolve().parent
SHARED = Path("/work/shared/data/mosuite_limma_voom_3contrasts_mouse.csv.gz")


def bh(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values."""
    return stats.false_discovery_control(p, method="bh")


def r_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """Numbers as R's write.csv prints them (15 significant digits), NaN as NA."""
    return frame.apply(lambda column: column.map(lambda v: "NA" if pd.isna(v) else f"{v:.15g}")
                       if pd.api.types.is_float_dtype(column) else column)


def edger_proteomics_qlf(rows: int = 300) -> None:
    """Write an edgeR glmQLFTest table of a proteomics pipeline: counts, a ratio, text calls, accessions.

    Normalised spectral counts of 3 control and 3 treated samples (rounded to 2 decimals);
    logFC = log2((mean treated + 1) / (mean control + 1)) of those printed values; FC = 2^logFC;
    PValue from a t-test of log2(count + 1), FDR = BH; the two group means; ``direction`` = sign
    of logFC as up/down; ``candidate`` = yes when FDR < 0.05 and |logFC| > 1; UniProt accessions.
    The F column was dropped, as such pipelines do: the test cannot be told from the columns.
    """
    rng = np.random.default_rng(101)
    base = rng.lognormal(3.5, 1.2, rows)
    effect = np.where(rng.random(rows) < 0.3, rng.normal(0, 1.5, rows), 0.0)
    size = rng.uniform(0.8, 1.2, 6)
    means = np.column_stack([base] * 3 + [base * 2.0**effect] * 3) * size
    counts = rng.negative_binomial(50, 50 / (50 + means))
    normalised = np.round(counts / size, 2)
    control, treated = normalised[:, :3], normalised[:, 3:]
    logfc = np.log2((treated.mean(axis=1) + 1) / (control.mean(axis=1) + 1))
    pvalue = stats.ttest_ind(np.log2(treated + 1), np.log2(control + 1), axis=1).pvalue
    pvalue = np.where(np.isfinite(pvalue), pvalue, 1.0)
    fdr = bh(pvalue)
    frame = pd.DataFrame({
        "logFC": logfc, "FC": 2.0**logfc, "PValue": pvalue, "FDR": fdr,
        "mean_Control": control.mean(axis=1), "mean_Treated": treated.mean(axis=1),
        "direction": np.where(logfc > 0, "up", "down"),
        "candidate": np.where((fdr < 0.05) & (np.abs(logfc) > 1), "yes", "no"),
    })
    for j, name in enumerate(["Control_1", "Control_2", "Control_3", "Treated_1", "Treated_2", "Treated_3"]):
        frame[f"{name}_count"] = normalised[:, j]
    frame["Accession"] = [f"sp|P{10000 + 37 * i:05d}|PRT{i}_HUMAN" for i in range(rows)]
    r_numbers(frame).to_csv(HERE / "edger_proteomics_qlf.csv", index=False)


def limma_voom_b(rows: int = 300) -> None:
    """limma-voom topTable whose B is computed as eBayes does, with per-gene voom precision.

    t = logFC / (stdev.unscaled · s.post), P.Value from t with df.total = 9, and
    B = log(p0/(1-p0)) - log(r)/2 + (1 + df)/2 · log((t² + df) / (t²/r + df)) with
    r = (stdev.unscaled² + var.prior) / stdev.unscaled²: genes with different voom weights have
    different stdev.unscaled, so B is not a monotone function of |t|.
    """
    rng = np.random.default_rng(202)
    df_residual, df_prior, s0 = 4, 5.0, 0.3
    unscaled = np.sqrt(2 / 3) * np.exp(rng.normal(0, 0.9, rows))
    s2 = s0**2 * rng.chisquare(df_residual, rows) / df_residual
    s2_post = (df_prior * s0**2 + df_residual * s2) / (df_prior + df_residual)
    effect = np.where(rng.random(rows) < 0.2, rng.normal(0, 1.5, rows), 0.0)
    logfc = effect + rng.normal(0, 1, rows) * unscaled * s0
    t = logfc / (unscaled * np.sqrt(s2_post))
    df_total = df_prior + df_residual
    pvalue = 2 * stats.t.sf(np.abs(t), df_total)
    proportion, var_prior = 0.01, 4.0
    r = (unscaled**2 + var_prior) / unscaled**2
    b = np.log(proportion / (1 - proportion)) - np.log(r) / 2 + (1 + df_total) / 2 * np.log(
        (t**2 + df_total) / (t**2 / r + df_total))
    frame = pd.DataFrame({"logFC": logfc, "AveExpr": rng.normal(3, 3, rows), "t": t, "P.Value": pvalue,
                          "adj.P.Val": bh(pvalue), "B": b},
                         index=pd.Index([f"ENSG{5000 + 11 * i:011d}" for i in range(rows)], name=""))
    r_numbers(frame).to_csv(HERE / "limma_voom_weights_b.csv")


def deseq2_lfcshrink_normal(rows: int = 200) -> None:
    """DESeq2 lfcShrink(type='normal') via write.csv: stat, pvalue, padj of the unshrunken Wald test stay.

    log2FoldChange is the MLE shrunk towards 0 (normal prior, variance 1) and lfcSE the posterior
    SD, so log2FoldChange ≠ stat × lfcSE; padj is BH after independent filtering (NA for the
    genes with the lowest baseMean).
    """
    rng = np.random.default_rng(303)
    base_mean = rng.lognormal(5, 2, rows)
    se = 0.15 + 2 / np.sqrt(base_mean + 1)
    mle = np.where(rng.random(rows) < 0.3, rng.normal(0, 2, rows), 0.0) + rng.normal(0, 1, rows) * se
    stat = mle / se
    pvalue = 2 * stats.norm.sf(np.abs(stat))
    kept = base_mean > np.quantile(base_mean, 0.2)
    padj = np.full(rows, np.nan)
    padj[kept] = bh(pvalue[kept])
    shrunk = mle / (1 + se**2)
    posterior_se = np.sqrt(1 / (1 + 1 / se**2))
    frame = pd.DataFrame({"baseMean": base_mean, "log2FoldChange": shrunk, "lfcSE": posterior_se,
                          "stat": stat, "pvalue": pvalue, "padj": padj},
                         index=pd.Index([f"FBgn{7000 + 13 * i:07d}" for i in range(rows)], name=""))
    r_numbers(frame).to_csv(HERE / "deseq2_lfcshrink_normal.csv")


def deseq2_apeglm_svalue(rows: int = 100) -> None:
    """DESeq2 lfcShrink(type='apeglm', svalue=TRUE) via write.table: no stat, no p-values, an svalue."""
    rng = np.random.default_rng(404)
    base_mean = rng.lognormal(5, 2, rows)
    se = 0.1 + 1 / np.sqrt(base_mean + 1)
    fold = np.where(rng.random(rows) < 0.3, rng.normal(0, 2, rows), 0.0) * 0.8 + rng.normal(0, 0.05, rows)
    false_sign = stats.norm.cdf(-np.abs(fold) / se)
    order = np.argsort(false_sign)
    svalue = np.empty(rows)
    svalue[order] = np.cumsum(false_sign[order]) / np.arange(1, rows + 1)
    frame = pd.DataFrame({"baseMean": base_mean, "log2FoldChange": fold, "lfcSE": se, "svalue": svalue},
                         index=pd.Index([f"ENSMUSG{3000 + 17 * i:011d}" for i in range(rows)], name="gene"))
    r_numbers(frame).to_csv(HERE / "deseq2_apeglm_svalue.tsv", sep="\t")


def mosuite_copy() -> None:
    """The shared three-contrast limma-voom table (MIT, CCBR/MOSuite), copied byte for byte."""
    if SHARED.exists():
        shutil.copyfile(SHARED, HERE / SHARED.name)


def main() -> None:
    """Write every fixture of this file."""
    edger_proteomics_qlf()
    limma_voom_b()
    deseq2_lfcshrink_normal()
    deseq2_apeglm_svalue()
    mosuite_copy()


if __name__ == "__main__":
    main()
