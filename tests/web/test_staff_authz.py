"""The authorisation matrix: every non-public route, every kind of user, the status they get.

Generated from ``app.url_map``: each route must have a row in ``RULES`` (a new route without one
fails ``test_every_route_has_a_rule``), and each row says who may use it. Expected statuses
follow from the row: anonymous visitors are sent to the login page (302), signed-in users without
the right are told the page does not exist (404), everyone allowed gets the row's ``ok`` status.
CSRF stays on: POSTs carry the token of the user's own session, read from a page.

Adding a staff page: add its endpoint here with the level its decorator asks for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from staff_helpers import csrf_token, login, make_project, make_user
from staff_helpers import fast_hashing as fast_hashing  # noqa: F401 -- fixture used via pytestmark

from feedback.db.session import Database
from feedback.services import accounts
from feedback.web.staff.access import declared_access

pytestmark = pytest.mark.usefixtures("fast_hashing")

#: Route owners that are public by design: the respondents' face and static files.
PUBLIC_BLUEPRINTS = {"public"}
PUBLIC_ENDPOINTS = {"static"}
PROJECT_LEVELS = {"member", "viewer", "interviewer", "evaluator", "identify"}


@dataclass(frozen=True)
class Rule:
    """``level``: public | signed_in | member | viewer | interviewer | evaluator | identify | admin.

    ``ok`` is the status an allowed user gets for GET; ``post_ok`` for a POST with only the CSRF
    token (an empty form: usually a page with errors, or a redirect for one-button actions).
    ``signed_in_get`` overrides ``ok`` for signed-in users (the login page sends them home).
    """

    level: str
    ok: int = 200
    post_ok: int = 200
    signed_in_get: int | None = None


RULES: dict[str, Rule] = {
    "staff.login": Rule("public", signed_in_get=302),
    "staff.reset_password": Rule("public"),
    "staff.logout": Rule("signed_in", post_ok=302),
    "staff.change_password": Rule("signed_in"),
    "staff.home": Rule("signed_in"),
    "staff.project": Rule("member"),
    "staff.contacts": Rule("identify"),
    "staff.admin_users": Rule("admin", post_ok=400),
    "staff.admin_user": Rule("admin"),
    "staff.admin_grant_role": Rule("admin", post_ok=400),
    "staff.admin_revoke_role": Rule("admin", post_ok=302),
    "staff.admin_reset_link": Rule("admin"),
    "staff.admin_set_active": Rule("admin", post_ok=302),
    "staff.admin_sign_out": Rule("admin", post_ok=302),
    "staff.instruments": Rule("evaluator"),
    "staff.upload_instrument": Rule("evaluator", post_ok=400),
    "staff.instrument_status": Rule("evaluator", post_ok=400),
    "staff.preview_instrument": Rule("evaluator", ok=302),
    "staff.instrument_rules": Rule("evaluator", ok=404, post_ok=404),  # the world has no such instrument
    "staff.audit_trail": Rule("evaluator"),
    "staff.audit_csv": Rule("evaluator"),
    "staff.delete_response_page": Rule("evaluator", post_ok=400),
    "staff.erase_contact_page": Rule("identify", post_ok=400),
    "staff.summaries": Rule("viewer"),
    "staff.attendance": Rule("viewer"),
    "staff.free_text": Rule("viewer"),
    "staff.free_text_add_theme": Rule("evaluator", post_ok=400),
    "staff.free_text_rename_theme": Rule("evaluator", post_ok=400),
    "staff.free_text_delete_theme": Rule("evaluator", post_ok=400),
    "staff.free_text_code": Rule("evaluator", post_ok=400),
    "staff.exports": Rule("evaluator"),
    "staff.exports_download": Rule("evaluator", ok=302),
    "staff.report": Rule("evaluator", post_ok=302),
    "staff.report_download": Rule("evaluator", ok=302),
    "staff.rates": Rule("viewer"),
    "staff.methodology": Rule("viewer"),
    "staff.fieldwork": Rule("evaluator"),
    "staff.fieldwork_import": Rule("evaluator", post_ok=400),
    "staff.fieldwork_sample": Rule("evaluator", post_ok=400),
    "staff.fieldwork_wave": Rule("evaluator", post_ok=400),
    "staff.fieldwork_mailmerge": Rule("identify", ok=302),
    "staff.responders": Rule("identify"),
    "staff.case": Rule("identify"),
    "staff.case_disposition": Rule("identify", post_ok=400),
    "staff.interview_cases": Rule("interviewer"),
    "staff.interview_call": Rule("interviewer", ok=404, post_ok=404),  # the world has no case_id 1
    "staff.interview_form": Rule("interviewer", ok=404, post_ok=404),
    "staff.interview_autosave": Rule("interviewer", post_ok=404),
    "staff.interview_assign": Rule("evaluator", post_ok=302),
    "staff.paper_batch": Rule("interviewer", post_ok=400),
    "staff.paper_entry": Rule("interviewer", ok=302, post_ok=302),  # no batch yet: choose one
    "staff.paper_second": Rule("interviewer", ok=302, post_ok=302),
    "staff.paper_discrepancies": Rule("evaluator"),
}

#: Each kind of user: (is admin, {project: role}, may identify).
USERS: dict[str, tuple[bool, dict[str, str], bool]] = {
    "anonymous": (False, {}, False),
    "viewer": (False, {"pilot": "viewer"}, False),
    "interviewer": (False, {"pilot": "interviewer"}, False),
    "evaluator": (False, {"pilot": "evaluator"}, False),
    "identifying evaluator": (False, {"pilot": "evaluator"}, True),
    "evaluator of another project": (False, {"other": "evaluator"}, True),
    "interviewer of another project": (False, {"other": "interviewer"}, False),
    "admin": (True, {}, False),
}

ABILITIES = {
    "viewer": {"member", "viewer"},
    "interviewer": {"member", "interviewer"},
    "evaluator": {"member", "viewer", "interviewer", "evaluator"},
}


def allowed(user: str, level: str) -> bool:
    admin, roles, identify = USERS[user]
    if level == "public":
        return True
    if user == "anonymous":
        return False
    if admin or level == "signed_in":
        return True
    role = roles.get("pilot")
    if role is None or level == "admin":
        return False
    if level == "identify":
        return role == "evaluator" and identify
    return level in ABILITIES[role]


def expected(user: str, rule: Rule, method: str) -> int:
    if allowed(user, rule.level):
        if method == "GET" and user != "anonymous" and rule.signed_in_get is not None:
            return rule.signed_in_get
        return rule.ok if method == "GET" else rule.post_ok
    return 302 if user == "anonymous" else 404


@pytest.fixture
def world(app: Flask, db: Database) -> dict[str, Any]:
    """Two projects, one user of each kind, a target user for the admin pages, a live reset token."""
    pilot = make_project(db, "pilot")
    make_project(db, "other")
    for n, (name, (admin, roles, identify)) in enumerate(USERS.items()):
        if name != "anonymous":
            make_user(db, f"user{n}@example.org", admin=admin, roles=roles, identify=identify)
    target = make_user(db, "target@example.org", roles={"pilot": "viewer"})
    with db.write() as session:
        token = accounts.create_reset_token(session, accounts.require_user(session, "target@example.org"))
    sessions: dict[str, tuple[str | None, str]] = {}
    for n, name in enumerate(USERS):
        client = app.test_client()
        if name != "anonymous":
            assert login(client, f"user{n}@example.org").status_code == 302
            page = client.get("/staff/password")
        else:
            page = client.get("/staff/login")
        cookie = client.get_cookie("session")
        sessions[name] = (cookie.value if cookie else None, csrf_token(page.get_data(as_text=True)))
    args = {
        "slug": "pilot",
        "user_id": target,
        "project_id": pilot,
        "token": token,
        "case_id": 1,
        "instrument_slug": "no-such-instrument",
    }
    return {"sessions": sessions, "args": args}


def _client(app: Flask, cookie: str | None) -> FlaskClient:
    client = app.test_client()
    if cookie:
        client.set_cookie("session", cookie)
    return client


def _staff_rules(app: Flask) -> list[Any]:
    return [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in PUBLIC_ENDPOINTS and rule.endpoint.split(".")[0] not in PUBLIC_BLUEPRINTS
    ]


def test_every_route_has_a_rule(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in _staff_rules(app)}
    missing = sorted(endpoints - RULES.keys())
    assert not missing, (
        f"routes without a rule in RULES (add one with the level its decorator asks for): {missing}"
    )
    stale = sorted(RULES.keys() - endpoints)
    assert not stale, f"rules for routes that no longer exist: {stale}"


def test_rules_match_what_the_views_declare(app: Flask) -> None:
    """The table says what the decorators say, and a URL naming a project checks the project."""
    for rule in _staff_rules(app):
        declared = declared_access(app.view_functions[rule.endpoint])
        assert declared == RULES[rule.endpoint].level, f"{rule.endpoint}: view declares {declared}"
        if "slug" in rule.arguments:
            assert declared in PROJECT_LEVELS, f"{rule.rule} names a project: use require_project_role"


def test_authorisation_matrix(app: Flask, world: dict[str, Any]) -> None:
    failures = []
    checked = 0
    # Signing out ends the session on the server, and every user's cookie is shared by all the
    # routes here: the logout route goes last, so the others are checked signed in.
    for rule in sorted(_staff_rules(app), key=lambda r: (r.endpoint == "staff.logout", r.rule)):
        policy = RULES[rule.endpoint]
        unknown = set(rule.arguments) - world["args"].keys()
        assert not unknown, f"{rule.endpoint}: give the test a sample value for {unknown}"
        url = app.url_map.bind("localhost").build(
            rule.endpoint, {a: world["args"][a] for a in rule.arguments}
        )
        for user, (cookie, token) in world["sessions"].items():
            for method in sorted(m for m in rule.methods or () if m in ("GET", "POST")):
                client = _client(app, cookie)
                if method == "GET":
                    response = client.get(url)
                else:
                    response = client.post(url, data={"csrf_token": token})
                want = expected(user, policy, method)
                got = response.status_code
                location = response.headers.get("Location", "")
                if got != want or (
                    want == 302 and user == "anonymous" and not location.startswith("/staff/login")
                ):
                    failures.append(f"{method} {url} as {user}: expected {want}, got {got} {location}")
                checked += 1
    assert checked > 100
    assert not failures, "\n".join(failures)


def test_state_changes_are_post_only(app: Flask, world: dict[str, Any]) -> None:
    cookie, _token = world["sessions"]["admin"]
    for rule in _staff_rules(app):
        if "GET" in (rule.methods or ()):
            continue
        url = app.url_map.bind("localhost").build(
            rule.endpoint, {a: world["args"][a] for a in rule.arguments}
        )
        assert _client(app, cookie).get(url).status_code == 405, url


def test_posts_without_the_csrf_token_are_refused(app: Flask, world: dict[str, Any]) -> None:
    cookie, _token = world["sessions"]["admin"]
    args = world["args"]
    for url in ("/staff/logout", f"/staff/admin/users/{args['user_id']}/reset-link", "/staff/admin/users"):
        assert _client(app, cookie).post(url, data={"email": "x@example.org"}).status_code == 400, url


def test_an_unknown_project_looks_like_a_forbidden_one(app: Flask, world: dict[str, Any]) -> None:
    cookie, _token = world["sessions"]["evaluator of another project"]
    forbidden = _client(app, cookie).get("/staff/projects/pilot")
    unknown = _client(app, cookie).get("/staff/projects/no-such-project")
    assert forbidden.status_code == unknown.status_code == 404

    def page(response: Any) -> str:  # the same page apart from the per-response CSP nonce
        return re.sub(r'nonce="[^"]+"', "", response.get_data(as_text=True))

    assert page(forbidden) == page(unknown)
    assert "Page not found" in page(forbidden)
