"""The CRISP demo's Word report as a reader gets it: converted to PDF by LibreOffice (once for the
module) and read back as text, and opened with python-docx for what the PDF cannot show (styles,
pictures' text alternatives).

What the issue asks: the live Table 2.1 with "189 (26.6%)", Table 2.2's percentages with their
bases, every closed question's table, real headings and captions, a chart for each question, small
bases shown as numbers with the reason, and no personal-data question.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from docx import Document
from flask import Flask
from office import convert, pdf_pages, pdf_text
from report_support import docx_text, flat

from feedback.db.app import EXTENSION
from feedback.domain.summary import FrequencyTable, NumericSummary
from feedback.services.instruments import current_model
from feedback.services.report import write_report
from feedback.services.summaries import report_sections, summarise

pytestmark = pytest.mark.slow
CRISP = ("crisp-action-learning-discussion", "crisp-web-survey")


@pytest.fixture(scope="module")
def pdf(crisp_docx: Path) -> str:
    converted = convert(crisp_docx, "pdf")
    assert 15 <= pdf_pages(converted) <= 45  # 33 closed questions, each a table and a chart
    return pdf_text(converted)


def _tables(app: Flask) -> list[FrequencyTable | NumericSummary]:
    """Every question the report must tabulate in chapter 4 (the profile's are in Table 2.2)."""
    tables: list[FrequencyTable | NumericSummary] = []
    with app.extensions[EXTENSION].read() as session:
        for slug in CRISP:
            model = current_model(session, slug).without_personal_data()
            _profile, rest = report_sections(summarise(session, slug), model)
            tables += rest
    return tables


def _closed_tables(app: Flask) -> list[FrequencyTable]:
    return [t for t in _tables(app) if isinstance(t, FrequencyTable)]


def _line(pdf: str, *needles: str) -> str:
    """The one line of the PDF's text (laid out as on the page) holding every needle."""
    found = [line for line in pdf.splitlines() if all(needle in line for needle in needles)]
    assert len(found) == 1, (needles, found)
    return " ".join(found[0].split())


def test_table_2_1_is_rebuilt_live_with_the_crisp_rate(pdf: str) -> None:
    text = flat(pdf)
    assert "Table 2.1: Methods, samples and response rates" in text
    table = text[text.index("Table 2.1:") : text.index("Respondent profile")]
    # One row per instrument: the participant survey's 189 respondents of 710, RR2 26.6%.
    assert _line(pdf, "189 (26.6%)") == "CRISP participant survey (web) 710 189 (26.6%) 0.5"
    assert _line(pdf, "4 (100.0%)").startswith("CRISP action")  # one discussion in each of 4 sets
    assert "RR2 = (I+P) / ((I+P) + (R+NC+O) + (UH+UO))" in table  # the rate's definition
    assert "partial_threshold = 0.5" in table  # and its partial threshold


def test_table_2_2_gives_each_percentage_with_its_base(pdf: str) -> None:
    text = flat(pdf)
    start = text.index("Table 2.2: Profile of respondents: About you and your organisation")
    table = text[start : text.index("Response rates", start)]
    assert "Which type of organisation do you work for? (base: 189 answered)" in table
    assert _line(pdf, "Voluntary or community organisation (VCO)") == (
        "Voluntary or community organisation (VCO) 130 68.8% 61.9–75.0"
    )
    assert "Where does your organisation mainly work? (base: 176 answered)" in table
    for answer, figures in (
        ("Yorkshire and the Humber", "84 47.7%"),
        ("North East ", "29 16.5%"),
        ("East Midlands", "26 14.8%"),
        ("National", "19 10.8%"),
    ):  # the report's Table 2.2, to the decimal
        assert f"{answer.strip()} {figures}" in table
    assert "Base (answered) 185 100%" in table  # main work: 4 did not answer it


def test_every_closed_question_has_its_table_in_the_pdf(pdf: str, demo_app: Flask) -> None:
    text = flat(pdf)
    captions = re.findall(r"Table (4\.\d+): ", text)
    assert len(set(captions)) == len(_tables(demo_app))  # every question once, numeric ones too
    tables = _closed_tables(demo_app)
    assert len(tables) >= 30
    for table in tables:
        assert f": {flat(table.label)}" in text, table.name
        assert f"Base: {table.base} " in text


def test_small_bases_show_numbers_and_say_why(pdf: str) -> None:
    text = flat(pdf)
    # The action learning discussions: one response per set, four in all.
    start = text.index("Table 4.1: Which region does the set meet in?")
    table = text[start : text.index("Table 4.2", start)]
    assert "Base too small for reliable percentages: 4 answered (fewer than 30)" in table
    assert "%" not in table.split("Base too small")[0]  # counts only, no percentages


def test_attendance_tables_are_there(pdf: str) -> None:
    text = flat(pdf)
    assert "Table 3.1: Activities undertaken by Clinks Regional Information and Skills Project" in text
    assert "Action Learning sets 9 not known" in text
    assert "North East 2 not known" in text
    assert "Table 3.2: Each activity of" in text


def test_no_quotes_without_consent_and_the_report_says_why(pdf: str) -> None:
    text = flat(pdf)
    assert "No quotes: respondents were not asked whether they may be quoted" in text
    assert "“" not in text[text.index("5 Free-text answers") :]


def test_headings_captions_and_charts_are_real_word_objects(crisp_docx: Path, demo_app: Flask) -> None:
    document = Document(str(crisp_docx))
    styles = [(p.style.name, p.text) for p in document.paragraphs]
    headings = [text for style, text in styles if style == "Heading 1"]
    assert headings == [
        "1 About this report",
        "2 Methodology",
        "3 Activities and attendance",
        "4 Findings",
        "5 Free-text answers",
    ]
    assert ("Heading 2", "CRISP participant survey") in styles
    assert ("Heading 3", "About you and your organisation") not in styles  # the profile is Table 2.2
    captions = [text for style, text in styles if style == "Caption" and text.startswith("Table ")]
    assert len(captions) == len(document.tables)
    pictures = document.inline_shapes
    closed = [t for t in _closed_tables(demo_app) if t.base]
    assert len(pictures) == len(closed)
    descriptions = [shape._inline.docPr.get("descr") for shape in pictures]
    assert all(d and "The same figures are in Table 4." in d for d in descriptions)
    header_rows = [t.rows[0]._tr.xpath("./w:trPr/w:tblHeader") for t in document.tables]
    assert all(header_rows)  # header rows repeat across pages


@pytest.mark.usefixtures("quick_charts")
def test_personal_data_questions_never_appear(demo_app: Flask, tmp_path: Path) -> None:
    target = tmp_path / "pirr.docx"
    with demo_app.extensions[EXTENSION].read() as session:
        write_report(session, "pirr", target)
    text = docx_text(target)
    assert "PiRR event feedback" in text
    assert "How can we contact you about this?" not in text  # cbg_contact: personal_data: yes
    assert "@" not in text
