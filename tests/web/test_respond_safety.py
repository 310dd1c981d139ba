"""What a careless network, a double click or a hostile client can do to a respondent's page."""

from __future__ import annotations

from flask.testing import FlaskClient
from respond_support import answer, csrf_token, start, text
from sqlalchemy import func, select

from feedback.db import Answer, Response
from feedback.db.session import Database
from feedback.domain.loader import load_raw
from feedback.domain.loader.yaml_reader import read_yaml
from feedback.services.instruments import save_instrument

SLUG = "crisp-web-survey"
PAGE_1 = {"org_type": "vco", "primary_work": "offenders", "location": "north_east"}
XSS = "<script>alert(1)</script>"


def count(db: Database, model: type) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_expired_csrf_token_keeps_the_answers_and_gives_a_fresh_token(
    client: FlaskClient, loaded_forms, db: Database
) -> None:
    url = start(client, f"/f/{SLUG}")
    page_2 = url.replace("/p/1", "/p/2")
    old_page = text(client.get(page_2))
    typed = {"activities": ["rise"], "expectations_detail": "Typed before lunch"}
    for token in ("expired-or-forged", None):
        data = dict(typed, _action="continue", **({"csrf_token": token} if token else {}))
        response = client.post(page_2, data=data)
        assert response.status_code == 400
        body = text(response)
        assert "Your session timed out" in body
        assert "Typed before lunch" in body
        assert 'value="rise" checked' in body
        fresh = csrf_token(body)
        assert fresh and fresh != token
    assert count(db, Answer) == 0  # an untrusted request saves nothing
    assert csrf_token(old_page)

    # With the fresh token the same answers go through.
    response = client.post(page_2, data=dict(typed, _action="continue", csrf_token=fresh))
    assert response.status_code == 302


def test_lost_session_cookie_on_start_shows_the_start_page_again(client: FlaskClient, loaded_forms) -> None:
    page = text(client.get(f"/f/{SLUG}"))
    client.delete_cookie("session")
    response = client.post(f"/f/{SLUG}", data={"csrf_token": csrf_token(page), "key": "k" * 43})
    assert response.status_code == 400
    assert "Start now" in text(response) and "session timed out" in text(response)


def test_double_submit_stores_one_response(client: FlaskClient, loaded_forms, db: Database) -> None:
    url = start(client, f"/f/{SLUG}")
    answer(client, url, PAGE_1)
    answer(client, url.replace("/p/1", "/p/2"), {"activities": ["light_lunch"]})
    check_url = url.replace("/p/1", "/check")
    token = csrf_token(text(client.get(check_url)))
    first = client.post(check_url, data={"csrf_token": token})
    second = client.post(check_url, data={"csrf_token": token})  # double click, or a second tab
    assert first.headers["Location"] == second.headers["Location"]
    assert "Your answers have been sent" in text(client.get(second.headers["Location"]))
    with db.read() as session:
        responses = session.scalars(select(Response)).all()
    assert [r.status for r in responses] == ["complete"]
    submitted = responses[0].submitted_at
    # The back button: an old page posted again after submission changes nothing.
    late = client.post(url, data={"csrf_token": token, **PAGE_1, "location": "national"})
    assert late.headers["Location"].endswith("/done")
    with db.read() as session:
        again = session.scalars(select(Response)).one()
        assert again.submitted_at == submitted
        assert session.scalar(select(func.count()).where(Answer.value == "national")) == 0


def test_double_click_on_start_makes_one_response(client: FlaskClient, loaded_forms, db: Database) -> None:
    page = text(client.get(f"/f/{SLUG}"))
    data = {"csrf_token": csrf_token(page), "key": page.split('name="key" value="')[1].split('"')[0]}
    first = client.post(f"/f/{SLUG}", data=data)
    second = client.post(f"/f/{SLUG}", data=data)
    assert first.headers["Location"] == second.headers["Location"]
    assert count(db, Response) == 1


def test_tampered_choice_is_refused_with_a_message(client: FlaskClient, loaded_forms, db: Database) -> None:
    url = start(client, f"/f/{SLUG}")
    response = answer(client, url, {**PAGE_1, "org_type": "ministry_of_magic"})
    assert response.status_code == 200
    body = text(response)
    assert (
        '<a href="#org_type">Which type of organisation do you work for? Select one of the options shown</a>'
        in body
    )
    with db.read() as session:
        assert session.scalar(select(func.count()).where(Answer.value == "ministry_of_magic")) == 0
    page_2 = url.replace("/p/1", "/p/2")
    response = answer(client, page_2, {"activities": ["rise", "'; DROP TABLE answers; --"]})
    assert "Select only from the options shown" in text(response)


