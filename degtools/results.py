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

import pandas as pd

from degtools.evidence import source_kind
from degtools.files import write_text_atomically
from degtools.leaderboards import leaderboard_entries
from degtools.models import LARGE_TABLE_STRATEGY
from degtools.naming import dataset_name_from_path
from degtools.numeric import finite_or_none
from degtools.provenance import package_versions

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


def build_results(*, params: Mapping[str, Any], table, leaderboards, timings: Mapping[str, float],
                  reused: Iterable[str] = (), leakage=None, ranking=None, target_explanation=None,
                  enrichment=None, pathway_variant=None, reference_join=None,
                  reference_variant=None, evidence=None, contributions=None) -> dict[str, Any]:
    """The per-report JSON (see README, "The report JSON") from the analysis' result objects.

    The report follows the main leaderboard (``leaderboards.comparison`` and ``.design``);
    ``timings`` and ``reused`` are the steps' record (:mod:`degtools.steps`). The optional
    objects add their fields when given: ``enrichment``, ``pathway_features``, ``reference`` and
    ``evidence`` (:func:`evidence_json`).
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
        results["enrichment"] = enrichment.to_json()
    if pathway_variant is not None:
        results["pathway_features"] = pathway_variant.to_json()
    if reference_join is not None:
        results["reference"] = {**reference_join.to_json(), "models": reference_variant.to_json()}
    if evidence is not None:
        results["evidence"] = evidence_json(evidence, contributions)
    return results


def modelling_results(*, leakage=None, leaderboards=None, ranking=None, target_explanation=None) -> dict[str, Any]:
    """JSON fields of the leakage audit, the leaderboards and the ranking comparison (those given)."""
    fields: dict[str, Any] = {}
    if target_explanation is not None:
        fields["target_explanation"] = target_explanation
    if leakage is not None:
        fields["leakage"] = leakage.entries()
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
        rows.append(("large tables (SVR, KNN) and tuning", LARGE_TABLE_STRATEGY))
    rows += [("version: " + package, version) for package, version in results["versions"].items()]
    rows += [("seconds: " + step, f"{seconds:.2f}") for step, seconds in results["timings"].items()]
    if results.get("reused"):
        rows.append(("reused in the batch", ", ".join(results["reused"]) + " (loaded from an identical "
                     "computation for another report of the same batch: same data, settings, code and versions)"))
    return pd.DataFrame(rows, columns=["item", "value"]).astype(str)


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
