"""Hostile input over HTTP, table by table: each row gets a clear page and leaves the data as it was.

* markup in every text that reaches a page (answers, instrument, group, question, hint, choice
  and note labels, event names, contact fields) is shown as text;
* SQL metacharacters, arrays, NUL, invalid UTF-8 and very long values in every URL variable of
  every public route (taken from the app's url_map) and in query parameters: 400 or 404, never a
  server error or database text;
* tampered choices, 10,000 fields, a 5 MB field, invalid UTF-8 and control characters in a POST.

CSRF stays on throughout. Row counts of every table are compared before and after.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from respond_support import answer, csrf_token, hidden, start, text
from sqlalchemy import func, select
from staff_helpers import fast_hashing, login, make_user  # noqa: F401 -- fast_hashing is a fixture

from feedback.db import Activity, Answer, Base, Contact, Project
from feedback.db.session import Database
from feedback.domain.loader import load_raw
from feedback.domain.loader.yaml_reader import read_yaml
from feedback.services.instruments import save_instrument
from feedback.web.ratelimit import EXTENSION as LIMITS
from feedback.web.ratelimit import RateLimiter

SLUG = "crisp-web-survey"
PAGE_1 = {"org_type": "vco", "primary_work": "offenders", "location": "north_east"}
CODE = "pirr-day1"
LEAKS = ("traceback", "sqlalchemy", "psycopg", "sqlite3", "operationalerror", "integrityerror", "dataerror")

MARKUP = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "</textarea><svg onload=alert(1)>",
    "{{ 7*7 }}{% if 1 %}x{% endif %}",
]


def row_counts(db: Database) -> dict[str, int]:
    with db.read() as session:
        return {
            table.name: session.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
        }


def assert_clean(response: Any, *statuses: int) -> str:
    body = response.get_data().decode("utf-8", "replace")  # QR codes are PNG
    assert response.status_code in statuses, (response.status_code, body[:500])
    lowered = body.lower()
    assert not [leak for leak in LEAKS if leak in lowered], body[:2000]
    return body


def assert_shown_as_text(body: str, payload: str) -> None:
    assert str(escape(payload)) in body
    if str(escape(payload)) != payload:
        assert payload not in body


def make_event(db: Database, title: str = "Training day") -> None:
    with db.write() as session:
        project = session.scalar(select(Project).where(Project.slug == "pirr"))
        assert project is not None
        activity = Activity(project_id=project.id, title=title, short_code=CODE, starts_on=date(2026, 3, 14))
        session.add(activity)


# ------------------------------------------------------------------------------- markup as text


def _answer_surface(client: FlaskClient, db: Database, payload: str) -> list[str]:
    url = start(client, f"/f/{SLUG}")
    refused = answer(client, url, {"org_type": "other", "org_type_other": payload})  # errors: re-shown
    answer(client, url, {**PAGE_1, "org_type": "other", "org_type_other": payload})
    return [text(refused), text(client.get(url)), text(client.get(url.replace("/p/1", "/check")))]


def _event_surface(client: FlaskClient, db: Database, payload: str) -> list[str]:
    make_event(db, f"Event {payload}")
    url = start(client, f"/e/{CODE}")
    pages = [client.get(f"/e/{CODE}"), client.get(f"/e/{CODE}/print"), client.get(url)]
    return [text(page) for page in pages] + [text(client.get(url.replace("/p/1", "/check")))]


def _instrument_surface(client: FlaskClient, db: Database, payload: str) -> list[str]:
    quoted = json.dumps(payload)  # a JSON string is a YAML double-quoted scalar
    source = f"""
settings: {{form_id: hostile, form_title: {quoted}, kind: survey, description: {quoted}}}
survey:
  - {{type: begin_group, name: page, label: {quoted}}}
  - {{type: select_one yn, name: q1, label: {quoted}, hint: {quoted}, required: yes,
      required_message: {quoted}}}
  - {{type: note, name: n1, label: {quoted}}}
  - {{type: text, name: t1, label: {quoted}}}
  - {{type: end_group}}
choices:
  yn:
    - {{name: "y", label: {quoted}}}
