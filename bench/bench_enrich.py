"""Time the report's interpretation sections: volcano + MA plots, ORA, preranked GSEA.

Targets (issue 6): with the bundled Hallmark sets (GSEA with 1000 permutations on ~20k genes) the
interpretation adds at most 20 s to a report on 2 cores; with the 6,036-set GO Biological Process
file at most 60 s. Prints seconds per step; run it on a quiet machine, figures from a shared one are
inflated.

    .venv/bin/python bench/bench_enrich.py [--table PATH] [--go-permutations]

``--go-permutations`` also times GO BP with 1000 permutations instead of the multilevel method
that ``method="auto"`` picks for large collections (that takes minutes: the reason for "auto").
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from degtools import enrich, genesets, plots, read_de_table  # noqa: E402
from degtools.gene_level import gene_level  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
GO_BP = ROOT / "data" / "enrichr.GO_Biological_Process_2021.gmt"


def timed(label: str, function, *args, **kwargs):
    start = time.perf_counter()
    value = function(*args, **kwargs)
    seconds = time.perf_counter() - start
    print(f"  {label:<44s} {seconds:7.2f} s", flush=True)
    return value, seconds


def bench_collection(table, gmt, *, method: str, permutations: int = 1000) -> float:
    gene_sets, t_read = timed(f"read GMT ({Path(gmt).name if gmt else 'Hallmark'})", genesets.read_gmt, gmt)
    genes, t_level = timed("collapse to one value per gene", gene_level, table)
    _, t_ora = timed("ORA up + down (gseapy.enrich)", enrich.over_representation, genes, gene_sets)
    gsea, t_gsea = timed(
        f"GSEA prerank (method={method})", enrich.preranked_gsea, genes, gene_sets,
        permutations=permutations, method=method,
    )
    print(f"  -> {len(genes):,} genes, {len(gsea):,} sets tested by GSEA, method {gsea.attrs.get('method')}")
    return t_read + t_level + t_ora + t_gsea


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--table",
        default=str(ROOT / "data" / "airway_deseq2_results.csv"),
        help="DE table (default: airway, ~19k genes with symbols)",
    )
    parser.add_argument(
        "--go-permutations", action="store_true", help="also time GO BP with 1000 permutations"
    )
    args = parser.parse_args()
    print(
        f"degtools interpretation benchmark, {os.cpu_count()} CPUs, load average "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    print("NOTE: figures from a shared, busy machine are inflated; compare with the load average above.")
    table, _ = timed("read table", read_de_table, args.table)
    print(f"table {Path(args.table).name}: {len(table.data):,} rows")

    start = time.perf_counter()
    timed("volcano plot", plots.plot_volcano, table)
    if "mean_expr" in table.data:
        timed("MA plot", plots.plot_ma, table)
    plt.close("all")
    t_plots = time.perf_counter() - start

    print("Hallmark (bundled, 50 sets):")
    t_hallmark = bench_collection(table, "", method="auto")
    total = t_plots + t_hallmark
    print(f"TOTAL interpretation with Hallmark: {total:.1f} s (target <= 20 s)")

    print("GO Biological Process (6,036 sets):")
    t_go = bench_collection(table, GO_BP, method="auto")
    print(f"TOTAL interpretation with GO BP:    {t_plots + t_go:.1f} s (target <= 60 s)")
    if args.go_permutations:
        print("GO Biological Process, 1000 permutations (for comparison):")
        t_go_perm = bench_collection(table, GO_BP, method="permutation")
        print(f"TOTAL with GO BP, permutations:     {t_plots + t_go_perm:.1f} s")


if __name__ == "__main__":
    main()
