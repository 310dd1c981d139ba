"""Native Excel bar charts for the Summary sheet, built to be read on paper and on screen.

Decisions (each answers a defect seen when the old charts were opened in LibreOffice):

* **Horizontal bars** (``type="bar"``): answer labels are long ("Voluntary or community
  organisation (VCO)"); on a horizontal bar chart they read left to right instead of being
  rotated or skipped.
* **The table's order, top to bottom**: a bar chart draws its first category at the bottom, so
  the category axis is reversed (``orientation="maxMin"``) and the value axis is moved back to
  the bottom (``crosses="max"``: it crosses the reversed axis at its last category).
* **Every label**: the labels are referenced as text (``strRef``), ``tickLblSkip = 1``, and
  the axis is explicitly not deleted (openpyxl 3.1 writes ``delete`` otherwise, and
  spreadsheet programs then skip labels or hide the axis).
* **Room for the labels**: the plot area has a manual layout whose left edge leaves the labels
  a share of the width from the longest label, so they are not clipped on the left.
* **A title that fits**: one line, the question's label shortened at a word and followed by
  "(base n = N)", in 10 pt so it leaves the plot its height.
* **Size from the cells**: a two-cell anchor over the rows the sheet builder left free, so the
  chart grows with the number of categories and never overlaps a table or another chart.
* One series, so no legend; value labels show each bar's percentage ("0.0%"), the axis 0-100%.
"""

from __future__ import annotations

from typing import Any

from openpyxl.chart import BarChart, Reference
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.chart.label import DataLabelList
from openpyxl.chart.layout import Layout, ManualLayout
from openpyxl.chart.text import RichText, Text
from openpyxl.chart.title import Title
from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, TwoCellAnchor
from openpyxl.drawing.text import (
    CharacterProperties,
    Paragraph,
    ParagraphProperties,
    RegularTextRun,
)
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

from .sheets import ChartSpec

TITLE_CHARACTERS = 76  # 10 pt bold characters across a 15 cm chart, less a margin
LABEL_PT = 9
CHARACTER_CM = 0.19  # the width of an average 9 pt character, and a little more


def _text_properties(size: int, bold: bool = False) -> RichText:
    props = CharacterProperties(sz=size * 100, b=bold)
    return RichText(p=[Paragraph(pPr=ParagraphProperties(defRPr=props), endParaRPr=props)])


def _title(text: str) -> Title:
    props = CharacterProperties(sz=1000, b=True)
    paragraph = Paragraph(pPr=ParagraphProperties(defRPr=props), r=[RegularTextRun(rPr=props, t=text)])
    return Title(tx=Text(rich=RichText(p=[paragraph])), overlay=False)


def shorten(text: str, limit: int) -> str:
    """``text`` cut at a word to at most ``limit`` characters, with an ellipsis when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] if " " in text[: limit - 1] else text[: limit - 1]
    return cut.rstrip(" ,;:-") + "…"


def chart_title(label: str, base: int | None) -> str:
    """ "Overall, how would you rate the training day? (base n = 55)", on one line."""
    suffix = f" (base n = {base})" if base is not None else ""
    return shorten(label, TITLE_CHARACTERS - len(suffix)) + suffix


def bar_chart(ws: Any, spec: ChartSpec, width_cm: float) -> BarChart:
    """The chart for ``spec``, anchored over its cells (``width_cm``: its column's width)."""
    chart = BarChart()
    chart.type = "bar"
    chart.style = 10
    chart.title = _title(chart_title(spec.title, spec.base))
    chart.legend = None
    chart.gapWidth = 60
    data = Reference(ws, min_col=spec.value_column, min_row=spec.first_row, max_row=spec.last_row)
    labels = Reference(ws, min_col=spec.label_column, min_row=spec.first_row, max_row=spec.last_row)
    chart.add_data(data, titles_from_data=False)
    for series in chart.series:  # answer labels are text: a string reference, not openpyxl's numRef
        series.cat = AxDataSource(strRef=StrRef(f=labels))

    categories = chart.x_axis
    categories.delete = False
    categories.tickLblSkip = 1
    categories.tickMarkSkip = 1
    categories.scaling.orientation = "maxMin"
    categories.txPr = _text_properties(LABEL_PT)

    values = chart.y_axis
    values.delete = False
    values.crosses = "max"
    values.scaling.min = 0
    values.scaling.max = 1
    values.majorUnit = 0.2
    values.number_format = "0%"
    values.txPr = _text_properties(8)

    chart.dataLabels = DataLabelList(
        showVal=True,
        showLegendKey=False,
        showCatName=False,
        showSerName=False,
        showPercent=False,
        showBubbleSize=False,
        numFmt="0.0%",
    )
    chart.dataLabels.txPr = _text_properties(8)

    share = min(0.5, max(0.2, (spec.longest_label * CHARACTER_CM + 0.6) / width_cm))
    chart.plot_area.layout = Layout(
        manualLayout=ManualLayout(
            layoutTarget="inner", xMode="edge", yMode="edge", x=share, y=0.15, w=0.93 - share, h=0.72
        )
    )
    # openpyxl takes an anchor object as well as a cell name here; its stubs say str only
    chart.anchor = _anchor(spec)  # type: ignore[assignment]
    return chart


def _anchor(spec: ChartSpec) -> TwoCellAnchor:
    letters, row = coordinate_from_string(spec.anchor)
    column = column_index_from_string(letters) - 1
    return TwoCellAnchor(
        _from=AnchorMarker(col=column, row=row - 1),
        to=AnchorMarker(col=column + 1, row=row - 1 + spec.rows),
        editAs="oneCell",
    )
