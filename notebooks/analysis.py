# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Differential expression as regression
#
# A differential-expression (DE) table gives, for every gene, how much its expression changed
# between two groups (the log fold change) and how sure we can be of that change (the statistic,
# the p-values). This report treats one of those columns as a **target to predict from the others**,
# compares several regression models honestly (cross-validation on a training part, one final test),
# looks at what drives the predictions, and returns to the genes.
#
# **Contents:**
# [Data overview](#Data-overview) ·
# [Preparation](#Preparation) ·
# [Models](#Models) ·
# [Evaluation](#Evaluation) ·
# [Best model](#Best-model) ·
# [Feature contributions](#Feature-contributions) ·
# [Genes](#Genes) ·
# [Methods and reproducibility](#Methods-and-reproducibility)

# %% tags=["parameters"]
input_table: str = ""  # DE results table; empty: the bundled demo dataset (GSE15852)
target: str = "logFC"  # column to predict: a header of the table or a canonical name
dataset_name: str = ""  # name used in titles and file names; empty: from the file name
test_size: float = 0.2  # fraction of rows held out as the test set
cv_folds: int = 5  # number of cross-validation folds on the training part
seed: int = 42  # random seed for the split, the folds and the models
max_rows: int = 0  # use a seeded random subset of at most this many rows; 0: all rows
top_n: int = 15  # number of genes listed in each gene table
results_json: str = ""  # write the machine-readable results here; empty: not written
column_map: str = ""  # map headers by hand: 'HEADER:canonical, HEADER2:canonical' (e.g. 'fold:logFC')
sheet: str = ""  # sheet of an .xlsx workbook; empty: its only sheet
collapse: bool = False  # keep one row per gene (symbol, else ID): the one with the largest |statistic|
id_map: str = ""  # two-column file (ID, symbol) giving symbols to a table with IDs only
cluster: str = ""  # Seurat FindAllMarkers: keep the rows of this cluster only
features: str = "independent"  # independent (leakage-free, beside all), all, or comma-separated column names
derived_features: bool = False  # also offer -log10 p, |t| and log mean expression as features
models: str = "all"  # all, or a comma-separated subset of the model registry
tuning: str = "fast"  # how hard to search model settings: none, fast or thorough
padj_threshold: float = 0.05  # adjusted p-value below which a gene counts as significant
n_jobs: int = 2  # worker processes for the model comparison (each model single-threaded)

# %%
# Check every parameter (papermill only warns on a misspelt name), read the table, find the target.
# %matplotlib inline
import degtools
from degtools import interpret, plots, report

params = degtools.check_notebook_parameters(globals())
timings = report.Timings()
with timings.step("read"):
    table = degtools.read_de_table(
        params["input_table"], column_map=params["column_map"], sheet=params["sheet"],
        collapse=params["collapse"], id_map=params["id_map"], cluster=params["cluster"],
    )
    # The table the models see also holds derived columns (|logFC|, -log10 P, ...), usable as targets.
    model_table = degtools.add_derived_columns(table)
    target_column = degtools.resolve_target(model_table, params["target"])

# %% [markdown]
# ## Data overview
#
# What the table is, what each column means, and how its numbers are distributed.

# %%
report.markdown(
    "**Source file:** `{name}` · **detected tool:** {tool} · **rows:** {rows:} · "
    "**sha256:** `{sha}`\n\n**Target:** `{target}` · **seed:** {seed}",
    name=table.path.name, tool=table.tool, rows=f"{len(table.data):,}", sha=table.sha256[:16] + "…",
    target=table.display_name(target_column), seed=params["seed"],
)

# %% [markdown]
# **What the reader detected:** the tool that wrote the table, the file's shape, the ID, symbol and
# title columns, how many rows were read and are usable (fold change, statistic and p-value present),
# and any sanity-check warning (un-logged fold changes, p-values out of range, ...).

# %%
report.html_table(table.detection_table())

# %%
report.markdown("{checks}", checks=table.warnings_markdown())

# %%
report.html_table(table.describe_columns())

# %%
report.html_table(degtools.describe_numeric(table), index=True)

# %%
plots.plot_distributions(table);

# %% [markdown]
# ## Preparation
#
# Identifier columns (IDs, symbols, gene titles) are set aside: they name genes, they are not
# measurements. Rows without a target value are dropped; missing feature values are replaced by the
# median of the *training* part. Features are standardised (mean 0, sd 1). Both steps live inside a
# scikit-learn `Pipeline`, so in every cross-validation fold they are fitted on that fold's training
# rows only, and the test set never informs them. When a gene symbol sits on several rows (microarray
# probes), all rows of a gene stay on the same side of the train/test split and of every fold, so a
# model is never tested on a gene it has already seen.

