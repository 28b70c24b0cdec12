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
# [What is known independently](#What-is-known-independently) ·
# [Models](#Models) ·
# [Evaluation](#Evaluation) ·
# [Top model](#Top-model) ·
# [Feature contributions](#Feature-contributions) ·
# [Differential expression at a glance](#Differential-expression-at-a-glance) ·
# [Top genes and the model](#Top-genes-and-the-model) ·
# [Study-specific and generic genes](#Study-specific-and-generic-genes) ·
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
reference_table: str = ""  # other DE tables (comma-separated) joined by gene symbol as evidence features; empty: none
gene_features: str = ""  # per-gene covariate files (comma-separated; bundled: sophie, biotype); empty: sophie for the demo
contrast: str = ""  # a file with several contrasts: the one to analyse (the others become features)
evidence_pathways: bool = False  # gene-set membership (at most 10 sets) and annotation depth join the evidence features

# %%
# Check every parameter (papermill only warns on a misspelt name), read the table, find the target.
# %matplotlib inline
import degtools
from degtools import plots

params = degtools.check_notebook_parameters(globals())
table = degtools.read_input_table(params)
# What is known about the genes independently of this table (gene features, other studies, gene sets).
evidence = degtools.gather_evidence(table, params)
# The table the models see holds those columns and derived ones (|logFC|, -log10 P, ...), usable as targets.
model_table = degtools.add_derived_columns(degtools.with_evidence(table, evidence))
target_column = degtools.resolve_target(model_table, params["target"])

# %%
# The answer first: this box is filled in once the analysis below has run (see the end of the report).
degtools.reserve_headline()

# %% [markdown]
# ## Data overview
#
# What the table is, what each column means, and how its numbers are distributed.

# %%
degtools.show_source(table, target_column, seed=params["seed"])

# %% [markdown]
# **What the reader detected:** the tool that wrote the table, the file's shape, the ID, symbol and
# title columns, how many rows were read and are usable (fold change, statistic and p-value present),
# and any sanity-check warning (un-logged fold changes, p-values out of range, ...).

# %%
degtools.html_table(table.detection_table())

# %%
degtools.show_checks(table)

# %%
degtools.html_table(table.describe_columns())

# %%
degtools.html_table(degtools.describe_numeric(table), index=True)

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
prepared = degtools.prepare_design(
    model_table, target=target_column, test_size=params["test_size"], seed=params["seed"],
    max_rows=params["max_rows"], derived_features=params["derived_features"],
)
target_explanation = degtools.explain_target(model_table, prepared.target)
degtools.show_design(prepared, target_explanation, test_size=params["test_size"], seed=params["seed"])

# %%
degtools.html_table(prepared.summary)

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
audit = degtools.audit_leakage(degtools.design_rows(model_table, prepared), target=prepared.target,
                               features=prepared.features, seed=params["seed"], evidence=evidence.outside_columns())
degtools.show_notes(audit.notes)

# %%
degtools.html_table(audit.table())

# %% [markdown]
# ## What is known independently
#
# The honest question to ask of a DE table is not how well its columns rebuild each other, but how much
# of this study's change is explained by what is known about the genes **independently** of it: per-gene
# covariates (`gene_features`; for the demo table the bundled SOPHIE generic-gene summary, which says how
# often a gene changes in many unrelated experiments), other studies (`reference_table`), gene-set
# membership and how well studied a gene is (annotation depth: in how many of the gene sets it is). These
# columns are joined to the table gene by gene, go through the leakage audit above as outside evidence, and
# the main leaderboard below uses them with the table's own independent columns. Other contrasts of the same
# file (`contrast`) stay table columns: the audit flags them, as contrasts of one model fit share its test.
#
# Below, each source and how it was joined, then what each source adds: the cross-validated R² of one fast
# model (histogram gradient boosting, the leaderboards' folds) with every independent column, and without
# the source's columns; the drop, with its 95% interval over folds, is what only that source knows.

# %%
contributions = degtools.evidence_contributions(prepared, audit, evidence, cv_folds=params["cv_folds"],
                                                seed=params["seed"])
degtools.show_evidence(evidence, contributions)

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
model_names = degtools.resolve_models(params["models"])
degtools.show_models(model_names, tuning=params["tuning"])

# %%
degtools.html_table(degtools.describe_models(model_names))

