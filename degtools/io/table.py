"""The DE table as read: canonical columns plus the record of how it was read."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from degtools.io.vocabulary import (
    DESCRIPTIONS,
    IDENTIFIER_COLUMNS,
    STATISTIC_COLUMNS,
    VOCABULARY,
    format_column_map,
    suggest_column_map,
)


@dataclass
class DETable:
    """A DE table with canonical column names and a record of how it was read.

    Attributes
    ----------
    data
        One row per gene or probe; recognised columns carry canonical names, other
        columns keep their original header.
    path
        The file that was read.
    tool
        The tool/format the columns point to, e.g. ``"limma (GEO2R)"``.
    column_map
        Original header -> canonical name, for every column of the file.
    sha256
        Checksum of the file's bytes.
    stat_kind
        ``"t"``, ``"Wald"``, ``"F"``, ``"LR"`` or ``None``: what the ``stat`` column is.
    mean_scale
        ``"log2"`` (AveExpr, logCPM), ``"linear"`` (baseMean) or ``None``.
    notes
        Plain-language remarks made while reading.
    source
        The file's shape: compression, container, sheet, separator, encoding, line endings, header.
    rows_read
        Data rows in the file (before ``cluster`` and ``collapse``).
    rows_usable
        Rows with every key value present (fold change, statistic and p-value, where the
        table has them).
    na_counts
        Original header -> number of missing values.
    duplicates
        ``"gene_id"``/``"symbol"`` -> rows repeating an earlier value; ``"multi_gene_symbols"`` ->
        rows naming several genes (``A /// B``).
    warnings
        Sanity-check findings (un-logged fold changes, p-values out of range, ...).
    extreme_values
        Original header -> values beyond ±1e150 read as missing (their square overflows a float).
    """

    data: pd.DataFrame
    path: Path
    tool: str
    column_map: dict[str, str]
    sha256: str
    stat_kind: str | None = None
    mean_scale: str | None = None
    notes: list[str] = field(default_factory=list)
    source: dict[str, str] = field(default_factory=dict)
    rows_read: int = 0
    rows_usable: int = 0
    na_counts: dict[str, int] = field(default_factory=dict)
    duplicates: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    extreme_values: dict[str, int] = field(default_factory=dict)

    @property
    def original_names(self) -> dict[str, str]:
        """Canonical name -> the header in the user's file."""
        return {canonical: original for original, canonical in self.column_map.items()}

    def display_name(self, column: str) -> str:
        """The user's own header for a canonical column (the column itself if unknown)."""
        return self.original_names.get(column, column)

    @property
    def numeric_columns(self) -> list[str]:
        """Canonical names of the numeric, non-identifier columns."""
        return [
            column
            for column in self.data.columns
            if column not in IDENTIFIER_COLUMNS and pd.api.types.is_numeric_dtype(self.data[column])
        ]

    @property
    def has_symbols(self) -> bool:
        """Whether the table has a gene-symbol column."""
        return "symbol" in self.data.columns

    def _identifier_header(self, canonical: str) -> str | None:
        return self.original_names.get(canonical) if canonical in self.data.columns else None

    def describe_columns(self) -> pd.DataFrame:
        """One row per column: header, canonical name, meaning, type and missing values."""
        rows = []
        for original, canonical in self.column_map.items():
            values = self.data[canonical]
            rows.append(
                {
                    "column": original,
                    "canonical": canonical,
                    "meaning": DESCRIPTIONS.get(canonical, "other column"),
                    "type": "numeric" if pd.api.types.is_numeric_dtype(values) else "text",
                    "missing": int(values.isna().sum()),
                }
            )
        return pd.DataFrame(rows)

    def record(self) -> dict[str, Any]:
        """What the reader detected, as plain JSON-ready values (printed by ``degtools inspect``)."""
        return {
            "file": self.path.name,
            "sha256": self.sha256,
            "source": dict(self.source),
            "tool": self.tool,
            "stat_kind": self.stat_kind,
            "mean_scale": self.mean_scale,
            "columns": dict(self.column_map),
            "id_column": self._identifier_header("gene_id"),
            "symbol_column": self._identifier_header("symbol"),
            "title_column": self._identifier_header("title"),
            "rows_read": int(self.rows_read),
            "rows": len(self.data),
            "rows_usable": int(self.rows_usable),
            "na_counts": {name: int(count) for name, count in self.na_counts.items()},
            "duplicates": {name: int(count) for name, count in self.duplicates.items()},
            "notes": list(self.notes),
            "warnings": list(self.warnings),
        }

    def detection_table(self) -> pd.DataFrame:
        """The record as a two-column table (item, value) for the report's Data section."""
        record = self.record()
        source = record["source"]
        rows = [
            ("file", record["file"]),
            ("file shape", ", ".join(f"{key}: {value}" for key, value in source.items())),
            ("detected tool", record["tool"]),
            ("statistic", record["stat_kind"] or "none"),
            ("mean expression scale", record["mean_scale"] or "unknown"),
            ("ID column", record["id_column"] or "none"),
            ("symbol column", record["symbol_column"] or "none"),
            ("title column", record["title_column"] or "none"),
            ("rows read / in table / usable",
             f"{record['rows_read']:,} / {record['rows']:,} / {record['rows_usable']:,}"),
            ("missing values", ", ".join(f"{k}: {v:,}" for k, v in record["na_counts"].items() if v) or "none"),
            ("duplicates", ", ".join(f"{k}: {v:,}" for k, v in record["duplicates"].items()) or "none"),
        ]
        rows += [("note", note) for note in record["notes"]]
        rows += [("warning", warning) for warning in record["warnings"]]
        return pd.DataFrame(rows, columns=["item", "value"]).astype(str)

    def warnings_markdown(self) -> str:
        """The sanity-check warnings as a markdown list (plain text: escape it before showing as HTML)."""
        if not self.warnings:
            return "**Sanity checks:** no warning."
        return "\n".join(["**Sanity-check warnings** (the table was read; check these before trusting it):", ""]
                         + [f"- ⚠ {warning}" for warning in self.warnings])

    def format_record(self) -> str:
        """The record as plain text: what ``degtools inspect`` prints."""
        record = self.record()
        lines = [f"{key:<31}{value}" for key, value in self.detection_table().itertuples(index=False)
                 if key not in ("note", "warning")]
        lines.append("columns:")
        described = self.describe_columns()
        width = max([len(str(name)) for name in described["column"]] + [6])
        for row in described.itertuples(index=False):
            lines.append(f"  {row.column:<{width}} -> {row.canonical:<10} {row.type:<8} missing {row.missing:,}")
        lines += [f"note: {note}" for note in record["notes"]]
        lines += [f"WARNING: {warning}" for warning in record["warnings"]]
        unknown = self.unrecognised_numeric()
        if unknown:
            lines.append(f"unrecognised numeric columns: {', '.join(unknown)}")
            lines.append(f"  {self.column_map_advice('--column-map')}")
        return "\n".join(lines)

    def unrecognised_numeric(self, *, exclude: tuple[str, ...] = ()) -> list[str]:
        """Headers of the numeric columns no vocabulary recognised (``exclude``: canonical names to leave out)."""
        numeric = set(self.numeric_columns) - set(exclude)
        return [original for original, canonical in self.column_map.items()
                if canonical in numeric and canonical not in VOCABULARY]

    def recognised_statistics(self) -> dict[str, str]:
        """Header -> canonical name of the DE statistic columns that were recognised."""
        return {original: canonical for original, canonical in self.column_map.items()
                if canonical in STATISTIC_COLUMNS and canonical in self.data.columns}

    def column_map_advice(self, option: str, *, exclude: tuple[str, ...] = ()) -> str:
        """One sentence: what was recognised, what was not, and the column_map that names the rest.

        ``option`` is how the user passes a column map where they are (``--column-map``, ``-p column_map``).
        """
        unknown = self.unrecognised_numeric(exclude=exclude)
        known = self.recognised_statistics()
        read = (f"recognised {', '.join(f'{h} as {c}' for h, c in known.items())}" if known
                else "recognised no DE statistic column")
        if not unknown:
            return f"{read}; every numeric column was recognised."
        suggestion = suggest_column_map(unknown, present=self.data.columns)
        if len(suggestion) == 1:
            (header, canonical), = suggestion.items()
            meaning = DESCRIPTIONS.get(canonical, canonical)
            advice = f"name it with {option} '{header}:{canonical}' if {header} is the {meaning}"
        elif suggestion:
            advice = f"name them with {option} '{format_column_map(suggestion)}' if that is what they hold"
        if suggestion:
            rest = [header for header in unknown if header not in suggestion]
            also = f" ({', '.join(rest)}: the same way, if a DE statistic)" if rest else ""
            return f"{read}; not recognised: {', '.join(unknown)}. {advice[0].upper()}{advice[1:]}{also}."
        missing = [name for name in STATISTIC_COLUMNS if name not in self.data.columns]
        return (f"{read}; not recognised: {', '.join(unknown)}. Name a column with {option} "
                f"'{unknown[0]}:NAME', NAME one of {', '.join(missing)}.")
