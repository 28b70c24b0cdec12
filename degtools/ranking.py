"""Regression or classification? How well each ranks the test genes by the size of their change."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from threadpoolctl import threadpool_limits

from degtools.compare import ModelResult
from degtools.leakage import TEST_COLUMNS
from degtools.numeric import is_signed, spearman
from degtools.prepare import Design


@dataclass
class RankingComparison:
    """Regression's continuous prediction vs a classifier of significance, for ranking test genes."""

    table: pd.DataFrame
    threshold: float
    significant_train: int
    significant_test: int
    magnitude_label: str
    notes: list[str] = field(default_factory=list)


def compare_ranking(
    regression: ModelResult, design: Design, table, *, padj_threshold: float = 0.05, seed: int = 42
) -> RankingComparison | None:
    """Does binarising the target (significant or not) lose what regression keeps?

    A gradient-boosting classifier learns "adjusted p below ``padj_threshold``" from the same
    features and training genes as the regression model. On the test genes both rank genes: the
    regression by its prediction (its absolute value for a signed target, oriented so that higher
    means more significant on the training genes), the classifier by its probability. Scores:
    Spearman with the observed |log fold change| and AUC for significance. A row for the
    observed 0/1 label shows what the binary label itself keeps of the magnitude.

    Returns None (nothing to compare) when the table has no adjusted p-value or a class is absent
    from the training genes.
    """
    if "padj" not in table.data.columns:
        return None
    genes = table.data.drop_duplicates("gene_id").set_index("gene_id")
    padj = genes["padj"]
    magnitude_column = "logFC" if "logFC" in genes.columns else design.target
    # DESeq2 leaves padj empty for filtered genes: they were not called significant.
    sig_train = (padj.reindex(design.X_train.index) < padj_threshold).to_numpy()
    sig_test = (padj.reindex(design.X_test.index) < padj_threshold).to_numpy()
    if sig_train.all() or not sig_train.any() or sig_test.all() or not sig_test.any():
        return None
    magnitude = genes[magnitude_column].reindex(design.X_test.index).abs().to_numpy()
    with threadpool_limits(limits=1):
        classifier = HistGradientBoostingClassifier(random_state=seed).fit(design.X_train, sig_train)
        probability = classifier.predict_proba(design.X_test)[:, 1]
    y_train = design.y_train.to_numpy()
    signed = is_signed(y_train)
    fitted = regression.pipeline.predict(design.X_train)
    train_score = np.abs(fitted) if signed else fitted
    orientation = 1.0 if spearman(train_score, sig_train.astype(float)) >= 0 else -1.0
    predicted = regression.pipeline.predict(design.X_test)
    regression_score = orientation * (np.abs(predicted) if signed else predicted)
    magnitude_label = f"|{table.display_name(magnitude_column)}|"
    ok = np.isfinite(magnitude)
    rows = []
    for approach, score in (
        (
            f"regression ({regression.name}): {'|predicted|' if signed else 'predicted'} "
            f"{design.target_label}",
            regression_score,
        ),
        ("classification (HistGradientBoostingClassifier): P(significant)", probability),
        ("observed label: significant or not (0/1)", sig_test.astype(float)),
    ):
        rows.append(
            {
                "ranking by": approach,
                f"Spearman with {magnitude_label}": spearman(score[ok], magnitude[ok]),
                "AUC for significance": (
                    float(roc_auc_score(sig_test, score)) if not approach.startswith("observed") else np.nan
                ),
            }
        )
    notes = [
        f"Significant: {table.display_name('padj')} < {padj_threshold:g} "
        f"({int(sig_train.sum()):,} of {len(sig_train):,} training genes, {int(sig_test.sum()):,} of "
        f"{len(sig_test):,} test genes); genes without an adjusted p-value count as not significant."
    ]
    from_test = [design.feature_labels[f] for f in design.features if f in TEST_COLUMNS]
    if from_test:
        notes.append(
            f"{', '.join(from_test)} {'is a feature' if len(from_test) == 1 else 'are features'} "
            "here, and significance is computed from the same test: an AUC near 1 is arithmetic."
        )
    return RankingComparison(
        pd.DataFrame(rows), padj_threshold, int(sig_train.sum()), int(sig_test.sum()), magnitude_label, notes
    )
