"""What the notebook shows: escaped HTML tables, escaped markdown, and one ``show_*`` helper per output.

Every value substituted into markdown (column headers, file names, notes that quote the user's
table) is escaped for markdown and HTML alike, so that it reads as the text it is: a header
``[x](javascript:...)`` stays those characters, never a link. The ``show_*`` helpers display
their output where they are called (they return None, except that the volcano and MA helpers
return their Figure); the analysis itself stays in the stage modules.
"""

from __future__ import annotations

import html
import math
import re
import string
from collections.abc import Iterable
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML, Markdown, display

from degtools import plots
from degtools.headline import cv_interval, model_label
from degtools.interpret import regulated_genes_table
from degtools.models import LARGE_TABLE_STRATEGY
from degtools.pathways import PATHWAY_MAX_SETS, PATHWAY_MIN_GENES
from degtools.results import evidence_json, methods_table
from degtools.steps import RECORD

#: characters written as HTML entities (markdown renders entities as the character itself).
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"}
#: ASCII punctuation: any of it may start markdown syntax, and a backslash makes each one literal.
_PUNCTUATION = re.compile(r"[!-/:-@\[-`{-~]")


def escape_markdown(value: Any) -> str:
    """``value`` as markdown text that renders as exactly its characters (on one line, without outer spaces)."""
    text = " ".join(str(value).splitlines()).strip()
    return _PUNCTUATION.sub(lambda match: _ENTITIES.get(match[0], "\\" + match[0]), text)


def code_span(value: Any) -> str:
    """``value`` as a markdown code span (its characters verbatim, whatever backticks it holds)."""
    text = " ".join(str(value).splitlines())
    if not text:
        return ""
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text[0] in "` " or text[-1] in "` " else ""
    return f"{fence}{pad}{text}{pad}{fence}"


class _MarkdownFormatter(string.Formatter):
    """``str.format`` whose fields are escaped; spec ``code`` makes a code span, ``codes`` a list of them."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec == "code":
            return code_span(value)
        if format_spec == "codes":
            return ", ".join(code_span(item) for item in value)
        return escape_markdown(format(value, format_spec))


_FORMATTER = _MarkdownFormatter()


def _as_markdown(source: str) -> Markdown:
    """An IPython Markdown object holding ``source`` (given as data, a text starting "http" is fetched as a URL)."""
    shown = Markdown("")
    shown.data = source
    return shown


def markdown(text: str, **values: Any) -> Markdown:
    """Markdown for the report: ``text`` is a template, every substituted value is escaped.

    ``{name}`` inserts a value as plain text (``{rows:,}``: with a format spec), ``{name:code}``
    as a code span, ``{names:codes}`` a comma-separated list of code spans.
    """
    return _as_markdown(_FORMATTER.format(text, **values))


def _bullets(notes: Iterable[str]) -> str:
    return "\n".join(f"- {escape_markdown(note)}" for note in notes)


def html_table(frame: pd.DataFrame, *, digits: int = 3, index: bool = False) -> HTML:
    """An escaped HTML table for the report (every string in the data is escaped)."""

    def fmt(value: float) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return ""
        magnitude = abs(value)
        if magnitude != 0 and (magnitude < 10 ** -digits or magnitude >= 10**6):
            return f"{value:.{digits - 1}e}"
        return f"{value:.{digits}f}"

    markup = frame.to_html(index=index, escape=True, float_format=fmt, na_rep="", classes="degtools-table",
                           border=0)
    return HTML(markup)


def show_figure(figure) -> None:
    """Show a figure at this point of the output (with its alt text), then close it so it is not shown twice."""
    display(figure)
    plt.close(figure)


def show_notes(notes: Iterable[str]) -> None:
    """Notes (of the leakage audit, the ranking comparison, ...) as a bulleted list."""
    display(_as_markdown(_bullets(notes)))


def show_source(table, target: str, *, seed: int) -> None:
    """The input file, the detected tool, the rows, the checksum, the target and the seed."""
    display(markdown(
        "**Source file:** {name:code} · **detected tool:** {tool} · **rows:** {rows:,} · "
        "**sha256:** {sha:code}\n\n**Target:** {target:code} · **seed:** {seed}",
        name=table.path.name, tool=table.tool, rows=len(table.data), sha=table.sha256[:16] + "…",
        target=table.display_name(target), seed=seed,
    ))


def show_checks(table) -> None:
    """The reader's sanity-check warnings, or that there were none."""
    if not table.warnings:
        display(_as_markdown("**Sanity checks:** no warning."))
        return
    display(_as_markdown("**Sanity-check warnings** (the table was read; check these before trusting it):\n\n"
                     + _bullets(f"⚠ {warning}" for warning in table.warnings)))


