"""What the report says about a small project (``report_support.FORM``): quotes only where
respondents consented, free-text themes with their counts, small bases as numbers, personal data
never, hostile text intact. Read back with python-docx (no LibreOffice needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from docx import Document
from report_support import FORM, docx_text, load_form, record
from sqlalchemy import select

from feedback.db import Instrument, Response
from feedback.db.session import Database
from feedback.services.coding import create_theme, set_answer_themes
from feedback.services.report import write_report


def _write(db: Database, target: Path, template: Path | None = None) -> str:
    with db.read() as session:
        write_report(session, "pilot", target, template=template)
    return docx_text(target)


@pytest.fixture
def pilot(db: Database, tmp_path: Path) -> Database:
    load_form(db, tmp_path)
    record(
        db,
        [
            {"org_type": "vco", "area": "north", "useful": "very", "best": "Meeting probation staff",
             "phone": "07700 900123", "may_quote": "yes"},
            {"org_type": "statutory", "area": "south", "useful": "not_very", "best": "Nothing, sadly",
             "phone": "07700 900456", "may_quote": "no"},
            {"org_type": "vco", "area": "north", "useful": "very", "best": "The training days"},
        ],
    )  # fmt: skip
    return db


def test_quotes_come_only_from_those_who_consented(pilot: Database, tmp_path: Path) -> None:
    text = _write(pilot, tmp_path / "pilot.docx")
    assert "Quotes are only from respondents who answered “May we quote your words?” with “Yes”" in text
    assert "“Meeting probation staff”" in text
    assert "Nothing, sadly" not in text  # answered no
    assert "The training days" not in text  # never asked


def test_without_a_consent_question_there_are_no_quotes_and_the_report_says_why(
    db: Database, tmp_path: Path
) -> None:
    load_form(db, tmp_path, FORM.replace("  quote_consent: may_quote\n", "").replace("may_quote", "agree"))
    record(db, [{"org_type": "vco", "best": "Meeting probation staff", "agree": "yes"}])
    text = _write(db, tmp_path / "pilot.docx")
    assert "No quotes: respondents were not asked whether they may be quoted" in text
    assert "Meeting probation staff" not in text


def test_personal_data_questions_and_answers_never_appear(pilot: Database, tmp_path: Path) -> None:
    text = _write(pilot, tmp_path / "pilot.docx")
    assert "Pilot survey" in text
    assert "telephone" not in text.lower()
    assert "07700" not in text


def test_small_bases_show_numbers_not_percentages(pilot: Database, tmp_path: Path) -> None:
    text = _write(pilot, tmp_path / "pilot.docx")
    assert "Table 2.2: Profile of respondents: About you (Pilot survey)" in text
    assert "Type of organisation (base: 3 answered)" in text
    assert "Voluntary organisation | 2 | – | –" in text  # in the profile: no percentage
    assert "Table 4.1: How useful was the pilot?" in text
    assert "Very useful | 2\n" in text + "\n"  # counts only
    assert "Base too small for reliable percentages: 3 answered (fewer than 30)" in text
    assert "66.7%" not in text


def test_themes_are_counted_with_their_base(pilot: Database, tmp_path: Path) -> None:
    with pilot.write() as session:
        instrument = session.scalars(select(Instrument).where(Instrument.slug == "pilot-survey")).one()
        theme = create_theme(session, instrument, "best", "Contact with probation")
        first = session.scalars(select(Response.id).order_by(Response.id)).first()
        assert first is not None
        set_answer_themes(session, instrument, "best", {first: {theme.id}})
    text = _write(pilot, tmp_path / "pilot.docx")
    assert "Table 5.1: Themes: What was best about the pilot?" in text
    assert "Contact with probation | 1" in text
    assert "Base: 1 answers coded. Not in the base: 2 answers not coded yet." in text
    assert "Themes: Contact with probation" in text  # beside the consented quote


def test_hostile_text_survives(db: Database, tmp_path: Path) -> None:
    load_form(db, tmp_path)
    hostile = '=HYPERLINK("http://x")\x00 nul\x07 bell 🎉 ' + "long " * 2000
    record(db, [{"org_type": "vco", "best": hostile, "may_quote": "yes"}])
    text = _write(db, tmp_path / "pilot.docx")
    assert '“=HYPERLINK("http://x") nul bell 🎉 long' in text  # NUL and BEL removed, the rest kept
    assert "long […]”" in text  # a 10,000-character answer quoted up to 1,000


def test_a_template_gives_its_styles_not_its_text(pilot: Database, tmp_path: Path) -> None:
    template = Document()
    template.styles["Normal"].font.name = "Georgia"
    template.add_paragraph("LETTERHEAD SAMPLE TEXT")
    template.sections[0].header.paragraphs[0].text = "Our house style"
    template.save(str(tmp_path / "house.docx"))
    target = tmp_path / "pilot.docx"
    text = _write(pilot, target, template=tmp_path / "house.docx")
    assert "LETTERHEAD SAMPLE TEXT" not in text
    report = Document(str(target))
    assert report.styles["Normal"].font.name == "Georgia"
    assert report.sections[0].header.paragraphs[0].text == "Our house style"
    assert "Table Note" in [s.name for s in report.styles]  # added where the template has none
