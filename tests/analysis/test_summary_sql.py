"""Summary tables computed through the SQL path, from responses recorded like web answers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from analysis_support import SLUG, Record
from flask.testing import FlaskCliRunner

from feedback.db.session import Database
from feedback.db.summary_queries import ResponseFilter
from feedback.domain.summary import FrequencyTable, NumericSummary, format_percent
from feedback.services.summaries import attribute_crosstab, profile, question_crosstab, summarise


def _report_figures(record: Record) -> None:
    """The report's usefulness split: 22 very, 16 ambivalent, 17 not very useful (base 55)."""
    for code, n in (("very", 22), ("ambivalent", 16), ("not_very", 17)):
        for _ in range(n):
            record({"useful": code})


def _frequency(db: Database, name: str, scope: ResponseFilter | None = None) -> FrequencyTable:
    with db.read() as session:
        table = summarise(session, SLUG, scope).table(name)
    assert isinstance(table, FrequencyTable)
    return table


def test_report_figures_come_back_with_their_base(db: Database, record: Record) -> None:
    _report_figures(record)
    record({})  # answered nothing: missing, not in the base
    table = _frequency(db, "useful")
    assert table.base == 55
    assert table.missing == 1
    assert [format_percent(r.percent, r.n, table.base) for r in table.rows] == [
        "40.0% (n=22)",
        "29.1% (n=16)",
        "30.9% (n=17)",
    ]


def test_every_choice_is_listed_even_at_zero(db: Database, record: Record) -> None:
    record({"useful": "very"})
    table = _frequency(db, "useful")
    assert [(r.value, r.n) for r in table.rows] == [("very", 1), ("ambivalent", 0), ("not_very", 0)]
    assert table.small_base_warning


def test_select_multiple_percentages_are_of_respondents(db: Database, record: Record) -> None:
    record({"topics": ["funding", "networks"]})
    record({"topics": ["funding"]})
    record({"topics": ["funding", "networks", "policy"]})
    record({"useful": "very"})  # did not answer topics: missing
    table = _frequency(db, "topics")
    assert table.multiple and table.note
    assert table.base == 3
    assert table.missing == 1
    assert [(r.value, r.n, round(r.percent or 0, 1)) for r in table.rows] == [
        ("funding", 3, 100.0),
        ("networks", 2, 66.7),
        ("policy", 1, 33.3),
    ]


def test_skipped_questions_are_not_shown_not_missing(db: Database, record: Record) -> None:
    record({"attended": "yes"})  # why_not hidden by its rule
    record({"attended": "yes"})
    record({"attended": "no", "why_not": "Too far"})
    record({"attended": "no"})  # shown, left blank: missing
    with db.read() as session:
        summary = summarise(session, SLUG)
        attended = summary.table("attended")
    assert isinstance(attended, FrequencyTable)
    assert (attended.base, attended.missing, attended.not_shown) == (4, 0, 0)
    from sqlalchemy import func, select

    from feedback.db import SkippedQuestion
    from feedback.db.summary_queries import instrument_counts

    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(SkippedQuestion)) == 2
        from feedback.services.instruments import get_instrument

        counts = instrument_counts(session, get_instrument(session, SLUG).id, ResponseFilter())
    assert counts.answered["why_not"] == 1
    assert counts.not_shown["why_not"] == 2
    assert counts.missing("why_not") == 1


def test_a_question_added_in_a_later_version_was_not_shown_to_earlier_answers(
    db: Database, record: Record, form_file: Path
) -> None:
    from analysis_support import FORM

    from feedback.domain.loader import load_file
    from feedback.services.instruments import save_instrument

    record({"attended": "yes"})
    record({"attended": "no"})
    again_row = "  - type: select_one yes_no\n    name: again\n    label: Would you come again?\n"
    second = FORM.replace('version: "1"', 'version: "2"').replace("survey:\n", "survey:\n" + again_row, 1)
    form_file.write_text(second)
    with db.write() as session:
        save_instrument(session, load_file(form_file))
    with db.read() as session:
        again = summarise(session, SLUG).table("again")
    assert isinstance(again, FrequencyTable)  # both answers came from version 1, which never asked it
    assert (again.base, again.missing, again.not_shown) == (0, 0, 2)


def test_numeric_summary_from_sql(db: Database, record: Record) -> None:
    for n in (1, 2, 3, 10):
        record({"sessions": n})
    record({"useful": "very"})
    with db.read() as session:
        table = summarise(session, SLUG).table("sessions")
    assert isinstance(table, NumericSummary)
    assert (table.n, table.mean, table.median, table.minimum, table.maximum) == (4, 4.0, 2.5, 1.0, 10.0)
    assert table.missing == 1
    record({"sessions": 7})
    with db.read() as session:
        table = summarise(session, SLUG).table("sessions")
    assert isinstance(table, NumericSummary)
    assert table.median == 3.0


