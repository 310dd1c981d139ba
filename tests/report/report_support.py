"""Helpers for the Word report tests: a small project's form, responses, signing in, reading a .docx."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from docx import Document
from flask.testing import FlaskClient
from sqlalchemy import select

from feedback.db import Instrument
from feedback.db.session import Database
from feedback.domain.loader import load_file
from feedback.services import accounts
from feedback.services.instruments import save_instrument
from feedback.services.responses import record_response

PASSWORD = "correct horse battery staple"
_TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')

#: A small survey in project "pilot": a profile of two questions, a closed question, a long
#: answer, a personal-data question and the question asking for consent to quote.
FORM = """
settings:
  form_id: pilot-survey
  form_title: Pilot survey
  version: "1"
  kind: survey
  project: pilot
  quote_consent: may_quote
survey:
  - type: begin_group
    name: about
    label: About you
    profile: yes
  - type: select_one org
    name: org_type
    label: Type of organisation
  - type: select_one area
    name: area
    label: Area
  - type: end_group
  - type: select_one usefulness
    name: useful
    label: How useful was the pilot?
  - type: text
    name: best
    label: What was best about the pilot?
    appearance: multiline
  - type: text
    name: phone
    label: Your telephone number
    personal_data: yes
  - type: select_one yes_no
    name: may_quote
    label: May we quote your words?
choices:
  org:
    - {name: vco, label: Voluntary organisation}
    - {name: statutory, label: Statutory body}
  area:
    - {name: north, label: North}
    - {name: south, label: South}
  usefulness:
    - {name: very, label: Very useful}
    - {name: not_very, label: Not very useful}
  yes_no:
    - {name: 'yes', label: 'Yes'}
    - {name: 'no', label: 'No'}
"""


def load_form(db: Database, folder: Path, text: str = FORM, name: str = "pilot-survey") -> None:
    path = folder / f"{name}.yaml"
    path.write_text(text)
    with db.write() as session:
        save_instrument(session, load_file(path))


def record(db: Database, answers: Sequence[Mapping[str, object]], slug: str = "pilot-survey") -> None:
    with db.write() as session:
        instrument = session.scalars(select(Instrument).where(Instrument.slug == slug)).one()
        for values in answers:
            record_response(session, instrument, values)


def make_user(db: Database, email: str, roles: Mapping[str, str]) -> None:
    with db.write() as session:
        user = accounts.create_user(session, email, email.split("@")[0].title(), password=PASSWORD)
        for project, role in roles.items():
            accounts.grant_role(session, user, project, role)


def token_of(client: FlaskClient, url: str) -> str:
    match = _TOKEN.search(client.get(url).get_data(as_text=True))
    assert match, f"{url} has no CSRF token"
    return match.group(1)


def signed_in(client: FlaskClient, email: str) -> FlaskClient:
    data = {"csrf_token": token_of(client, "/staff/login"), "email": email, "password": PASSWORD}
    assert client.post("/staff/login", data=data).status_code == 302
    return client


def docx_text(path: Path) -> str:
    """Every paragraph and table cell of a .docx, in order, one per line (whitespace collapsed)."""
    document = Document(str(path))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(" ".join(line.split()) for line in lines)


def flat(text: str) -> str:
    """``text`` with every run of whitespace as one space: PDF text breaks lines where it likes."""
    return " ".join(text.split())
