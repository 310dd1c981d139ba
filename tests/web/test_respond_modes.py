"""Save and resume, invited and anonymous respondents, closed forms, events, QR codes, paper."""

from __future__ import annotations

import secrets
from datetime import date

from flask.testing import FlaskClient
from respond_support import answer, csrf_token, resume_token, start, text
from sqlalchemy import select

from feedback.db import Activity, Case, Contact, Instrument, Project, Response
from feedback.db.session import Database

SLUG = "crisp-web-survey"
PAGE_1 = {
    "org_type": "other",
    "org_type_other": "Housing trust",
    "primary_work": "offenders",
    "location": "north_east",
}


def finish(client: FlaskClient, first_page: str, slug: str = SLUG) -> None:
    """Answer the minimum on each CRISP page and send."""
    answer(client, first_page, {"org_type": "vco", "primary_work": "offenders", "location": "national"})
    answer(client, first_page.replace("/p/1", "/p/2"), {"activities": ["light_lunch"]})
    check_url = first_page.replace("/p/1", "/check")
    response = client.post(check_url, data={"csrf_token": csrf_token(text(client.get(check_url)))})
    assert response.headers["Location"].endswith("/done"), text(response)


def test_save_and_come_back_later_restores_every_answer(client: FlaskClient, app, loaded_forms, db) -> None:
    url = start(client, f"/f/{SLUG}")
    answer(client, url, PAGE_1)
    page_2 = url.replace("/p/1", "/p/2")
    response = answer(
        client,
        page_2,
        {"activities": ["rise", "training"], "expectations_detail": "Line one\nLine two"},
        "save",
    )
    assert response.headers["Location"].endswith("/saved")
    saved = text(client.get(response.headers["Location"]))
    token = resume_token(url)
    link = f"http://127.0.0.1:5000/f/{SLUG}/r/{token}"
    assert f'id="resume-link">{link}</a>' in saved  # from settings.base_url, shown on screen
    assert len(token) >= 43  # 256 random bits

    with db.read() as session:
        stored = session.scalars(select(Response)).one()
        assert stored.status == "partial" and stored.answered == 6

    other = app.test_client()  # another browser, days later: only the link
    resumed = other.get(f"/f/{SLUG}/r/{token}")
    assert resumed.headers["Location"].endswith("/p/3")  # the first page not yet answered
    page_1 = text(other.get(url))
    assert 'value="other" checked' in page_1 and 'value="Housing trust"' in page_1
    page_2_body = text(other.get(page_2))
    assert 'value="rise" checked' in page_2_body and 'value="training" checked' in page_2_body
    assert "Line one\nLine two</textarea>" in page_2_body


def test_save_with_an_error_keeps_the_valid_answers(client: FlaskClient, loaded_forms, db) -> None:
    url = start(client, f"/f/{SLUG}")
    response = answer(client, url, {**PAGE_1, "primary_work": "not-an-option"}, "save")
    assert response.status_code == 200
    body = text(response)
    assert "Your other answers on this page have been saved." in body
    assert "Select one of the options shown" in body
    with db.read() as session:
        assert session.scalars(select(Response)).one().answered == 3  # org_type, its "other" text, location


def test_anonymous_form_can_be_answered_many_times(client: FlaskClient, loaded_forms, db) -> None:
    first = start(client, f"/f/{SLUG}")
    finish(client, first)
    second = start(client, f"/f/{SLUG}")
    assert resume_token(second) != resume_token(first)
    finish(client, second)
    with db.read() as session:
        assert [r.status for r in session.scalars(select(Response))] == ["complete", "complete"]


def _invite(db: Database, slug: str = SLUG) -> str:
    token = secrets.token_urlsafe(32)
    with db.write() as session:
        instrument = session.scalar(select(Instrument).where(Instrument.slug == slug))
        contact = Contact(project_id=instrument.project_id, name="Ada Secretname", email="ada@example.org")
        session.add(contact)
        session.flush()
        session.add(Case(instrument_id=instrument.id, contact_id=contact.id, token=token))
    return token


