"""Build the reader's test corpus in tests/data (run: python tests/data/make_fixtures.py).

Every file imitates one shape a real DE table comes in; the values are seeded random numbers
with the right relations (t = logFC / SE, p from t, BH-adjusted p) so that the sanity checks
stay quiet on the good files and fire on the bad ones. README.md describes each file.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

HERE = Path(__file__).resolve().parent
ROWS = 40
RNG = np.random.default_rng(2024)


def bh(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values."""
    order = np.argsort(p)
    ranked = p[order] * len(p) / np.arange(1, len(p) + 1)
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty_like(p)
    out[order] = np.minimum(adjusted, 1)
    return out


def de_numbers(n: int = ROWS) -> dict[str, np.ndarray]:
    """Consistent DE columns: fold change, its SE, a signed statistic, p and adjusted p."""
    se = RNG.uniform(0.1, 0.6, n)
    logfc = RNG.normal(0, 1.2, n)
    stat = logfc / se
    p = 2 * stats.norm.sf(np.abs(stat))
    return {"logFC": logfc, "se": se, "stat": stat, "p": p, "adj": bh(p), "mean": RNG.uniform(4, 14, n),
            "count_mean": RNG.lognormal(5, 1.5, n)}


def ensembl(n: int = ROWS) -> list[str]:
    return [f"ENSG{1000 + 37 * i:011d}" for i in range(n)]


SYMBOLS = [f"{prefix}{i}" for i, prefix in zip(range(ROWS), ["TP", "CD", "KRT", "MYC", "SOX"] * 8)]


def r_number(values: np.ndarray) -> list[str]:
    """Numbers as R writes them (15 significant digits)."""
    return [f"{value:.15g}" for value in values]


def write(name: str, text: str, *, newline: str = "\n") -> None:
    (HERE / name).write_bytes(text.replace("\n", newline).encode("utf-8"))


def limma_write_table() -> None:
    """limma topTable via write.table(sep='\\t', quote=TRUE): header one field short, probe IDs as row names."""
    d = de_numbers()
    lines = ['"logFC"\t"AveExpr"\t"t"\t"P.Value"\t"adj.P.Val"\t"B"']
    for i in range(ROWS):
        fields = [d["logFC"][i], d["mean"][i], d["stat"][i], d["p"][i], d["adj"][i], d["stat"][i] ** 2 / 4 - 4]
        lines.append(f'"{200000 + i}_at"\t' + "\t".join(r_number(np.array(fields))))
    write("limma_toptable_write_table.txt", "\n".join(lines) + "\n")


def geo2r_semicolon() -> None:
    """GEO2R table re-saved by a European Excel: semicolons, decimal commas, probe IDs, symbols, titles."""
    d = de_numbers()
    frame = pd.DataFrame({"ID": [f"{210000 + i}_s_at" for i in range(ROWS)], "adj.P.Val": d["adj"],
                          "P.Value": d["p"], "t": d["stat"], "B": d["stat"] ** 2 / 4 - 4, "logFC": d["logFC"],
                          "Gene.symbol": SYMBOLS, "Gene.title": [f"gene {s} title" for s in SYMBOLS]})
    frame.to_csv(HERE / "geo2r_semicolon_decimal_comma.csv", sep=";", decimal=",", index=False)


def limma_voom_write_csv() -> None:
    """limma-voom topTable via write.csv: empty first header, Ensembl row names, log-CPM AveExpr (some < 0)."""
    d = de_numbers()
    lines = ['"","logFC","AveExpr","t","P.Value","adj.P.Val","B"']
    for i in range(ROWS):
        fields = [d["logFC"][i], d["mean"][i] - 6, d["stat"][i], d["p"][i], d["adj"][i], d["stat"][i] ** 2 / 4 - 4]
        lines.append(f'"{ensembl()[i]}",' + ",".join(r_number(np.array(fields))))
    write("limma_voom_write_csv.csv", "\n".join(lines) + "\n")


def deseq2_gz() -> None:
    """DESeq2 results(dds) via write.csv, gzip-compressed; NA p-values and padj as DESeq2 writes them."""
    d = de_numbers()
    lines = ['"","baseMean","log2FoldChange","lfcSE","stat","pvalue","padj"']
    for i in range(ROWS):
        padj = "NA" if i % 7 == 3 else r_number(d["adj"][i:i + 1])[0]
        fields = r_number(np.array([d["count_mean"][i], d["logFC"][i], d["se"][i], d["stat"][i], d["p"][i]]))
        lines.append(f'"{ensembl()[i]}",' + ",".join(fields) + f",{padj}")
    (HERE / "deseq2_results.csv.gz").write_bytes(gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0))