def show_design(design, explanation: str, *, test_size: float, seed: int) -> None:
    """The target, the candidate features, the split, and what the target means."""
    display(markdown(
        "**Target:** {target:code} · **candidate features:** {features:codes} · **train / test:** {train:,} / "
        "{test:,} rows ({pct}% held out, seed {seed}; split {split})\n\n**What the target means.** {explanation}",
        target=design.target_label, features=design.feature_labels.values(), train=len(design.X_train),
        test=len(design.X_test), pct=round(100 * test_size), seed=seed, split=design.split_kind,
        explanation=explanation,
    ))


def show_models(names: Iterable[str], *, tuning: str) -> None:
    """How hard the models' settings are searched, how many models, and how large tables are handled."""
    display(markdown("**Tuning:** {tuning} · **models:** {count}\n\n**Large tables.** {strategy}",
                     tuning=tuning, count=len(list(names)), strategy=LARGE_TABLE_STRATEGY))


def show_main_leaderboard(leaderboards) -> None:
    """Which leaderboard the report follows, whether a batch reused it, and the leaderboards' notes."""
    head = _FORMATTER.format("**Main leaderboard:** {main} features ({features})", main=leaderboards.main,
                             features=", ".join(leaderboards.comparison.features))
    if RECORD.was_reused("models"):
        head += " · computed for an identical report earlier in this batch and reused here"
    display(_as_markdown("\n".join([head, _bullets(leaderboards.notes)]) if leaderboards.notes else head))


def show_leaderboards(leaderboards) -> None:
    """Every leaderboard: its features and tuning, then its table."""
    for name, board in leaderboards.boards.items():
        if board is None:
            display(markdown("**{name} features:** none left, no leaderboard.", name=name))
            continue
        display(markdown("**{name} features:** {features} · tuning: {tuning}", name=name,
                         features=", ".join(board.features), tuning=board.tuning))
        display(html_table(board.display_table()))


def show_ranking(ranking) -> None:
    """The regression-or-classification comparison: notes, table and figure (or why there is none)."""
    if ranking is None:
        display(markdown("No comparison: the table has no adjusted p-value, or one class is missing."))
        return
    show_notes(ranking.notes)
    display(html_table(ranking.table))
    show_figure(plots.plot_ranking_comparison(ranking))


def show_best_model(comparison) -> None:
    """The top model by CV, its CV R² (95% t-interval over folds) and its test R² with the bootstrap interval.

    It is called the best model only when it beats the dummy baseline; otherwise it is the model with the
    highest CV R², which does not beat the baseline.
    """
    best = comparison.best
    mean, low, high = cv_interval(best)
    display(markdown(
        "**{label}:** {name} on {features} — CV R² {cv:.3f} (95% CI {cv_low:.3f} to {cv_high:.3f}; sd over folds "
        "{sd:.3f}); on the test set R² {test:.3f} (95% bootstrap interval {low:.3f} to {high:.3f}).",
        label=model_label(comparison)[:1].upper() + model_label(comparison)[1:], name=best.name,
        features=", ".join(comparison.features), cv=mean, cv_low=low, cv_high=high,
        sd=best.cv_summary()["r2_sd"], test=best.test["r2"], low=best.test_intervals["r2"][0],
        high=best.test_intervals["r2"][1],
    ))


def show_impurity(impurity: pd.DataFrame) -> None:
    """The impurity importances of the tree ensembles, if any was fitted."""
    display(html_table(impurity, index=True) if not impurity.empty else markdown("No tree ensemble was fitted."))


