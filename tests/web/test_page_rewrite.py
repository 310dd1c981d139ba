"""Saving a page rewrites only the answers that changed (feedback.services.responses.write_answers
with ``existing``): unchanged answers keep their rows, changed and removed ones never linger."""

from __future__ import annotations

from flask.testing import FlaskClient
from respond_support import answer, start
from sqlalchemy import select

from feedback.db import Answer, Question, SkippedQuestion
from feedback.db.session import Database

SLUG = "crisp-web-survey"
PAGE_1 = {"org_type": "vco", "primary_work": "offenders", "location": "north_east"}


def rows(db: Database) -> dict[str, list[tuple[int, str]]]:
    with db.read() as session:
        found: dict[str, list[tuple[int, str]]] = {}
        for name, rid, value in session.execute(
            select(Question.name, Answer.id, Answer.value)
            .join(Question, Question.id == Answer.question_id)
            .order_by(Answer.id)
        ):
            found.setdefault(name, []).append((rid, value))
        return found


def test_unchanged_answers_keep_their_rows_and_changed_ones_are_replaced(
    client: FlaskClient, loaded_forms, db: Database
) -> None:
    url = start(client, f"/f/{SLUG}")
    answer(client, url, PAGE_1)
    page_2 = url.replace("/p/1", "/p/2")
    answer(client, page_2, {"activities": ["rise", "action_learning"], "expectations_met": "partly"})
    before = rows(db)

    # Page 1 again with one answer changed: only that question's row is new.
    answer(client, url, {**PAGE_1, "location": "national"})
    after = rows(db)
    assert after["org_type"] == before["org_type"] and after["primary_work"] == before["primary_work"]
    assert after["activities"] == before["activities"]  # another page: untouched
    assert [v for _i, v in after["location"]] == ["national"]
    assert after["location"][0][0] > max(i for r in before.values() for i, _v in r)

    # A ticked box taken away and another added: the question's rows are replaced as a whole.
    answer(client, page_2, {"activities": ["action_learning", "light_lunch"], "expectations_met": "partly"})
    again = rows(db)
    assert sorted(v for _i, v in again["activities"]) == ["action_learning", "light_lunch"]
    newest = max(i for r in after.values() for i, _v in r)
    assert all(i > newest for i, _v in again["activities"])
    assert again["expectations_met"] == after["expectations_met"]

    # An answer cleared: its row goes.
    answer(client, page_2, {"activities": ["action_learning", "light_lunch"]})
    assert "expectations_met" not in rows(db)


def skips(db: Database) -> set[str]:
    with db.read() as session:
        return set(
            session.scalars(
                select(Question.name).join(SkippedQuestion, SkippedQuestion.question_id == Question.id)
            )
        )


def test_skip_rows_follow_the_rules_as_answers_change(
    client: FlaskClient, loaded_forms, db: Database
) -> None:
    """Skip rows are rewritten by difference, and always match what the rules hide."""
    url = start(client, f"/f/{SLUG}")
    answer(client, url, PAGE_1)
    first = skips(db)
    assert {"org_type_other", "primary_work_other", "location_other"} <= first
    assert "useful_rise" in first  # page 3 asks about RISE only if it was ticked on page 2

    # "Other" organisation: its follow-up is shown now, so its skip row goes; the rest stay.
    answer(client, url, {**PAGE_1, "org_type": "other", "org_type_other": "A housing trust"})
    assert skips(db) == first - {"org_type_other"}

    # RISE ticked on page 2: its usefulness question is no longer skipped.
    page_2 = url.replace("/p/1", "/p/2")
    answer(client, page_2, {"activities": ["rise"], "expectations_met": "partly"})
    assert "useful_rise" not in skips(db)

    # Both undone: the skip rows come back, exactly as at the start.
    answer(client, page_2, {"activities": ["taster_days"], "expectations_met": "partly"})
    answer(client, url, PAGE_1)
    assert skips(db) == first
