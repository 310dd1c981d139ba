"""Horizontal bar charts for the staff pages: what each row shows, in which order, how long.

Why on the server: the pages must work without JavaScript and under a strict CSP, and a bar of
percentages needs no interaction. This module only decides the rows, the bar lengths and the
texts; the Jinja macro ``staff/_charts.html`` lays them out, so autoescaping covers every label
(instrument titles, answer labels, attribute values) and no markup is built from user data in
Python. Pure: no Flask, no database.

Why HTML rows and not one SVG picture (as before): SVG text does not wrap, so a long answer label
("Voluntary or community organisation (VCO)") ran off the left edge or had to be cut, and a
``viewBox`` shrinks the text with the picture on a phone. Now each label is ordinary text in a
grid cell that wraps (and stacks above its bar on a narrow screen), and only the bar itself is
a tiny SVG whose ``viewBox`` is 100 units wide, so a bar's width is its percentage. Labels are
therefore given whole, never shortened.

Every chart has a caption: its title, its base ("Base: 189 respondents who answered") and a
description pointing at the table holding the same figures, which is the chart's text
alternative. Bars are always scaled to 0–100 %, not to the largest value, so that charts on one
page can be compared by eye. Rows keep the order they are given: the order of the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: Fill colours per series (GOV.UK blue, dark grey, green), each at least 3:1 against white
#: (WCAG 1.4.11); series never rely on colour alone: each bar's text starts with its series name.
SERIES_COLOURS = ("#1d70b8", "#505a5f", "#00703c")


@dataclass(frozen=True)
class Bar:
    """One bar: ``percent`` (0–100) is its width in the bar's 100-unit viewBox, 0 when undefined."""

    percent: float
    value_text: str  # the figure with its base, "31.6% (n = 60)", or why there is none
    colour: str
    series: str = ""  # the series' name when the chart has a legend

    @property
    def text(self) -> str:
        """What is written after the bar: the series' name first, so colour is never the only cue."""
        return f"{self.series}: {self.value_text}" if self.series else self.value_text


@dataclass(frozen=True)
class BarGroup:
    """One row of the table: its label, whole, and one bar per series."""

    label: str
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class LegendItem:
    name: str
    colour: str


@dataclass(frozen=True)
class BarChart:
    title: str
    base: str  # "Base: 55 respondents who answered"; "" only where each bar states its own
    description: str  # where the table with the same figures is; "" when the title says it
    groups: tuple[BarGroup, ...]
    legend: tuple[LegendItem, ...] = ()

    @property
    def series_count(self) -> int:
        """Bars per group (1 to 3): the template lets each label span that many bar rows."""
        return max((len(group.bars) for group in self.groups), default=1)

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(group.label for group in self.groups)


def _whole(text: str) -> str:
    """Whitespace collapsed (labels come from YAML and contact lists), nothing cut off."""
    return " ".join(text.split())


def grouped_bar_chart(
    title: str,
    description: str,
    groups: Sequence[tuple[str, Sequence[tuple[float | None, str]]]],
    series: Sequence[str] = (),
    *,
    base: str = "",
) -> BarChart:
    """Lay out ``groups`` of bars: each group is (label, [(fraction or None, text), ...]), one bar
    per series; a legend is given when there is more than one series.

    Raises ValueError if a fraction lies outside [0, 1] (a rate never does; anything else is a
    bug that a chart would otherwise hide by drawing a bar past 100 %), or if there are more
    series than colours.
    """
    if len(series) > len(SERIES_COLOURS):
        raise ValueError(f"{title}: at most {len(SERIES_COLOURS)} series, got {len(series)}")
    named = len(series) > 1
    laid_out = []
    for label, values in groups:
        bars = []
        for index, (value, text) in enumerate(values):
            if value is not None and not 0 <= value <= 1:
                raise ValueError(f"{label}: a bar needs a fraction between 0 and 1, got {value}")
            bars.append(
                Bar(
                    percent=0.0 if value is None else round(value * 100, 1),
                    value_text=text,
                    colour=SERIES_COLOURS[index % len(SERIES_COLOURS)],
                    series=series[index] if named and index < len(series) else "",
                )
            )
        laid_out.append(BarGroup(_whole(label), tuple(bars)))
    legend = tuple(LegendItem(name, SERIES_COLOURS[i]) for i, name in enumerate(series)) if named else ()
    return BarChart(title, base, description, tuple(laid_out), legend)


def bar_chart(
    title: str,
    rows: Sequence[tuple[str, float | None, int]],
    description: str = "",
    *,
    base: str = "",
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
    return grouped_bar_chart(title, description, groups, base=base)