def test_unknown_field_names_are_refused(client: FlaskClient, loaded_forms, db: Database) -> None:
    url = start(client, f"/f/{SLUG}")
    response = answer(client, url, {**PAGE_1, "is_admin": "1"})
    assert response.status_code == 400
    assert "This page does not ask for &#39;is_admin&#39;. Nothing on it was saved." in text(response)
    assert count(db, Answer) == 0
    response = answer(client, url, {**PAGE_1, "org_type": ["vco", "statutory"]})
    assert response.status_code == 400
    assert "More than one answer was sent for &#39;org_type&#39;" in text(response)


def test_oversized_input_is_refused_with_a_message(client: FlaskClient, loaded_forms, db: Database) -> None:
    url = start(client, f"/f/{SLUG}")
    response = answer(client, url, {**PAGE_1, "org_type": "other", "org_type_other": "x" * 1001})
    assert response.status_code == 200
    assert "Answer must be 1,000 characters or fewer" in text(response)
    page_2 = url.replace("/p/1", "/p/2")
    response = answer(client, page_2, {"activities": ["rise"], "expectations_detail": "y" * 40_000})
    assert "Answer must be 32,767 characters or fewer" in text(response)
    with db.read() as session:
        assert session.scalar(select(func.max(func.length(Answer.value)))) < 1000
    # Beyond the request size limit the request cannot even be read: a page says so, not a bare 413.
    client.application.config["MAX_CONTENT_LENGTH"] = 100_000
    token = csrf_token(text(client.get(page_2)))
    response = client.post(page_2, data={"csrf_token": token, "expectations_detail": "z" * 200_000})
    assert response.status_code == 413
    assert "Your answers were too long to send" in text(response)


def test_script_in_an_answer_is_shown_as_text(client: FlaskClient, loaded_forms) -> None:
    url = start(client, f"/f/{SLUG}")
    answer(client, url, {**PAGE_1, "org_type": "other", "org_type_other": XSS})
    for page in (client.get(url), client.get(url.replace("/p/1", "/check"))):
        body = text(page)
        assert XSS not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


HOSTILE = f"""
settings:
  form_id: hostile
  form_title: "Title {XSS}"
  kind: survey
  description: "Description {XSS}"
survey:
  - type: begin_group
    name: page
    label: "Group {XSS}"
  - type: select_one yn
    name: q1
    label: "Label {XSS}"
    hint: "Hint {XSS}"
    required: yes
    required_message: "Required {XSS}"
  - type: note
    name: n1
    label: "Note {XSS}"
  - type: end_group
choices:
  yn:
    - name: "y"
      label: "Choice {XSS}"
"""


def test_script_in_an_instrument_label_is_shown_as_text(client: FlaskClient, db: Database) -> None:
    from pathlib import Path

    loaded = load_raw(read_yaml(Path("hostile.yaml"), HOSTILE))
    with db.write() as session:
        save_instrument(session, loaded)
    pages = [client.get("/f/hostile")]
    url = start(client, "/f/hostile")
    pages.append(client.get(url))
    pages.append(answer(client, url, {}))  # the required message, in the error summary too
    pages.append(client.get(url.replace("/p/1", "/check")))
    pages.append(client.get("/f/hostile/print"))
    for page in pages:
        body = text(page)
        assert "<script>alert" not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "Required &lt;script&gt;" in text(pages[2])


def test_two_tabs_submitting_at_the_same_moment_store_one_response(
    client: FlaskClient, app, loaded_forms, db: Database
) -> None:
    import threading

    url = start(client, f"/f/{SLUG}")
    answer(client, url, PAGE_1)
    answer(client, url.replace("/p/1", "/p/2"), {"activities": ["light_lunch"]})
    check_url = url.replace("/p/1", "/check")
    token = csrf_token(text(client.get(check_url)))
    cookie = client.get_cookie("session")
    assert cookie is not None
    tabs = [app.test_client() for _ in range(4)]
    for tab in tabs:
        tab.set_cookie("session", cookie.value)
    barrier = threading.Barrier(len(tabs))
    results: list[int] = []

    def send(tab: FlaskClient) -> None:
        barrier.wait()
        results.append(tab.post(check_url, data={"csrf_token": token}).status_code)

    threads = [threading.Thread(target=send, args=(tab,)) for tab in tabs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [302] * len(tabs)
    with db.read() as session:
        responses = session.scalars(select(Response)).all()
        answers = session.scalar(select(func.count()).select_from(Answer))
    assert [r.status for r in responses] == ["complete"]
    assert answers == 4  # org_type, primary_work, location, activities: written once
