"""Choose the target and the features, handle missing values, split train and test."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupKFold, GroupShuffleSplit, KFold, train_test_split

from degtools.errors import InputError, ParamsError
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
    #: gene (symbol) of every training row when genes repeat on several rows, else None.
    groups_train: pd.Series | None = None
    #: how train/test and the CV folds were split, in words.
    split_kind: str = "random rows"

    def cv_splitter(self, cv_folds: int, seed: int):
        """The k-fold splitter of the training part: by gene when genes repeat, else by row."""
        if self.groups_train is not None:
            return GroupKFold(n_splits=cv_folds, shuffle=True, random_state=seed)
        return KFold(n_splits=cv_folds, shuffle=True, random_state=seed)

    def with_features(self, features: list[str]) -> Design:
        """The same rows and split, restricted to ``features`` (canonical names, kept in order)."""
        unknown = [feature for feature in features if feature not in self.features]
        if unknown:
            raise ParamsError(
                f"feature(s) {', '.join(unknown)} are not among this design's features "
                f"({', '.join(self.features)}); pick names from that list."
            )
        kept = [feature for feature in self.features if feature in features]
        return replace(
            self,
            features=kept,
            feature_labels={feature: self.feature_labels[feature] for feature in kept},
            X_train=self.X_train[kept],
            X_test=self.X_test[kept],
            missing_features={f: n for f, n in self.missing_features.items() if f in kept},
        )

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
        if self.groups_train is not None:
            rows.append(
                (
                    "distinct genes in the training part (probes of one gene stay together)",
                    int(self.groups_train.nunique()),
                )
            )
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
    derived_features: bool = False,
    group_by_gene: bool = True,
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
    derived_features
        Offer the columns made by :func:`add_derived_columns` (-log10 p, |t|, log mean
        expression) as features; off by default. Derived targets work either way.
    group_by_gene
        When a gene symbol appears on several rows (microarray probes), keep all rows of a
        gene on the same side of the split and of every CV fold.

    Raises
    ------
    InputError
        If the target is absent, constant, or too few rows are usable.
    """
    table = add_derived_columns(table)
    target = resolve_target(table, target)
    data = table.data.set_index("gene_id", drop=False)
    label = table.display_name(target)
    if features is None:
        features = [
            column
            for column in table.numeric_columns
            if column != target and (derived_features or column not in DERIVED_COLUMNS)
        ]
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
    groups = gene_groups(data) if group_by_gene else None
    if groups is not None:
        # Integer codes in the sorted order of the labels: the same splits as the labels give (sklearn
        # sorts the unique groups first), but its group look-ups run on integers, ~50x faster than on strings.
        groups = pd.Series(pd.factorize(groups, sort=True)[0], index=groups.index)
    groups_train = None
    split_kind = "random rows"
    if groups is not None:
        splitter = GroupShuffleSplit(n_splits=1, test_size=test_size, random_state=seed)
        train_rows, test_rows = next(splitter.split(X, y, groups))
        X_train, X_test = X.iloc[train_rows], X.iloc[test_rows]
        y_train, y_test = y.iloc[train_rows], y.iloc[test_rows]
        groups_train = groups.iloc[train_rows]
        split_kind = "by gene symbol (all probes of a gene on one side)"
    else:
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
        missing_features={
            feature: int(X[feature].isna().sum()) for feature in features if X[feature].isna().any()
        },
        subsampled_from=subsampled_from,
        groups_train=groups_train,
        split_kind=split_kind,
    )


def gene_groups(data: pd.DataFrame) -> pd.Series | None:
    """Group label per row (the gene symbol; the row ID when it has none), if any symbol repeats.

    Returns None when every row is its own gene, so plain row splits are used.
    """
    if "symbol" not in data.columns:
        return None
    symbols = data["symbol"].astype("string").str.strip()
    symbols = symbols.where(symbols.notna() & (symbols != ""))
    if not symbols.dropna().duplicated().any():
        return None
    ids = pd.Series(data["gene_id"].astype(str).to_numpy(), index=data.index)
    return ("gene:" + symbols).fillna("row:" + ids).astype(str)


#: derived columns: canonical name -> (source column, how the display name is built, meaning).
DERIVED_COLUMNS = {
    "abs_logFC": ("logFC", "|{}|", "magnitude of the fold change, whatever its direction"),
    "neg_log10_p": ("pvalue", "-log10({})", "-log10 of the raw p-value: larger means more significant"),
    "abs_stat": ("stat", "|{}|", "magnitude of the test statistic"),
    "log_mean_expr": ("mean_expr", "log2({} + 1)", "log2 of the mean expression (counts scale)"),
}


