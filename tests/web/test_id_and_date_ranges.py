"""Ids and dates beyond what the database can hold answer 404 or a form error, never a 500.

A 30-digit id, 2**63 (one past SQLite's and PostgreSQL's 64-bit integers) and 2**31 (one past
PostgreSQL's 32-bit ``integer`` ids) used to reach the query and fail there ("Python int too
large to convert to SQLite INTEGER", "integer out of range"); digits that are not ASCII ("²")
pass ``str.isdigit`` but not ``int``. Dates at the ends of the calendar (``until=9999-12-31``
is followed by a day that does not exist) did the same. Each probe is one parametrised request
to one app, signed in as an administrator, with CSRF on.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from demo_apps import database, load_forms, sqlite_app
from flask import Flask
from flask.testing import FlaskClient
from respond_support import answer, start
from sqlalchemy import select
from staff_helpers import PASSWORD, csrf_token, login, make_user
from werkzeug.test import TestResponse

from feedback.db import Case, Contact, Instrument
from feedback.db.accounts import User
from feedback.services import accounts
from feedback.services.interviews import assign_cases

FORMS = Path(__file__).resolve().parents[2] / "forms"
SURVEY = "crisp-web-survey"  # project crisp: free-text questions, a public form
SCHEDULE = "move-telephone-interview"  # project move: telephone interviews
EVENT_FORM = "pirr-event-feedback"  # a date question on its first page
LEAKS = ("traceback", "sqlalchemy", "sqlite3", "psycopg", "overflowerror", "out of range")

#: Too big for any id column, one past 64 bits, the largest 64-bit value, one past 32 bits,
#: digits that are not ASCII, and more digits than ``int`` reads (4,300: a ValueError).
HUGE = "9" * 30
LONG = "9" * 5000
BAD_IDS = [HUGE, str(2**63), str(2**63 - 1), str(2**31), "²", "١٢", LONG]
#: In a path "²" is simply no route (404); the largest 32-bit id reaches the view, which finds nothing.
PATH_IDS = [HUGE, str(2**63), str(2**63 - 1), str(2**31), str(2**31 - 1)]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    from argon2 import PasswordHasher

    app = sqlite_app(tmp_path_factory.mktemp("ranges"))
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a server error is a 500 page here, as in production
    db = database(app)
    load_forms(app, [SURVEY, SCHEDULE, EVENT_FORM])
    with pytest.MonkeyPatch.context() as patch:  # cheap hashing: see staff_helpers.fast_hashing
        patch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=256, parallelism=1))
        admin = make_user(db, "admin@example.org", admin=True)
    with db.write() as session:
        instrument = session.scalar(select(Instrument).where(Instrument.slug == SCHEDULE))
        assert instrument is not None
        contact = Contact(project_id=instrument.project_id, name="Alice Agency")
        session.add(contact)
        session.flush()
        case = Case(instrument_id=instrument.id, contact_id=contact.id, token=secrets.token_urlsafe(32))
        session.add(case)
        session.flush()
        user = session.get(User, admin)
        assert user is not None
        assign_cases(session, [case.id], user, assigned_by="test")
        app.config["TEST_CASE_ID"] = case.id
    yield app
    db.dispose()


@pytest.fixture(scope="module")
def admin(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert login(client, "admin@example.org", PASSWORD).status_code == 302
    return client


@pytest.fixture(scope="module")
def token(admin: FlaskClient) -> str:
    return csrf_token(admin.get("/staff/admin/users").get_data(as_text=True))


def assert_no_error(response: TestResponse, *statuses: int) -> str:
    """The status is one of ``statuses`` and the page names no exception or database error."""
    body = response.get_data().decode("utf-8", "replace")
    assert response.status_code in statuses, (response.status_code, body[:800])
    lowered = body.lower()
    assert not any(leak in lowered for leak in LEAKS), body[:800]
    return body


# -- ids in the path: the route's converter answers 404 -------------------------------------------

PATH_GETS = [
    "/staff/admin/users/{n}",
    "/staff/projects/move/interviews/{n}",
    "/staff/projects/move/interviews/{n}/call",
]
PATH_POSTS = [
    "/staff/admin/users/{n}/roles",
    "/staff/admin/users/{n}/roles/1/revoke",
    "/staff/admin/users/1/roles/{n}/revoke",
    "/staff/admin/users/{n}/reset-link",
    "/staff/admin/users/{n}/active",
    "/staff/projects/move/interviews/{n}",
    "/staff/projects/move/interviews/{n}/call",
    "/staff/projects/move/interviews/{n}/autosave",
]


@pytest.mark.parametrize("n", PATH_IDS)
@pytest.mark.parametrize("url", PATH_GETS)
def test_path_ids_out_of_range_are_not_found(admin: FlaskClient, url: str, n: str) -> None:
    assert_no_error(admin.get(url.format(n=n)), 404)


@pytest.mark.parametrize("n", PATH_IDS)
@pytest.mark.parametrize("url", PATH_POSTS)
def test_posted_path_ids_out_of_range_are_not_found(admin: FlaskClient, token: str, url: str, n: str) -> None:
    # User 1 exists: revoking a role in a project that could exist but does not is "already removed".
    in_range = int(n) < 2**31 and url.startswith("/staff/admin/users/1/")
    assert_no_error(
        admin.post(url.format(n=n), data={"csrf_token": token}), *((302,) if in_range else (404,))
    )


@pytest.mark.parametrize("n", PATH_IDS)
def test_a_page_number_out_of_range_is_not_found(admin: FlaskClient, token: str, n: str) -> None:
    """GET and POST are two rules for one path here: both answer 404, not 405 for either."""
    url = f"/f/{SURVEY}/r/{'x' * 43}/p/{n}"
    assert_no_error(admin.get(url), 404)
    assert_no_error(admin.post(url, data={"csrf_token": token}), 404)


def test_a_real_id_still_opens_its_page(app: Flask, admin: FlaskClient) -> None:
    case_id = app.config["TEST_CASE_ID"]
    assert_no_error(admin.get(f"/staff/projects/move/interviews/{case_id}"), 200)
    assert_no_error(admin.get(f"/staff/projects/move/case?case={case_id}"), 200)


# -- ids in the query string and in forms --------------------------------------------------------

QUERY_GETS = [
    ("/staff/projects/move/case?case={n}", (404,)),
    ("/staff/projects/move/paper/discrepancies?batch={n}", (200, 404)),
    ("/staff/projects/move/paper/second?response={n}", (302, 404)),
    ("/staff/projects/crisp/responses/delete?id={n}", (200,)),
    ("/staff/projects/crisp/audit?entity=response&id={n}", (200,)),
    (f"/staff/projects/crisp/fieldwork/mailmerge?instrument={SURVEY}&wave={{n}}", (404,)),
    ("/staff/admin/users?page={n}", (200,)),
    (f"/staff/projects/crisp/free-text?instrument={SURVEY}&page={{n}}", (200,)),
]


@pytest.mark.parametrize("n", BAD_IDS, ids=lambda n: n if len(n) < 40 else f"{len(n)}-digits")
@pytest.mark.parametrize(("url", "statuses"), QUERY_GETS)
def test_query_ids_out_of_range(admin: FlaskClient, url: str, statuses: tuple[int, ...], n: str) -> None:
    assert_no_error(admin.get(url.format(n=n)), *statuses)


CODING = {"instrument": SURVEY, "question": "q"}
#: name: (url, posted fields with "{n}" for the probe, statuses that are a right answer)
FORM_POSTS: dict[str, tuple[str, dict[str, str], tuple[int, ...]]] = {
    "disposition case": ("/staff/projects/move/case/disposition", {"case_id": "{n}", "reason": "r"}, (404,)),
    "paper instrument": ("/staff/projects/move/paper", {"instrument": "{n}", "second_every": "0"}, (400,)),
    "paper activity": ("/staff/projects/move/paper", {"activity": "{n}", "second_every": "0"}, (400,)),
    "paper every": ("/staff/projects/move/paper", {"second_every": "{n}"}, (400,)),
    "assign": ("/staff/projects/move/interviews/assign", {"instrument": "{n}", "count": "{n}"}, (302,)),
    "rename theme": (
        "/staff/projects/crisp/free-text/themes/rename",
        {**CODING, "theme": "{n}", "label": "x"},
        (400,),
    ),
    "delete theme": ("/staff/projects/crisp/free-text/themes/delete", {**CODING, "theme": "{n}"}, (400,)),
    "coded response": ("/staff/projects/crisp/free-text/coding", {**CODING, "shown": "{n}"}, (302, 400)),
    "coded theme": (
        "/staff/projects/crisp/free-text/coding",
        {**CODING, "shown": "1", "themes-1": "{n}"},
        (400,),
    ),
    "delete response": ("/staff/projects/crisp/responses/delete", {"response": "{n}", "reason": "r"}, (400,)),
    "erase contact": ("/staff/projects/crisp/contacts/erase", {"contact": "{n}", "confirm": "y"}, (400,)),
    "export wave": (
        "/staff/projects/crisp/exports",
        {"instrument": SURVEY, "format": "csv", "wave": "{n}"},
        (200, 400),  # the form again, with its error
    ),
    "sample size": (
        "/staff/projects/crisp/fieldwork/sample",
        {"sample_instrument": SURVEY, "sample_n": "{n}", "sample_strata": ""},
        (302, 400),
    ),
    "sample seed": (
        "/staff/projects/crisp/fieldwork/sample",
        {"sample_instrument": SURVEY, "sample_n": "1", "sample_seed": "{n}", "sample_strata": ""},
        (302, 400),
    ),
    # A version no save made is a conflict (409); the date and minutes are form errors.
    "interview version": ("/staff/projects/move/interviews/{case}", {"_version": "{n}"}, (200, 400, 409)),
    "interview date": (
        "/staff/projects/move/interviews/{case}",
        {
            "_mode": "telephone",
            "_interview_date-day": "1",
            "_interview_date-month": "1",
            "_interview_date-year": "{n}",
        },
        (200, 400, 409),
    ),
    "interview minutes": ("/staff/projects/move/interviews/{case}", {"_minutes": "{n}"}, (200, 400, 409)),
    "call date": (
        "/staff/projects/move/interviews/{case}/call",
        {"outcome": "no_answer", "next-day": "1", "next-month": "1", "next-year": "{n}"},
        (400,),
    ),
    "call time": (
        "/staff/projects/move/interviews/{case}/call",
        {
            "outcome": "no_answer",
            "next-day": "1",
            "next-month": "1",
            "next-year": "2030",
            "next_time": "{n}:{n}",
        },
        (400,),
    ),
}


@pytest.mark.parametrize("n", BAD_IDS, ids=lambda n: n if len(n) < 40 else f"{len(n)}-digits")
@pytest.mark.parametrize("name", FORM_POSTS)
def test_form_ids_out_of_range(app: Flask, admin: FlaskClient, token: str, name: str, n: str) -> None:
    url, fields, statuses = FORM_POSTS[name]
    data = {key: value.format(n=n) for key, value in fields.items()}
    response = admin.post(url.format(case=app.config["TEST_CASE_ID"]), data={"csrf_token": token, **data})
    assert_no_error(response, *statuses)


#: The first and last days of the calendar, a day that is not one, and text that is no date.
DATES = ["9999-12-31", "0001-01-01", "2026-02-30", "99999-01-01", "²⁰²⁶-01-01", "-1", "x" * 300]


# -- dates typed into a form ---------------------------------------------------------------------


@pytest.mark.parametrize("box", ["day", "month", "year"])
def test_a_respondent_date_too_big_for_the_calendar_is_a_form_error(app: Flask, box: str) -> None:
    client = app.test_client()
    url = start(client, f"/f/{EVENT_FORM}")
    typed = {
        "event_date-day": "1",
        "event_date-month": "1",
        "event_date-year": "2026",
        f"event_date-{box}": HUGE,
    }
    body = assert_no_error(answer(client, url, {"event_type": "other", **typed}), 200, 400)
    assert "Enter a real date" in body


@pytest.mark.parametrize("value", DATES)
def test_a_wave_dated_at_the_ends_of_the_calendar(admin: FlaskClient, token: str, value: str) -> None:
    data = {"csrf_token": token, "wave_instrument": SURVEY, "wave_kind": "invitation", "wave_sent_on": value}
    assert_no_error(admin.post("/staff/projects/crisp/fieldwork/wave", data=data), 302, 400)


# -- dates in the summary filters ----------------------------------------------------------------


@pytest.mark.parametrize("value", DATES)
@pytest.mark.parametrize("key", ["since", "until"])
def test_summary_dates_at_the_ends_of_the_calendar(admin: FlaskClient, key: str, value: str) -> None:
    assert_no_error(admin.get(f"/staff/projects/crisp/summaries?instrument={SURVEY}&{key}={value}"), 200)


@pytest.mark.parametrize("n", BAD_IDS, ids=lambda n: n if len(n) < 40 else f"{len(n)}-digits")
@pytest.mark.parametrize("key", ["event", "wave"])
def test_summary_ids_out_of_range(admin: FlaskClient, key: str, n: str) -> None:
    assert_no_error(admin.get(f"/staff/projects/crisp/summaries?instrument={SURVEY}&{key}={n}"), 200)


@pytest.mark.parametrize("n", BAD_IDS, ids=lambda n: n if len(n) < 40 else f"{len(n)}-digits")
def test_rates_and_attendance_arguments_out_of_range(admin: FlaskClient, n: str) -> None:
    assert_no_error(admin.get(f"/staff/projects/crisp/rates?instrument={SURVEY}&wave={n}&by={n}"), 200, 400)
    assert_no_error(admin.get(f"/staff/projects/pirr/attendance?page={n}"), 200, 404)
