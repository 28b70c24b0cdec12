"""The per-report JSON (a public interface, see README "The report JSON"): built, written, summarised.

:func:`build_results` takes the analysis' result objects as the notebook holds them and returns
the JSON's fields; :func:`write_results` writes them atomically; :func:`methods_table` is the
report's "Methods and reproducibility" table, read from those same fields.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from degtools.compare import ModelComparison
from degtools.enrich import Enrichment
from degtools.evidence import source_kind
from degtools.files import write_text_atomically
from degtools.leakage import LeakageReport
from degtools.models import LARGE_TABLE_STRATEGY
from degtools.naming import dataset_name_from_path
from degtools.numeric import finite_or_none
from degtools.provenance import package_versions
from degtools.reference import FeatureVariant

#: bump only with a documented, backwards-compatible change of the JSON fields.
RESULTS_SCHEMA_VERSION = 1


def model_entries(comparison) -> list[dict[str, Any]]:
    """The JSON ``models`` list: one entry per model with CV and test metrics."""
    entries = []
    for result in comparison.results:
        cv = result.cv_summary()
        entries.append(
            {
                "name": result.name,
                "cv": {key: finite_or_none(value) for key, value in cv.items()},
                "test": {key: finite_or_none(value) for key, value in result.test.items()},
                "fit_seconds": round(result.fit_seconds, 4),
                "cv_seconds": round(result.cv_seconds, 4),
                "tuning_seconds": round(getattr(result, "tuning_seconds", 0.0), 4),
            }
        )
    return entries

def _rounded(value: float | None) -> float | None:
    """A measure rounded to 4 decimals for the JSON; None when it is not a finite number."""
    number = finite_or_none(value)
    return None if number is None else round(number, 4)


def leakage_entries(report: LeakageReport) -> list[dict[str, Any]]:
    """The JSON ``leakage`` list: one entry per audited feature (the user's column names)."""
    entries = []
    for audit in report.features:
        origin = audit.origin
        entries.append({
            "feature": audit.label,
            "relation": "; ".join(audit.relations) if audit.relations else "none found",
            "relation_kinds": list(audit.relation_kinds),
            "partner": list(audit.identity_partners),
            "provenance": None if origin is None else {
                "kind": origin.kind, "source": origin.source, "test": origin.test,
                "computed_from": list(origin.computed_from), "measured": list(origin.measured)},
            "strength": {
                "r2_one_feature": _rounded(audit.r2_one),
                "r2_two_features": _rounded(audit.r2_two),
                "two_feature_partner": audit.partner,
                "spearman": _rounded(audit.spearman),
            },
            "verdict": audit.verdict,
        })
    return entries


def leaderboard_entries(comparison: ModelComparison) -> list[dict[str, Any]]:
    """JSON entries of one leaderboard: shaped like the ``models`` entries, plus features and the tests."""

    versus = comparison.versus_best()
    dummy = comparison.dummy_r2()
    entries = []
    for result in comparison.results:
        cv = result.cv_summary()
        p_value, same = versus[result.name]
        entries.append(
            {
                "name": result.name,
                "cv": {key: finite_or_none(value) for key, value in cv.items()},
                "test": {key: finite_or_none(value) for key, value in result.test.items()},
                "test_ci95": {
                    key: [finite_or_none(low), finite_or_none(high)] for key, (low, high) in result.test_intervals.items()
                },
                "fit_seconds": round(result.fit_seconds, 4),
                "cv_seconds": round(result.cv_seconds, 4),
                "tuning_seconds": round(result.tuning_seconds, 4),
                "tuned_settings": {key: _plain(value) for key, value in result.best_params.items()},
                "features": list(comparison.features),
                "gain_over_dummy_r2": finite_or_none(cv["r2_mean"] - dummy) if dummy is not None else None,
                "p_vs_best": finite_or_none(p_value),
                "indistinguishable_from_best": same,
                "best": result.name == comparison.best_name,
            }
        )
    return entries


def _plain(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, (tuple, list)):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, (int, float, str, bool)):
        return value
    return str(value)


