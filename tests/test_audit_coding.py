"""The audit trail of theme coding, at the service level: tags and codebook changes are recorded
with their before and after, on the response's and the instrument's trails.

The same changes made through the free-text page (actor, trail page, CSV) are tested in
``tests/web/test_staff_coding_audit.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from feedback.db import Instrument, Project
from feedback.db.audit import AuditEntry
from feedback.db.coding import tags_of
from feedback.db.session import Database
from feedback.domain.loader import load_file
from feedback.services import coding
from feedback.services.audit import Actor, acting_as
from feedback.services.instruments import save_instrument
from feedback.services.responses import record_response

STAFF = Actor(None, "eve@example.org")

INSTRUMENT = """\
settings:
  form_id: coded-survey
  form_title: Coded survey
  project: pilot
survey:
  - type: text
    name: comments
    label: Any comments?
  - type: text
    name: suggestions
    label: Any suggestions?
"""


@pytest.fixture
def responses(db: Database, tmp_path: Path) -> list[int]:
    """Three responses to an instrument with two text questions, nobody acting (no entries)."""
    path = tmp_path / "coded-survey.yaml"
    path.write_text(INSTRUMENT)
    with db.write() as session:
        session.add(Project(slug="pilot", name="Pilot"))
        session.flush()
        save_instrument(session, load_file(path))
        instrument = instrument_in(session)
        return [
            record_response(session, instrument, {"comments": f"Comment {n}", "suggestions": f"Idea {n}"}).id
            for n in range(3)
        ]


def instrument_in(session: Session) -> Instrument:
    instrument = session.scalar(select(Instrument).where(Instrument.slug == "coded-survey"))
    assert instrument is not None
    return instrument


def entries(db: Database, entity: str) -> list[AuditEntry]:
    with db.read() as session:
        return list(
            session.scalars(
                select(AuditEntry).where(AuditEntry.entity_type == entity).order_by(AuditEntry.id)
            )
        )


def add_themes(db: Database, *labels: str, question: str | None = "comments") -> dict[str, int]:
    with db.write() as session:
        instrument = instrument_in(session)
        return {label: coding.create_theme(session, instrument, question, label).id for label in labels}


def code(db: Database, assignments: dict[int, set[int]], question: str = "comments") -> None:
    with db.write() as session:
        coding.set_answer_themes(session, instrument_in(session), question, assignments)


@contextmanager
def audit_inserts(db: Database) -> Iterator[list[bool]]:
    """For each INSERT into audit_entries sent to the database: whether it was an executemany."""
    seen: list[bool] = []

    def _seen(
        _conn: object, _cursor: object, statement: str, _params: object, _ctx: object, many: bool
    ) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO AUDIT_ENTRIES"):
            seen.append(many)

    event.listen(db.engine, "before_cursor_execute", _seen)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", _seen)


def test_tagging_and_untagging_record_each_answers_themes_before_and_after(
    db: Database, responses: list[int]
) -> None:
    first, second, third = responses
    with acting_as(STAFF):
        themes = add_themes(db, "Trainer", "Venue")
        trainer, venue = themes["Trainer"], themes["Venue"]
        code(db, {first: {trainer}, second: {venue, trainer}, third: set()})
        code(db, {first: {trainer}, second: {venue}})  # first unchanged, second loses "Trainer"
    tagged_first, tagged_second, untagged = entries(db, "response")
    assert (tagged_first.entity_id, tagged_first.action) == (first, "code")
    assert (tagged_first.before, tagged_first.after) == (
        {"comments (themes)": []},
        {"comments (themes)": ["Trainer"]},
    )
    assert tagged_second.entity_id == second
    assert tagged_second.after == {"comments (themes)": ["Trainer", "Venue"]}  # codebook order
    assert untagged.entity_id == second
    assert (untagged.before, untagged.after) == (
        {"comments (themes)": ["Trainer", "Venue"]},
        {"comments (themes)": ["Venue"]},
    )
    with db.read() as session:
        project_id = instrument_in(session).project_id
    assert {(e.actor_label, e.project_id) for e in (tagged_first, tagged_second, untagged)} == {
        ("eve@example.org", project_id)
    }
    # Coding by a script that sets no actor changes the tags but, like other unattributed changes,
    # records nothing.
    code(db, {third: {venue}})
    assert len(entries(db, "response")) == 3
    with db.read() as session:
        assert tags_of(session, [third], "comments") == {third: {venue}}


def test_a_page_of_coding_is_audited_with_one_executemany(db: Database, responses: list[int]) -> None:
    with db.write() as session:
        instrument = instrument_in(session)
        more = [record_response(session, instrument, {"comments": f"More {n}"}).id for n in range(27)]
    with acting_as(STAFF):
        trainer = add_themes(db, "Trainer")["Trainer"]
        with audit_inserts(db) as inserts:
            code(db, {rid: {trainer} for rid in responses + more})
    assert inserts == [True]
    assert len(entries(db, "response")) == 30


def test_codebook_changes_are_on_the_instrument_trail(db: Database, responses: list[int]) -> None:
    with acting_as(STAFF):
        trainer = add_themes(db, "Trainer")["Trainer"]
        positive = add_themes(db, "Positive", question=None)["Positive"]
        with db.write() as session:
            instrument = instrument_in(session)
            coding.rename_theme(session, instrument, trainer, "Trainer quality")
            coding.rename_theme(session, instrument, trainer, " Trainer   quality ")  # the same name
            deleted = coding.delete_theme(session, instrument, trainer)
    assert (deleted.label, deleted.answers) == ("Trainer quality", 0)
    with db.read() as session:
        instrument = instrument_in(session)
        instrument_id, project_id = instrument.id, instrument.project_id
    trail = entries(db, "instrument")
    assert [(e.action, e.entity_id, e.project_id) for e in trail] == [
        ("add theme", instrument_id, project_id),
        ("add theme", instrument_id, project_id),
        ("rename theme", instrument_id, project_id),
        ("delete theme", instrument_id, project_id),
    ]
    added, added_wide, renamed, removed = trail
    assert (added.before, added.after) == (None, {f"theme {trainer}": "Trainer", "applies to": "comments"})
    assert added_wide.after == {f"theme {positive}": "Positive", "applies to": "every text question"}
    assert (renamed.before, renamed.after) == (
        {f"theme {trainer}": "Trainer"},
        {f"theme {trainer}": "Trainer quality"},
    )
    assert removed.before == {
        f"theme {trainer}": "Trainer quality",
        "applies to": "comments",
        "answers with it": 0,
    }
    assert removed.after is None
    assert entries(db, "theme") == []  # not also recorded a second way


def test_deleting_a_theme_records_every_answer_that_lost_it(db: Database, responses: list[int]) -> None:
    first, second, third = responses
    with acting_as(STAFF):
        trainer = add_themes(db, "Trainer")["Trainer"]
        positive = add_themes(db, "Positive", question=None)["Positive"]
        code(db, {first: {positive}, second: {trainer, positive}, third: {trainer}})
        code(db, {first: {positive}}, question="suggestions")
        with db.write() as session:
            deleted = coding.delete_theme(session, instrument_in(session), positive)
    assert (deleted.label, deleted.answers) == ("Positive", 3)  # two comments and a suggestion
    lost = [e for e in entries(db, "response") if e.reason == "theme 'Positive' deleted"]
    assert [e.entity_id for e in lost] == [first, second]  # third never had it
    lost_first, lost_second = lost
    assert (lost_first.before, lost_first.after) == (
        {"comments (themes)": ["Positive"], "suggestions (themes)": ["Positive"]},
        {"comments (themes)": [], "suggestions (themes)": []},
    )
    assert (lost_second.before, lost_second.after) == (
        {"comments (themes)": ["Trainer", "Positive"]},
        {"comments (themes)": ["Trainer"]},
    )
    with db.read() as session:
        assert tags_of(session, responses, "comments") == {second: {trainer}, third: {trainer}}
        assert tags_of(session, responses, "suggestions") == {}
    (removed,) = [e for e in entries(db, "instrument") if e.action == "delete theme"]
    assert removed.before is not None and removed.before["answers with it"] == 3


def test_a_rejected_coding_records_nothing(db: Database, responses: list[int]) -> None:
    with acting_as(STAFF):
        trainer = add_themes(db, "Trainer")["Trainer"]
        with pytest.raises(coding.CodingError, match="no longer exist"):
            code(db, {responses[0]: {trainer + 100}})
        with db.write() as session, pytest.raises(coding.CodingError, match="no longer exists"):
            coding.delete_theme(session, instrument_in(session), trainer + 100)
    assert entries(db, "response") == []
    assert [e.action for e in entries(db, "instrument")] == ["add theme"]
