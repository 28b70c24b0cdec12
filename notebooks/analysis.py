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
    target_column = degtools.resolve_target(table, params["target"])

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
# rows only, and the test set never informs them.

# %%
with timings.step("prepare"):
    design = degtools.prepare_design(
        table, target=target_column, test_size=params["test_size"], seed=params["seed"],
        max_rows=params["max_rows"],
    )
report.markdown(
    "**Target:** `{target}` · **features:** {features} · **train / test:** {train} / {test} rows "
    "({pct}% held out, seed {seed})",
    target=design.target_label, features=", ".join(f"`{label}`" for label in design.feature_labels.values()),
    train=f"{len(design.X_train):,}", test=f"{len(design.X_test):,}", pct=round(100 * params["test_size"]),
    seed=params["seed"],
)

# %%
report.html_table(design.summary)

# %% [markdown]
# ## Models
#
# Each model below predicts the target from the features. The **DummyRegressor** ignores the features
# and always predicts the training mean: any model worth its name must beat it.

# %%
report.html_table(report.model_descriptions())

# %% [markdown]
# ## Evaluation
#
# Every model is scored by k-fold cross-validation on the training part (the same folds for every
# model), reported as mean ± sd over folds. The table is sorted by cross-validated R². The test columns
# come from one fit on the whole training part, evaluated once on the held-out genes: they confirm
# the CV estimate, they are not used to choose.

# %%
with timings.step("models"):
    comparison = degtools.compare_models(design, cv_folds=params["cv_folds"], seed=params["seed"])
report.html_table(report.comparison_table(comparison))

# %%
plots.plot_model_comparison(comparison);

# %% [markdown]
# ## Best model
#
# The best model is the one with the highest mean cross-validated R² (the dummy baseline excluded).
# Below, its predictions on the test genes against what was observed, and the residuals.

# %%
best = comparison.best
test_predictions = degtools.predictions(best, design)
report.markdown(
    "**Best model by CV:** {name} — CV R² {cv} ± {sd}; on the test set R² {test}.",
    name=best.name, cv=f"{best.cv_summary()['r2_mean']:.3f}", sd=f"{best.cv_summary()['r2_sd']:.3f}",
    test=f"{best.test['r2']:.3f}",
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
# distinct values, so read it next to the permutation importance.

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
                               timings=timings)
report.write_results(results, params["results_json"])
report.html_table(report.methods_table(results))