def test_filters_by_status_mode_event_and_date(db: Database, record: Record) -> None:
    from sqlalchemy import select

    from feedback.db import Activity, Project

    with db.write() as session:
        project = session.scalar(select(Project).where(Project.slug == "analysis-tests"))
        assert project is not None
        event = Activity(project_id=project.id, title="York workshop")
        session.add(event)
        session.flush()
        event_id = event.id
    record({"useful": "very"}, mode="paper", activity_id=event_id)
    record({"useful": "very"}, status="partial", submitted_at=None)
    record({"useful": "not_very"}, submitted_at=datetime(2025, 1, 1, tzinfo=UTC))
    assert _frequency(db, "useful").base == 3
    assert _frequency(db, "useful", ResponseFilter(statuses=("complete",))).base == 2
    assert _frequency(db, "useful", ResponseFilter(modes=("paper",))).base == 1
    assert _frequency(db, "useful", ResponseFilter(activity_ids=(event_id,))).row("very").n == 1
    assert _frequency(db, "useful", ResponseFilter(activity_ids=(event_id,))).base == 1
    since = ResponseFilter(since=datetime(2026, 1, 1, tzinfo=UTC), statuses=("complete",))
    table = _frequency(db, "useful", since)
    assert (table.base, table.row("not_very").n) == (1, 0)
    with db.read() as session:
        assert summarise(session, SLUG, ResponseFilter(statuses=("complete",))).responses == {
            "complete": 2,
            "partial": 0,
        }


def test_profile_sections_sum_to_their_base(db: Database, record: Record) -> None:
    _report_figures(record)
    record({"attended": "yes"})
    with db.read() as session:
        table = profile(session, SLUG, ["useful", "attended"], "Table 2.2")
    for section in table.sections:
        assert sum(r.n for r in section.rows) == section.base
        assert sum(r.percent or 0 for r in section.rows) == pytest.approx(100)


def test_crosstab_of_two_questions_and_by_contact_attribute(db: Database, record: Record) -> None:
    from feedback.db import Contact, ContactAttribute, Project

    with db.write() as session:
        project = Project(slug="xt", name="XT")
        session.add(project)
        session.flush()
        contacts = []
        for i, region in enumerate(["north", "north", "south"]):
            contact = Contact(project_id=project.id, email=f"p{i}@example.org")
            contact.attributes.append(ContactAttribute(key="region", value=region))
            session.add(contact)
            contacts.append(contact)
        session.flush()
        ids = [c.id for c in contacts]
    record({"useful": "very", "attended": "yes"}, contact_id=ids[0])
    record({"useful": "very", "attended": "no"}, contact_id=ids[1])
    record({"useful": "not_very", "attended": "no"}, contact_id=ids[2])
    with db.read() as session:
        xt = question_crosstab(session, SLUG, "useful", "attended", "column")
        by_region = attribute_crosstab(session, SLUG, "useful", "region", "row")
    assert xt.cell("very", "no").n == 1
    assert xt.cell("very", "no").percent == 50.0
    assert xt.cell("not_very", "no").base == 2
    assert by_region.cell("very", "north").n == 2
    assert by_region.cell("very", "north").percent == 100.0
    assert [h.value for h in by_region.columns] == ["north", "south"]


def test_summary_command_json(runner: FlaskCliRunner, record: Record) -> None:
    _report_figures(record)
    record({"sessions": 3}, status="partial", submitted_at=None)
    result = runner.invoke(args=["summary", "--instrument", SLUG, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["instrument"] == SLUG
    assert data["responses"]["complete"] == 55 and data["responses"]["partial"] == 1
    useful = next(q for q in data["questions"] if q["name"] == "useful")
    assert (useful["base"], useful["missing"]) == (55, 1)
    assert useful["rows"][0] == {"value": "very", "label": "Very useful", "n": 22, "percent": 40.0}
    sessions = next(q for q in data["questions"] if q["name"] == "sessions")
    assert (sessions["n"], sessions["median"], sessions["min"]) == (1, 3.0, 3.0)


def test_summary_command_text_and_status_filter(runner: FlaskCliRunner, record: Record) -> None:
    _report_figures(record)
    record({"useful": "very"}, status="partial", submitted_at=None)
    result = runner.invoke(args=["summary", "--instrument", SLUG, "--status", "complete"])
    assert result.exit_code == 0, result.output
    assert "How useful was the event?" in result.output
    assert "40.0%" in result.output and "Base (answered): 55" in result.output
    missing = runner.invoke(args=["summary", "--instrument", "nope"])
    assert missing.exit_code == 1 and "no instrument called 'nope'" in missing.output


def test_text_answers_page_lists_free_text(db: Database, record: Record) -> None:
    from feedback.services.summaries import text_answers_page

    first = record({"attended": "no", "why_not": "Too far", "comments": "Thanks"})
    record({"attended": "yes"})
    with db.read() as session:
        page = text_answers_page(session, SLUG)
        only = text_answers_page(session, SLUG, ["comments"], limit=1)
    assert [(a.response_id, a.question, a.answer) for a in page] == [
        (first, "why_not", "Too far"),
        (first, "comments", "Thanks"),
    ]
    assert [a.answer for a in only] == ["Thanks"]
