"""A small instrument in project "pilot" and helpers for the staff analysis, coding and export tests.

Responses are recorded through ``record_response``, like web answers, so the counts the pages
show come from the same SQL as everywhere else.
"""

from __future__ import annotations

import html as html_module
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy import event, select
from staff_helpers import csrf_token, login, make_user

from feedback.db import Instrument
from feedback.db.session import Database
from feedback.domain.loader import load_file
from feedback.services.instruments import save_instrument
from feedback.services.responses import record_response

SLUG = "web-summary"
FORM = """
settings:
  form_id: web-summary
  form_title: Web summary check
  version: "1"
  kind: survey
  project: pilot
survey:
  - type: select_one org
    name: org_type
    label: Type of organisation
  - type: select_one usefulness
    name: useful
    label: How useful was the event?
  - type: integer
    name: sessions
    label: How many sessions did you attend?
  - type: text
    name: comments
    label: Any other comments?
choices:
  org:
    - name: vco
      label: Voluntary organisation
    - name: statutory
      label: Statutory body
  usefulness:
    - name: very
      label: Very useful
    - name: ambivalent
      label: Ambivalent
    - name: not_very
      label: Not very useful
"""
WHEN = datetime(2026, 3, 1, 12, tzinfo=UTC)


def load_form(db: Database, tmp_path: Path) -> None:
    path = tmp_path / f"{SLUG}.yaml"
    path.write_text(FORM)
    with db.write() as session:
        save_instrument(session, load_file(path))


def record(db: Database, answers: list[Mapping[str, object]], **options: object) -> list[int]:
    """Store each mapping of answers as one response (one transaction); return their ids."""
    options.setdefault("submitted_at", WHEN)
    with db.write() as session:
        instrument = session.scalar(select(Instrument).where(Instrument.slug == SLUG))
        assert instrument is not None
        return [record_response(session, instrument, values, **options).id for values in answers]  # type: ignore[arg-type]


def report_figures(db: Database) -> None:
    """The report's split: 22 very useful, 16 ambivalent, 17 not very useful (base 55), with
    organisation types so that a cross-tab has something to show (very: 12 vco, 10 statutory)."""
    answers: list[Mapping[str, object]] = []
    answers += [{"useful": "very", "org_type": "vco"}] * 12
    answers += [{"useful": "very", "org_type": "statutory"}] * 10
    answers += [{"useful": "ambivalent", "org_type": "vco"}] * 16
    answers += [{"useful": "not_very", "org_type": "statutory"}] * 17
    record(db, answers)


def signed_in(client: FlaskClient, db: Database, email: str, role: str | None) -> FlaskClient:
    make_user(db, email, roles={"pilot": role} if role else {"other": "evaluator"})
    assert login(client, email).status_code == 302
    return client


def text_of(html: str) -> str:
    """The page's text with tags removed and spaces collapsed, as a reader sees it."""
    return html_module.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def token_of(client: FlaskClient, url: str) -> str:
    return csrf_token(client.get(url).get_data(as_text=True))


@contextmanager
def count_selects(db: Database) -> Iterator[list[str]]:
    """The SELECT statements run inside the block (to show a page's cost does not grow with data)."""
    statements: list[str] = []

    def _seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", _seen)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", _seen)


def responses_in_waves(db: Database) -> None:
    """Wave 1 invites two people (both answer "very useful"), wave 2 reminds them, wave 3
    invites a third (who answers "not very useful"); one more response came uninvited."""
    from datetime import date

    from feedback.db import Case, Contact
    from feedback.services.contacts import create_cases
    from feedback.services.invitations import create_wave

    with db.write() as session:
        instrument = session.scalars(select(Instrument).where(Instrument.slug == SLUG)).one()
        people = [Contact(project_id=instrument.project_id, email=f"w{i}@example.org") for i in range(3)]
        session.add_all(people)
        session.flush()
        create_cases(session, instrument, [p.id for p in people[:2]])
        create_wave(session, instrument, kind="invitation", sent_on=date(2026, 2, 2))
        create_wave(session, instrument, kind="reminder", sent_on=date(2026, 2, 9))
        create_cases(session, instrument, [people[2].id])
        create_wave(session, instrument, kind="invitation", sent_on=date(2026, 2, 16))
        cases = {c: k for c, k in session.execute(select(Case.contact_id, Case.id))}
        ids = [p.id for p in people]
    for i, answer in ((0, "very"), (1, "very"), (2, "not_very")):
        record(db, [{"useful": answer}], case_id=cases[ids[i]], contact_id=ids[i])
    record(db, [{"useful": "ambivalent"}])