# %% [markdown]
# ## Evaluation
#
# Every model is scored by k-fold cross-validation on the training part (the same folds for every
# model), reported as mean ± sd over folds. The model with the highest mean CV R² is called the best model
# only if it beats the dummy baseline (corrected resampled t-test); otherwise no model is.
# **Same as best?** applies the corrected resampled t-test (Nadeau & Bengio 2003) to the paired fold
# R²: "yes" means the data cannot tell the model apart from the best (p ≥ 0.05). **Gain over dummy** is
# the CV R² above the baseline's. The test columns come from one fit on the whole training part,
# evaluated once on the held-out genes, with 95% bootstrap intervals over test genes: they confirm the
# CV estimate, they are not used to choose.
#
# With `features: independent` there are two leaderboards: one on the features the audit calls
# independent (the honest one) and one on all features. The difference is the R² the leakage buys.

# %%
# In a batch, a report with the same data and model settings (e.g. another reference table) reuses these.
feature_choice = degtools.choose_features(model_table, params["features"], target=prepared.target)
leaderboards = degtools.compare_feature_sets(
    prepared, audit, features=feature_choice, models=model_names, cv_folds=params["cv_folds"], seed=params["seed"],
    tuning=params["tuning"], n_jobs=params["n_jobs"],
)
# The rest of the report follows the main leaderboard.
comparison, design = leaderboards.comparison, leaderboards.design
degtools.show_main_leaderboard(leaderboards)

# %%
degtools.show_leaderboards(leaderboards)

# %%
plots.plot_leaderboards(leaderboards);

# %%
plots.plot_model_comparison(comparison);

# %% [markdown]
# ### Regression or classification?
#
# The question this tool grew from: is it better to predict the size of the change (regression) or only
# whether a gene is significant (classification)? A regressor learns |logFC| itself, a classifier "adjusted
# p-value below the threshold", both from the main leaderboard's features, both at default settings, on the
# same seeded train/test splits (repeated). Each ranks the held-out genes: the regression by its predicted
# |logFC|, the classifier by its probability. **Spearman with |logFC|** asks whether the ranking follows the
# size of the change; **AUC** whether it puts significant genes first (mean over splits, 95% interval). The
# last row ranks by the observed 0/1 label itself: what a perfect classifier would keep of the size of the
# change.

# %%
ranking = degtools.compare_ranking(design, model_table, padj_threshold=params["padj_threshold"], seed=params["seed"])
degtools.show_ranking(ranking)

# %% [markdown]
# ## Top model
#
# The model with the highest mean cross-validated R² in the main leaderboard (the dummy baseline excluded);
# it is called the best model only if it beats the baseline. Below, its predictions on the test genes
# against what was observed, and the residuals.

# %%
best = comparison.best
test_predictions = degtools.predictions(best, design)
degtools.show_best_model(comparison)

# %%
plots.plot_predicted_vs_observed(test_predictions, label=design.target_label);

# %%
plots.plot_residuals(test_predictions, label=design.target_label);

# %% [markdown]
# ## Feature contributions
#
# **Permutation importance** (test set, top model): how much R² drops when one feature's values are
# shuffled among genes. **Impurity importance** (tree ensembles): how much each feature's splits reduce
# the squared error in training; it is computed on training data and favours features with many
# distinct values, so read it next to the permutation importance. Read both next to the leakage audit:
# a feature that leaks will dominate, because it *is* the target.

# %%
permutation = degtools.permutation_importances(best, design, seed=params["seed"])
impurity = degtools.impurity_importances(comparison, design)
plots.plot_importances(permutation, title=f"Permutation importance, {best.name} (drop in test R²)");

# %%
degtools.html_table(permutation)

# %%
degtools.show_impurity(impurity)

# %% [markdown]
# ## Differential expression at a glance
#
# **Volcano plot:** each dot is a gene, placed by its log fold change (left: lower, right: higher in
# the first group) and by how surprising that change would be if nothing changed (-log10 p-value, higher
# is stronger evidence). **MA plot:** the same changes against the gene's mean expression; changes of
# weakly expressed genes are the least reliable. Genes passing both thresholds are coloured; the
# strongest are labelled.

# %%
degtools.plot_volcano(table, padj_threshold=params["padj_threshold"], lfc_threshold=params["lfc_threshold"]);

# %%
degtools.plot_ma(table, padj_threshold=params["padj_threshold"], lfc_threshold=params["lfc_threshold"]);

# %% [markdown]
# ## Top genes and the model
#
# The genes with the largest increase and decrease, with the top model's prediction of the target
# and its residual (observed − predicted). *held out* says whether the gene was in the test set:
# only then is the prediction a fair, out-of-sample one.

# %%
degtools.show_regulated_genes(table, best, design, target=target_column, n=params["top_n"], direction="up")

