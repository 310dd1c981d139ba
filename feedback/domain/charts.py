"""Geometry of a horizontal bar chart of percentages, for the staff pages to draw as SVG.

Only numbers and the texts to show: the template (``staff/_charts.html``) writes the SVG, so
Jinja's autoescaping covers every label and no markup is built from user data in Python. The
chart is decoration for sighted readers; the frequency table beside it is the accessible
version, and the SVG carries ``role="img"`` with a name that says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: Layout in SVG user units (the SVG scales to its container through ``viewBox``).
WIDTH = 640
LABEL_WIDTH = 260
VALUE_WIDTH = 120
BAR_HEIGHT = 22
GAP = 8
MAX_LABEL = 40


@dataclass(frozen=True)
class Bar:
    label: str  # shortened for the chart; the table has the full text
    value_text: str
    y: float
    width: float  # 0 for a zero count or an empty base
    value_x: float  # the figure is written just past the end of its bar
    text_y: float


@dataclass(frozen=True)
class BarChart:
    title: str
    width: int
    height: int
    bar_x: int
    bar_height: int
    bars: tuple[Bar, ...]


def _shorten(text: str, limit: int = MAX_LABEL) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def bar_chart(title: str, rows: Sequence[tuple[str, float | None, int]]) -> BarChart:
    """Bars for ``(label, percent 0–100 or None, n)`` rows, in the order given.

    Bars are scaled to 100%, not to the largest value, so that charts of different questions
    can be compared by eye. A ``None`` percentage (empty base) draws no bar and says so.
    """
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    bars = []
    for index, (label, percent, n) in enumerate(rows):
        y = GAP + index * (BAR_HEIGHT + GAP)
        share = 0.0 if percent is None else max(0.0, min(percent, 100.0)) / 100
        value = "no base" if percent is None else f"{percent:.1f}% (n = {n})"
        bars.append(
            Bar(
                label=_shorten(label),
                value_text=value,
                y=y,
                width=round(share * plot, 1),
                value_x=round(LABEL_WIDTH + share * plot + 6, 1),
                text_y=y + BAR_HEIGHT * 0.7,
            )
        )
    height = GAP + len(bars) * (BAR_HEIGHT + GAP)
    return BarChart(
        title=title,
        width=WIDTH,
        height=max(height, BAR_HEIGHT + 2 * GAP),
        bar_x=LABEL_WIDTH,
        bar_height=BAR_HEIGHT,
        bars=tuple(bars),
    )