def deseq2_shrink_bz2() -> None:
    """DESeq2 lfcShrink(type='apeglm') via write.table(sep='\\t'), bzip2: no stat column, symbol column."""
    d = de_numbers()
    lines = ["gene\tbaseMean\tlog2FoldChange\tlfcSE\tpvalue\tpadj\tsymbol"]
    for i in range(ROWS):
        fields = r_number(np.array([d["count_mean"][i], d["logFC"][i] * 0.8, d["se"][i], d["p"][i], d["adj"][i]]))
        lines.append(f"{ensembl()[i]}\t" + "\t".join(fields) + f"\t{SYMBOLS[i]}")
    (HERE / "deseq2_lfcshrink.tsv.bz2").write_bytes(bz2.compress(("\n".join(lines) + "\n").encode()))


def pydeseq2_xz() -> None:
    """PyDESeq2 DeseqStats.results_df.to_csv(): Python's 17-digit floats, xz-compressed."""
    d = de_numbers()
    frame = pd.DataFrame({"baseMean": d["count_mean"], "log2FoldChange": d["logFC"], "lfcSE": d["se"],
                          "stat": d["stat"], "pvalue": d["p"], "padj": d["adj"]}, index=ensembl())
    frame.index.name = "gene"
    (HERE / "pydeseq2_results.csv.xz").write_bytes(lzma.compress(frame.to_csv().encode()))


def edger_exact_zip() -> None:
    """edgeR exactTest topTags written with write.csv, inside a zip archive."""
    d = de_numbers()
    lines = ['"","logFC","logCPM","PValue","FDR"']
    for i in range(ROWS):
        lines.append(f'"{ensembl()[i]}",' + ",".join(r_number(np.array([d["logFC"][i], d["mean"][i], d["p"][i],
                                                                         d["adj"][i]]))))
    with zipfile.ZipFile(HERE / "edger_exacttest.zip", "w") as archive:
        info = zipfile.ZipInfo("edger_exacttest.csv", date_time=(2024, 1, 1, 0, 0, 0))
        archive.writestr(info, "\n".join(lines) + "\n")


def edger_qlf_crlf() -> None:
    """edgeR glmQLFTest topTags, written on Windows: CRLF line endings, quoted."""
    d = de_numbers()
    lines = ['"","logFC","logCPM","F","PValue","FDR"']
    for i in range(ROWS):
        lines.append(f'"{ensembl()[i]}",' + ",".join(r_number(np.array([d["logFC"][i], d["mean"][i],
                                                                         d["stat"][i] ** 2, d["p"][i], d["adj"][i]]))))
    write("edger_qlf_crlf.csv", "\n".join(lines) + "\n", newline="\r\n")


def edger_lrt_whitespace() -> None:
    """edgeR glmLRT topTags as printed to a console (aligned with runs of spaces)."""
    d = de_numbers()
    frame = pd.DataFrame({"logFC": d["logFC"], "logCPM": d["mean"], "LR": d["stat"] ** 2, "PValue": d["p"],
                          "FDR": d["adj"]}, index=ensembl())
    write("edger_lrt_whitespace.txt", frame.to_string() + "\n")


def edger_glmtreat() -> None:
    """edgeR glmTreat topTags via write.table(sep='\\t', quote=FALSE): header one short, unshrunk.logFC."""
    d = de_numbers()
    lines = ["logFC\tunshrunk.logFC\tlogCPM\tPValue\tFDR"]
    for i in range(ROWS):
        fields = r_number(np.array([d["logFC"][i], d["logFC"][i] * 1.01, d["mean"][i], d["p"][i], d["adj"][i]]))
        lines.append(f"{ensembl()[i]}\t" + "\t".join(fields))
    write("edger_glmtreat.tsv", "\n".join(lines) + "\n")


