"""Biology in the report: gene tables with the model's view, feature variants, references, and safety."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED_TABLES

from degtools import genesets, interpret, read_de_table, validate_params
from degtools.errors import ParamsError

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"


def test_regulated_genes_table_shows_the_models_view(fitted):
    table, design, best = fitted
    up = interpret.regulated_genes_table(table, best, design, n=10, direction="up")
    assert list(up.columns) == [
        "ID",
        "Gene.symbol",
        "Gene.title",
        "logFC",
        "adj.P.Val",
        "predicted logFC",
        "residual",
        "held out",
    ]
    # the 10 largest logFC of the table, largest first, each with the model's own prediction for it
    assert list(up["logFC"]) == sorted(table.data["logFC"].dropna(), reverse=True)[:10]
    features = pd.concat([design.X_train, design.X_test]).loc[up["ID"]]
    np.testing.assert_allclose(up["predicted logFC"], best.pipeline.predict(features), rtol=1e-12)
    np.testing.assert_allclose(up["residual"], up["logFC"] - up["predicted logFC"], atol=1e-12)
    held_out = set(design.X_test.index)
    assert list(up["held out"]) == ["yes" if gene in held_out else "no" for gene in up["ID"]]
    down = interpret.regulated_genes_table(table, best, design, n=5, direction="down")
    assert list(down["logFC"]) == sorted(table.data["logFC"].dropna())[:5]
    with pytest.raises(ValueError, match="direction"):
        interpret.regulated_genes_table(table, best, design, direction="sideways")


def test_residual_outliers_explain_why_to_look(fitted):
    table, design, best = fitted
    outliers = interpret.residual_outliers(best, design, table, n=8)
    # the 8 held-out genes with the largest |observed - predicted|, worst first, recomputed from the model
    residual = design.y_test.to_numpy() - best.pipeline.predict(design.X_test)
    worst = np.argsort(-np.abs(residual), kind="stable")[:8]
    assert list(outliers["ID"]) == list(design.X_test.index[worst])
    np.testing.assert_allclose(outliers["residual"], residual[worst], rtol=1e-12)
    assert outliers["why look"].str.contains("residual sd").all()


@pytest.mark.parametrize(
    "symbol, observed, predicted, counts, expected",
    [
        (None, 1.0, 0.0, {}, "the probe has no gene symbol (control or unannotated probe"),
        ("A /// B", 1.0, 0.0, {}, "the probe maps to several genes (A, B)"),
        ("LMNA", 1.0, 0.0, {"LMNA": 4}, "LMNA has 4 rows in the table: compare them, a disagreeing probe"),
        ("KRT19", 3.0, 1.0, {"KRT19": 1}, "larger change than its statistics imply"),
        ("KRT19", 0.5, 1.5, {"KRT19": 1}, "smaller change than its statistics imply"),
    ],
)
def test_residual_reasons_of_a_microarray_model_that_saw_statistics(symbol, observed, predicted, counts, expected):
    row = pd.Series(
        {"symbol": symbol, "observed": observed, "predicted": predicted, "residual": observed - predicted}
    )
    sentence = interpret._residual_reason(
        row, target="logFC", target_label="logFC", residual_sd=0.5, rows_per_gene=counts, saw_statistics=True,
        probes=True,
    )
    assert expected in sentence and sentence.endswith(".")


def _reason(symbol, observed, predicted, **context):
    row = pd.Series(
        {"symbol": symbol, "observed": observed, "predicted": predicted, "residual": observed - predicted}
    )
    options = {"rows_per_gene": {}, "saw_statistics": True, "probes": True, **context}
    return interpret._residual_reason(row, target="logFC", target_label="logFC", residual_sd=0.5, **options)


def test_residual_reasons_say_nothing_of_statistics_the_model_did_not_see():
    sentence = _reason("KRT19", 3.0, 1.0, saw_statistics=False)
    assert "statistics imply" not in sentence
    assert "4.0 residual sd higher than the model's features predict" in sentence
    assert "the model's features point elsewhere" in sentence
    assert "statistics imply" in _reason("KRT19", 3.0, 1.0, saw_statistics=True)


def test_residual_reasons_of_rna_seq_rows_use_no_probe_language():
    # several rows of one gene: named as such, without probes
    several = _reason("LMNA", 1.0, 0.0, rows_per_gene={"LMNA": 3}, probes=False)
    assert "LMNA has 3 rows in the table" in several and "transcripts, versions or duplicated entries" in several
    assert "probe" not in several
    # an Ensembl table without a symbol column: no symbol complaint, no probe
    ensembl = _reason(None, 2.0, 0.0, probes=False, has_symbols=False, saw_statistics=False)
    assert "probe" not in ensembl and "no gene symbol" not in ensembl
    assert "probe" not in _reason(None, 2.0, 0.0, probes=False)
    assert "the row has no gene symbol" in _reason(None, 2.0, 0.0, probes=False)


def test_rows_are_probes_only_in_a_microarray_table(synthetic_table, tmp_path):
    assert interpret.rows_are_probes(read_de_table(synthetic_table))  # GEO2R: probe IDs
    ensembl = tmp_path / "deseq2.csv"
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({
        "": [f"ENSG{index:011d}" for index in range(60)], "baseMean": rng.uniform(10, 1000, 60),
        "log2FoldChange": rng.normal(size=60), "lfcSE": rng.uniform(0.1, 0.5, 60), "stat": rng.normal(size=60),
        "pvalue": rng.uniform(size=60), "padj": rng.uniform(size=60),
    })
    frame.to_csv(ensembl, index=False)
    table = read_de_table(ensembl)
    assert not interpret.rows_are_probes(table)
    assert table.tool.startswith("DESeq2") or table.tool.startswith("PyDESeq2")


def test_new_parameters_are_validated():
    checked = validate_params({"padj_threshold": "0.01", "lfc_threshold": 0, "pathway_features": "yes"})
    assert checked["padj_threshold"] == 0.01 and checked["pathway_features"] is True
    assert checked["gene_sets"] == "" and checked["gsea_permutations"] == 1000
    with pytest.raises(ParamsError, match="padj_threshold"):
        validate_params({"padj_threshold": 0})
    with pytest.raises(ParamsError, match="lfc_threshold"):
        validate_params({"lfc_threshold": -1})
    with pytest.raises(ParamsError, match="gsea_permutations"):
        validate_params({"gsea_permutations": 10})


# --- end to end: the rendered report escapes every data string -------------------------------------------


class ActiveMarkup(HTMLParser):
    """Collects what a browser would execute: script bodies and on* handler attributes."""

    def __init__(self):
        super().__init__()
        self.in_script = False
        self.scripts: list[str] = []
        self.handlers: list[tuple[str, str, str]] = []
        self.images_x: int = 0

    def handle_starttag(self, tag, attrs):
        self.in_script = tag == "script"
        for name, value in attrs:
            if name.lower().startswith("on"):
                self.handlers.append((tag, name, value or ""))
        if tag == "img" and dict(attrs).get("src") == "x":
            self.images_x += 1

    def handle_endtag(self, tag):
        self.in_script = False

    def handle_data(self, data):
        if self.in_script:
            self.scripts.append(data)


def malicious_table(tmp_path: Path, name: str) -> Path:
    hallmark = genesets.read_gmt("")
    symbols = sorted(set(hallmark.sets["HALLMARK_E2F_TARGETS"]) | set(hallmark.sets["HALLMARK_ADIPOGENESIS"]))
    symbols = symbols[:238] + ["<svg/onload=alert(1)>", "A /// <b>B</b>"]
    rng = np.random.default_rng(5)
    t = rng.normal(0, 3, len(symbols))
    pvalue = np.clip(2 * np.exp(-np.abs(t)), 1e-12, 1)
    frame = pd.DataFrame(
        {
            "ID": [f"<i>probe{i}</i>" if i % 50 == 0 else f"probe{i}" for i in range(len(symbols))],
            "adj.P.Val": np.minimum(1, pvalue * 10),
            "P.Value": pvalue,
            "t": t,
            "B": t**2 / 4 - 3,
            "logFC": t / 2,
            "Gene.symbol": symbols,
            "Gene.title": [SCRIPT if i % 2 else IMG for i in range(len(symbols))],
        }
    )
    path = tmp_path / name
    frame.to_csv(path, sep="\t", index=False)
    return path


@pytest.mark.slow
def test_report_shows_hostile_strings_as_text(tmp_path):
    from degtools.render import render_report

    table = malicious_table(tmp_path, "hostile.tsv")
    reference = malicious_table(tmp_path, "hostile_reference.tsv")
    hallmark = genesets.read_gmt("")
    gmt = tmp_path / "hostile.gmt"
    members = "\t".join(hallmark.sets["HALLMARK_E2F_TARGETS"])
    gmt.write_text(
        f"{IMG}\t{SCRIPT}\t{members}\nHALLMARK_ADIPOGENESIS\t\t"
        + "\t".join(hallmark.sets["HALLMARK_ADIPOGENESIS"])
        + "\n",
        encoding="utf-8",
    )
    html_path, json_path = render_report(
        {
            "input_table": str(table),
            "target": "logFC",
            "gene_sets": str(gmt),
            "gsea_permutations": 100,
            "cv_folds": 3,
            "lfc_threshold": 0.5,
            "pathway_features": True,
            "reference_table": str(reference),
            "top_n": 300,
        },
        out_dir=tmp_path / "out",
    )
    page = html_path.read_text(encoding="utf-8")
    parser = ActiveMarkup()
    parser.feed(page)
    # the hostile symbol may sit, escaped, in the interactive gene table's data; it must never become a
    # script of its own (an unescaped "</script>" in the data would end the data script and start one)
    assert not [script for script in parser.scripts if script.strip().startswith("alert")]
    assert not [script for script in parser.scripts if re.search(r"<(?:script|svg|img)\b[^\n]*alert\(1\)", script)]
    assert not [handler for handler in parser.handlers if "alert" in handler[2]]
    assert parser.images_x == 0
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;svg/onload=alert(1)&gt;" in page and "&lt;i&gt;probe0&lt;/i&gt;" in page
    for heading in (
        "Differential expression at a glance",
        "Top genes and the model",
        "Gene sets",
        "Pathways as features",
        "Another study as reference",
        "Methods and reproducibility",
    ):
        assert heading in page
    assert 'data-mime-type="application/vnd.jupyter.stderr"' not in page  # no warning or log line leaked
    results = json.loads(json_path.read_text(encoding="utf-8"))
    enrichment = results["enrichment"]
    # both sets of the GMT have well over 15 of the table's genes: GSEA tests both, both become features
    assert enrichment["ran"] and {entry["set"] for entry in enrichment["gsea"]} == {IMG, "HALLMARK_ADIPOGENESIS"}
    assert IMG in {entry["set"] for entry in enrichment["gsea"]}  # kept verbatim in the JSON
    assert sorted(results["pathway_features"]["features"]) == sorted(
        [f"pathway: {IMG}", "pathway: HALLMARK_ADIPOGENESIS"]
    )
    assert results["reference"]["shared_genes"] == 241  # "A /// <b>B</b>" counts as two genes


@pytest.mark.slow
def test_report_for_a_fly_table_says_why_there_are_no_gene_sets(tmp_path):
    from degtools.render import render_report

    html_path, json_path = render_report(
        {"input_table": str(SHARED_TABLES["pasilla"]), "target": "logFC", "max_rows": 300, "cv_folds": 3},
        out_dir=tmp_path,
    )
    page = html_path.read_text(encoding="utf-8")
    assert "0 of 14,599 IDs matched any Hallmark gene" in page
    assert "id_map" in page
    assert 'data-mime-type="application/vnd.jupyter.stderr"' not in page
    results = json.loads(json_path.read_text(encoding="utf-8"))
    assert results["enrichment"]["ran"] is False and results["enrichment"]["matched_genes"] == 0


@pytest.mark.slow
def test_report_with_id_map_reads_the_biology_of_an_ensembl_only_table(tmp_path):
    """The edgeR table has Ensembl IDs only; airway's ensgene -> symbol columns give it symbols."""
    from degtools.render import render_report

    airway = read_de_table(SHARED_TABLES["airway"]).data[["gene_id", "symbol"]].dropna()
    mapping = tmp_path / "ensembl_to_symbol.tsv"
    airway.to_csv(mapping, sep="\t", index=False)
    html_path, json_path = render_report(
        {"input_table": str(SHARED_TABLES["edgeR"]), "target": "logFC", "max_rows": 300, "cv_folds": 3,
         "id_map": str(mapping), "gsea_permutations": 100},
        out_dir=tmp_path / "out",
    )
    page = html_path.read_text(encoding="utf-8")
    enrichment = json.loads(json_path.read_text(encoding="utf-8"))["enrichment"]
    assert enrichment["ran"] and enrichment["matched_genes"] > 2000 and enrichment["gsea"]
    assert f"{enrichment['matched_genes']:,} of" in page and "matched any Hallmark gene" in page
    assert "Preranked GSEA" in page and "CC BY 4.0" in page
    assert 'data-mime-type="application/vnd.jupyter.stderr"' not in page


def test_permutation_importances_match_scikit_learn_and_do_not_depend_on_threads(fitted):
    from sklearn.inspection import permutation_importance

    _, design, best = fitted
    threaded = interpret.permutation_importances(best, design, n_repeats=4, seed=7, n_jobs=2)
    serial = interpret.permutation_importances(best, design, n_repeats=4, seed=7, n_jobs=1)
    pd.testing.assert_frame_equal(threaded, serial)
    reference = permutation_importance(best.pipeline, design.X_test, design.y_test, scoring="r2", n_repeats=4,
                                       random_state=7)
    expected = dict(zip([design.feature_labels[f] for f in design.features], reference.importances_mean,
                        strict=True))
    for feature, importance in zip(threaded["feature"], threaded["importance"], strict=True):
        assert importance == pytest.approx(expected[feature], rel=1e-12, abs=1e-15)
    assert list(threaded["importance"]) == sorted(threaded["importance"], reverse=True)