def show_volcano(table, *, padj_threshold: float = 0.05, lfc_threshold: float = 1.0):
    """The volcano plot (:func:`degtools.plots.plot_volcano`), or why the table cannot have one."""
    if "logFC" in table.data and "pvalue" in table.data:
        return plots.plot_volcano(table, padj_threshold=padj_threshold, lfc_threshold=lfc_threshold)
    display(markdown("No volcano plot: the table needs a log fold change and a p-value column."))
    return None


def show_ma(table, *, padj_threshold: float = 0.05, lfc_threshold: float = 1.0):
    """The MA plot (:func:`degtools.plots.plot_ma`), or why the table cannot have one."""
    if "mean_expr" in table.data and "logFC" in table.data:
        return plots.plot_ma(table, padj_threshold=padj_threshold, lfc_threshold=lfc_threshold)
    display(markdown(
        "No MA plot: {name:code} has no mean-expression column (AveExpr, baseMean or logCPM). GEO2R writes "
        "AveExpr only when it is asked for all columns.", name=table.path.name))
    return None


def show_regulated_genes(table, best, design, *, target: str, n: int, direction: str) -> None:
    """The ``n`` most up- (or down-) regulated genes with the best model's predictions."""
    fold_change = "logFC" if "logFC" in table.data else target
    extreme = "largest" if direction == "up" else "smallest"
    display(markdown(f"**Top {direction}-regulated genes** ({extreme} {{col:code}})",
                     col=table.display_name(fold_change)))
    display(html_table(regulated_genes_table(table, best, design, n=n, direction=direction)))


def show_gene_sets(enrichment) -> None:
    """The gene-set collection, how many of the table's genes it matched, and its attribution."""
    gene_sets = enrichment.gene_sets
    reused = (" Computed once for this table in the batch and reused here (same table, gene sets and settings)."
              if RECORD.was_reused("gene sets") else "")
    display(markdown("**Gene sets:** {name:code} ({count:,} sets). {match}" + reused + "\n\n{attribution}",
                     name=gene_sets.name, count=len(gene_sets.sets), match=enrichment.match.sentence(),
                     attribution=gene_sets.attribution if enrichment.ran else ""))


def show_gsea(enrichment, *, n: int = 20) -> None:
    """The preranked GSEA: what was ranked, the best ``n`` sets, and their dot plot (when it ran)."""
    if not enrichment.ran:
        return
    display(markdown("**Preranked GSEA** on {ranking}: the sets with the smallest p-values. NES > 0: the set's "
                     "genes tend to go up; < 0: down.", ranking=enrichment.ranking))
    display(html_table(enrichment.gsea_table(n=n)))
    show_figure(plots.plot_enrichment_dots(enrichment.gsea, n=n, title=f"GSEA, {enrichment.gene_sets.name}",
                                           fdr_floor=enrichment.fdr_floor))


def show_ora(enrichment, *, n: int = 10, plotted: int = 20) -> None:
    """The over-representation tests: list sizes, the best ``n`` sets per direction, the dot plot (when run)."""
    if not enrichment.ran:
        return
    display(markdown(
        "**Over-representation** among {up} up- and {down} down-regulated genes (adjusted p < {padj}, "
        "|logFC| ≥ {lfc}); background: {background:,} {rule}.",
        up=enrichment.list_sizes["up"], down=enrichment.list_sizes["down"], padj=enrichment.padj_threshold,
        lfc=enrichment.lfc_threshold, background=enrichment.background["genes"], rule=enrichment.background["rule"]))
    display(html_table(enrichment.ora_table(n=n)))
    if not enrichment.ora_best().empty:
        show_figure(plots.plot_enrichment_dots(enrichment.ora_best(n=plotted),
                                               title=f"Over-representation, {enrichment.gene_sets.name}"))


def show_pathway_features(variant, enrichment, *, requested: bool) -> None:
    """The models refitted with gene-set membership as features, or why there are none."""
    if not requested:
        display(markdown("Not run: set `pathway_features: true` to add gene-set membership as features."))
    elif variant is None:
        display(markdown("No gene set has {n} or more of this table's genes, so there are no pathway features. "
                         "{match}", n=PATHWAY_MIN_GENES, match=enrichment.match.sentence()))
    else:
        display(markdown("{n} gene sets became features (sets with at least {min} of the table's genes, at most "
                         "{max}).", n=len(variant.extra_features), min=PATHWAY_MIN_GENES, max=PATHWAY_MAX_SETS))
        display(html_table(variant.table()))


