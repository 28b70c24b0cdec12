"""What each DE tool writes: the catalogue of column sources, and which test wrote a table.

Per test family (limma and limma-voom topTable, DESeq2 and PyDESeq2 ``results`` and ``lfcShrink``,
edgeR exactTest / QL F-test / LRT / glmTreat, Seurat FindMarkers), each canonical column's kind
(written by the test, measured before it, per-group values), a sentence saying where it comes from,
and the columns it is computed from in one step, after the tools' own documentation.
:func:`identify_test` refines the reader's tool with the numbers (an LRT, lfcShrink type normal,
an edgeR table whose test cannot be told). Used by :mod:`degtools.origins`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from degtools.io import DETable
from degtools.numeric import is_signed

TEST_OUTPUT = "test output"
MEASURED_BEFORE = "measured before the test"
VALUES = "per-sample or per-group values"
IDENTIFIER = "identifier"
OTHER = "other column"
EVIDENCE = "independent evidence"
KINDS = (TEST_OUTPUT, MEASURED_BEFORE, VALUES, IDENTIFIER, OTHER, EVIDENCE)

#: relative tolerance of DESeq2's Wald identity stat = log2FoldChange / lfcSE, and the share of rows
#: in which it must hold.
WALD_TOLERANCE = 1e-4
WALD_ROW_SHARE = 0.99


_T, _M = TEST_OUTPUT, MEASURED_BEFORE
#: canonical column -> (kind, source, computed from in one step); "{test}" is the test's name.
GENERIC = {
    "logFC": (_T, "written by {test} (the fold change it tested)", ()),
    "mean_expr": (_M, "measured before the test (average expression of the gene over all samples)", ()),
    "stat": (_T, "written by {test} (its test statistic)", ("logFC", "lfcSE")),
    "lfcSE": (_T, "written by {test} (standard error of the fold change)", ()),
    "pvalue": (_T, "written by {test} (the p-value of its statistic)", ("stat",)),
    "padj": (_T, "written by {test} (the p-values adjusted for multiple testing)", ("pvalue",)),
    "B": (_T, "written by {test} (log-odds of differential expression from its statistic)", ("stat",)),
    "abs_logFC": (_T, "|logFC|, derived here from the fold change", ("logFC",)),
    "abs_stat": (_T, "|statistic|, derived here from the test statistic", ("stat",)),
    "neg_log10_p": (_T, "-log10 of the p-value, derived here", ("pvalue",)),
    "log_mean_expr": (_M, "log2 of the mean expression, derived here (measured before the test)",
                      ("mean_expr",)),
}
#: test family -> the columns it writes differently from GENERIC.
CATALOGUE = {
    "limma": {
        "logFC": (_T, "written by {test} (logFC: the fitted contrast, a difference of mean log2 "
                      "expression)", ()),
        "mean_expr": (_M, "measured before the test (AveExpr: mean log2 expression over all samples, "
                          "without the contrast)", ()),
        "stat": (_T, "written by {test} (t: logFC over its posterior standard error)", ("logFC",)),
        "pvalue": (_T, "written by {test} (P.Value: from t and its degrees of freedom)", ("stat",)),
        "padj": (_T, "written by {test} (adj.P.Val: P.Value adjusted, Benjamini-Hochberg unless asked "
                     "otherwise)", ("pvalue",)),
        "B": (_T, "written by {test} (B: log-odds of DE from t, its degrees of freedom and the gene's "
                  "variance)", ("stat",)),
    },
    "limma F": {
        "stat": (_T, "written by {test} (F: all coefficients together)", ()),
        "pvalue": (_T, "written by {test} (P.Value: from F and its degrees of freedom)", ("stat",)),
    },
    "DESeq2": {
        "mean_expr": (_M, "measured before the test (baseMean: mean of normalised counts over all "
                          "samples)", ()),
        "logFC": (_T, "written by {test} (log2FoldChange: the fitted coefficient)", ()),
        "lfcSE": (_T, "written by {test} (lfcSE: standard error of log2FoldChange)", ()),
        "stat": (_T, "written by {test} (stat = log2FoldChange / lfcSE)", ("logFC", "lfcSE")),
        "pvalue": (_T, "written by {test} (pvalue: from stat)", ("stat",)),
        "padj": (_T, "written by {test} (padj: Benjamini-Hochberg after independent filtering on baseMean, "
                     "empty for filtered genes)", ("pvalue",)),
    },
    "DESeq2 LRT": {
        "stat": (_T, "written by {test} (stat: deviance difference of the full and the reduced model)", ()),
    },
    "DESeq2 normal": {
        "logFC": (_T, "written by {test}, then shrunk by lfcShrink (type normal): the Wald test used the "
                      "unshrunken fold change, so log2FoldChange ≠ stat × lfcSE", ()),
        "lfcSE": (_T, "written by {test} (lfcSE: posterior standard error after lfcShrink)", ()),
        "stat": (_T, "written by {test} on the unshrunken fold change (not in the table; lfcShrink keeps "
                     "stat, pvalue and padj)", ()),
    },
    "DESeq2 shrunk": {
        "logFC": (_T, "written by {test} (log2FoldChange: shrunken posterior fold change)", ()),
        "lfcSE": (_T, "written by {test} (lfcSE: posterior standard deviation)", ()),
        "pvalue": (_T, "written by {test} (pvalue of the unshrunken Wald test, kept by lfcShrink)", ()),
        "svalue": (_T, "written by {test} (svalue: false-sign rate of the shrunken posterior)", ()),
    },
    "edgeR": {
        "logFC": (_T, "written by {test} (logFC from the negative-binomial fit, with a small prior "
                      "count)", ()),
        "mean_expr": (_M, "measured before the test (logCPM: average log2 counts per million over all "
                          "libraries)", ()),
        "pvalue": (_T, "written by {test} (PValue)", ("stat",)),
        "padj": (_T, "written by {test} (FDR: Benjamini-Hochberg of PValue, via topTags)", ("pvalue",)),
        "unshrunk.logFC": (_T, "written by {test} (unshrunk.logFC: the fold change without the prior "
                               "count)", ()),
    },
    "edgeR F": {"stat": (_T, "written by {test} (F: quasi-likelihood F-statistic of the coefficient)", ())},
    "edgeR LR": {"stat": (_T, "written by {test} (LR: likelihood-ratio statistic of the coefficient)", ())},
    "Seurat": {
        "logFC": (_T, "written by {test} (avg_log2FC: log2 ratio of the group means of expm1(data), plus a "
                      "pseudo-count)", ("pct.1", "pct.2")),
        "pvalue": (_T, "written by {test} (p_val)", ()),
        "padj": (_T, "written by {test} (p_val_adj: Bonferroni over all genes of the dataset)", ("pvalue",)),
        "pct.1": (VALUES, "measured by {test} on the same cells (pct.1: fraction of cells of group 1 "
                          "expressing the gene): with pct.2 it sets the direction of avg_log2FC", ()),
        "pct.2": (VALUES, "measured by {test} on the same cells (pct.2: fraction of the other cells "
                          "expressing the gene): with pct.1 it sets the direction of avg_log2FC", ()),
    },
}

_EDGER_TESTS = {
    "edgeR (glmTreat)": "edgeR's glmTreat test (|logFC| above a threshold)",
    "edgeR (QL F-test)": "edgeR's quasi-likelihood F-test",
    "edgeR (LRT)": "edgeR's likelihood-ratio test",
}
_EXACT_TEST_COLUMNS = {"logFC", "mean_expr", "pvalue", "padj"}
#: columns degtools derives from the table's own -> their source (see degtools.prepare.DERIVED_COLUMNS):
#: one number per gene written another way, so they stand to the target as their source does.
DERIVED = {"abs_logFC": "logFC", "abs_stat": "stat", "neg_log10_p": "pvalue", "log_mean_expr": "mean_expr"}


def wald_identity_holds(data: pd.DataFrame) -> bool:
    """Whether stat = log2FoldChange / lfcSE in (almost) every row (False after lfcShrink type normal)."""
    rows = data[["logFC", "lfcSE", "stat"]].dropna()
    rows = rows[rows["lfcSE"] > 0]
    if rows.empty:
        return True
    ratio = rows["logFC"] / rows["lfcSE"]
    close = (ratio - rows["stat"]).abs() <= WALD_TOLERANCE * np.maximum(1.0, rows["stat"].abs())
    return bool(close.mean() >= WALD_ROW_SHARE)


def identify_test(table: DETable) -> tuple[list[str], str]:
    """``(catalogue families, test name)`` of a table: which test wrote its columns.

    Refines the reader's tool with the numbers: DESeq2 ``stat`` that is never negative is an LRT;
    a log2FoldChange that is not stat × lfcSE was shrunk by lfcShrink (type normal); an edgeR table
    without a statistic is an exactTest only with exactly exactTest's columns.
    """
    tool, data = table.tool, table.data
    if tool.startswith("Seurat"):
        return ["Seurat"], "Seurat's FindMarkers test (Wilcoxon rank-sum by default)"
    if "DESeq2" in tool:
        name = "PyDESeq2" if tool.startswith("PyDESeq2") else "DESeq2"
        if "stat" not in data:
            return ["DESeq2", "DESeq2 shrunk"], f"{name}'s fit shrunk by lfcShrink (apeglm or ashr)"
        if (data["stat"].dropna() >= 0).all() and "logFC" in data and is_signed(data["logFC"]):
            return ["DESeq2", "DESeq2 LRT"], f"{name}'s likelihood-ratio test"
        if {"logFC", "lfcSE"} <= set(data) and not wald_identity_holds(data):
            return ["DESeq2", "DESeq2 normal"], f"{name}'s Wald test"
        return ["DESeq2"], f"{name}'s Wald test"
    if tool.startswith("edgeR"):
        if tool in _EDGER_TESTS:
            return ["edgeR", f"edgeR {table.stat_kind}"] if table.stat_kind else ["edgeR"], _EDGER_TESTS[tool]
        numeric = set(table.numeric_columns) - set(DERIVED)
        if numeric == _EXACT_TEST_COLUMNS:
            return ["edgeR"], "edgeR's exact test"
        return ["edgeR"], ("edgeR's test (not identifiable: no F or LR column, and more than exactTest's "
                           "columns)")
    if tool.startswith("limma"):
        voom = "limma-voom's" if tool == "limma-voom" else "limma's"
        if table.stat_kind == "F":
            return ["limma", "limma F"], f"{voom} moderated F-test"
        return ["limma"], f"{voom} moderated t-test" + (" (GEO2R)" if "GEO2R" in tool else "")
    return [], "the test that made this table"
