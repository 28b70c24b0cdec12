"""Text on and about figures: gene labels placed without overlap, and alt text for the report.

**Labels.** :func:`place_labels` is a small greedy label repel for scatter plots (volcano, MA).

**Alt text:** what a figure shows, in words, carried into the report's ``<img alt>``. A figure
drawn by :mod:`degtools.plots` gets a sentence (what kind of plot it is) followed by what its axes
say (titles, axis labels and scales, legend entries). The text is kept as the figure's
``degtools_alt`` attribute, and displaying the figure in IPython (``display(figure)`` or the end of a
notebook cell) adds it to the PNG output's metadata, ``{"image/png": {"alt": text}}``, which the
report template writes as the image's ``alt`` attribute. It survives papermill and nbconvert
because it travels inside the notebook, not beside it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox

#: the attribute holding a figure's alt text.
ALT_ATTRIBUTE = "degtools_alt"
#: at most this many panels are described one by one; more are named by their titles only.
DETAILED_PANELS = 3


def _axis_label(ax: Axes, axis: str) -> str:
    label = (ax.get_xlabel() if axis == "x" else ax.get_ylabel()).strip()
    scale = ax.get_xscale() if axis == "x" else ax.get_yscale()
    if label and scale == "log" and "log scale" not in label:
        label += " (log scale)"
    return label


def _describe_axes(ax: Axes) -> str:
    """One axes as words: its title, axis labels and legend entries (colour bars: their label)."""
    if hasattr(ax, "_colorbar"):  # a colour bar's axes: its label says what the colour encodes
        label = _axis_label(ax, "y") or _axis_label(ax, "x")
        return f"colour: {label}" if label else ""
    parts = []
    if ax.get_title():
        parts.append(ax.get_title())
    for axis in ("x", "y"):
        label = _axis_label(ax, axis)
        if label:
            parts.append(f"{axis} axis: {label}")
    for legend in (ax.get_legend(),):
        if legend is not None:
            entries = [text.get_text() for text in legend.get_texts() if text.get_text()]
            title = legend.get_title().get_text()
            if entries:
                parts.append(f"legend{' (' + title + ')' if title else ''}: {', '.join(entries)}")
    return "; ".join(parts)


def describe_figure(fig: Figure) -> str:
    """What the figure's axes say, in one line (titles, axis labels, scales, legends, colour bars)."""
    panels = [ax for ax in fig.axes if ax.get_visible()]
    plots = [ax for ax in panels if not hasattr(ax, "_colorbar")]
    parts = []
    if fig._suptitle is not None and fig._suptitle.get_text():
        parts.append(fig._suptitle.get_text())
    if len(plots) > DETAILED_PANELS:
        titles = [ax.get_title() for ax in plots if ax.get_title()]
        parts.append(f"{len(plots)} panels" + (f": {', '.join(titles)}" if titles else ""))
        parts += [_describe_axes(ax) for ax in panels if hasattr(ax, "_colorbar")]
    else:
        parts += [_describe_axes(ax) for ax in panels]
    for legend in fig.legends:
        entries = [text.get_text() for text in legend.get_texts() if text.get_text()]
        title = legend.get_title().get_text()
        if entries:
            parts.append(f"legend{' (' + title + ')' if title else ''}: {', '.join(entries)}")
    return ". ".join(part for part in parts if part)


def set_alt_text(fig: Figure, summary: str) -> Figure:
    """Give ``fig`` the alt text ``summary`` + :func:`describe_figure`; shown figures carry it as PNG metadata."""
    details = describe_figure(fig)
    text = f"{summary.rstrip('.')}. {details}" if details else summary
    setattr(fig, ALT_ATTRIBUTE, text)
    # IPython asks an object for _repr_mimebundle_ before its other formatters: metadata only, so the PNG itself
    # still comes from the inline backend's formatter and only gains {"alt": text}.
    fig._repr_mimebundle_ = functools.partial(_alt_metadata, text)
    return fig


def _alt_metadata(text: str, include: Any = None, exclude: Any = None) -> tuple[dict, dict]:
    return {}, {"image/png": {"alt": text}}


def with_alt_text(summary: str) -> Callable:
    """Decorator for a plot function returning a Figure: the figure gets alt text starting with ``summary``."""

    def decorate(function: Callable[..., Figure]) -> Callable[..., Figure]:
        @functools.wraps(function)
        def draw(*args: Any, **kwargs: Any) -> Figure:
            return set_alt_text(function(*args, **kwargs), summary)

        return draw

    return decorate


# --- Gene labels ---------------------------------------------------------------------------------------

def plain_text(text: str, *, limit: int = 60) -> str:
    """A label matplotlib draws literally (``$`` would start mathtext), shortened to ``limit`` characters."""
    text = str(text)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text.replace("$", r"\$")


def _overlaps(box, boxes) -> bool:
    return any(box.overlaps(other) for other in boxes)


def place_labels(ax: Axes, x: np.ndarray, y: np.ndarray, labels: list[str], *, fontsize: float = 7) -> list:
    """Label points without overlapping labels (a small greedy label repel).

    Each label, in the order given (most important first), is tried at growing distances and
    eight directions from its point; the first position whose box overlaps no earlier label, no
    labelled point and stays inside the axes wins, drawn with a thin leader line. A label that
    finds no free place is left out rather than drawn over another.

    Returns
    -------
    list
        The ``Annotation`` artists drawn.
    """
    figure = ax.figure
    renderer = figure.canvas.get_renderer()
    to_display = ax.transData.transform
    axes_box = ax.get_window_extent(renderer)
    points = [to_display((float(px), float(py))) for px, py in zip(x, y, strict=True)]
    # a small box around every labelled point, so labels do not hide the points they name
    taken = [Bbox.from_extents(px - 3, py - 3, px + 3, py + 3) for px, py in points]
    drawn = []
    directions = [(1, 1), (-1, 1), (1, -1), (-1, -1), (0, 1), (0, -1), (1, 0), (-1, 0)]
    for xv, yv, label in zip(x, y, labels, strict=True):
        placed = None
        for distance in (6, 12, 20, 30, 44, 60):
            for dx, dy in directions:
                norm = math.hypot(dx, dy)
                offset = (distance * dx / norm, distance * dy / norm)
                annotation = ax.annotate(
                    plain_text(label, limit=30), (float(xv), float(yv)), xytext=offset,
                    textcoords="offset points",
                    fontsize=fontsize, ha="left" if dx > 0 else ("right" if dx < 0 else "center"),
                    va="bottom" if dy > 0 else ("top" if dy < 0 else "center"),
                    arrowprops={"arrowstyle": "-", "color": "#555555", "linewidth": 0.5, "shrinkA": 0,
                                "shrinkB": 2},
                )
                annotation.set_in_layout(False)
                annotation.update_positions(renderer)
                # the text's own box (the annotation's box would include the leader line)
                box = Text.get_window_extent(annotation, renderer).expanded(1.05, 1.1)
                inside = (box.x0 >= axes_box.x0 and box.x1 <= axes_box.x1 and box.y0 >= axes_box.y0
                          and box.y1 <= axes_box.y1)
                if inside and not _overlaps(box, taken):
                    placed = (annotation, box)
                    break
                annotation.remove()
            if placed:
                break
        if placed:
            drawn.append(placed[0])
            taken.append(placed[1])
    return drawn
