"""Geometry of horizontal bar charts, for the staff pages to draw as SVG (one layout for all).

Why on the server: the pages must work without JavaScript and under a strict CSP, and a bar of
percentages needs no interaction. This module only computes positions and the texts to show;
the Jinja macro ``staff/_charts.html`` writes the SVG, so autoescaping covers every label
(instrument titles, answer labels, attribute values) and no markup is built from user data in
Python. Pure: no Flask, no database.

Every chart has an accessible name (``title``) and, optionally, a ``description`` that points
at the table holding the same figures with their bases: the table is the chart's text
alternative. Bars are always scaled to 0–100 %, not to the largest value, so that charts on one
page can be compared by eye.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: Fill colours per series (GOV.UK blue, dark grey, green): distinguishable without colour too,
#: because each series also has its own legend entry and the table beside the chart names it.
SERIES_COLOURS = ("#1d70b8", "#505a5f", "#00703c")
#: Layout in SVG user units (the SVG scales to its container through ``viewBox``).
LABEL_WIDTH = 260
BAR_AREA = 360
TEXT_WIDTH = 150
BAR_HEIGHT = 18
BAR_GAP = 4
GROUP_GAP = 12
LEGEND_HEIGHT = 26
MAX_LABEL = 40


@dataclass(frozen=True)
class Bar:
    """One bar; ``width`` is 0 for a zero value or an undefined one (the text says which)."""

    label: str  # shortened, shown left of the first bar of a group only ("" for the others)
    value_text: str  # the figure printed after the bar, with its base
    y: float
    width: float
    colour: str

    @property
    def value_x(self) -> float:
        """Where the figure is written: just past the end of the bar."""
        return round(LABEL_WIDTH + self.width + 6, 1)

    @property
    def text_y(self) -> float:
        """Baseline of the label and figure, vertically inside the bar."""
        return self.y + BAR_HEIGHT - 4


@dataclass(frozen=True)
class LegendItem:
    name: str
    colour: str
    x: float


@dataclass(frozen=True)
class BarChart:
    title: str
    description: str  # "" when the title alone names the chart and its table
    bars: tuple[Bar, ...]
    legend: tuple[LegendItem, ...]
    width: int
    height: int
    bar_x: int = LABEL_WIDTH
    bar_height: int = BAR_HEIGHT


def _shorten(text: str, limit: int = MAX_LABEL) -> str:
    """SVG text does not wrap: long labels are cut (the table beside the chart has them whole)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def grouped_bar_chart(
    title: str,
    description: str,
    groups: Sequence[tuple[str, Sequence[tuple[float | None, str]]]],
    series: Sequence[str] = (),
) -> BarChart:
    """Lay out ``groups`` of bars: each group is (label, [(fraction or None, text), ...]), one bar
    per series; a legend is drawn when there is more than one series.

    Raises ValueError if a fraction lies outside [0, 1] (a rate never does; anything else is a
    bug that a chart would otherwise hide by drawing a bar off the edge).
    """
    legend = []
    if len(series) > 1:
        x = float(LABEL_WIDTH)
        for index, name in enumerate(series):
            legend.append(LegendItem(name, SERIES_COLOURS[index % len(SERIES_COLOURS)], x))
            x += 24 + 8 * len(name)
    y = float(LEGEND_HEIGHT if legend else 4)
    bars = []
    for label, values in groups:
        for index, (value, text) in enumerate(values):
            if value is not None and not 0 <= value <= 1:
                raise ValueError(f"{label}: a bar needs a fraction between 0 and 1, got {value}")
            bars.append(
                Bar(
                    label=_shorten(label) if index == 0 else "",
                    value_text=text,
                    y=y,
                    width=0.0 if value is None else round(value * BAR_AREA, 1),
                    colour=SERIES_COLOURS[index % len(SERIES_COLOURS)],
                )
            )
            y += BAR_HEIGHT + BAR_GAP
        y += GROUP_GAP - BAR_GAP
    return BarChart(
        title=title,
        description=description,
        bars=tuple(bars),
        legend=tuple(legend),
        width=LABEL_WIDTH + BAR_AREA + TEXT_WIDTH,
        height=int(y) + 4,
    )


def bar_chart(
    title: str, rows: Sequence[tuple[str, float | None, int]], description: str = ""
) -> BarChart:
    """One bar per ``(label, percent 0–100 or None, n)`` row, in the order given.

    Percentages are clamped to 0–100; a ``None`` percentage (empty base) draws no bar and says
    "no base". Never raises for numbers a frequency table can hold.
    """
    groups = [
        (
            label,
            [
                (None, "no base")
                if percent is None
                else (max(0.0, min(percent, 100.0)) / 100, f"{percent:.1f}% (n = {n})")
            ],
        )
        for label, percent, n in rows
    ]
    return grouped_bar_chart(title, description, groups)