def test_invited_link_resumes_one_response_and_completes_once(
    client: FlaskClient, app, loaded_forms, db
) -> None:
    token = _invite(db)
    url = start(client, f"/f/{SLUG}?t={token}")
    answer(client, url, PAGE_1)

    later = app.test_client()  # the invitation link again, from another device
    again = text(later.get(f"/f/{SLUG}?t={token}"))
    assert "Continue where you left off" in again
    assert "Secretname" not in again and "ada@example.org" not in again
    resumed = start(later, f"/f/{SLUG}?t={token}")
    assert resume_token(resumed) == resume_token(url)
    assert resumed.endswith("/p/2")

    finish(later, url)
    done = later.get(f"/f/{SLUG}?t={token}")
    assert done.status_code == 200
    assert "You have already completed this form" in text(done)
    with db.read() as session:
        response = session.scalars(select(Response)).one()
        case = session.scalars(select(Case)).one()
    assert response.case_id == case.id and response.contact_id == case.contact_id
    assert response.status == "complete"


def test_unknown_invitation_or_resume_link_is_a_friendly_404(client: FlaskClient, loaded_forms) -> None:
    for path in (
        f"/f/{SLUG}?t=nope",
        f"/f/{SLUG}/r/nope",
        f"/f/{SLUG}/r/nope/p/1",
        "/f/no-such-form",
        "/e/nope",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Page not found" in text(response)


def _open_to_everyone(db: Database, slug: str = SLUG) -> None:
    with db.write() as session:
        session.scalar(select(Instrument).where(Instrument.slug == slug)).access = "open"


def test_a_survey_of_a_contact_list_is_by_invitation(client: FlaskClient, loaded_forms, db) -> None:
    """Defect 1: an anonymous answer to a sampled survey landed in its rate and the index listed it."""
    _invite(db)
    refused = client.get(f"/f/{SLUG}")
    assert refused.status_code == 403
    assert "This survey is by invitation" in text(refused)
    assert "personal link in your invitation" in text(refused)
    token = csrf_token(text(client.get("/f/pirr-event-feedback")))  # a session token from an open form
    posted = client.post(f"/f/{SLUG}", data={"csrf_token": token})
    assert posted.status_code == 403
    assert f"/f/{SLUG}" not in text(client.get("/"))
    with db.read() as session:
        assert session.scalars(select(Response)).all() == []


def test_anonymous_pages_carry_no_contact_identity(client: FlaskClient, loaded_forms, db) -> None:
    _invite(db)
    _open_to_everyone(db)
    url = start(client, f"/f/{SLUG}")
    pages = [client.get(f"/f/{SLUG}"), client.get(url), answer(client, url, PAGE_1)]
    pages.append(client.get(url.replace("/p/1", "/check")))
    for page in pages:
        assert "Secretname" not in text(page) and "ada@example.org" not in text(page)


def test_closed_instrument_shows_a_friendly_page(client: FlaskClient, loaded_forms, db) -> None:
    url = start(client, f"/f/{SLUG}")
    with db.write() as session:
        session.scalar(select(Instrument).where(Instrument.slug == SLUG)).status = "closed"
    for response in (client.get(f"/f/{SLUG}"), client.get(url)):
        assert response.status_code == 200
        assert "This form is closed" in text(response)
        assert "CRISP participant survey" in text(response)


def _event(db: Database) -> Activity:
    with db.write() as session:
        project = session.scalar(select(Project).where(Project.slug == "pirr"))
        activity = Activity(
            project_id=project.id,
            title="Sentencing <b>training</b> day",
            short_code="pirr-sent1",
            starts_on=date(2026, 3, 14),
        )
        session.add(activity)
    return activity


def test_event_short_link_tags_the_response_with_the_activity(client: FlaskClient, loaded_forms, db) -> None:
    activity = _event(db)
    start_page = text(client.get("/e/pirr-sent1"))
    assert "PiRR event feedback" in start_page
    assert "Sentencing &lt;b&gt;training&lt;/b&gt; day" in start_page
    url = start(client, "/e/pirr-sent1")
    assert "/f/pirr-event-feedback/r/" in url
    page = text(client.get(url))
    assert 'id="event-name"' in page
    assert 'id="event_date-day"' in page and 'inputmode="numeric"' in page  # GOV.UK date input

    response = answer(
        client,
        url,
        {
            "event_type": "nope",
            "overall_rating": "",
            "event_date-day": "31",
            "event_date-month": "2",
            "event_date-year": "2026",
        },
    )
    body = text(response)
    assert '<a href="#event_date-day">Date of the event: Enter a real date</a>' in body
    assert 'name="event_date-day" type="text" value="31"' in body
    with db.read() as session:
        response_row = session.scalars(select(Response)).one()
    assert response_row.activity_id == activity.id

    fixed = {
        "event_type": "conference",
        "overall_rating": "good",
        "event_date-day": "14",
        "event_date-month": "3",
    }
    response = answer(client, url, {**fixed, "event_date-year": "2026"})
    assert response.status_code == 302, text(response)
    again = text(client.get(url))
    assert 'name="event_date-day" type="text" value="14"' in again
    assert 'name="event_date-year" type="text" value="2026"' in again
    assert "14 March 2026" in text(client.get(url.replace("/p/1", "/check")))


def test_qr_codes_point_at_the_event_link(client: FlaskClient, loaded_forms, db) -> None:
    _event(db)
    svg = client.get("/e/pirr-sent1/qr.svg", headers={"Host": "evil.example"})
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    body = text(svg)
    assert body.startswith("<?xml") and "<svg" in body and "</svg>" in body
    assert "http://127.0.0.1:5000/e/pirr-sent1" in body and "evil.example" not in body
    png = client.get("/e/pirr-sent1/qr.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert png.data.startswith(b"\x89PNG\r\n\x1a\n") and len(png.data) > 200
    assert client.get("/e/unknown/qr.png").status_code == 404


def test_qr_code_decodes_to_the_link(client: FlaskClient, loaded_forms, db) -> None:
    """The PNG's modules, read back, give the same matrix segno draws for the link."""
    import segno

    _event(db)
    png = client.get("/e/pirr-sent1/qr.png").data
    expected = segno.make("http://127.0.0.1:5000/e/pirr-sent1", error="m", micro=False)
    import io

    buffer = io.BytesIO()
    expected.save(buffer, kind="png", scale=10, border=4)
    assert png == buffer.getvalue()


def test_print_view_has_boxes_lines_event_and_qr_code(client: FlaskClient, loaded_forms, db) -> None:
    _event(db)
    body = text(client.get("/e/pirr-event-feedback/print".replace("pirr-event-feedback", "pirr-sent1")))
    assert 'href="/static/public/print.css"' in body
    assert "Sentencing &lt;b&gt;training&lt;/b&gt; day" in body
    assert 'src="/e/pirr-sent1/qr.svg"' in body
    assert "http://127.0.0.1:5000/e/pirr-sent1" in body
    assert body.count('class="app-print__box"') >= 10
    assert 'class="app-print__line"' in body
    crisp = text(client.get(f"/f/{SLUG}/print"))
    assert "Answer only if you chose “Other” at question 1." in crisp
    assert 'src="/f/crisp-web-survey/qr.svg"' in crisp
    css = client.get("/static/public/print.css")
    assert b"size: A4" in css.data
    css.close()


def test_interview_schedules_are_not_answered_on_the_public_web(client: FlaskClient, loaded_forms) -> None:
    assert client.get("/f/move-telephone-interview").status_code == 404
    paper = client.get("/f/move-telephone-interview/print")
    assert paper.status_code == 200
    assert 'id="qr-code"' not in text(paper)
    index = text(client.get("/"))
    assert 'href="/f/crisp-web-survey"' in index
    assert 'href="/f/move-telephone-interview/print"' in index


def test_pages_under_a_resume_link_are_not_cached_or_referred(client: FlaskClient, loaded_forms) -> None:
    url = start(client, f"/f/{SLUG}")
    headers = client.get(url).headers
    assert headers["Cache-Control"] == "no-store"
    assert headers["Referrer-Policy"] == "same-origin"


def test_expired_token_on_an_event_start_page_shows_it_again(client: FlaskClient, loaded_forms, db) -> None:
    _event(db)
    response = client.post("/e/pirr-sent1", data={"key": "k" * 43})
    assert response.status_code == 400
    body = text(response)
    assert "session timed out" in body and "Sentencing &lt;b&gt;training&lt;/b&gt; day" in body
    assert csrf_token(body)
