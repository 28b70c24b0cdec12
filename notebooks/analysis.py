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
# [Differential expression at a glance](#Differential-expression-at-a-glance) ·
# [Top genes and the model](#Top-genes-and-the-model) ·
# [Gene sets](#Gene-sets) ·
# [Pathways as features](#Pathways-as-features) ·
# [Another study as reference](#Another-study-as-reference) ·
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
lfc_threshold: float = 1.0  # smallest absolute log2 fold change of an up or down gene
gene_sets: str = ""  # GMT file of gene sets; empty: the bundled MSigDB Hallmark sets
gsea_permutations: int = 1000  # gene-set permutations of the preranked GSEA
pathway_features: bool = False  # also fit models with gene-set membership as features
reference_table: str = ""  # second DE table joined by gene symbol as features; empty: none

# %%
# Check every parameter (papermill only warns on a misspelt name), read the table, find the target.
# %matplotlib inline
import pandas as pd

import degtools
from degtools import enrich, genesets, interpret, pathways, plots, report
from degtools.io import genes
from degtools.reference import compare_feature_variant
from degtools.studies import join_reference

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
# refitted on the whole training part. The test genes are never used to choose anything. Tuning goes
# to the main leaderboard; an all-features leaderboard shown beside it as the leakage contrast keeps
# every model's default settings.

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
    # In a batch, a report with the same data and model settings (e.g. another reference table) reuses these.
    leaderboards, reused = degtools.shared_call(
        degtools.compare_feature_sets, prepared, audit, features=feature_choice, models=model_names,
        cv_folds=params["cv_folds"], seed=params["seed"], tuning=params["tuning"], n_jobs=params["n_jobs"],
        ignore=["n_jobs"],
    )
    timings.note_reused("models", reused)
# The rest of the report follows the main leaderboard.
comparison, design = leaderboards.comparison, leaderboards.design
report.markdown("\n".join(["**Main leaderboard:** {main} features ({features}){reused}"]
                          + ["- {n%d}" % number for number in range(len(leaderboards.notes))]),
                reused=" · computed for an identical report earlier in this batch and reused here" if reused else "",
                main=leaderboards.main, features=", ".join(comparison.features),
                **{f"n{number}": note for number, note in enumerate(leaderboards.notes)})

# %%
for board_name, board in leaderboards.boards.items():
    if board is None:
        display(report.markdown("**{name} features:** none left, no leaderboard.", name=board_name))
        continue
    display(report.markdown("**{name} features:** {features} · tuning: {tuning}", name=board_name,
                            features=", ".join(board.features), tuning=board.tuning))
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
# ## Differential expression at a glance
#
# **Volcano plot:** each dot is a gene, placed by its log fold change (left: lower, right: higher in
# the first group) and by how surprising that change would be if nothing changed (-log10 p-value, higher
# is stronger evidence). **MA plot:** the same changes against the gene's mean expression; changes of
# weakly expressed genes are the least reliable. Genes passing both thresholds are coloured; the
# strongest are labelled.

# %%
with timings.step("volcano and MA plots"):
    can_volcano = "logFC" in table.data and "pvalue" in table.data
    if can_volcano:
        plots.plot_volcano(table, padj_threshold=params["padj_threshold"],
                           lfc_threshold=params["lfc_threshold"])
    else:
        display(report.markdown("No volcano plot: the table needs a log fold change and a p-value column."))

# %%
with timings.step("volcano and MA plots"):
    if "mean_expr" in table.data and "logFC" in table.data:
        plots.plot_ma(table, padj_threshold=params["padj_threshold"], lfc_threshold=params["lfc_threshold"])
    else:
        display(report.markdown(
            "No MA plot: `{name}` has no mean-expression column (AveExpr, baseMean or logCPM). GEO2R writes "
            "AveExpr only when it is asked for all columns.", name=table.path.name))

# %% [markdown]
# ## Top genes and the model
#
# The genes with the largest increase and decrease, with the best model's prediction of the target
# and its residual (observed − predicted). *held out* says whether the gene was in the test set:
# only then is the prediction a fair, out-of-sample one.

# %%
fold_change = "logFC" if "logFC" in table.data else target_column
report.markdown("**Top up-regulated genes** (largest `{col}`)", col=table.display_name(fold_change))

# %%
report.html_table(interpret.regulated_genes_table(table, best, design, n=params["top_n"], direction="up"))

# %%
report.markdown("**Top down-regulated genes** (smallest `{col}`)", col=table.display_name(fold_change))

# %%
report.html_table(interpret.regulated_genes_table(table, best, design, n=params["top_n"], direction="down"))

# %% [markdown]
# **Residual outliers:** the held-out genes whose target the best model explains worst. For most genes
# the columns of a DE table are tied together (a fold change goes with its statistic and p-value); a
# gene far off that relationship is either a measurement problem (an unannotated or multi-gene probe,
# a poor probe among several for one gene, very low expression) or a gene that behaves unusually.
# Either way it deserves a look before it is trusted or discarded.

# %%
report.html_table(interpret.residual_outliers(best, design, table, n=params["top_n"]))

# %% [markdown]
# ## Gene sets
#
# Do the changed genes share a biological theme? **Over-representation (ORA):** are the members of a
# gene set more frequent among the up- (or down-) regulated genes than among all tested genes with a
# symbol (hypergeometric test, Benjamini-Hochberg FDR)? **Preranked GSEA:** ranking *all* genes by
# their DE statistic, do a set's members gather at the top (NES > 0: up) or at the bottom (NES < 0:
# down)? GSEA needs no threshold, so it also sees many small, coordinated changes.

