"""Response rules in the staff area (defect 9 and the open-to-everyone switch): an evaluator sets
who may answer and the partial threshold; the change is audited and every rate output states it."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from staff_helpers import csrf_token, login, make_user
from staff_helpers import fast_hashing as fast_hashing  # noqa: F401 -- fixture used via pytestmark

from feedback.db import Case, Contact, Instrument
from feedback.db.audit import AuditEntry
from feedback.db.session import Database

pytestmark = pytest.mark.usefixtures("fast_hashing")
SLUG = "crisp-web-survey"
RULES = f"/staff/projects/crisp/instruments/{SLUG}/rules"


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", re.sub(r"</?span[^>]*>", "", html)))


@pytest.fixture
def evaluator(client: FlaskClient, db: Database, loaded_forms: object) -> FlaskClient:
    with db.write() as session:
        survey = session.scalar(select(Instrument).where(Instrument.slug == SLUG))
        contact = Contact(project_id=survey.project_id, name="Ada", email="ada@example.org")
        session.add(contact)
        session.flush()
        session.add(Case(instrument_id=survey.id, contact_id=contact.id, token="t" * 43))
    make_user(db, "eve@example.org", roles={"crisp": "evaluator"})
    login(client, "eve@example.org")
    return client


def _save(client: FlaskClient, **data: str):  # type: ignore[no-untyped-def]
    token = csrf_token(client.get(RULES).get_data(as_text=True))
    return client.post(RULES, data={"csrf_token": token, **data})


def test_the_page_states_the_rule_and_who_may_answer(evaluator: FlaskClient) -> None:
    page = _text(evaluator.get(RULES).get_data(as_text=True))
    assert "Who may answer: invited contacts only when there is a contact list" in page
    assert "Rule: partial_threshold = 0.5" in page
    assert "1 case in the sample; 0 responses from the sample" in page


def test_an_evaluator_opens_the_survey_and_counts_any_answer_as_partial(
    evaluator: FlaskClient, db: Database
) -> None:
    assert evaluator.get(f"/f/{SLUG}").status_code == 403
    saved = _save(evaluator, access="open", partial_threshold="any")
    assert saved.status_code == 302
    page = _text(evaluator.get(saved.headers["Location"]).get_data(as_text=True))
    assert "who may answer: anyone with the link" in page and "partial rule: at least one answer" in page
    assert evaluator.get(f"/f/{SLUG}").status_code == 200  # the public link now works
    rates = _text(evaluator.get("/staff/projects/crisp/rates").get_data(as_text=True))
    assert "Rule: partial_threshold = any" in rates
    methodology = _text(evaluator.get("/staff/projects/crisp/methodology").get_data(as_text=True))
    assert "Rule: partial_threshold = any" in methodology
    with db.read() as session:
        survey = session.scalar(select(Instrument).where(Instrument.slug == SLUG))
        assert (survey.access, survey.partial_threshold) == ("open", 0.0)
        before, after, who = session.execute(
            select(AuditEntry.before, AuditEntry.after, AuditEntry.actor_label).where(
                AuditEntry.entity_type == "instrument", AuditEntry.entity_id == survey.id
            )
        ).one()
    assert (before["partial_threshold"], after["partial_threshold"]) == (0.5, 0.0)
    assert (before["access"], after["access"]) == (None, "open")
    assert who == "eve@example.org"


@pytest.mark.parametrize("bad", ["0", "2", "half", "0.5.1"])
def test_a_threshold_outside_zero_to_one_is_a_form_error(
    evaluator: FlaskClient, db: Database, bad: str
) -> None:
    response = _save(evaluator, access="sample", partial_threshold=bad)
    assert response.status_code == 400
    assert "There is a problem" in response.get_data(as_text=True)
    assert f"found &#39;{bad}&#39;" in response.get_data(as_text=True)
    with db.read() as session:
        assert session.scalar(select(Instrument.partial_threshold).where(Instrument.slug == SLUG)) == 0.5


def test_unknown_choices_and_other_projects_are_refused(evaluator: FlaskClient, db: Database) -> None:
    assert _save(evaluator, access="everyone", partial_threshold="0.5").status_code == 400
    assert evaluator.get("/staff/projects/crisp/instruments/no-such-form/rules").status_code == 404
    assert evaluator.get("/staff/projects/pirr/instruments/pirr-event-feedback/rules").status_code in (
        403,
        404,
    )
    no_token = evaluator.post(RULES, data={"access": "open", "partial_threshold": "any"})
    assert no_token.status_code == 400
    with db.read() as session:
        assert session.scalar(select(Instrument.access).where(Instrument.slug == SLUG)) is None