def variant_entry(variant: FeatureVariant) -> dict[str, Any]:
    """The JSON of a refit with extra features (``pathway_features``, ``reference.models``)."""
    def r2(comparison) -> dict:
        return {result.name: {"cv_r2": float(np.mean(result.cv_scores["r2"])),
                              "test_r2": float(result.test["r2"])} for result in comparison.results}

    top = variant.importances.head(20).to_dict("records")
    entry = {
        "features": list(variant.extra_features),
        "rows": len(variant.design.X_train) + len(variant.design.X_test),
        "without": r2(variant.base),
        "with": r2(variant.extended),
        "importance": [{"feature": row["feature"], "importance": finite_or_none(row["importance"]),
                        "sd": finite_or_none(row["sd"])} for row in top],
    }
    if variant.alone is not None:
        entry["alone"] = r2(variant.alone)
    return entry



def enrichment_json(enrichment: Enrichment) -> dict[str, Any]:
    """The JSON ``enrichment`` field."""
    info = enrichment.gene_sets.describe()

    def entries(frame: pd.DataFrame, *, permutation: bool) -> list[dict[str, Any]]:
        rows = []
        for record in frame.to_dict("records"):
            entry = {
                "set": record["set"],
                "direction": record["direction"],
                "size": int(record["size"]),
                "overlap": int(record["overlap"]),
            }
            if permutation:
                entry["nes"] = finite_or_none(record["nes"])
            pvalue, fdr = finite_or_none(record["pvalue"]), finite_or_none(record["fdr"])
            if permutation and enrichment.resolution:
                # a permutation p (or q) of 0 only says "below 1/permutations": report that bound.
                entry["pvalue_below_resolution"] = pvalue is not None and pvalue <= 0
                entry["fdr_below_resolution"] = fdr is not None and fdr <= 0
                if pvalue is not None and pvalue <= 0:
                    pvalue = 1 / enrichment.permutations
                if fdr is not None and fdr <= 0:
                    fdr = 1 / enrichment.permutations
            entry["pvalue"], entry["fdr"] = pvalue, fdr
            rows.append(entry)
        return rows

    return {
        "gene_sets": {
            "name": info["name"],
            "sha256": info["sha256"],
            "sets": info["sets"],
            "attribution": info["attribution"],
        },
        "matched_genes": enrichment.match.matched,
        "tested_genes": enrichment.match.genes,
        "ran": enrichment.ran,
        "reason": enrichment.match.reason(),
        "background": dict(enrichment.background),
        "ranking_metric": enrichment.ranking,
        "permutations": enrichment.permutations,
        "gsea_method": enrichment.gsea_method,
        "list_sizes": dict(enrichment.list_sizes),
        # sets without any gene in the list (p = 1) are left out; their p-values still count in the FDR
        "ora": entries(enrichment.ora.loc[enrichment.ora["overlap"] > 0], permutation=False) if enrichment.ran else [],
        "gsea": entries(enrichment.gsea, permutation=True) if enrichment.ran else [],
    }