def show_pathway_importances(variant, *, n: int) -> None:
    """The drop in test R² when each pathway feature is shuffled: figure, then the top ``n`` as a table."""
    if variant is None:
        return
    show_figure(plots.plot_pathway_importances(  # the figure first, then the table
        variant.importances,
        title=f"Pathway features: drop in test R² when shuffled ({variant.extended.best_name})"))
    display(html_table(variant.importances.head(n)))


def show_reference(reference, join, variant) -> None:
    """The reference study, its overlap with this table and the models with its features (or: not run)."""
    if reference is None:
        display(markdown("Not run: set `reference_table` to a second DE table to use it as features."))
        return
    display(markdown("**Reference:** {name:code} ({tool})", name=reference.path.name, tool=reference.tool))
    display(html_table(join.summary()))
    display(html_table(variant.table()))


def show_methods(results: dict[str, Any], enrichment) -> None:
    """Parameters, input, split, versions, timings and the gene-set methods as one two-column table."""
    display(html_table(pd.concat([methods_table(results),
                                  pd.DataFrame(enrichment.methods_rows(), columns=["item", "value"])],
                                 ignore_index=True)))


#: the display id of the headline box: reserved at the top of the report, filled once the analysis has run.
HEADLINE_DISPLAY_ID = "degtools-headline"
#: a minimal inline frame, so the box stands out whatever the template's CSS (class ``degtools-headline``).
_HEADLINE_STYLE = "border: 2px solid #3b6ea5; border-radius: 4px; padding: 0.4em 1em; margin: 1em 0"


def headline_html(headline) -> str:
    """The headline as a boxed block: ``<div class="degtools-headline">``, every text escaped."""
    items = "".join(f"<li>{html.escape(sentence)}</li>" for sentence in headline.sentences)
    return (f'<div class="degtools-headline" role="note" style="{_HEADLINE_STYLE}">'
            f'<p class="degtools-headline-title"><strong>{html.escape(headline.title)}</strong></p>'
            f"<ul>{items}</ul></div>")


def reserve_headline() -> None:
    """The place of the headline box at the top of the report; :func:`show_headline` fills it in later."""
    display(HTML(f'<div class="degtools-headline" role="note" style="{_HEADLINE_STYLE}">'
                 "<p>The headline appears here once the analysis below has run.</p></div>"),
            display_id=HEADLINE_DISPLAY_ID)


def show_headline(headline, *, update: bool = False) -> None:
    """The headline box; ``update=True`` fills the box :func:`reserve_headline` placed at the top instead."""
    if update:
        display(HTML(headline_html(headline)), display_id=HEADLINE_DISPLAY_ID, update=True)
    else:
        display(HTML(headline_html(headline)))


def show_evidence(evidence, contributions) -> None:
    """What is known about the genes independently of the table: the sources joined, what each adds."""
    fields = evidence_json(evidence, contributions)
    if not fields["sources"]:
        display(markdown("No evidence source was joined: set `gene_features`, `reference_table` or `gene_sets` "
                         "to add what is known about the genes independently of this table."))
    else:
        display(html_table(pd.DataFrame(
            [{"source": source["name"], "kind": source["kind"], "columns": len(source["columns"]),
              "rows matched": source["matched_rows"], "file": source["file"] or ""}
             for source in fields["sources"]])))
    if fields["notes"]:
        show_notes(fields["notes"])
    if contributions is None or contributions.table.empty:
        display(markdown("No column is independent of the target, so there is nothing to compare."))
    else:
        level = f"{contributions.confidence:.0%}"
        frame = contributions.table.rename(columns={
            "r2_all": "CV R² with all", "r2_without": "CV R² without it", "drop_mean": "drop",
            "drop_low": f"drop, {level} low", "drop_high": f"drop, {level} high"})
        display(html_table(frame.drop(columns=["drop_sd"], errors="ignore")))
        show_figure(plots.plot_source_contributions(contributions.table))
    if fields["attributions"]:
        display(markdown("**Bundled data:** {line}", line=" ".join(fields["attributions"])))


# --- The interactive gene table (itables, offline) ---------------------------------------------------
