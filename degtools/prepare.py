"""Choose the target and the features, handle missing values, split train and test."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace

import pandas as pd
from sklearn.model_selection import GroupKFold, GroupShuffleSplit, KFold, train_test_split

from degtools.errors import InputError, ParamsError
from degtools.io.table import DETable
from degtools.io.vocabulary import IDENTIFIER_COLUMNS
from degtools.targets import DERIVED_COLUMNS, MIN_ROWS, add_derived_columns, resolve_target


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
        """The k-fold splitter of the training part: by gene when genes repeat, else by row.

        Raises
        ------
        ParamsError
            If the training part has fewer distinct genes than ``cv_folds`` (a gene-aware fold needs one).
        """
        if self.groups_train is not None:
            genes = int(self.groups_train.nunique())
            if genes < cv_folds:
                raise ParamsError(
                    f"cv_folds={cv_folds} needs at least {cv_folds} distinct genes in the training part, which "
                    f"holds {genes} (rows of one gene stay in one fold); lower cv_folds or pass group_by_gene=False."
                )
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

    def for_workers(self) -> Design:
        """The same numbers without the gene names: what a model worker needs, light to send.

        Row labels become positions (the gene groups are integer codes already, see
        :func:`prepare_design`); the original design keeps the gene IDs for everything shown.
        """
        groups = self.groups_train
        if groups is not None:
            groups = groups.set_axis(pd.RangeIndex(len(groups)), axis=0)
        return replace(
            self,
            X_train=self.X_train.set_axis(pd.RangeIndex(len(self.X_train)), axis=0),
            X_test=self.X_test.set_axis(pd.RangeIndex(len(self.X_test)), axis=0),
            y_train=self.y_train.set_axis(pd.RangeIndex(len(self.y_train)), axis=0),
            y_test=self.y_test.set_axis(pd.RangeIndex(len(self.y_test)), axis=0),
            groups_train=groups,
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
            f"{table.path.name} has too few rows: {len(data)} with a {label} value; the models need at least "
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
    split_kind = "random rows"
    if groups is not None and groups.nunique() < MIN_GENE_GROUPS:
        split_kind = (f"random rows (the symbols name only {groups.nunique()} distinct genes, fewer than the "
                      f"{MIN_GENE_GROUPS} a split by gene needs)")
        groups = None
    if groups is not None:
        # Integer codes in the sorted order of the labels: the same splits as the labels give (sklearn
        # sorts the unique groups first), but its group look-ups run on integers, ~50x faster than on strings.
        groups = pd.Series(pd.factorize(groups, sort=True)[0], index=groups.index)
    groups_train = None
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


def design_rows(table: DETable, design: Design) -> DETable:
    """``table`` cut to the rows ``design`` uses when ``max_rows`` sampled them (else ``table`` itself).

    The leakage audit then measures the rows the models see, at the cost of the sample, not the table.
    """
    if design.subsampled_from is None:
        return table
    used = design.X_train.index.union(design.X_test.index)
    subset = copy.copy(table)
    subset.data = table.data.loc[table.data["gene_id"].isin(used)].reset_index(drop=True)
    return subset


#: fewest distinct genes for a split by gene: a 50% test part and up to 20 CV folds (params.cv_folds).
MIN_GENE_GROUPS = 40


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