# %%
with timings.step("prepare"):
    prepared = degtools.prepare_design(
        model_table, target=target_column, test_size=params["test_size"], seed=params["seed"],
        max_rows=params["max_rows"], derived_features=params["derived_features"],
    )
target_explanation = degtools.explain_target(model_table, prepared.target)
report.markdown(
    "**Target:** `{target}` · **candidate features:** {features} · **train / test:** {train} / {test} rows "
    "({pct}% held out, seed {seed}; split {split})\n\n**What the target means.** {explanation}",
    target=prepared.target_label,
    features=", ".join(f"`{label}`" for label in prepared.feature_labels.values()),
    train=f"{len(prepared.X_train):,}", test=f"{len(prepared.X_test):,}", pct=round(100 * params["test_size"]),
    seed=params["seed"], split=prepared.split_kind, explanation=target_explanation,
)

# %%
report.html_table(prepared.summary)

# %% [markdown]
# ### Leakage audit
#
# The columns of a DE table are not independent measurements: the statistic is the fold change
# divided by its standard error, p-values and B are monotone in |t|, adjusted p-values are computed
# from the raw ones. A model given such columns "predicts" the target by undoing arithmetic. The
# audit checks every candidate feature against the target and against the other columns: exact
# products and ratios, monotone transforms, sign carriers, p-value adjustments. **R² alone** and **R²
# with best partner** are out-of-sample R² of a model-free predictor (the target's mean within
# quantile bins of the feature, or of the pair), so they show how much of the target a column gives
# away, linear or not. Verdicts: **leaks** (the feature is, or rebuilds, the target), **partly** (it
# comes from the target's own test or is tied to a leaking column), **independent** (neither).

# %%
with timings.step("leakage audit"):
    audit = degtools.audit_leakage(model_table, target=prepared.target, features=prepared.features,
                                   seed=params["seed"])
report.markdown("\n".join("- {n%d}" % number for number in range(len(audit.notes))),
                **{f"n{number}": note for number, note in enumerate(audit.notes)})

# %%
report.html_table(audit.table())

# %% [markdown]
# ## Models
#
# Each model below predicts the target from the features. The **DummyRegressor** ignores the features
# and always predicts the training mean: any model worth its name must beat it. With `tuning` set to
# `fast` or `thorough`, each model's settings are searched (randomised search, or successive halving)
# by cross-validation *inside the training part*; the chosen settings are then cross-validated and
# refitted on the whole training part. The test genes are never used to choose anything.

# %%
from degtools.models import LARGE_TABLE_STRATEGY, describe_models, resolve_models  # noqa: E402

model_names = resolve_models(params["models"])
report.markdown(
    "**Tuning:** {tuning} · **models:** {count}\n\n**Large tables.** {strategy}",
    tuning=params["tuning"], count=len(model_names), strategy=LARGE_TABLE_STRATEGY,
)

# %%
report.html_table(describe_models(model_names))

# %% [markdown]
# ## Evaluation
#
# Every model is scored by k-fold cross-validation on the training part (the same folds for every
# model), reported as mean ± sd over folds; the best model is the one with the highest mean CV R².
# **Same as best?** applies the corrected resampled t-test (Nadeau & Bengio 2003) to the paired fold
# R²: "yes" means the data cannot tell the model apart from the best (p ≥ 0.05). **Gain over dummy** is
# the CV R² above the baseline's. The test columns come from one fit on the whole training part,
# evaluated once on the held-out genes, with 95% bootstrap intervals over test genes: they confirm the
# CV estimate, they are not used to choose.
#
# With `features: independent` there are two leaderboards: one on the features the audit calls
# independent (the honest one) and one on all features. The difference is the R² the leakage buys.

# %%
from degtools.prepare import parse_feature_choice, resolve_features  # noqa: E402

feature_choice = parse_feature_choice(params["features"])
if isinstance(feature_choice, list):
    feature_choice = resolve_features(model_table, feature_choice, target=prepared.target)
with timings.step("models"):
    leaderboards = degtools.compare_feature_sets(
        prepared, audit, features=feature_choice, models=model_names, cv_folds=params["cv_folds"],
        seed=params["seed"], tuning=params["tuning"], n_jobs=params["n_jobs"],
    )
# The rest of the report follows the main leaderboard.
comparison, design = leaderboards.comparison, leaderboards.design
report.markdown("\n".join(["**Main leaderboard:** {main} features ({features})"]
                          + ["- {n%d}" % number for number in range(len(leaderboards.notes))]),
                main=leaderboards.main, features=", ".join(comparison.features),
                **{f"n{number}": note for number, note in enumerate(leaderboards.notes)})