def add_derived_columns(table: DETable) -> DETable:
    """A copy of ``table`` with the derived columns its columns allow.

    ``abs_logFC`` (|logFC|), ``neg_log10_p`` (-log10 P), ``abs_stat`` (|t| or |Wald|; only
    for a signed statistic) and ``log_mean_expr`` (log2(mean + 1); only when the mean is on
    the counts scale, e.g. DESeq2's baseMean). Display names are built from the user's
    headers, e.g. ``-log10(P.Value)``. Idempotent.
    """
    data = table.data.copy()
    column_map = dict(table.column_map)
    for name, (source, display, _) in DERIVED_COLUMNS.items():
        if (
            name in data.columns
            or source not in data.columns
            or not pd.api.types.is_numeric_dtype(data[source])
        ):
            continue
        values = data[source]
        if name == "abs_logFC":
            derived = values.abs()
        elif name == "neg_log10_p":
            derived = -np.log10(values.clip(lower=np.finfo(float).tiny))
        elif name == "abs_stat":
            if not (values < 0).any():
                continue
            derived = values.abs()
        else:
            if table.mean_scale != "linear" or (values < 0).any():
                continue
            derived = np.log2(values + 1)
        data[name] = derived
        column_map[display.format(table.display_name(source))] = name
    derived_table = copy.copy(table)
    derived_table.data = data
    derived_table.column_map = column_map
    return derived_table


#: what a target means and what a high R² would mean, by canonical target.
_TARGET_MEANINGS = {
    "logFC": (
        "{label} is the log2 fold change: how much, and in which direction, each gene's expression "
        "differs between the two groups.",
        "A high R² would mean the other columns determine each gene's change; on a DE table that is "
        "usually arithmetic (t = logFC / SE), not biology, which is why the leakage audit comes first.",
    ),
    "abs_logFC": (
        "{label} is the size of the fold change, ignoring its direction.",
        "A high R² from independent features (e.g. mean expression) would mean the size of a change is "
        "predictable from how a gene is measured; from p-values or |t| it only restates the test.",
    ),
    "neg_log10_p": (
        "{label} is the significance of each gene's change: larger values mean stronger evidence.",
        "A high R² would mean significance follows from the other columns; with the fold change and its "
        "standard error as features it is guaranteed, since the test is computed from them.",
    ),
    "B": (
        "{label} is limma's log-odds that the gene is differentially expressed.",
        "B is a monotone function of |t|, so a high R² with t or the p-value as features is expected and "
        "says "
        "nothing new; a high R² from independent columns would be a real finding.",
    ),
    "stat": (
        "{label} is the test statistic: the fold change divided by its standard error.",
        "A high R² would mean the statistic can be rebuilt from the other columns, as it must when the fold "
        "change and its standard error are both present.",
    ),
    "pvalue": (
        "{label} is the raw p-value of each gene's test.",
        "The p-value is a monotone function of the test statistic, so a high R² with that statistic as a "
        "feature is arithmetic, not a finding.",
    ),
    "padj": (
        "{label} is the multiple-testing adjusted p-value.",
        "It is computed from the raw p-values, so a high R² with them as features is expected.",
    ),
    "mean_expr": (
        "{label} is the average expression of each gene.",
        "A high R² would mean a gene's abundance can be read from its test results, e.g. because "
        "low-expressed genes have larger standard errors.",
    ),
}


def explain_target(table: DETable, target: str) -> str:
    """Two sentences: what the target means, and what a high R² for it would mean."""
    label = table.display_name(target)
    meaning, high = _TARGET_MEANINGS.get(
        target,
        (
            "{label} is a numeric column of the table.",
            "A high R² would mean it is determined by the other columns; check the leakage audit to see "
            "whether "
            "that is arithmetic or a finding.",
        ),
    )
    return f"{meaning.format(label=label)} {high}"


#: shortcuts accepted for ``features``.
FEATURE_SETS = ("independent", "all")


def parse_feature_choice(value: str | list[str]) -> str | list[str]:
    """``"independent"``, ``"all"``, or a list of column names from a comma-separated string."""
    if isinstance(value, (list, tuple)):
        names = [str(name).strip() for name in value if str(name).strip()]
    else:
        text = str(value).strip()
        if text in FEATURE_SETS:
            return text
        names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise ParamsError(
            f"features must be 'independent', 'all' or a comma-separated list of column names; got {value!r}."
        )
    return names


def resolve_features(table: DETable, names: list[str], *, target: str) -> list[str]:
    """Canonical names of user-named features (headers or canonical names).

    Raises
    ------
    ParamsError
        For a name that is not a numeric column, or that is the target.
    """
    table = add_derived_columns(table)
    by_display = {table.display_name(column): column for column in table.numeric_columns}
    resolved = []
    for name in names:
        column = name if name in table.numeric_columns else by_display.get(name)
        if column is None or column == target:
            valid = ", ".join(display for display, column in by_display.items() if column != target)
            raise ParamsError(
                f"feature {name!r} is not a numeric column of {table.path.name} other than the target; "
                f"valid features are {valid}. Fix the features parameter."
            )
        resolved.append(column)
    return resolved


def describe_numeric(table: DETable) -> pd.DataFrame:
    """Summary statistics of the numeric columns, headed by the user's column names."""
    numeric = table.data[table.numeric_columns]
    summary = numeric.describe().T
    summary.insert(0, "missing", numeric.isna().sum())
    summary.index = [table.display_name(column) for column in summary.index]
    return summary.rename(columns={"count": "values"}).astype({"values": int, "missing": int})