# %%
degtools.show_regulated_genes(table, best, design, target=target_column, n=params["top_n"], direction="down")

# %%
degtools.show_gene_table(table, best, design)

# %% [markdown]
# **Residual outliers:** the held-out genes whose target the top model explains worst. For most genes
# the columns of a DE table are tied together (a fold change goes with its statistic and p-value); a
# gene far off that relationship is either a measurement problem (an unannotated or multi-gene probe,
# a poor probe among several for one gene, very low expression) or a gene that behaves unusually.
# Either way it deserves a look before it is trusted or discarded.

# %%
degtools.html_table(degtools.residual_outliers(best, design, table, n=params["top_n"]))

# %% [markdown]
# ## Study-specific and generic genes
#
# Every gene gets an out-of-sample prediction from the top model of the main leaderboard: training genes
# from cross-validation on the leaderboard's own folds, test genes from the fit on the training part.
# **Study-specific genes** change much more than the model's features (gene knowledge, other studies, the
# table's independent columns) predict: at least 2 residual sd, |observed| > |predicted|. They are what
# this study adds, the ones to follow up. **Generic responders** are among the 10% largest changes and
# predicted within 0.5 residual sd: a change the features expect. The study-specific genes are then tested
# for over-representation in the report's gene sets (background: every modelled gene with a name).

# %%
surprising = degtools.find_surprising_genes(comparison, design, table, gene_sets=degtools.read_gmt(params["gene_sets"]),
                                            n=params["top_n"])
degtools.show_surprising_genes(surprising, label=design.target_label, n=params["top_n"])

# %% [markdown]
# ## Gene sets
#
# Do the changed genes share a biological theme? **Over-representation (ORA):** are the members of a
# gene set more frequent among the up- (or down-) regulated genes than among all tested genes with a
# symbol (hypergeometric test, Benjamini-Hochberg FDR)? **Preranked GSEA:** ranking *all* genes by
# their DE statistic, do a set's members gather at the top (NES > 0: up) or at the bottom (NES < 0:
# down)? GSEA needs no threshold, so it also sees many small, coordinated changes.

# %%
gene_set_collection = degtools.read_gmt(params["gene_sets"])
# The same for every target of a table: a batch computes it once per table and reuses it.
enrichment = degtools.run_enrichment(
    table, gene_set_collection, padj_threshold=params["padj_threshold"], lfc_threshold=params["lfc_threshold"],
    permutations=params["gsea_permutations"], seed=params["seed"],
)
degtools.show_gene_sets(enrichment)

# %%
degtools.show_gsea(enrichment)

# %%
degtools.show_ora(enrichment)

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
    pathway_variant = degtools.compare_pathway_features(
        table, gene_set_collection, target=target_column, test_size=params["test_size"], seed=params["seed"],
        max_rows=params["max_rows"], cv_folds=params["cv_folds"],
    )
degtools.show_pathway_features(pathway_variant, enrichment, requested=params["pathway_features"])

# %%
degtools.show_pathway_importances(pathway_variant, n=params["top_n"])

# %% [markdown]
# ## Another study as reference
#
# With `reference_table: PATH`, a second DE table is joined by gene symbol and its log fold change and
# statistic become features: how much of this study's change does the other study explain? Both fits
# use the same genes (those the reference covers) and the same split.

# %%
reference = reference_join = reference_variant = None
if params["reference_table"]:
    reference, reference_join, reference_variant = degtools.compare_reference(
        table, params["reference_table"], id_map=params["id_map"], target=target_column,
        test_size=params["test_size"], seed=params["seed"], max_rows=params["max_rows"], cv_folds=params["cv_folds"],
    )
degtools.show_reference(reference, reference_join, reference_variant)

# %% [markdown]
# ## Methods and reproducibility
#
# Everything needed to reproduce the numbers above: the parameters, the input's checksum, the seed,
# the package versions and the time each step took. The same input, parameters and versions give the
# same numbers.

# %%
# The headline at the top of the report, filled in now that every number is known.
headline = degtools.report_headline(leaderboards, params=params, table=table, enrichment=enrichment,
                                     contributions=contributions)
degtools.show_headline(headline, update=True)

# %%
results = degtools.build_results(
    params=params, table=table, leaderboards=leaderboards, leakage=audit, ranking=ranking,
    target_explanation=target_explanation, enrichment=enrichment, pathway_variant=pathway_variant,
    reference_join=reference_join, reference_variant=reference_variant, headline=headline, surprising=surprising,
    evidence=evidence, contributions=contributions,
)
degtools.write_results(results, params["results_json"])
degtools.show_methods(results, enrichment)
