"""Choose the target and the features, handle missing values, split train and test."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from sklearn.model_selection import train_test_split

from degtools.errors import InputError
from degtools.tables import IDENTIFIER_COLUMNS, DETable, resolve_target

#: fewest usable rows for an 80/20 split with k-fold CV to mean anything.
MIN_ROWS = 30


@dataclass
class Design:
    """What the models see: features and target, split once into train and test.

    ``X_train``/``X_test`` keep the gene identifiers as their index, so any prediction
    can be traced back to a gene.
    """

    target: str
    target_label: str
    features: list[str]
    feature_labels: dict[str, str]
    X_train: pd.DataFrame
    X_test: pd.DataFrame
    y_train: pd.Series
    y_test: pd.Series
    rows_total: int
    rows_used: int
    missing_target: int
    missing_features: dict[str, int] = field(default_factory=dict)
    subsampled_from: int | None = None

    @property
    def summary(self) -> pd.DataFrame:
        """Counts shown in the report's preparation section."""
        rows = [
            ("rows in the table", self.rows_total),
            ("rows without a target value (dropped)", self.missing_target),
            ("rows used", self.rows_used),
            ("training rows", len(self.X_train)),
            ("test rows", len(self.X_test)),
        ]
        if self.subsampled_from is not None:
            rows.insert(3, ("rows kept by max_rows (seeded random subset)", self.rows_used))
        for feature, count in self.missing_features.items():
            rows.append((f"missing {self.feature_labels[feature]} (imputed by the training median)", count))
        return pd.DataFrame(rows, columns=["step", "rows"])


def prepare_design(
    table: DETable,
    *,
    target: str,
    features: list[str] | None = None,
    test_size: float = 0.2,
    seed: int = 42,
    max_rows: int = 0,
) -> Design:
    """Set identifiers aside, pick the target and features, and split 80/20.

    Parameters
    ----------
    table
        The table from :func:`degtools.read_de_table`.
    target
        Column to predict (canonical or original header).
    features
        Canonical feature columns; default: every other numeric column.
    test_size
        Fraction held out for the single final test.
    seed
        Seed of the subset (``max_rows``) and of the split.
    max_rows
        Use a seeded random subset of at most this many rows (0 = all).

    Raises
    ------
    InputError
        If the target is absent, constant, or too few rows are usable.
    """
    target = resolve_target(table, target)
    data = table.data.set_index("gene_id", drop=False)
    label = table.display_name(target)
    if features is None:
        features = [column for column in table.numeric_columns if column != target]
    features = [feature for feature in features if feature not in IDENTIFIER_COLUMNS and feature != target]
    if not features:
        raise InputError(
            f"{table.path.name} has no numeric column besides the target {label!r}; "
            "expected at least one feature column (e.g. a statistic or p-value)."
        )
    rows_total = len(data)
    has_target = data[target].notna()
    missing_target = int((~has_target).sum())
    data = data.loc[has_target]
    subsampled_from = None
    if max_rows and len(data) > max_rows:
        subsampled_from = len(data)
        data = data.sample(n=max_rows, random_state=seed)
    # Features that are entirely missing carry nothing.
    features = [feature for feature in features if data[feature].notna().any()]
    if len(data) < MIN_ROWS:
        raise InputError(
            f"{table.path.name} has {len(data)} rows with a {label} value; the models need at least "
            f"{MIN_ROWS}. Use a table with more genes or another target."
        )
    if data[target].nunique() < 2:
        raise InputError(
            f"target {label!r} in {table.path.name} is constant ({data[target].iloc[0]!r}); "
            "a constant cannot be predicted. Choose another target."
        )
    X = data[features]
    y = data[target]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=test_size, random_state=seed)
    return Design(
        target=target,
        target_label=label,
        features=features,
        feature_labels={feature: table.display_name(feature) for feature in features},
        X_train=X_train,
        X_test=X_test,
        y_train=y_train,
        y_test=y_test,
        rows_total=rows_total,
        rows_used=len(data),
        missing_target=missing_target,
        missing_features={feature: int(X[feature].isna().sum()) for feature in features if X[feature].isna().any()},
        subsampled_from=subsampled_from,
    )


def describe_numeric(table: DETable) -> pd.DataFrame:
    """Summary statistics of the numeric columns, headed by the user's column names."""
    numeric = table.data[table.numeric_columns]
    summary = numeric.describe().T
    summary.insert(0, "missing", numeric.isna().sum())
    summary.index = [table.display_name(column) for column in summary.index]
    return summary.rename(columns={"count": "values"}).astype({"values": int, "missing": int})

