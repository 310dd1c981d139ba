"""Helpers for the respondent HTTP tests: CSRF stays on, so every POST sends the token the
page it came from carries, exactly as a browser would."""

from __future__ import annotations

import html
import re
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def text(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def csrf_token(page: str) -> str:
    match = CSRF.search(page)
    assert match, "the page has no CSRF token"
    return match.group(1)


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', page)
    assert match, f"no hidden field {name}"
    return html.unescape(match.group(1))


def form_action(page: str, form_id: str) -> str:
    match = re.search(rf'<form method="post" action="([^"]+)"[^>]*id="{form_id}"', page)
    assert match, f"no form #{form_id}"
    return html.unescape(match.group(1))


def start(client: FlaskClient, path: str) -> str:
    """Open a start page, press "Start now"; return the first page's URL."""
    page = client.get(path)
    assert page.status_code == 200, text(page)
    body = text(page)
    data = {"csrf_token": csrf_token(body), "key": hidden(body, "key")}
    if 'name="t"' in body:
        data["t"] = hidden(body, "t")
    response = client.post(form_action(body, "start-form"), data=data)
    assert response.status_code == 302, text(response)
    first = client.get(response.headers["Location"])
    assert first.status_code == 302
    return first.headers["Location"]


def answer(client: FlaskClient, url: str, answers: dict[str, Any], action: str = "continue") -> TestResponse:
    """GET a question page, then POST ``answers`` to it with its token."""
    page = client.get(url)
    assert page.status_code == 200, text(page)
    body = text(page)
    data: dict[str, Any] = {"csrf_token": csrf_token(body), "_action": action, **answers}
    if 'name="_key"' in body:  # the page's submission key, sent back as a browser would
        data["_key"] = hidden(body, "_key")
    return client.post(url, data=data)


def resume_token(url: str) -> str:
    match = re.search(r"/r/([^/]+)", url)
    assert match
    return match.group(1)
