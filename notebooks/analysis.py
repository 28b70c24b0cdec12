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
padj_threshold: float = 0.05  # adjusted p-value below which a gene counts as up or down
lfc_threshold: float = 1.0  # smallest absolute log2 fold change of an up or down gene
gene_sets: str = ""  # GMT file of gene sets; empty: the bundled MSigDB Hallmark sets
gsea_permutations: int = 1000  # gene-set permutations of the preranked GSEA
pathway_features: bool = False  # also fit models with gene-set membership as features
reference_table: str = ""  # second DE table joined by gene symbol as features; empty: none
id_map: str = ""  # two-column ID to symbol file for tables without symbols; empty: none

# %%
# Check every parameter (papermill only warns on a misspelt name), read the table, find the target.
import pandas as pd

import degtools
from degtools import enrich, genes, interpret, plots, report

params = degtools.check_notebook_parameters(globals())
timings = report.Timings()
with timings.step("read"):
    table = degtools.read_de_table(params["input_table"])
    if params["id_map"]:
        table = genes.apply_id_map(table, genes.read_id_map(params["id_map"]))
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
    gene_set_collection = enrich.read_gmt(params["gene_sets"])
    enrichment = enrich.run_enrichment(
        table, gene_set_collection, padj_threshold=params["padj_threshold"],
        lfc_threshold=params["lfc_threshold"], permutations=params["gsea_permutations"], seed=params["seed"],
    )
report.markdown(
    "**Gene sets:** `{name}` ({count} sets). {match}\n\n{attribution}",
    name=gene_set_collection.name, count=f"{len(gene_set_collection.sets):,}",
    match=enrichment.match.sentence(), attribution=gene_set_collection.attribution if enrichment.ran else "",
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
        membership = enrich.pathway_membership(table, gene_set_collection)
        if membership.shape[1]:
            pathway_variant = interpret.compare_feature_variant(
                table, membership, target=target_column, label="pathways", test_size=params["test_size"],
                seed=params["seed"], max_rows=params["max_rows"], cv_folds=params["cv_folds"])
    if pathway_variant is None:
        display(report.markdown(
            "No gene set has {n} or more of this table's genes, so there are no pathway features. {match}",
            n=enrich.PATHWAY_MIN_GENES, match=enrichment.match.sentence()))
    else:
        display(report.markdown(
            "{n} gene sets became features (sets with at least {min} of the table's genes, at most {max}).",
            n=membership.shape[1], min=enrich.PATHWAY_MIN_GENES, max=enrich.PATHWAY_MAX_SETS))
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
        reference_join = interpret.join_reference(table, reference)
        reference_variant = interpret.compare_feature_variant(
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
                               timings=timings)
results["enrichment"] = enrichment.to_json()
if pathway_variant is not None:
    results["pathway_features"] = pathway_variant.to_json()
if reference_join is not None:
    results["reference"] = {**reference_join.to_json(), "models": reference_variant.to_json()}
report.write_results(results, params["results_json"])
report.html_table(pd.concat([report.methods_table(results),
                             pd.DataFrame(enrichment.methods_rows(), columns=["item", "value"])],
                            ignore_index=True))
