"""Submission keys: a page posted twice is stored once; the same key with other answers is refused.

Every question page and the "Check your answers" page carries a hidden ``_key`` (256 random
bits). CSRF stays on: each POST sends the token and key of the page it came from.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from respond_support import answer, csrf_token, hidden, start, text
from sqlalchemy import func, select

from feedback.db import Answer, Response
from feedback.db.session import Database
from feedback.db.submissions import PageSubmission
from feedback.services import page_keys

SLUG = "crisp-web-survey"
PAGE_1 = {"org_type": "vco", "primary_work": "offenders", "location": "north_east"}


def stored(db: Database) -> list[tuple[int, str]]:
    """Every answer row with its id: a rewrite changes the ids even when the values are equal."""
    with db.read() as session:
        return [(i, v) for i, v in session.execute(select(Answer.id, Answer.value).order_by(Answer.id))]


def count(db: Database, model: type) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def page_fields(client: FlaskClient, url: str, answers: dict[str, Any]) -> dict[str, Any]:
    """What the browser would post from ``url``: its CSRF token, its key and ``answers``."""
    body = text(client.get(url))
    return {"csrf_token": csrf_token(body), "_key": hidden(body, "_key"), "_action": "continue", **answers}


def test_every_page_carries_a_fresh_random_key(client: FlaskClient, loaded_forms) -> None:
    url = start(client, f"/f/{SLUG}")
    keys = {hidden(text(client.get(url)), "_key") for _ in range(3)}
    keys.add(hidden(text(client.get(url.replace("/p/1", "/check"))), "_key"))
    assert len(keys) == 4
    assert all(len(key) >= 43 for key in keys)  # secrets.token_urlsafe(32): 256 bits


def test_the_same_page_posted_twice_is_stored_once(client: FlaskClient, loaded_forms, db: Database) -> None:
    url = start(client, f"/f/{SLUG}")
    fields = page_fields(client, url, PAGE_1)
    first = client.post(url, data=fields)
    assert first.status_code == 302 and first.headers["Location"].endswith("/p/2")
    before = stored(db)
    assert len(before) == 3
    again = client.post(url, data=fields)  # a retry over a shaky connection, or a double click
    assert again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    assert stored(db) == before  # the same rows, not rewritten
    assert count(db, PageSubmission) == 1

    # Later, after page 2 was answered, the old POST arrives again: still nothing changes.
    answer(client, url.replace("/p/1", "/p/2"), {"activities": ["rise"]})
    after_page_2 = stored(db)
    late = client.post(url, data=fields)
    assert late.headers["Location"] == first.headers["Location"]
    assert stored(db) == after_page_2


def test_the_same_key_with_other_answers_is_refused_on_the_page(
    client: FlaskClient, loaded_forms, db: Database
) -> None:
    url = start(client, f"/f/{SLUG}")
    fields = page_fields(client, url, PAGE_1)
    assert client.post(url, data=fields).status_code == 302
    before = stored(db)
    changed = client.post(url, data={**fields, "location": "national"})
    assert changed.status_code == 409
    body = text(changed)
    assert "This page had already been sent with different answers" in body
    assert 'value="national" checked' in body  # what was just typed is still on the page
    assert stored(db) == before
    # The refused page has a new key: pressing Continue on it saves the new answer.
    retry = {**fields, "location": "national", "_key": hidden(body, "_key"), "csrf_token": csrf_token(body)}
    assert retry["_key"] != fields["_key"]
    assert client.post(url, data=retry).status_code == 302
    with db.read() as session:
        assert session.scalar(select(func.count()).where(Answer.value == "national")) == 1
        assert session.scalar(select(func.count()).where(Answer.value == "north_east")) == 0


def test_a_page_with_errors_does_not_use_up_its_key(client: FlaskClient, loaded_forms, db: Database) -> None:
    url = start(client, f"/f/{SLUG}")
    fields = page_fields(client, url, {"org_type": "vco"})
    response = client.post(url, data=fields)
    assert response.status_code == 200 and "There is a problem" in text(response)
    fixed = client.post(url, data={**fields, **PAGE_1})  # e.g. the back button, then corrected
    assert fixed.status_code == 302 and fixed.headers["Location"].endswith("/p/2")


def test_a_used_key_with_answers_that_fail_is_refused_and_stores_nothing(
    client: FlaskClient, loaded_forms, db: Database
) -> None:
    """The key is looked up only when a page has errors: what the failing POST saved before the
    lookup must be rolled back, not left half-applied."""
    url = start(client, f"/f/{SLUG}")
    fields = page_fields(client, url, PAGE_1)
    assert client.post(url, data=fields).status_code == 302
    before = stored(db)
    # The same key again, one answer changed and a required one removed: refused, nothing kept.
    failing = {k: v for k, v in fields.items() if k != "primary_work"} | {"location": "national"}
    refused = client.post(url, data=failing)
    assert refused.status_code == 409
    assert "This page had already been sent with different answers" in text(refused)
    assert stored(db) == before
    assert count(db, PageSubmission) == 1


def test_a_tampered_key_is_refused(client: FlaskClient, loaded_forms, db: Database) -> None:
    url = start(client, f"/f/{SLUG}")
    fields = page_fields(client, url, PAGE_1)
    for key in ("'; DROP TABLE answers;--", "short", "k" * 65):
        response = client.post(url, data={**fields, "_key": key})
        assert response.status_code == 400
        assert "This page was changed before it was sent. Nothing on it was saved." in text(response)
    assert stored(db) == [] and count(db, PageSubmission) == 0


def test_sending_the_answers_twice_with_one_key(client: FlaskClient, loaded_forms, db: Database) -> None:
    url = start(client, f"/f/{SLUG}")
    answer(client, url, PAGE_1)
    answer(client, url.replace("/p/1", "/p/2"), {"activities": ["light_lunch"]})
    check_url = url.replace("/p/1", "/check")
    body = text(client.get(check_url))
    fields = {"csrf_token": csrf_token(body), "_key": hidden(body, "_key")}
    first = client.post(check_url, data=fields)
    second = client.post(check_url, data=fields)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert first.headers["Location"].endswith("/done")
    with db.read() as session:
        assert session.scalars(select(Response.status)).all() == ["complete"]
        assert session.scalars(select(PageSubmission.page)).all().count(0) == 1


def _race(app: Flask, client: FlaskClient, url: str, fields: dict[str, Any], n: int = 4) -> list[Any]:
    """POST ``fields`` to ``url`` from ``n`` clients sharing one browser session, all at once."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    tabs = [app.test_client() for _ in range(n)]
    for tab in tabs:
        tab.set_cookie("session", cookie.value)
    barrier = threading.Barrier(n)
    results: list[Any] = []

    def send(tab: FlaskClient) -> None:
        barrier.wait()
        response = tab.post(url, data=fields)
        results.append((response.status_code, response.headers.get("Location")))

    threads = [threading.Thread(target=send, args=(tab,)) for tab in tabs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_identical_posts_at_the_same_moment_store_one_page(
    app: Flask, client: FlaskClient, loaded_forms, db: Database
) -> None:
    url = start(client, f"/f/{SLUG}")
    fields = page_fields(client, url, PAGE_1)
    results = _race(app, client, url, fields)
    assert len(set(results)) == 1 and results[0][0] == 302
    assert len(stored(db)) == 3
    assert count(db, PageSubmission) == 1


def test_identical_start_posts_at_the_same_moment_make_one_response(
    app: Flask, client: FlaskClient, loaded_forms, db: Database
) -> None:
    body = text(client.get(f"/f/{SLUG}"))
    fields = {"csrf_token": csrf_token(body), "key": hidden(body, "key")}
    results = _race(app, client, f"/f/{SLUG}", fields)
    assert len(set(results)) == 1 and results[0][0] == 302
    assert count(db, Response) == 1


def test_a_key_used_by_another_response_is_refused(
    app: Flask, client: FlaskClient, loaded_forms, db: Database
) -> None:
    mine = start(client, f"/f/{SLUG}")
    fields = page_fields(client, mine, PAGE_1)
    assert client.post(mine, data=fields).status_code == 302
    other_client = app.test_client()
    theirs = start(other_client, f"/f/{SLUG}")
    stolen = {**page_fields(other_client, theirs, PAGE_1), "_key": fields["_key"]}
    response = other_client.post(theirs, data=stolen)
    assert response.status_code == 409
    assert "This page had already been sent with different answers" in text(response)
    assert len(stored(db)) == 3  # only the first response's answers


def test_the_database_refuses_a_key_recorded_twice(client: FlaskClient, loaded_forms, db: Database) -> None:
    """What the losing one of two racing POSTs meets: KeyTaken, and its transaction rolls back."""
    start(client, f"/f/{SLUG}")
    with db.read() as session:
        response_id = session.scalars(select(Response.id)).one()
    key = "k" * 43
    with db.write() as session:
        page_keys.record(session, key, response_id, 1, "a" * 64, "/next")
    with pytest.raises(page_keys.KeyTaken), db.write() as session:
        page_keys.record(session, key, response_id, 1, "a" * 64, "/next")
    with db.read() as session:
        assert page_keys.previous(session, key, response_id, 1, "a" * 64) == page_keys.Replay("/next")
        assert page_keys.previous(session, key, response_id, 1, "b" * 64) == page_keys.Conflict()
