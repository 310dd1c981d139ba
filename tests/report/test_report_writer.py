"""The writers on their own: the .docx writer (blocks in, Word objects out) and the chart pictures."""

from __future__ import annotations

from pathlib import Path

import pytest
from docx import Document

from feedback.export.chart_images import LABEL_CHARS, ChartBar, bar_chart_figure, bar_chart_png
from feedback.export.docx_report import DEFAULT_TEMPLATE, Heading, Image, Paragraph, Row, Table, write_docx
from feedback.export.report_template import build_template

LONG = (
    "More services for particular groups, such as women, drug and alcohol users, or offenders who "
    "are from black and minority ethnic (BME) groups, have mental health problems or are disabled"
)


def test_blocks_become_headings_captioned_tables_and_clean_text(tmp_path: Path) -> None:
    target = tmp_path / "r.docx"
    table = Table(
        "Table 2.2: Profile",
        ("", "n", "%"),
        (
            Row(("Organisation (base: 3 answered)",), "group"),
            Row(("VCO", "2", "66.7%")),
            Row(("Base", "3"), "total"),
        ),
        numeric=(1, 2),
        notes=("Base: 3 answered.",),
    )
    written = write_docx(target, [Heading("2 Methodology"), Paragraph("a\x00b\x1bc 🎉"), table])
    assert written == 1
    document = Document(str(target))
    styles = [(p.style.name, p.text) for p in document.paragraphs]
    assert ("Heading 1", "2 Methodology") in styles
    assert ("Normal", "abc 🎉") in styles  # control characters dropped, emoji kept
    assert ("Caption", "Table 2.2: Profile") in styles
    assert ("Table Note", "Base: 3 answered.") in styles
    rows = document.tables[0].rows
    assert rows[0]._tr.xpath("./w:trPr/w:tblHeader")  # repeats on every page
    assert [c.text for c in rows[1].cells] == ["Organisation (base: 3 answered)"] * 3  # merged across
    assert [c.text for c in rows[3].cells] == ["Base", "3", ""]
    assert rows[3].cells[0].paragraphs[0].runs[0].bold


def test_a_failed_write_leaves_the_earlier_file_alone(tmp_path: Path) -> None:
    target = tmp_path / "r.docx"
    target.write_bytes(b"earlier")
    with pytest.raises(Exception):  # noqa: B017 - whatever python-docx raises for a broken picture
        write_docx(target, [Paragraph("x"), Image(b"not a png", "broken")])
    assert target.read_bytes() == b"earlier"
    assert [p.name for p in tmp_path.iterdir()] == ["r.docx"]


def test_the_shipped_template_is_what_the_script_builds(tmp_path: Path) -> None:
    built = Document(str(build_template(tmp_path / "t.docx")))
    shipped = Document(str(DEFAULT_TEMPLATE))
    names = {s.name for s in shipped.styles}
    assert {"Heading 1", "Heading 2", "Heading 3", "Caption", "Table Note", "Table Text", "Quote"} <= names
    assert {s.name for s in built.styles} == names
    assert shipped.styles["Normal"].font.name == built.styles["Normal"].font.name


def test_charts_keep_the_table_order_wrap_every_label_and_state_the_base() -> None:
    bars = [ChartBar("Very useful", 40.0, "40.0% (n = 22)"), ChartBar(LONG, 31.0, "31.0% (n = 17)"),
            ChartBar("Not very useful", 29.0, "29.0% (n = 16)")]  # fmt: skip
    figure = bar_chart_figure("How useful were the action learning sets?", "Base: 55 answered", bars)
    axes = figure.axes[0]
    ticks = sorted(zip(axes.get_yticks(), (t.get_text() for t in axes.get_yticklabels()), strict=True))
    top, bottom = axes.get_ylim()
    assert top > bottom  # inverted: the smallest position is at the top
    labels = [text for _position, text in ticks]
    assert [" ".join(label.split()) for label in labels] == ["Very useful", LONG, "Not very useful"]
    assert all(len(line) <= LABEL_CHARS for label in labels for line in label.split("\n"))
    assert figure.texts[0].get_text().endswith("\nBase: 55 answered")
    short = bar_chart_figure("t", "Base: 55 answered", [bars[0], bars[2], bars[0]])
    assert figure.get_figheight() > short.get_figheight()  # the long label gets room
    png = bar_chart_png("t", "Base: 55 answered", bars)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


def test_dollar_signs_and_backslashes_in_labels_are_plain_text() -> None:
    """Answers are not TeX: "$10 and $20" keeps its dollars, and an unpaired "$" or "\\frac{"
    (which mathtext refuses with a ValueError) draws instead of failing the whole report."""
    bars = [
        ChartBar("Between $10 and $20", 50.0, "50.0% (n = 1)"),
        ChartBar("$\\frac{", 50.0, "50.0% (n = 1)"),
    ]
    figure = bar_chart_figure("What did it cost in $?", "Base: 2 answered", bars)
    axes = figure.axes[0]
    labels = [t.get_text() for t in axes.get_yticklabels()]
    assert labels == ["Between $10 and $20", "$\\frac{"]
    figure.canvas.draw()  # mathtext would parse here
    assert all(not t.get_parse_math() for t in axes.get_yticklabels())
    assert bar_chart_png("What did it cost in $?", "Base: 2 answered", bars).startswith(b"\x89PNG")


def test_a_chart_keeps_with_its_caption_and_the_caption_does_not_run_ahead(tmp_path: Path) -> None:
    """A chart's caption comes after it: the picture keeps with the caption, and the caption
    does not keep with what follows (else Word and LibreOffice push it alone onto the next page)."""
    png = bar_chart_png("Q", "Base: 1 answered", [ChartBar("Yes", 100.0, "100.0% (n = 1)")])
    target = tmp_path / "r.docx"
    chart = Image(png, "Bar chart of Q", caption="Chart for Table 4.1. Base: 1 answered.")
    write_docx(target, [chart, Paragraph("Next")])
    paragraphs = Document(str(target)).paragraphs
    picture = next(p for p in paragraphs if p._p.xpath(".//wp:docPr"))
    caption = next(p for p in paragraphs if p.text.startswith("Chart for Table 4.1"))
    assert picture.paragraph_format.keep_with_next is True
    assert caption.style.name == "Caption" and caption.paragraph_format.keep_with_next is False


def test_a_row_with_a_page_of_notes_may_break_across_pages(tmp_path: Path) -> None:
    """PiRR's methodology notes run to a page: that row may split (else a whole page is left
    blank before it) and the table is no longer held together; short rows still never split."""
    rows = (Row(("Event", "ok")), Row(("Survey", "x " * 400)), Row(("Phone", "ok")))
    table = Table("Table 2.1: Methods", ("Instrument", "Notes"), rows)
    target = tmp_path / "r.docx"
    write_docx(target, [table, Paragraph("After")])
    written = Document(str(target)).tables[0].rows
    assert written[1]._tr.xpath("./w:trPr/w:cantSplit") and not written[2]._tr.xpath("./w:trPr/w:cantSplit")
    # no row pulls the next along: the table may start at the foot of a page
    assert not any(row.cells[0].paragraphs[0].paragraph_format.keep_with_next for row in written[1:])