def build_results(*, params: Mapping[str, Any], table, leaderboards, timings: Mapping[str, float],
                  reused: Iterable[str] = (), leakage=None, ranking=None, target_explanation=None,
                  enrichment=None, pathway_variant=None, reference_join=None,
                  reference_variant=None, headline=None, surprising=None, evidence=None,
                  contributions=None) -> dict[str, Any]:
    """The per-report JSON (see README, "The report JSON") from the analysis' result objects.

    The report follows the main leaderboard (``leaderboards.comparison`` and ``.design``);
    ``timings`` and ``reused`` are the steps' record (:mod:`degtools.steps`). The optional
    objects add their fields when given: ``enrichment``, ``pathway_features``, ``reference``,
    ``headline``, ``genes`` (the study-specific and generic genes) and ``evidence`` (:func:`evidence_json`).
    """
    comparison, design = leaderboards.comparison, leaderboards.design
    results = {
        "schema_version": RESULTS_SCHEMA_VERSION,
        "dataset": params["dataset_name"] or dataset_name_from_path(table.path),
        "target": design.target_label,
        "parameters": {name: value for name, value in params.items() if name != "results_json"},
        "input": {
            "path": str(table.path),
            "sha256": table.sha256,
            "rows": int(design.rows_total),
            "rows_used": int(design.rows_used),
            "tool": table.tool,
            "columns": dict(table.column_map),
            "reader": table.record(),
        },
        "features": [design.feature_labels[feature] for feature in design.features],
        "split": {"train": len(design.X_train), "test": len(design.X_test), "cv_folds": comparison.cv_folds,
                  "seed": comparison.seed, "by": getattr(design, "split_kind", "random rows")},
        "versions": package_versions(),
        "models": model_entries(comparison),
        "best_model": comparison.best_name,
        "timings": dict(timings),
        "reused": list(reused),
    }
    results.update(modelling_results(leakage=leakage, leaderboards=leaderboards, ranking=ranking,
                                     target_explanation=target_explanation))
    if enrichment is not None:
        results["enrichment"] = enrichment_json(enrichment)
    if pathway_variant is not None:
        results["pathway_features"] = variant_entry(pathway_variant)
    if reference_join is not None:
        results["reference"] = {**reference_join.record(), "models": variant_entry(reference_variant)}
    if headline is not None:
        results["headline"] = headline_json(headline)
    if surprising is not None:
        results["genes"] = genes_json(surprising)
    if evidence is not None:
        results["evidence"] = evidence_json(evidence, contributions)
    return results


def modelling_results(*, leakage=None, leaderboards=None, ranking=None, target_explanation=None) -> dict[str, Any]:
    """JSON fields of the leakage audit, the leaderboards and the ranking comparison (those given)."""
    fields: dict[str, Any] = {}
    if target_explanation is not None:
        fields["target_explanation"] = target_explanation
    if leakage is not None:
        fields["leakage"] = leakage_entries(leakage)
        fields["leakage_notes"] = list(leakage.notes)
    if leaderboards is not None:
        fields["leaderboards"] = {name: (leaderboard_entries(board) if board is not None else None)
                                  for name, board in leaderboards.boards.items()}
        fields["main_leaderboard"] = leaderboards.main
    if leaderboards is not None or ranking is not None:
        fields["ranking"] = None if ranking is None else {
            "threshold": ranking.threshold,
            "rows": json.loads(ranking.table.to_json(orient="records")),
        }
    return fields


def write_results(results: dict[str, Any], path: str | Path) -> Path | None:
    """Write the results JSON (atomically) if ``path`` is set."""
    if not path:
        return None
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_text_atomically(path, json.dumps(results, indent=2, allow_nan=False) + "\n")


def methods_table(results: dict[str, Any]) -> pd.DataFrame:
    """Parameters, input, seed, versions and timings as one two-column table."""
    rows = [("parameter: " + name, value) for name, value in results["parameters"].items()]
    rows += [
        ("input path", results["input"]["path"]),
        ("input sha256", results["input"]["sha256"]),
        ("input rows / used", f"{results['input']['rows']} / {results['input']['rows_used']}"),
        ("detected tool", results["input"]["tool"]),
        ("train / test rows", f"{results['split']['train']} / {results['split']['test']}"),
        ("cross-validation", f"{results['split']['cv_folds']}-fold KFold, shuffled, seed {results['split']['seed']}"),
    ]
    if "by" in results["split"]:
        rows[-1] = ("cross-validation", f"{results['split']['cv_folds']}-fold, shuffled, seed "
                    f"{results['split']['seed']}; split {results['split']['by']}")
        rows.append(("large tables (SVR, KNN, random forest) and tuning", LARGE_TABLE_STRATEGY))
    rows += [("version: " + package, version) for package, version in results["versions"].items()]
    rows += [("seconds: " + step, f"{seconds:.2f}") for step, seconds in results["timings"].items()]
    if results.get("reused"):
        rows.append(("reused in the batch", ", ".join(results["reused"]) + " (loaded from an identical "
                     "computation for another report of the same batch: same data, settings, code and versions)"))
    return pd.DataFrame(rows, columns=["item", "value"]).astype(str)


