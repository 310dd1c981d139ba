"""The workbook as a reader gets it (issue 14, part 1): read back with openpyxl for page set-up,
number formats, charts and event names, and printed once through LibreOffice for the page count.

One demo database for the module (the CRISP web survey and the PiRR event form, with the
demo's responses), one export of each, and a single LibreOffice conversion of the CRISP one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from demo_apps import database, load_forms, sqlite_app
from flask import Flask
from office import convert, pdf_pages, pdf_text
from openpyxl.chart import BarChart
from sqlalchemy import select

from feedback.db import Activity
from feedback.db.app import EXTENSION
from feedback.export.report_sheets import chart_rows
from feedback.export.xlsx_layout import WIDE_COLUMNS

FORMS = Path(__file__).resolve().parents[2] / "forms"
CRISP, PIRR = "crisp-web-survey", "pirr-event-feedback"
EXPORTED = re.compile(r"^Exported \d{1,2} (January|February|March|April|May|June|July|August|September|"
                      r"October|November|December) \d{4}$")  # fmt: skip
# The CRISP demo workbook printed as 79 portrait pages before (the issue). Now: Responses 3 (its 69
# columns fitted to one page wide, at LibreOffice's smallest scale), Codebook 3, Summary 12 (the
# profile, then about three questions with their charts a page, for 30 charts), Free text 8 (the
# answers wrapped to be read), Response rates 1 and Attendance 1: 28 with LibreOffice 7.4. The
# bound leaves a quarter for other fonts and versions, and fails if page set-up is lost (fitting
# to width is what keeps Responses at 3 pages rather than dozens).
PAGE_BOUND = 36


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = sqlite_app(tmp_path_factory.mktemp("workbook-demo"))
    load_forms(app, [CRISP, PIRR], demo=True)
    yield app
    database(app).dispose()


def _export(app: Flask, folder: Path, slug: str) -> Path:
    path = folder / f"{slug}.xlsx"
    result = app.test_cli_runner().invoke(args=["export", "--instrument", slug, "-o", str(path)])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture(scope="module")
def exports(demo_app: Flask, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("workbook-exports")
    return {slug: _export(demo_app, folder, slug) for slug in (CRISP, PIRR)}


@pytest.fixture(scope="module")
def crisp(exports: dict[str, Path]) -> openpyxl.Workbook:
    return openpyxl.load_workbook(exports[CRISP])


@pytest.fixture(scope="module")
def crisp_pdf(exports: dict[str, Path]) -> Path:
    return convert(exports[CRISP], "pdf")


def _rows(sheet: object) -> list[tuple[object, ...]]:
    return list(sheet.iter_rows(values_only=True))  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------------ page set-up
def test_every_sheet_prints_one_page_wide_with_titles_header_and_footer(crisp: openpyxl.Workbook) -> None:
    assert crisp.sheetnames == [
        "Responses",
        "Codebook",
        "Summary",
        "Free text",
        "Response rates",
        "Attendance",
    ]
    for sheet in crisp.worksheets:
        setup = sheet.page_setup
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        assert (setup.fitToWidth, setup.fitToHeight) == (1, 0), sheet.title
        wide = sheet.max_column > WIDE_COLUMNS or bool(sheet._charts)
        assert setup.orientation == ("landscape" if wide else "portrait"), sheet.title
        assert sheet.print_title_rows == "$1:$1", sheet.title  # the header row repeats on every page
        assert sheet.oddHeader.right.text == "&A"  # the sheet's name
        assert EXPORTED.match(sheet.oddFooter.left.text), sheet.oddFooter.left.text
        assert sheet.oddFooter.center.text == "Page &P of &N"
    for name in ("Responses", "Codebook", "Summary", "Free text", "Response rates"):
        assert crisp[name].oddHeader.center.text == "CRISP participant survey"
    for name in ("Responses", "Codebook", "Summary", "Free text"):
        assert crisp[name].oddFooter.right.text == "Base: 189"  # the responses in scope
    assert crisp["Response rates"].oddFooter.right.text is None  # no single base: each row has its own
    assert crisp["Summary"].page_setup.orientation == "landscape"  # the charts sit beside the tables


def test_data_sheets_freeze_and_filter_their_header_and_widths_follow_the_content(
    crisp: openpyxl.Workbook,
) -> None:
    for name in ("Responses", "Codebook", "Free text"):
        sheet = crisp[name]
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref.startswith("A1:")
        assert all(cell.font.b for cell in sheet[1] if cell.value), name
    widths = {c: crisp["Codebook"].column_dimensions[c].width for c in "ABCD"}
    assert widths["B"] == 60  # labels: capped
    assert widths["D"] < 15  # "required": yes / no
    responses = crisp["Responses"]
    assert all(responses.column_dimensions[c].width <= 60 for c in responses.column_dimensions)


# ------------------------------------------------------------------------------ Summary sheet
def _headings(rows: list[tuple[object, ...]]) -> list[str]:
    return [str(r[0]) for r in rows if isinstance(r[0], str) and re.search(r" \[\w+\]$", r[0])]


def test_summary_opens_with_the_chosen_profile_then_each_question_once(crisp: openpyxl.Workbook) -> None:
    rows = _rows(crisp["Summary"])
    assert str(rows[1][0]).startswith("Profile of respondents: About you and your organisation")
    headings = _headings(rows)
    assert headings[:3] == [
        "Which type of organisation do you work for? [org_type]",
        "What is the main work of your organisation? [primary_work]",
        "Where does your organisation mainly work? [location]",
    ]
    names = [h.rsplit(" [", 1)[1] for h in headings]
    assert len(names) == len(set(names)), "a question is laid out twice"
    assert "activities]" in names  # the other questions follow the profile


def test_percentages_are_fractions_shown_as_percent_with_their_base(crisp: openpyxl.Workbook) -> None:
    sheet = crisp["Summary"]
    rows = _rows(sheet)
    start = next(
        i for i, r in enumerate(rows) if r[0] == "Which type of organisation do you work for? [org_type]"
    )
    table = rows[start + 1 : start + 6]
    assert [r[:3] for r in table] == [  # Table 2.2: 68.8 / 17.5 / 13.8 of 189
        ("Voluntary or community organisation (VCO)", 130, 0.688),
        ("Statutory services (NOMS, HMPS, Probation)", 33, 0.175),
        ("Other", 26, 0.138),
        ("Base (answered)", 189, None),
        ("Total", 189, 1),
    ]
    percent_cells = [
        cell
        for row in sheet.iter_rows(min_col=3, max_col=5)
        for cell in row
        if isinstance(cell.value, int | float)
    ]
    assert len(percent_cells) > 100
    assert {c.number_format for c in percent_cells} == {"0.0%"}
    assert all(0 <= c.value <= 1 for c in percent_cells)  # fractions, never 31.6
    assert sheet.cell(row=start + 1, column=1).font.b  # the question's heading is bold
    assert sheet.cell(row=start + 5, column=1).font.i  # the base line is italic


def _table_rows(sheet: object, first: int, last: int) -> list[int]:
    """The answer rows of the table whose first answer row is ``first``: up to the base line."""
    rows = []
    row = first
    while sheet.cell(row=row, column=1).value != "Base (answered)":  # type: ignore[attr-defined]
        rows.append(row)
        row += 1
    return rows


def _range(ref: str) -> tuple[str, int, int]:
    match = re.fullmatch(r"'Summary'!\$([A-Z])\$(\d+):\$\1\$(\d+)", ref)
    assert match, ref
    return match.group(1), int(match.group(2)), int(match.group(3))


def test_charts_reference_every_label_in_the_tables_order(crisp: openpyxl.Workbook) -> None:
    sheet = crisp["Summary"]
    charts: list[BarChart] = sheet._charts
    assert len(charts) == 30
    spans: list[tuple[int, int]] = []
    for chart in charts:
        assert chart.type == "bar"  # horizontal bars, for long labels
        assert chart.legend is None  # one series
        assert len(chart.series) == 1
        axis = chart.x_axis
        assert axis.scaling.orientation == "maxMin"  # first answer at the top, as in the table
        assert axis.tickLblSkip == 1 and axis.delete is False  # every label shown
        series = chart.series[0]
        column, first, last = _range(series.cat.strRef.f)
        assert column == "A"
        assert _range(series.val.numRef.f) == ("C", first, last)  # the % column, same rows
        assert list(range(first, last + 1)) == _table_rows(sheet, first, last)  # every answer
        assert sheet.cell(row=first - 1, column=1).value == "Answer"
        title = "".join(run.t for p in chart.title.tx.rich.p for run in p.r)
        base = sheet.cell(row=last + 1, column=2).value
        assert title.endswith(f"(base n = {base})"), title
        assert len(title) <= 76  # one line
        anchor = chart.anchor
        assert anchor._from.col == 6 and anchor.to.col == 7  # column G: beside the table (A:E)
        spans.append((anchor._from.row, anchor.to.row))
        assert anchor.to.row - anchor._from.row == chart_rows(last - first + 1)  # taller with more answers
    for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
        assert end <= start, "two charts overlap"


def test_table_order_is_kept_for_a_chart_with_many_answers(crisp: openpyxl.Workbook) -> None:
    sheet = crisp["Summary"]
    chart = next(c for c in sheet._charts if "activities did you take part in" in c.title.tx.rich.p[0].r[0].t)
    _, first, last = _range(chart.series[0].cat.strRef.f)
    labels = [sheet.cell(row=r, column=1).value for r in range(first, last + 1)]
    assert (
        labels[0] == "'Light Lunch' weekly e-bulletin"
        and labels[-1] == "Resource packs, publications and reports"
    )
    assert len(labels) == 7


# ------------------------------------------------------------------------------------- events
def test_event_column_holds_the_activity_title_and_event_code_its_code(
    demo_app: Flask, exports: dict[str, Path]
) -> None:
    book = openpyxl.load_workbook(exports[PIRR], read_only=True)
    try:
        rows = _rows(book["Responses"])
    finally:
        book.close()
    header = rows[0]
    assert header[3:5] == ("event", "event_code")
    pairs = {(r[3], r[4]) for r in rows[1:]}
    with demo_app.extensions[EXTENSION].read() as session:
        known = {(t, c) for t, c in session.execute(select(Activity.title, Activity.short_code))}
    assert pairs and pairs <= known
    assert all(title != code for title, code in pairs)
    assert any(str(title).startswith("PiRR launch event") for title, _ in pairs)


# -------------------------------------------------------------------------------- LibreOffice
def test_libreoffice_prints_the_crisp_workbook_in_few_pages(crisp_pdf: Path) -> None:
    pages = pdf_pages(crisp_pdf)
    assert pages <= PAGE_BOUND, pages
    text = pdf_text(crisp_pdf)
    assert f"Page 1 of {pages}" in text and f"Page {pages} of {pages}" in text
    assert "Base: 189" in text
    assert "CRISP participant survey" in text
    assert "68.8%" in text  # the fraction printed as a percentage