# %%
for board_name, board in leaderboards.boards.items():
    if board is None:
        display(report.markdown("**{name} features:** none left, no leaderboard.", name=board_name))
        continue
    display(report.markdown("**{name} features:** {features}", name=board_name, features=", ".join(board.features)))
    display(report.html_table(board.display_table()))

# %%
plots.plot_leaderboards(leaderboards);

# %%
plots.plot_model_comparison(comparison);

# %% [markdown]
# ### Regression or classification?
#
# The question this tool grew from: is it better to predict the change itself (regression) or only
# whether a gene is significant (classification)? A classifier learns "adjusted p-value below the
# threshold" from the same features and training genes as the best regression model. Both then rank
# the test genes: the regression by its prediction, the classifier by its probability. **Spearman with
# |logFC|** asks whether the ranking follows the size of the change; **AUC** whether it puts significant
# genes first. The last row ranks by the observed 0/1 label itself: what a perfect classifier would
# keep of the size of the change.

# %%
ranking = degtools.compare_ranking(comparison.best, design, model_table, padj_threshold=params["padj_threshold"],
                                   seed=params["seed"])
if ranking is None:
    display(report.markdown("No comparison: the table has no adjusted p-value, or one class is missing."))
else:
    display(report.markdown("\n".join("- {n%d}" % number for number in range(len(ranking.notes))),
                            **{f"n{number}": note for number, note in enumerate(ranking.notes)}))
    display(report.html_table(ranking.table))
    plots.plot_ranking_comparison(ranking)

# %% [markdown]
# ## Best model
#
# The best model is the one with the highest mean cross-validated R² in the main leaderboard (the dummy
# baseline excluded). Below, its predictions on the test genes against what was observed, and the residuals.

# %%
best = comparison.best
test_predictions = degtools.predictions(best, design)
report.markdown(
    "**Best model by CV:** {name} on {features} — CV R² {cv} ± {sd}; on the test set R² {test} "
    "(95% bootstrap interval {low} to {high}).",
    name=best.name, features=", ".join(comparison.features), cv=f"{best.cv_summary()['r2_mean']:.3f}",
    sd=f"{best.cv_summary()['r2_sd']:.3f}", test=f"{best.test['r2']:.3f}",
    low=f"{best.test_intervals['r2'][0]:.3f}", high=f"{best.test_intervals['r2'][1]:.3f}",
)

# %%
plots.plot_predicted_vs_observed(test_predictions, label=design.target_label);

# %%
plots.plot_residuals(test_predictions, label=design.target_label);

# %% [markdown]
# ## Feature contributions
#
# **Permutation importance** (test set, best model): how much R² drops when one feature's values are
# shuffled among genes. **Impurity importance** (tree ensembles): how much each feature's splits reduce
# the squared error in training; it is computed on training data and favours features with many
# distinct values, so read it next to the permutation importance. Read both next to the leakage audit:
# a feature that leaks will dominate, because it *is* the target.

# %%
with timings.step("importance"):
    permutation = interpret.permutation_importances(best, design, seed=params["seed"])
    impurity = interpret.impurity_importances(comparison, design)
plots.plot_importances(permutation, title=f"Permutation importance, {best.name} (drop in test R²)");

# %%
report.html_table(permutation)

# %%
report.html_table(impurity, index=True) if not impurity.empty else report.markdown("No tree ensemble was fitted.")

# %% [markdown]
# ## Genes
#
# The genes with the largest increase and decrease (by log fold change), then the test genes whose
# target the best model predicts worst: their values are not what the other columns suggest.

# %%
fold_change = "logFC" if "logFC" in table.data else target_column
report.markdown("**Top up-regulated genes** (largest `{col}`)", col=table.display_name(fold_change))

# %%
report.html_table(interpret.top_genes(table, column=fold_change, n=params["top_n"], direction="up"))

# %%
report.markdown("**Top down-regulated genes** (smallest `{col}`)", col=table.display_name(fold_change))

# %%
report.html_table(interpret.top_genes(table, column=fold_change, n=params["top_n"], direction="down"))

# %%
report.markdown("**Genes the best model gets most wrong** (test set, largest |observed − predicted|)")

# %%
report.html_table(interpret.worst_predicted_genes(best, design, table, n=params["top_n"]))

# %% [markdown]
# ## Methods and reproducibility
#
# Everything needed to reproduce the numbers above: the parameters, the input's checksum, the seed,
# the package versions and the time each step took. The same input, parameters and versions give the
# same numbers.

# %%
results = report.build_results(params=params, table=table, design=design, comparison=comparison,
                               timings=timings, leakage=audit, leaderboards=leaderboards, ranking=ranking,
                               target_explanation=target_explanation)
report.write_results(results, params["results_json"])
report.html_table(report.methods_table(results))