def seurat_findmarkers() -> None:
    """Seurat FindMarkers via write.csv: gene symbols as row names."""
    d = de_numbers()
    lines = ['"","p_val","avg_log2FC","pct.1","pct.2","p_val_adj"']
    for i in range(ROWS):
        pct1, pct2 = RNG.uniform(0.1, 0.9, 2)
        fields = r_number(np.array([d["p"][i], d["logFC"][i], pct1, pct2, min(1, d["p"][i] * 2000)]))
        lines.append(f'"{SYMBOLS[i]}",' + ",".join(fields))
    write("seurat_findmarkers.csv", "\n".join(lines) + "\n")


def seurat_findallmarkers() -> None:
    """Seurat FindAllMarkers via write.table(sep='\\t'): clusters 0-2, genes repeated across clusters."""
    rows = []
    for cluster in range(3):
        d = de_numbers(20)
        for i in range(20):
            rows.append({"p_val": d["p"][i], "avg_log2FC": d["logFC"][i], "pct.1": 0.5, "pct.2": 0.3,
                         "p_val_adj": min(1, d["p"][i] * 2000), "cluster": cluster, "gene": SYMBOLS[i + 5 * cluster]})
    frame = pd.DataFrame(rows)
    frame.index = [f"{row['gene']}{'' if k < 20 else k // 20}" for k, row in enumerate(rows)]
    frame.to_csv(HERE / "seurat_findallmarkers.tsv", sep="\t")


def generic_id_last() -> None:
    """A hand-made table: unknown headers (fold, pval, qval), ID column last, no symbols."""
    d = de_numbers()
    frame = pd.DataFrame({"fold": d["logFC"], "signif": d["p"], "qval": d["adj"], "probe_name": [f"p{i}" for i in range(ROWS)]})
    frame.to_csv(HERE / "generic_id_last.csv", index=False)


def workbook() -> None:
    """An Excel workbook with a README sheet and a DESeq2 results sheet."""
    d = de_numbers()
    frame = pd.DataFrame({"gene_id": ensembl(), "baseMean": d["count_mean"], "log2FoldChange": d["logFC"],
                          "lfcSE": d["se"], "stat": d["stat"], "pvalue": d["p"], "padj": d["adj"]})
    with pd.ExcelWriter(HERE / "deseq2_two_sheets.xlsx", engine="openpyxl") as writer:
        pd.DataFrame({"about": ["DESeq2 results, treated vs control"]}).to_excel(writer, sheet_name="README",
                                                                                  index=False)
        frame.to_excel(writer, sheet_name="results", index=False)
    for path in [HERE / "deseq2_two_sheets.xlsx"]:
        # fixed timestamps inside the archive, so rebuilding gives the same bytes
        with zipfile.ZipFile(path) as source:
            members = [(info.filename, source.read(info.filename)) for info in source.infolist()]
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
            for name, content in members:
                target.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), content)


def na_values() -> None:
    """limma-like table with every missing-value spelling: NA, empty, #N/A, NaN, and Inf/-Inf."""
    d = de_numbers()
    frame = pd.DataFrame({"ID": [f"g{i}" for i in range(ROWS)], "logFC": r_number(d["logFC"]),
                          "AveExpr": r_number(d["mean"]), "t": r_number(d["stat"]), "P.Value": r_number(d["p"]),
                          "adj.P.Val": r_number(d["adj"])})
    frame.loc[1, "logFC"], frame.loc[2, "logFC"], frame.loc[3, "t"] = "NA", "", "#N/A"
    frame.loc[4, "P.Value"], frame.loc[5, "t"], frame.loc[6, "t"] = "NaN", "Inf", "-Inf"
    frame.to_csv(HERE / "limma_na_values.csv", index=False)


def multigene() -> None:
    """GEO2R-like table with 'A /// B' symbols, repeated symbols, empty symbols; tab-separated."""
    d = de_numbers()
    symbols = list(SYMBOLS)
    symbols[0], symbols[1], symbols[2], symbols[3] = "CD44 /// CD44P1", "CD44", "CD44", ""
    frame = pd.DataFrame({"ID": [f"{220000 + i}_at" for i in range(ROWS)], "adj.P.Val": d["adj"], "P.Value": d["p"],
                          "t": d["stat"], "B": d["stat"] ** 2 / 4 - 4, "logFC": d["logFC"], "Gene.symbol": symbols,
                          "Gene.title": ["title"] * ROWS})
    frame.to_csv(HERE / "geo2r_multigene.tsv", sep="\t", index=False)