# %%
with timings.step("gene sets"):
    gene_set_collection = genesets.read_gmt(params["gene_sets"])
    # The same for every target of a table: a batch computes it once per table and reuses it.
    enrichment, reused = degtools.shared_call(
        enrich.run_enrichment, table, gene_set_collection, padj_threshold=params["padj_threshold"],
        lfc_threshold=params["lfc_threshold"], permutations=params["gsea_permutations"], seed=params["seed"],
        ignore=["threads"],
    )
    timings.note_reused("gene sets", reused)
report.markdown(
    "**Gene sets:** `{name}` ({count} sets). {match}{reused}\n\n{attribution}",
    name=gene_set_collection.name, count=f"{len(gene_set_collection.sets):,}",
    match=enrichment.match.sentence(), attribution=gene_set_collection.attribution if enrichment.ran else "",
    reused=" Computed once for this table in the batch and reused here (same table, gene sets and settings)."
    if reused else "",
)

# %%
if enrichment.ran:
    display(report.markdown(
        "**Preranked GSEA** on {ranking}: the sets with the smallest p-values. NES > 0: the set's genes "
        "tend to go up; < 0: down.", ranking=enrichment.ranking))
    display(report.html_table(enrichment.gsea_table(n=20)))

# %%
if enrichment.ran:
    with timings.step("gene sets"):
        plots.plot_enrichment_dots(enrichment.gsea, n=20, title=f"GSEA, {gene_set_collection.name}",
                                   fdr_floor=enrichment.fdr_floor)

# %%
if enrichment.ran:
    display(report.markdown(
        "**Over-representation** among {up} up- and {down} down-regulated genes (adjusted p < {padj}, "
        "|logFC| ≥ {lfc}); background: {background} tested genes with a symbol.",
        up=enrichment.list_sizes["up"], down=enrichment.list_sizes["down"], padj=params["padj_threshold"],
        lfc=params["lfc_threshold"], background=f"{enrichment.match.genes:,}"))
    display(report.html_table(enrichment.ora_table(n=10)))

# %%
if enrichment.ran and not enrichment.ora_best().empty:
    plots.plot_enrichment_dots(enrichment.ora_best(n=20),
                               title=f"Over-representation, {gene_set_collection.name}");

# %% [markdown]
# ## Pathways as features
#
# With `pathway_features: true`, each gene set with enough of the table's genes becomes a 0/1 feature
# (is the gene a member?) and the models are refitted with them. If a pathway carries predictive weight,
# membership tells the model something the statistics alone do not. The importance of a pathway is the
# drop in test R² when its membership column is shuffled; values near 0 mean it adds nothing the table's
# own columns do not already carry. (Refitting with dozens of extra columns takes about a minute on a
# full table.)

# %%
pathway_variant = None
if params["pathway_features"]:
    with timings.step("pathway features"):
        membership = pathways.pathway_membership(table, gene_set_collection)
        if membership.shape[1]:
            pathway_variant = compare_feature_variant(
                table, membership, target=target_column, label="pathways", test_size=params["test_size"],
                seed=params["seed"], max_rows=params["max_rows"], cv_folds=params["cv_folds"])
    if pathway_variant is None:
        display(report.markdown(
            "No gene set has {n} or more of this table's genes, so there are no pathway features. {match}",
            n=pathways.PATHWAY_MIN_GENES, match=enrichment.match.sentence()))
    else:
        display(report.markdown(
            "{n} gene sets became features (sets with at least {min} of the table's genes, at most {max}).",
            n=membership.shape[1], min=pathways.PATHWAY_MIN_GENES, max=pathways.PATHWAY_MAX_SETS))
        display(report.html_table(pathway_variant.table()))
else:
    display(report.markdown("Not run: set `pathway_features: true` to add gene-set membership as features."))

# %%
if pathway_variant is not None:
    plots.plot_pathway_importances(
        pathway_variant.importances,
        title=f"Pathway features: drop in test R² when shuffled ({pathway_variant.extended.best_name})",
    );

# %%
if pathway_variant is not None:
    display(report.html_table(pathway_variant.importances.head(params["top_n"])))

# %% [markdown]
# ## Another study as reference
#
# With `reference_table: PATH`, a second DE table is joined by gene symbol and its log fold change and
# statistic become features: how much of this study's change does the other study explain? Both fits
# use the same genes (those the reference covers) and the same split.

# %%
reference_join = reference_variant = None
if params["reference_table"]:
    with timings.step("reference table"):
        reference = degtools.read_de_table(params["reference_table"])
        if params["id_map"]:
            reference = genes.apply_id_map(reference, genes.read_id_map(params["id_map"]))
        reference_join = join_reference(table, reference)
        reference_variant = compare_feature_variant(
            table, reference_join.features, target=target_column, label="reference",
            rows=reference_join.matched_ids,
            test_size=params["test_size"], seed=params["seed"], max_rows=params["max_rows"],
            cv_folds=params["cv_folds"], alone=True)
    display(report.markdown("**Reference:** `{name}` ({tool})", name=reference.path.name,
                            tool=reference.tool))
    display(report.html_table(reference_join.summary()))
    display(report.html_table(reference_variant.table()))
else:
    display(report.markdown("Not run: set `reference_table` to a second DE table to use it as features."))

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
results["enrichment"] = enrichment.to_json()
if pathway_variant is not None:
    results["pathway_features"] = pathway_variant.to_json()
if reference_join is not None:
    results["reference"] = {**reference_join.to_json(), "models": reference_variant.to_json()}
report.write_results(results, params["results_json"])
report.html_table(pd.concat([report.methods_table(results),
                             pd.DataFrame(enrichment.methods_rows(), columns=["item", "value"])],
                            ignore_index=True))
