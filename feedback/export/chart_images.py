"""Bar charts as PNG pictures for the Word report, drawn with matplotlib.

The workbook's charts are native Excel charts and the staff pages' are HTML; a Word document
needs a picture. The rules are the ones the issue asked of every chart:

* **horizontal bars in the table's order**: the first answer of the table is the top bar, so
  chart and table read the same way down the page;
* **every label whole**: labels are wrapped onto several lines, never cut, and the figure grows
  with the number of lines (the plot area makes room for them, not the other way round);
* **the base in the title**: "Base: 189 answered" is part of the picture, so a chart copied
  out of the report still says what it is a percentage of;
* each bar ends with its figure ("68.8% (n = 130)"), so colour and length are never the only cue.

``matplotlib.figure.Figure`` with the Agg canvas, never ``pyplot``: pyplot keeps global state
and is not safe in the background threads that write web reports. Pure: no database, no Flask.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from matplotlib.typing import RcKeyType

BAR_COLOUR = "#1d70b8"  # GOV.UK blue: 5:1 against white
TEXT_COLOUR = "#0b0c0c"
WIDTH_CM = 16.0  # the report's text width (A4 with 2.5 cm margins)
LABEL_CHARS = 34  # wrap answer labels at this many characters
TITLE_CHARS = 80
DPI = 200
_CM = 1 / 2.54


#: Labels are respondents' and evaluators' words, never TeX: with mathtext on, "$10 and $20"
#: loses its dollars ("10and20") and an unpaired "$" or "\\frac" raises and fails the report.
PLAIN_TEXT: dict[RcKeyType, Any] = {"text.parse_math": False, "text.usetex": False}


@dataclass(frozen=True)
class ChartBar:
    """One bar: its label, its length (on the chart's scale) and the figure written after it."""

    label: str
    value: float
    text: str


def wrap(text: str, width: int) -> str:
    """``text`` on lines of at most ``width`` characters (a longer word keeps its own line)."""
    return "\n".join(textwrap.wrap(" ".join(text.split()), width, break_long_words=False)) or " "


def bar_chart_png(
    title: str,
    base: str,
    bars: Sequence[ChartBar],
    *,
    axis_label: str = "% of those who answered",
    maximum: float = 100.0,
) -> bytes:
    """A horizontal bar chart, first bar at the top, as PNG bytes.

    ``base`` ("Base: 189 answered") is added to the title; ``maximum`` is the scale's end (100
    for percentages, so charts in one report compare by eye; the largest count for counts)."""
    with rc_context(PLAIN_TEXT):
        figure = bar_chart_figure(title, base, bars, axis_label=axis_label, maximum=maximum)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def bar_chart_figure(
    title: str,
    base: str,
    bars: Sequence[ChartBar],
    *,
    axis_label: str = "% of those who answered",
    maximum: float = 100.0,
) -> Figure:
    """The chart as a matplotlib figure (what :func:`bar_chart_png` draws; tests read it)."""
    with rc_context(PLAIN_TEXT):
        return _figure(title, base, bars, axis_label, maximum)


def _figure(title: str, base: str, bars: Sequence[ChartBar], axis_label: str, maximum: float) -> Figure:
    labels = [wrap(bar.label, LABEL_CHARS) for bar in bars]
    heading = wrap(title, TITLE_CHARS) + "\n" + base
    # Each bar gets a slot as tall as its label needs, so a six-line label never runs into the
    # next one; bars sit in the middle of their slots.
    slots = [max(1.0, 0.42 * (label.count("\n") + 1) + 0.4) for label in labels]
    positions = [sum(slots[:i]) + slot / 2 for i, slot in enumerate(slots)]
    title_lines = heading.count("\n") + 1
    height_cm = 2.2 + 0.5 * title_lines + 0.62 * sum(slots)
    figure = Figure(figsize=(WIDTH_CM * _CM, height_cm * _CM), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    values = [max(0.0, min(bar.value, maximum)) for bar in bars]
    axes.barh(positions, values, color=BAR_COLOUR, height=0.65)
    axes.set_yticks(positions, labels, fontsize=8, color=TEXT_COLOUR)
    axes.set_ylim(sum(slots), 0)  # top to bottom: the table's first row is the top bar
    axes.set_xlim(0, maximum * 1.28 if maximum else 1)  # room for the figure after a full bar
    if maximum != 100.0:  # a count: whole numbers on the scale
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xticks([t for t in axes.get_xticks() if 0 <= t <= maximum])
    axes.tick_params(axis="x", labelsize=7.5, colors=TEXT_COLOUR)
    axes.set_xlabel(axis_label, fontsize=8, color=TEXT_COLOUR)
    for position, value, bar in zip(positions, values, bars, strict=True):
        axes.text(value + maximum * 0.01, position, bar.text, va="center", fontsize=7.5, color=TEXT_COLOUR)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    # A figure title from the left edge, not an axes title over the plot: it then has the
    # whole width, and the constrained layout leaves room for every line of it.
    figure.suptitle(heading, x=0.01, ha="left", fontsize=9, color=TEXT_COLOUR)
    return figure