def ids_only_with_map() -> None:
    """A PyDESeq2-like table with versioned Ensembl IDs only, and an ID -> symbol map for it."""
    d = de_numbers()
    ids = [f"{gene}.{i % 5 + 1}" for i, gene in enumerate(ensembl())]
    frame = pd.DataFrame({"gene_id": ids, "baseMean": d["count_mean"], "log2FoldChange": d["logFC"],
                          "lfcSE": d["se"], "stat": d["stat"], "pvalue": d["p"], "padj": d["adj"]})
    frame.to_csv(HERE / "ids_only.csv", index=False)
    id_map = pd.DataFrame({"ensembl_gene_id": ensembl()[:30], "hgnc_symbol": SYMBOLS[:30]})
    id_map.to_csv(HERE / "id_map.tsv", sep="\t", index=False)


def sanity_problems() -> None:
    """Tables that read fine but should raise sanity warnings."""
    d = de_numbers()
    unlogged = pd.DataFrame({"ID": [f"g{i}" for i in range(ROWS)], "logFC": 2 ** (d["logFC"] * 10),
                             "AveExpr": 2 ** d["mean"], "t": -d["stat"], "P.Value": d["p"], "adj.P.Val": d["adj"]})
    unlogged.to_csv(HERE / "sanity_unlogged_flipped.csv", index=False)
    p = d["p"].copy()
    p[:3] = 0.0
    p[3] = 1.5
    adj = np.minimum(1, p * ROWS)
    adj[5] = p[5] / 10
    bonferroni = pd.DataFrame({"ID": [f"g{i}" for i in range(ROWS)], "logFC": d["logFC"], "t": d["stat"],
                               "P.Value": p, "adj.P.Val": adj})
    bonferroni.to_csv(HERE / "sanity_pvalues.csv", index=False)
    zero = pd.DataFrame({"gene_id": ensembl(), "baseMean": np.r_[np.zeros(5), d["count_mean"][5:]],
                         "log2FoldChange": np.r_[np.full(5, np.nan), d["logFC"][5:]], "pvalue": d["p"],
                         "padj": d["adj"]})
    zero.to_csv(HERE / "sanity_zero_genes.csv", index=False, na_rep="NA")


def bad_inputs() -> None:
    """Files the reader must refuse with one clear line."""
    write("bad_empty.csv", "")
    write("bad_header_only.csv", "ID,logFC,P.Value,adj.P.Val\n")
    (HERE / "bad_binary.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    write("bad_html_page.csv", "<!DOCTYPE html>\n<html><head><title>GSE2034.top.table.tsv</title></head>"
          "<body><table><tr><td>ID</td></tr></table></body></html>\n")
    write("bad_no_numeric.csv", "ID,symbol,description\n" + "".join(f"g{i},S{i},gene {i}\n" for i in range(10)))
    write("bad_no_statistics.csv", "ID,colA,colB\n" + "".join(f"g{i},{i * 0.5},{i * 2}\n" for i in range(10)))
    write("bad_duplicate_columns.csv", "ID,logFC,P.Value,logFC\n" + "".join(f"g{i},{i},0.5,{i}\n" for i in range(10)))
    write("bad_ragged.csv", "ID,logFC,P.Value\n" + "".join(f"g{i},{i},0.5\n" for i in range(10)) + "g,1,2,3,4,5\n")
    d = de_numbers()
    write("bad_all_na_target.csv", "ID,logFC,B,P.Value\n"
          + "".join(f"g{i},{d['logFC'][i]:.6g},NA,{d['p'][i]:.6g}\n" for i in range(ROWS)))
    write("bad_constant_target.csv", "ID,logFC,B,P.Value\n"
          + "".join(f"g{i},{d['logFC'][i]:.6g},2.5,{d['p'][i]:.6g}\n" for i in range(ROWS)))
    write("bad_too_few_rows.csv", "ID,logFC,P.Value\n" + "".join(f"g{i},{d['logFC'][i]:.6g},{d['p'][i]:.6g}\n"
                                                               for i in range(10)))


def main() -> None:
    for build in (limma_write_table, geo2r_semicolon, limma_voom_write_csv, deseq2_gz, deseq2_shrink_bz2,
                  pydeseq2_xz, edger_exact_zip, edger_qlf_crlf, edger_lrt_whitespace, edger_glmtreat,
                  seurat_findmarkers, seurat_findallmarkers, generic_id_last, workbook, na_values, multigene,
                  ids_only_with_map, sanity_problems, bad_inputs):
        build()


if __name__ == "__main__":
    main()