"""
    with db.write() as session:
        save_instrument(session, load_raw(read_yaml(Path("hostile.yaml"), source)))
    url = start(client, "/f/hostile")
    pages = [client.get("/f/hostile"), client.get(url), answer(client, url, {})]
    answer(client, url, {"q1": "y", "t1": payload})
    pages += [client.get(url.replace("/p/1", "/check")), client.get("/f/hostile/print")]
    return [text(page) for page in pages]


def _contact_surface(client: FlaskClient, db: Database, payload: str) -> list[str]:
    with db.write() as session:
        project = session.scalar(select(Project).where(Project.slug == "crisp"))
        assert project is not None
        session.add(
            Contact(project_id=project.id, name=payload, organisation=payload, email=f"{payload}@example.org")
        )
    make_user(db, "eve@example.org", roles={"crisp": "evaluator"}, identify=True)
    login(client, "eve@example.org")
    return [text(client.get("/staff/projects/crisp/contacts"))]


SURFACES: dict[str, Callable[[FlaskClient, Database, str], list[str]]] = {
    "answer": _answer_surface,
    "event name": _event_surface,
    "instrument, choice and note labels": _instrument_surface,
    "contact name, organisation and e-mail": _contact_surface,
}


@pytest.mark.parametrize("payload", MARKUP, ids=["script", "attribute", "textarea", "template"])
@pytest.mark.parametrize("surface", list(SURFACES))
def test_markup_is_shown_as_text(
    client: FlaskClient,
    db: Database,
    loaded_forms,
    fast_hashing,  # noqa: F811 -- the fixture imported from staff_helpers
    surface: str,
    payload: str,
) -> None:
    bodies = SURFACES[surface](client, db, payload)
    assert bodies
    for body in bodies:
        assert_shown_as_text(body, payload)


# ------------------------------------------------------------------ URL variables and query strings

#: Already percent-encoded path segments: SQL, NUL, invalid UTF-8, huge, traversal, overflow.
HOSTILE_SEGMENTS = [
    "%27%3B%20DROP%20TABLE%20answers%3B--",
    "1%20OR%201%3D1",
    "%00",
    "%FF%FE",
    "x" * 5000,
    "..%2F..%2Fetc%2Fpasswd",
    "99999999999999999999999",
    "-1",
    "%E2%80%AE%0A%0D",
]
HOSTILE_QUERIES = [
    "t=1&t=2",
    "t=%27%3B%20DROP%20TABLE%20x%3B--",
    "t=%00",
    "t=%FF%FE",
    "t=" + "a" * 10_000,
    "t[]=1&t[]=2",
    "lang=%00",
    "lang=%27%22%3E%3Cscript%3E",
    "return=%00&return=check",
]


@pytest.fixture
def valid_values(app: Flask, client: FlaskClient, loaded_forms, db: Database) -> dict[str, str]:
    app.extensions[LIMITS]["token"] = RateLimiter(10**6, 900)  # hundreds of wrong links, all 404
    make_event(db)
    url = start(client, f"/f/{SLUG}")
    return {"slug": SLUG, "token": url.split("/r/")[1].split("/")[0], "number": "1", "code": CODE}


def public_rules(app: Flask) -> list[Any]:
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("public.")]


def _path(rule: Any, values: dict[str, str]) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: values[m.group(1)], rule.rule)


def test_every_public_url_variable_refuses_hostile_values(
    app: Flask, client: FlaskClient, valid_values: dict[str, str], db: Database
) -> None:
    token = csrf_token(text(client.get(f"/f/{SLUG}")))
    before = row_counts(db)
    checked = 0
    for rule in public_rules(app):
        for name in rule.arguments:
            for segment in HOSTILE_SEGMENTS:
                path = _path(rule, {**valid_values, name: segment})
                for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                    response = client.open(path, method=method, data={"csrf_token": token, "key": "k" * 43})
                    assert_clean(response, 400, 404)
                    checked += 1
    assert checked > 100  # the table really covered the routes
    assert row_counts(db) == before


def test_hostile_query_strings_never_cause_server_errors(
    app: Flask, client: FlaskClient, valid_values: dict[str, str], db: Database
) -> None:
    before = row_counts(db)
    for rule in public_rules(app):
        if "GET" not in rule.methods:
            continue
        path = _path(rule, valid_values)
        for query in HOSTILE_QUERIES:
            assert_clean(client.get(f"{path}?{query}"), 200, 302, 400, 404)
    for query in HOSTILE_QUERIES:
        if query.startswith("t="):  # an invitation token nobody was given
            assert_clean(client.get(f"/f/{SLUG}?{query}"), 400, 404)
    assert row_counts(db) == before


# ------------------------------------------------------------------------------- hostile POSTs

TAMPERED = [
    ({"org_type": "ministry_of_magic"}, "Select one of the options shown"),
    ({"org_type": "'; DROP TABLE answers;--"}, "Select one of the options shown"),
    ({"org_type": "vco\x00"}, "Select one of the options shown"),
    ({"location": "north_east OR 1=1"}, "Select one of the options shown"),
]


@pytest.mark.parametrize(("change", "message"), TAMPERED, ids=["unknown", "sql", "nul", "or"])
def test_tampered_choices_are_refused(
    client: FlaskClient, loaded_forms, db: Database, change: dict[str, str], message: str
) -> None:
    url = start(client, f"/f/{SLUG}")
    before = row_counts(db)
    body = assert_clean(answer(client, url, {**PAGE_1, **change}), 200)
    assert message in body
    with db.read() as session:  # compared in Python: PostgreSQL cannot even be asked about NUL
        assert next(iter(change.values())) not in session.scalars(select(Answer.value)).all()
    counts = row_counts(db)
    assert counts["answers"] == 2 and counts["responses"] == before["responses"]  # the two valid ones


def test_tampered_multiple_choice_is_refused(client: FlaskClient, loaded_forms, db: Database) -> None:
    url = start(client, f"/f/{SLUG}")
    body = assert_clean(answer(client, url.replace("/p/1", "/p/2"), {"activities": ["rise", "1=1"]}), 200)
    assert "Select only from the options shown" in body


def post_as(client: FlaskClient, url: str, data: dict[str, Any], encoding: str) -> Any:
    """POST url-encoded, or as multipart/form-data built here (the test client would spool a
    large multipart body to a temporary file that stays open when the server refuses it early)."""
    if encoding == "urlencoded":
        return client.post(url, data=data)
    boundary = "----hostile-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, values in data.items()
        for value in (values if isinstance(values, list) else [values])
    ]
    body = ("".join(parts) + f"--{boundary}--\r\n").encode()
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def _fields(client: FlaskClient, url: str) -> dict[str, str]:
    body = text(client.get(url))
    return {"csrf_token": csrf_token(body), "_key": hidden(body, "_key"), "_action": "continue"}


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_ten_thousand_fields_are_refused_with_a_page(
    client: FlaskClient, loaded_forms, db: Database, encoding: str
) -> None:
    url = start(client, f"/f/{SLUG}")
    before = row_counts(db)
    data: dict[str, Any] = {**_fields(client, url), **PAGE_1, **{f"f{i}": "x" for i in range(10_000)}}
    response = post_as(client, url, data, encoding)
    body = assert_clean(response, 400, 413)
    assert (
        "This page does not ask for" in body  # url-encoded: read, then refused as a tampered page
        or "Your answers were too long to send" in body  # multipart: MAX_FORM_PARTS stops the parser
    )
    assert row_counts(db) == before


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_a_five_megabyte_field_is_refused_with_a_page(
    client: FlaskClient, loaded_forms, db: Database, encoding: str
) -> None:
    url = start(client, f"/f/{SLUG}")
    before = row_counts(db)
    data: dict[str, Any] = {**_fields(client, url), **PAGE_1, "org_type": "other"}
    data["org_type_other"] = "x" * (5 * 1024 * 1024)
    body = assert_clean(post_as(client, url, data, encoding), 413)
    assert "Your answers were too long to send" in body
    assert len(body) < 100_000  # the value is not echoed back
    assert row_counts(db) == before


def test_invalid_utf8_in_the_body_and_the_query(client: FlaskClient, loaded_forms, db: Database) -> None:
    url = start(client, f"/f/{SLUG}")
    fields = _fields(client, url)
    raw = (
        f"csrf_token={fields['csrf_token']}&_action=continue&org_type=other&org_type_other=%FF%FEok"
        "&primary_work=offenders&location=north_east&org_type=%C0%AF"
    )
    response = client.post(url, data=raw, content_type="application/x-www-form-urlencoded")
    assert_clean(response, 200, 302, 400)
    body = raw.replace("&org_type=%C0%AF", "").encode() + b"&extra=\xff\xfe"
    assert_clean(client.post(url, data=body, content_type="application/x-www-form-urlencoded"), 400)
    assert_clean(client.get(f"/f/{SLUG}?t=%C0%AF"), 404)
    assert_clean(client.get("/f/%C0%AF"), 404)


def test_control_characters_in_answers_are_removed(client: FlaskClient, loaded_forms, db: Database) -> None:
    url = start(client, f"/f/{SLUG}")
    typed = "Clinks\x00 and\x07 partners\x1b[31m"
    response = answer(client, url, {**PAGE_1, "org_type": "other", "org_type_other": typed})
    assert_clean(response, 302)
    with db.read() as session:
        stored = session.scalar(select(Answer.value).where(Answer.value.like("Clinks%")))
    assert stored == "Clinks and partners[31m"


def test_nul_in_an_invitation_or_start_key_is_not_found(
    client: FlaskClient, loaded_forms, db: Database
) -> None:
    page = text(client.get(f"/f/{SLUG}"))
    before = row_counts(db)
    for data in ({"t": "abc\x00def"}, {"key": "k" * 20 + "\x00"}):
        response = client.post(f"/f/{SLUG}", data={"csrf_token": csrf_token(page), "key": "k" * 43, **data})
        assert "Page not found" in assert_clean(response, 404)
    assert row_counts(db) == before
