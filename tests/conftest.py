"""Shared fixtures: small slices of the real tables, and a seeded synthetic table with known truths."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
DEMO = ROOT / "degtools" / "data" / "GSE15852.top.table.tsv"

#: the shared tables bundled in data/ (see data/SOURCES.md)
SHARED_TABLES = {
    "GSE15852": DEMO,
    "GSE2034": DATA / "GSE2034.top.table.tsv",
    "airway": DATA / "airway_deseq2_results.csv",
    "pasilla": DATA / "pasilla_condition_treated_results.csv",
    "edgeR": DATA / "LN_vs_healthy_edgeR_results.csv",
    "yeast": DATA / "yeast_conB_vs_conA_deseq2_results.csv",
}

@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture
def demo_slice(tmp_path: Path) -> Path:
    """The first 600 rows of the demo table (GSE15852), as a file."""
    path = tmp_path / "GSE15852_slice.tsv"
    lines = DEMO.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:601]), encoding="utf-8")
    return path


@pytest.fixture
def synthetic_table(tmp_path: Path) -> Path:
    """A limma-like table where logFC = t * SE exactly and 'noise' is unrelated to everything."""
    rng = np.random.default_rng(0)
    n = 400
    se = rng.uniform(0.1, 0.5, n)
    logfc = rng.normal(0, 1, n)
    t = logfc / se
    from scipy import stats

    p = 2 * stats.t.sf(np.abs(t), df=20)
    frame = pd.DataFrame(
        {
            "ID": [f"probe{i}" for i in range(n)],
            "logFC": logfc,
            "AveExpr": rng.normal(8, 1, n),
            "t": t,
            "P.Value": p,
            "adj.P.Val": np.minimum(1, p * n),
            "B": np.log(np.abs(t) + 1),
            "Gene.symbol": [f"GENE{i}" for i in range(n)],
            "Gene.title": [f"gene number {i}" for i in range(n)],
        }
    )
    path = tmp_path / "synthetic.tsv"
    frame.to_csv(path, sep="\t", index=False)
    return path


@pytest.fixture
def fitted(synthetic_table):
    """The synthetic table, its design for logFC and a fitted LinearRegression (3-fold CV)."""
    from degtools import compare_models, prepare_design, read_de_table

    table = read_de_table(synthetic_table)
    design = prepare_design(table, target="logFC", seed=0)
    comparison = compare_models(design, models=("LinearRegression",), cv_folds=3, seed=0)
    return table, design, comparison.best


def mean_driven_boards(tmp_path: Path, *, signal: bool):
    """A 500-gene table whose logFC follows AveExpr (``signal``) or is pure noise, and its leaderboards.

    AveExpr is measured before the test, so the audit calls it independent: the main leaderboard is the
    honest one, and with ``signal=False`` no model can beat the dummy baseline.
    """
    from degtools import audit_leakage, compare_feature_sets, prepare_design, read_de_table

    rng = np.random.default_rng(11)
    rows = 500
    mean = rng.normal(8, 2, rows)
    logfc = (0.8 * (mean - 8) if signal else 0) + rng.normal(scale=0.5, size=rows)
    frame = pd.DataFrame({"ID": [f"g{i}" for i in range(rows)], "logFC": logfc, "AveExpr": mean,
                          "P.Value": rng.uniform(size=rows)})
    path = tmp_path / ("signal.csv" if signal else "noise.csv")
    frame.to_csv(path, index=False)
    table = read_de_table(path)
    design = prepare_design(table, target="logFC", seed=1)
    audit = audit_leakage(table, target="logFC", features=design.features)
    return table, compare_feature_sets(design, audit, models=["LinearRegression", "KNeighborsRegressor"], seed=1)
