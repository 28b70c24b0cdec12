"""Column origins and provenance verdicts (degtools.origins) on every shared table and fixture."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd
import pytest
from conftest import DATA, ROOT

from degtools import DETable, read_de_table
from degtools.origins import (
    INDEPENDENT,
    LEAKS,
    SAME_TEST,
    column_origins,
    origin_verdicts,
    provenance_verdict,
)
from degtools.tool_columns import (
    EVIDENCE,
    IDENTIFIER,
    KINDS,
    MEASURED_BEFORE,
    OTHER,
    TEST_OUTPUT,
    VALUES,
    identify_test,
)

FIXTURES = ROOT / "tests" / "data"
T, M, V, I, O = TEST_OUTPUT, MEASURED_BEFORE, VALUES, IDENTIFIER, OTHER  # noqa: E741
L, S, N = LEAKS, SAME_TEST, INDEPENDENT


@cache
def table(path: Path) -> DETable:
    """The table as degtools reads it (read once per test session)."""
    return read_de_table(path)


# user's header -> (kind, verdict) for target logFC and, where the table has one, target stat.
GEO2R_FC = {"ID": (I, N), "adj.P.Val": (T, S), "P.Value": (T, S), "t": (T, L), "B": (T, S),
            "Gene.symbol": (I, N), "Gene.title": (I, N)}
GEO2R_STAT = {**{k: v for k, v in GEO2R_FC.items() if k != "t"},
              "P.Value": (T, L), "B": (T, L), "logFC": (T, L)}
DESEQ2_FC = {"baseMean": (M, N), "lfcSE": (T, S), "stat": (T, L), "pvalue": (T, S), "padj": (T, S)}
DESEQ2_STAT = {"baseMean": (M, N), "lfcSE": (T, L), "log2FoldChange": (T, L), "pvalue": (T, L),
               "padj": (T, S)}
EDGER_FC = {"logCPM": (M, N), "PValue": (T, S), "FDR": (T, S)}
LIMMA_FC = {"AveExpr": (M, N), "t": (T, L), "P.Value": (T, S), "adj.P.Val": (T, S), "B": (T, S)}
LIMMA_STAT = {"AveExpr": (M, N), "logFC": (T, L), "P.Value": (T, L), "adj.P.Val": (T, S), "B": (T, L)}
SEURAT_FC = {"p_val": (T, S), "pct.1": (V, L), "pct.2": (V, L), "p_val_adj": (T, S)}
SEURAT = "Seurat's FindMarkers test (Wilcoxon rank-sum by default)"
COUNTS = [f"{group}_{i}_count" for group in ("Control", "Treated") for i in (1, 2, 3)]

EXPECTED = {
    DATA / "GSE2034.top.table.tsv": ("limma's moderated t-test (GEO2R)", GEO2R_FC, GEO2R_STAT),
    ROOT / "degtools" / "data" / "GSE15852.top.table.tsv": ("limma's moderated t-test (GEO2R)", GEO2R_FC,
                                                            GEO2R_STAT),
    DATA / "airway_deseq2_results.csv": ("PyDESeq2's Wald test",
                                         {**DESEQ2_FC, "ensgene": (I, N), "symbol": (I, N)}, DESEQ2_STAT),
    DATA / "pasilla_condition_treated_results.csv": ("DESeq2's Wald test", {**DESEQ2_FC, "gene_id": (I, N)},
                                                     DESEQ2_STAT),
    DATA / "yeast_conB_vs_conA_deseq2_results.csv": ("DESeq2's Wald test", DESEQ2_FC, DESEQ2_STAT),
    DATA / "LN_vs_healthy_edgeR_results.csv": ("edgeR's quasi-likelihood F-test", {**EDGER_FC, "F": (T, S)},
                                               {**EDGER_FC, "logFC": (T, S), "PValue": (T, L)}),
    FIXTURES / "deseq2_results.csv.gz": ("DESeq2's Wald test", DESEQ2_FC, DESEQ2_STAT),
    FIXTURES / "pydeseq2_results.csv.xz": ("PyDESeq2's Wald test", {**DESEQ2_FC, "gene": (I, N)},
                                           DESEQ2_STAT),
    FIXTURES / "deseq2_lfcshrink.tsv.bz2": (
        "DESeq2's fit shrunk by lfcShrink (apeglm or ashr)",
        {"baseMean": (M, N), "lfcSE": (T, S), "pvalue": (T, S), "padj": (T, S), "symbol": (I, N)}, None),
    FIXTURES / "deseq2_apeglm_svalue.tsv": ("DESeq2's fit shrunk by lfcShrink (apeglm or ashr)",
                                            {"baseMean": (M, N), "lfcSE": (T, S), "svalue": (T, S)}, None),
    # lfcShrink type normal: stat and pvalue of the unshrunken test stay, log2FoldChange is not stat × lfcSE
    FIXTURES / "deseq2_lfcshrink_normal.csv": (
        "DESeq2's Wald test",
        {"baseMean": (M, N), "lfcSE": (T, S), "stat": (T, S), "pvalue": (T, S), "padj": (T, S)},
        {"baseMean": (M, N), "lfcSE": (T, S), "log2FoldChange": (T, S), "pvalue": (T, L), "padj": (T, S)}),
    FIXTURES / "limma_voom_write_csv.csv": ("limma-voom's moderated t-test", LIMMA_FC, LIMMA_STAT),
    FIXTURES / "limma_voom_weights_b.csv": ("limma-voom's moderated t-test", LIMMA_FC, LIMMA_STAT),
    FIXTURES / "edger_exacttest.zip": ("edgeR's exact test", EDGER_FC, None),
    FIXTURES / "edger_qlf_crlf.csv": ("edgeR's quasi-likelihood F-test", {**EDGER_FC, "F": (T, S)},
                                      {**EDGER_FC, "logFC": (T, S), "PValue": (T, L)}),
    FIXTURES / "edger_lrt_whitespace.txt": ("edgeR's likelihood-ratio test", {**EDGER_FC, "LR": (T, S)},
                                            {**EDGER_FC, "logFC": (T, S), "PValue": (T, L)}),
    FIXTURES / "edger_glmtreat.tsv": ("edgeR's glmTreat test (|logFC| above a threshold)",
                                      {**EDGER_FC, "unshrunk.logFC": (T, S)}, None),
    FIXTURES / "edger_proteomics_qlf.csv": (
        "edgeR's test (not identifiable: no F or LR column, and more than exactTest's columns)",
        {"PValue": (T, S), "FDR": (T, S), "FC": (T, L), "direction": (O, L), "candidate": (O, L),
         "Accession": (I, N), "mean_Control": (V, L), "mean_Treated": (V, L), **{c: (V, L) for c in COUNTS}},
        None),
    FIXTURES / "seurat_findmarkers.csv": (SEURAT, SEURAT_FC, None),
    FIXTURES / "seurat_findallmarkers.tsv": (SEURAT,
                                             {**SEURAT_FC, "cluster": (I, N), "gene": (I, N)}, None),
}


def _check(path: Path, target: str, expected: dict[str, tuple[str, str]]) -> None:
    data = table(path)
    origins = column_origins(data, target=target)
    assert set(origins) == set(data.data.columns)
    verdicts = origin_verdicts(origins, target=target)
    found = {origins[c].label: (origins[c].kind, verdicts[c]) for c in verdicts}
    assert {label: found[label] for label in expected} == expected
    assert all(origin.kind in KINDS for origin in origins.values())
    for column, verdict in verdicts.items():
        assert origins[column].from_target == (verdict == LEAKS)
        assert origins[column].same_test == (verdict == SAME_TEST)


@pytest.mark.parametrize("path", list(EXPECTED), ids=lambda path: path.name)
def test_origins_and_verdicts(path):
    test, for_fold_change, for_stat = EXPECTED[path]
    assert identify_test(table(path))[1] == test
    _check(path, "logFC", for_fold_change)
    if for_stat is not None:
        _check(path, "stat", for_stat)
    else:
        assert "stat" not in table(path).data


def test_sources_name_the_test_and_what_was_measured():
    origins = column_origins(table(DATA / "airway_deseq2_results.csv"), target="stat")
    assert origins["stat"].source == "written by PyDESeq2's Wald test (stat = log2FoldChange / lfcSE)"
    assert origins["stat"].computed_from == ("logFC", "lfcSE")
    assert origins["mean_expr"].source.startswith("measured before the test (baseMean: mean of normalised")
    assert "3,350 rows with a p-value were filtered out first" in origins["padj"].measured[0]
    geo2r = column_origins(table(DATA / "GSE2034.top.table.tsv"), target="logFC")
    assert geo2r["B"].source == ("written by limma's moderated t-test (GEO2R) (B: log-odds of DE from t, its "
                                 "degrees of freedom and the gene's variance)")
    bonferroni = column_origins(table(ROOT / "degtools" / "data" / "GSE15852.top.table.tsv"), target="logFC")
    assert "Bonferroni" in bonferroni["padj"].measured[0]
    shrunk = column_origins(table(FIXTURES / "deseq2_lfcshrink_normal.csv"), target="stat")
    assert "log2FoldChange ≠ stat × lfcSE" in shrunk["logFC"].source and shrunk["stat"].computed_from == ()


def test_proteomics_values_are_found_by_headers_and_measured():
    origins = column_origins(table(FIXTURES / "edger_proteomics_qlf.csv"), target="logFC")
    assert "exactly" in origins["logFC"].measured[0] and "pseudo-count 1" in origins["logFC"].measured[0]
    assert set(COUNTS) | {"mean_Control", "mean_Treated"} <= set(origins["logFC"].computed_from)
    assert "the fold change is computed from these" in origins["Control_1_count"].source
    assert origins["FC"].computed_from[0] == "logFC" and "ratio" in origins["FC"].source
    # the reader takes up/down for gene symbols; the origin says what it is
    assert origins["symbol"].label == "direction" and "sign of the fold change" in origins["symbol"].source
    assert "thresholds on padj and |logFC|" in origins["candidate"].source
    assert origins["candidate"].computed_from[:2] == ("padj", "logFC")  # and FC, 2^logFC


def test_values_are_found_by_measurement_alone(tmp_path):
    frame = pd.read_csv(FIXTURES / "edger_proteomics_qlf.csv")
    names = ["spc_ctl_a", "spc_ctl_b", "spc_ctl_c", "spc_trt_a", "spc_trt_b", "spc_trt_c"]  # suggest nothing
    renamed = dict(zip(COUNTS, names, strict=True))
    frame = frame.drop(columns=["mean_Control", "mean_Treated"]).rename(columns=renamed)
    path = tmp_path / "unnamed_counts.csv"
    frame.to_csv(path, index=False)
    data = read_de_table(path)
    origins = column_origins(data, target="logFC")
    kinds = {origins[c].kind for c in renamed.values()}
    assert kinds == {VALUES}
    assert "measured: they rebuild the fold change" in origins[renamed[COUNTS[0]]].source
    assert "linear regression" in origins["logFC"].measured[0]


def mosuite_table() -> DETable:
    """The three-contrast table with contrast B-C mapped to canonical names (the reader reads one)."""
    path = FIXTURES / "mosuite_limma_voom_3contrasts_mouse.csv.gz"
    frame = pd.read_csv(path, encoding="utf-8-sig")
    mapping = {"Gene": "gene_id", "B-C_logFC": "logFC", "B-C_tstat": "stat", "B-C_pval": "pvalue",
               "B-C_adjpval": "padj"}
    column_map = {header: mapping.get(header, header) for header in frame.columns}
    return DETable(data=frame.rename(columns=mapping), path=path, tool="limma-voom", column_map=column_map,
                   sha256="", stat_kind="t")


def test_three_contrasts_of_one_model():
    origins = column_origins(mosuite_table(), target="logFC")
    verdicts = origin_verdicts(origins, target="logFC")
    target = origins["logFC"]
    assert {"B-A_logFC", "C-A_logFC"} <= set(target.computed_from)
    assert any("B-C_logFC = B-A_logFC − C-A_logFC" in text for text in target.measured)
    assert any("of B (B1, B2, B3) over C (C1, C2, C3)" in text for text in target.measured)
    assert verdicts["B-A_logFC"] == verdicts["C-A_logFC"] == LEAKS
    assert verdicts["B-C_FC"] == LEAKS and origins["B-C_FC"].computed_from[0] == "logFC"
    assert verdicts["B-A_FC"] == LEAKS  # 2^B-A_logFC written signed: the same number as B-A_logFC
    assert verdicts["B-A_tstat"] == verdicts["C-A_pval"] == SAME_TEST
    assert origins["B-A_tstat"].source == ("written by limma-voom's moderated t-test for contrast B-A of the "
                                           "same model fit")
    assert verdicts["stat"] == LEAKS and verdicts["pvalue"] == verdicts["padj"] == SAME_TEST
    assert all(origins[c].kind == VALUES and verdicts[c] == LEAKS for c in ["A1", "B2", "C3"])


def test_evidence_and_verdict_rules():
    data = table(DATA / "pasilla_condition_treated_results.csv")
    origins = column_origins(data, target="logFC", evidence=("mean_expr",))
    assert origins["mean_expr"].kind == EVIDENCE
    assert provenance_verdict(origins["mean_expr"], target_origin=origins["logFC"]) == INDEPENDENT
    # verdicts are symmetric in "computed from": the target stat leaks through lfcSE, lfcSE's target stat too
    for_stat = column_origins(data, target="lfcSE")
    assert provenance_verdict(for_stat["stat"], target_origin=for_stat["lfcSE"]) == LEAKS
    assert provenance_verdict(for_stat["logFC"], target_origin=for_stat["lfcSE"]) == SAME_TEST
    assert provenance_verdict(for_stat["mean_expr"], target_origin=for_stat["lfcSE"]) == INDEPENDENT
    entry = origins["logFC"].entry(verdict=LEAKS)
    assert entry["column"] == "log2FoldChange" and entry["verdict"] == LEAKS and entry["kind"] == TEST_OUTPUT


def test_derived_columns_stand_as_their_source():
    from degtools import add_derived_columns

    data = add_derived_columns(table(DATA / "airway_deseq2_results.csv"))
    expected = {
        "stat": {"|stat|": L, "-log10(pvalue)": L, "|log2FoldChange|": L, "padj": S, "log2(baseMean + 1)": N},
        "logFC": {"|log2FoldChange|": L, "|stat|": L, "-log10(pvalue)": S, "log2(baseMean + 1)": N},
        "neg_log10_p": {"pvalue": L, "stat": L, "|stat|": L, "padj": L, "log2FoldChange": S, "baseMean": N},
    }
    for target, verdicts in expected.items():
        origins = column_origins(data, target=target)
        found = {origins[c].label: v for c, v in origin_verdicts(origins, target=target).items()}
        assert {label: found[label] for label in verdicts} == verdicts
