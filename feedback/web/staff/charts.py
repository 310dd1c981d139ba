"""Horizontal bar charts drawn on the server as SVG: geometry here, markup in ``staff/_charts.html``.

Why on the server: the pages must work without JavaScript and under a strict CSP, and a bar of
rates needs no interaction. This module only computes positions; every label and figure is
written by the Jinja template, so user data (instrument titles, attribute values) is escaped
like any other text and never assembled into markup in Python.

Every chart has an accessible name (``title``) and a description that points at the table
holding the same figures with their bases: the table is the chart's text alternative.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: Fill colours per series (GOV.UK blue, then dark grey): distinguishable without colour too,
#: because each series also has its own legend entry and row label.
SERIES_COLOURS = ("#1d70b8", "#505a5f", "#00703c")
LABEL_WIDTH = 260
BAR_AREA = 360
TEXT_WIDTH = 150
BAR_HEIGHT = 18
BAR_GAP = 4
GROUP_GAP = 12
LEGEND_HEIGHT = 26
MAX_LABEL = 38


@dataclass(frozen=True)
class Bar:
    """One bar: ``value`` is a fraction in [0, 1] or None (undefined: no bar, the text says so)."""

    label: str  # shown left of the first bar of a group only
    text: str  # the figure printed after the bar, with its base
    x: float
    y: float
    width: float
    colour: str


@dataclass(frozen=True)
class LegendItem:
    name: str
    colour: str
    x: float


@dataclass(frozen=True)
class BarChart:
    title: str
    description: str
    bars: list[Bar]
    legend: list[LegendItem]
    width: int
    height: int
    bar_height: int = BAR_HEIGHT
    axis_x: int = LABEL_WIDTH


def _short(label: str) -> str:
    """SVG text does not wrap: long labels are cut (the table beside the chart has them whole)."""
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1].rstrip() + "…"


def bar_chart(
    title: str,
    description: str,
    groups: Sequence[tuple[str, Sequence[tuple[float | None, str]]]],
    series: Sequence[str] = (),
) -> BarChart:
    """Lay out ``groups`` of bars: each group is (label, [(fraction or None, text), ...]), one bar
    per series. The scale is always 0-100 %, so charts on one page compare at a glance.

    Raises ValueError if a fraction lies outside [0, 1] (a rate never does; anything else is a bug
    that a chart would otherwise hide by drawing a bar off the edge).
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
                    label=_short(label) if index == 0 else "",
                    text=text,
                    x=float(LABEL_WIDTH),
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
        bars=bars,
        legend=legend,
        width=LABEL_WIDTH + BAR_AREA + TEXT_WIDTH,
        height=int(y) + 4,
    )
