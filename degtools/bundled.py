"""The per-gene knowledge shipped with degtools: which files, which of their columns, and whose they are.

The files live in ``degtools/data`` with their source and licence in ``degtools/data/SOURCES.md``;
:mod:`degtools.gene_features` reads them by these short names.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

#: bundled gene-feature files (degtools/data, see SOURCES.md): short name -> file.
BUNDLED_GENE_FEATURES = {
    "sophie": "sophie_generic_genes_SRP012656.tsv.gz",
    "biotype": "hbc_human_gene_biotype_ens98.csv.gz",
}

#: of a bundled file read by its short name, the columns used as features (the others are arithmetic of
#: these or bookkeeping: extra columns that tell a model nothing new and multiply its cost), and why.
BUNDLED_COLUMNS = {
    "sophie": (
        ("Adj P-value (Real)", "log2FoldChange (Real)", "Median adj p-value (simulated)",
         "Percent DE (simulated)", "Mean abs(log2FoldChange) (simulated)"),
        "SOPHIE computes them from the columns used (ranks, a percentile, |log2FoldChange|, and a Z score "
        "that is exactly (|log2FoldChange (Real)| - simulated mean) / simulated sd, whose sd follows the "
        "simulated mean, Spearman 0.93) or counts its simulations (number of experiments)",
    ),
}

#: attribution the bundled files' licences ask for, keyed by file name.
ATTRIBUTIONS = {
    BUNDLED_GENE_FEATURES["sophie"]: (
        "SOPHIE generic-gene summary for SRP012656 (Lee et al., 'Generic expression patterns', "
        "greenelab/generic-expression-patterns), (c) 2020 Greene Laboratory, BSD 3-Clause License."
    ),
    BUNDLED_GENE_FEATURES["biotype"]: (
        "Human gene biotypes from Ensembl 98 (AnnotationHub AH75011) as distributed by the Harvard Chan "
        "Bioinformatics Core training materials (hbctraining/DGE_workshop_salmon_online), CC BY 4.0."
    ),
}


def bundled_gene_features_path(name: str) -> Path:
    """Path of a bundled gene-feature file by its short name (see :data:`BUNDLED_GENE_FEATURES`)."""
    return Path(str(resources.files("degtools") / "data" / BUNDLED_GENE_FEATURES[name]))
