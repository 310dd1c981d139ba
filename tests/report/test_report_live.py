"""The report is rebuilt from live data: change one CRISP response and the next report changes.

A module of its own because it changes the demo's data (its own demo database, about a second).
Read with python-docx: the PDF conversion is tested in ``test_report_document.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from report_support import docx_text
from sqlalchemy import select, update

from feedback.db import Answer, Instrument, Question, Response
from feedback.db.app import EXTENSION
from feedback.services.report import write_report


def _report(app: Flask, target: Path) -> str:
    with app.extensions[EXTENSION].read() as session:
        write_report(session, "crisp", target)
    return docx_text(target)


@pytest.mark.usefixtures("quick_charts")
def test_changing_a_response_changes_the_report(demo_app: Flask, tmp_path: Path) -> None:
    before = _report(demo_app, tmp_path / "before.docx")
    assert "Voluntary or community organisation (VCO) | 130 | 68.8% | 61.9–75.0" in before
    assert "Statutory services (NOMS, HMPS, Probation) | 33 | 17.5% | 12.7–23.5" in before

    db = demo_app.extensions[EXTENSION]
    with db.write() as session:  # one respondent corrects their type of organisation
        answer = session.scalars(
            select(Answer)
            .join(Question, Question.id == Answer.question_id)
            .join(Response, Response.id == Answer.response_id)
            .join(Instrument, Instrument.id == Response.instrument_id)
            .where(Instrument.slug == "crisp-web-survey", Question.name == "org_type", Answer.code == "vco")
            .order_by(Answer.id)
            .limit(1)
        ).one()
        session.execute(
            update(Answer).where(Answer.id == answer.id).values(code="statutory", value="statutory")
        )

    after = _report(demo_app, tmp_path / "after.docx")
    assert "Voluntary or community organisation (VCO) | 129 | 68.3%" in after
    assert "Statutory services (NOMS, HMPS, Probation) | 34 | 18.0%" in after
    assert "(base: 189 answered)" in after  # the base stays: nobody was added
    assert "189 (26.6%)" in after
