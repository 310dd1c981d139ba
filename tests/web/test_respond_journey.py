"""Completing the CRISP survey on the web, page by page, as a respondent would (CSRF on)."""

from __future__ import annotations

from flask.testing import FlaskClient
from respond_support import answer, csrf_token, resume_token, start, text
from sqlalchemy import select

from feedback.db import Answer, Question, Response
from feedback.db.session import Database

SLUG = "crisp-web-survey"

PAGE_1 = {"org_type": "vco", "primary_work": "offenders", "location": "north_east"}
PAGE_2 = {
    "activities": ["rise", "action_learning"],
    "expectations": ["new_contacts", "training"],
    "expectations_met": "partly",
    "expectations_detail": "More contacts with prison staff.",
}


def stored(db: Database) -> dict[str, list[str]]:
    with db.read() as session:
        rows = session.execute(
            select(Question.name, Answer.value)
            .join(Question, Question.id == Answer.question_id)
            .order_by(Answer.id)
        ).all()
    answers: dict[str, list[str]] = {}
    for name, value in rows:
        answers.setdefault(name, []).append(value)
    return answers


def test_complete_crisp_survey_through_every_page(client: FlaskClient, loaded_forms, db: Database) -> None:
    start_page = text(client.get(f"/f/{SLUG}"))
    assert "CRISP participant survey" in start_page
    assert "up to 7 sections" in start_page
    assert "Start now" in start_page

    url = start(client, f"/f/{SLUG}")
    assert url.endswith("/p/1")
    first = text(client.get(url))
    assert "Section 1 of 5" in first  # the two pages that depend on activities are not shown yet
    assert 'id="org_type"' in first

    response = answer(client, url, PAGE_1)
    assert response.status_code == 302
    page_2 = response.headers["Location"]
    assert page_2.endswith("/p/2")

    response = answer(client, page_2, PAGE_2)
    page_3 = response.headers["Location"]
    assert page_3.endswith("/p/3")  # usefulness: shown because RISE and action learning were ticked
    body = text(client.get(page_3))
    assert "Section 3 of 7" in body
    assert 'name="useful_rise"' in body and 'name="useful_action_learning"' in body
    assert 'name="useful_light_lunch"' not in body  # not taken part: not asked

    response = answer(client, page_3, {"useful_rise": "very_useful", "useful_action_learning": "neither"})
    page_4 = response.headers["Location"]
    body = text(client.get(page_4))
    assert "How successful was CRISP at each of the following for you?" in body
    assert "govuk-inset-text" in body  # the note is inset text
    response = answer(client, page_4, {"ach_information": "very_successful", "new_services": "running"})
    page_5 = response.headers["Location"]
    response = answer(client, page_5, {"confidence_vco": "more"})
    page_6 = response.headers["Location"]
    assert page_6.endswith("/p/6")  # action learning sets: asked because action_learning was ticked
    response = answer(client, page_6, {"al_skills": "yes"})
    page_7 = response.headers["Location"]
    response = answer(client, page_7, {"replicate": "no", "comments": "Keep it going."})
    check_url = response.headers["Location"]
    assert check_url.endswith("/check")

    check = text(client.get(check_url))
    assert "Check your answers" in check
    assert "Regional Information and Skills Events (RISE)<br>Action learning sets" in check
    assert "Keep it going." in check
    assert check.count(">Change<") >= 10

    done = client.post(check_url, data={"csrf_token": csrf_token(check)})
    assert done.status_code == 302 and done.headers["Location"].endswith("/done")
    assert "Your answers have been sent" in text(client.get(done.headers["Location"]))

    with db.read() as session:
        saved = session.scalars(select(Response)).one()
    assert saved.status == "complete" and saved.submitted_at is not None
    assert saved.resume_token == resume_token(url)
    answers = stored(db)
    assert answers["activities"] == ["rise", "action_learning"]
    assert answers["useful_rise"] == ["very_useful"]
    assert answers["comments"] == ["Keep it going."]


def test_an_error_and_its_correction(client: FlaskClient, loaded_forms) -> None:
    url = start(client, f"/f/{SLUG}")
    response = answer(client, url, {"org_type": "vco"})
    assert response.status_code == 200
    body = text(response)
    assert "There is a problem" in body
    assert '<a href="#primary_work">What is the main work of your organisation? Select an answer</a>' in body
    assert 'id="primary_work-error"' in body
    assert "<title>Error: About you and your organisation" in body
    assert 'value="vco" checked' in body  # what was chosen stays chosen

    response = answer(client, url, PAGE_1)
    assert response.status_code == 302 and response.headers["Location"].endswith("/p/2")


def test_changing_an_earlier_answer_discards_answers_it_no_longer_asks_for(
    client: FlaskClient, loaded_forms, db: Database
) -> None:
    url = start(client, f"/f/{SLUG}")
    answer(client, url, {**PAGE_1, "org_type": "other", "org_type_other": "A housing trust"})
    page_2 = url.replace("/p/1", "/p/2")
    answer(client, page_2, PAGE_2)
    answer(
        client,
        url.replace("/p/1", "/p/3"),
        {"useful_rise": "very_useful", "useful_action_learning": "neither"},
    )
    answer(client, url.replace("/p/1", "/p/6"), {"al_skills": "yes"})
    assert stored(db)["org_type_other"] == ["A housing trust"]
    assert stored(db)["al_skills"] == ["yes"]

    # Change page 1 to "vco" (the "other" box is still posted, as a browser without JavaScript does)
    # and page 2 to activities without action learning or any rated activity.
    answer(client, url, {**PAGE_1, "org_type": "vco", "org_type_other": "A housing trust"})
    response = answer(client, page_2, {**PAGE_2, "activities": ["taster_days"]})
    assert response.headers["Location"].endswith("/p/4")  # usefulness page skipped now
    answers = stored(db)
    assert "org_type_other" not in answers
    assert "useful_rise" not in answers and "useful_action_learning" not in answers
    assert "al_skills" not in answers
    assert answers["activities"] == ["taster_days"]
    skipped_page = client.get(url.replace("/p/1", "/p/6"))
    assert skipped_page.status_code == 302  # a page the rules skip sends the respondent on


def test_check_answers_change_link_returns_to_check(client: FlaskClient, loaded_forms) -> None:
    url = start(client, f"/f/{SLUG}")
    answer(client, url, PAGE_1)
    check_url = url.replace("/p/1", "/check")
    check = text(client.get(check_url))
    assert f'href="{url}?return=check#org_type"' in check
    response = answer(client, f"{url}?return=check", {**PAGE_1, "_return": "check", "location": "national"})
    assert response.headers["Location"].endswith("/check")
    assert "National" in text(client.get(check_url))


def test_submitting_with_required_answers_missing_lists_them(client: FlaskClient, loaded_forms) -> None:
    url = start(client, f"/f/{SLUG}")
    answer(client, url, PAGE_1)
    check_url = url.replace("/p/1", "/check")
    page = text(client.get(check_url))
    response = client.post(check_url, data={"csrf_token": csrf_token(page)})
    assert response.status_code == 200
    body = text(response)
    assert "Which CRISP activities did you take part in? Select at least one answer" in body
    assert f'href="{url.replace("/p/1", "/p/2")}?return=check#activities"' in body