def headline_json(headline) -> dict[str, Any]:
    """The JSON ``headline``: ``title``, ``sentences``, ``beats_dummy`` and ``honest_r2`` (``mean``, ``ci95``, ``model``)."""
    honest = headline.honest_r2
    return {
        "title": headline.title,
        "sentences": list(headline.sentences),
        "beats_dummy": headline.beats_dummy,
        "honest_r2": None if honest is None else {
            "mean": finite_or_none(honest["mean"]),
            "ci95": [finite_or_none(value) for value in honest["ci95"]],
            "model": honest["model"],
        },
    }


def _gene_entries(frame: pd.DataFrame) -> list[dict[str, Any]]:
    entries = []
    for gene_id, row in frame.iterrows():
        symbol = row.get("symbol")
        entries.append({"id": str(gene_id), "symbol": None if pd.isna(symbol) else str(symbol),
                        "observed": finite_or_none(row["observed"]), "predicted": finite_or_none(row["predicted"]),
                        "residual": finite_or_none(row["residual"]), "reason": str(row["reason"])})
    return entries


def genes_json(surprising) -> dict[str, Any]:
    """The JSON ``genes``: ``study_specific`` and ``generic`` gene lists, the ``model``, and ``study_specific_ora``."""
    ora = surprising.ora
    return {
        "model": surprising.model,
        "beats_dummy": surprising.beats_dummy,
        "study_specific": _gene_entries(surprising.study_specific),
        "generic": _gene_entries(surprising.generic),
        "study_specific_ora": None if ora is None else [
            {"set": str(row["set"]), "size": int(row["size"]), "overlap": int(row["overlap"]),
             "pvalue": finite_or_none(row["pvalue"]), "fdr": finite_or_none(row["fdr"])}
            for _, row in ora.loc[ora["overlap"] > 0].iterrows()
        ],
        "notes": list(surprising.notes),
    }


def evidence_json(evidence, contributions) -> dict[str, Any]:
    """The JSON ``evidence`` field: every source joined, what each adds to the main leaderboard, notes.

    ``evidence`` is the :class:`~degtools.evidence.EvidenceLayer`, ``contributions`` the
    :class:`~degtools.evidence.SourceContributions` (None: no ``contributions`` list).
    """
    sources = []
    for name, columns in evidence.sources.items():
        detail = evidence.details.get(name, {})
        present = [column for column in columns if column in evidence.features]
        matched = detail.get("matched_rows")
        if matched is None and present:
            matched = int(evidence.features[present].notna().any(axis=1).sum())
        key = detail.get("key")
        if isinstance(key, dict):
            key = {field: key[field] for field in ("table_column", "feature_column", "kind") if field in key}
        elif key is None:
            key = "gene symbol" if source_kind(name) in ("reference", "pathways", "annotation depth") else None
        sources.append({"name": name, "kind": source_kind(name), "columns": list(columns),
                        "matched_rows": matched, "key": key, "file": detail.get("file", detail.get("gene_sets")),
                        "sha256": detail.get("sha256")})
    rows = [] if contributions is None else [
        {"source": row.source, "features": int(row.features), "r2_all": finite_or_none(row.r2_all),
         "r2_without": finite_or_none(row.r2_without), "drop_mean": finite_or_none(row.drop_mean),
         "drop_ci95": [finite_or_none(row.drop_low), finite_or_none(row.drop_high)], "folds": int(row.folds),
         "drop_per_fold": [finite_or_none(value) for value in contributions.drops.get(row.source, [])]}
        for row in contributions.table.itertuples(index=False)]
    return {"rows": len(evidence.features), "sources": sources, "contributions": rows,
            "notes": list(evidence.notes), "attributions": list(evidence.attributions)}
