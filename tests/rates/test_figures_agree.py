"""Property (issue 13): for random small programmes, the figures of every instrument agree on
the project dashboard, the rates and methodology pages, the summaries page, ``feedback rates
--json`` and the workbook's Response rates sheet, and equal a count made here from the data
as generated, without the product's queries.

A programme: a survey of a contact list (web and paper answers, bounces and opt-outs, anonymous
answers when it is open to everyone), event feedback from events with and without a head count
(and forms from no event), and an interview schedule with phone interviews. The partial
threshold is drawn too, so P against R follows each rule.
"""

from __future__ import annotations

import itertools
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rates_support import add_activity, add_contacts, add_responses
from sqlalchemy import select

from feedback.db import Case, Instrument, Project
from feedback.db.session import Database
from feedback.domain.loader import load_file
from feedback.services import accounts
from feedback.services.instruments import save_instrument

FIGURE = re.compile(r'data-instrument="([^"]+)" data-figure="([^"]+)">([^<]*)<')
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
NUMBER = itertools.count(1)
YAML = """\
settings:
  form_id: {slug}
  form_title: {title}
  kind: {kind}
  project: {project}
survey:
  - type: text
    name: q1
    label: First question?
  - type: text
    name: q2
    label: Second question?
"""

# A response: (complete?, answered, applicable); answered never exceeds applicable.
response = st.tuples(st.booleans(), st.integers(0, 4), st.integers(1, 4)).map(
    lambda r: (r[0], min(r[1], r[2]), r[2])
)


@dataclass
class Programme:
    threshold: str
    contacts: int
    survey: list[tuple[bool, int, int]]  # one per case, from the first case on
    paper: list[bool]  # which survey responses came on paper
    flags: list[str]  # for cases without a response: "", "bounced", "opted_out"
    anonymous: list[tuple[bool, int, int]]  # answers without a case (only when open)
    events: list[tuple[int | None, list[tuple[bool, int, int]]]]  # (head count, forms)
    loose_forms: list[tuple[bool, int, int]]  # event feedback from no event
    interviews: int
    interviewed: list[tuple[bool, int, int]]


@st.composite
def programmes(draw: st.DrawFn) -> Programme:
    contacts = draw(st.integers(0, 7))
    survey = draw(st.lists(response, max_size=contacts))
    interviews = draw(st.integers(0, 4))
    is_open = draw(st.booleans())
    return Programme(
        threshold=draw(st.sampled_from(["any", "0.5", "1", "0.25"])),
        contacts=contacts,
        survey=survey,
        paper=draw(st.lists(st.booleans(), min_size=len(survey), max_size=len(survey))),
        flags=draw(
            st.lists(
                st.sampled_from(["", "bounced", "opted_out"]),
                min_size=contacts - len(survey),
                max_size=contacts - len(survey),
            )
        ),
        anonymous=draw(st.lists(response, max_size=3)) if is_open else [],
        events=draw(
            st.lists(
                st.tuples(st.none() | st.integers(0, 6), st.lists(response, min_size=1, max_size=5)),
                max_size=3,
            )
        ),
        loose_forms=draw(st.lists(response, max_size=2)),
        interviews=interviews,
        interviewed=draw(st.lists(response, max_size=interviews)),
    )


@dataclass
class Expected:
    """What each surface must show for one instrument, counted here from the programme."""

    responded: int = 0
    base: int = 0
    responses: int = 0  # in the sample (or all, for an instrument without a denominator)
    outside: int = 0
    total: int = 0
    rated: bool = True
    codes: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def rate(self) -> str:
        return f"{100 * self.responded / self.base:.1f}%" if self.base else "undefined"


def _above(threshold: str, answered: int, applicable: int) -> bool:
    share = Fraction(0) if threshold == "any" else Fraction(threshold)
    return answered > 0 and Fraction(answered, applicable) >= share


def _code(threshold: str, r: tuple[bool, int, int]) -> str:
    return "I" if r[0] else "P" if _above(threshold, r[1], r[2]) else "R"


def _sample(threshold: str, cases: int, answered: list[tuple[bool, int, int]], flags: list[str]) -> Expected:
    out = Expected(base=cases, responses=len(answered), total=len(answered))
    for r in answered:
        out.codes[_code(threshold, r)] += 1
    for flag in flags:
        out.codes[{"bounced": "UO", "opted_out": "R", "": "UH"}[flag]] += 1
    out.responded = out.codes["I"] + out.codes["P"]
    return out


def expected(p: Programme) -> dict[str, Expected]:
    survey = _sample(p.threshold, p.contacts, p.survey, p.flags)
    survey.outside = len(p.anonymous)
    survey.total += len(p.anonymous)
    if not p.contacts:  # no sample: every answer is just an answer, and there is no rate
        survey = Expected(total=len(p.anonymous), responses=len(p.anonymous), rated=False)
    interview = _sample(p.threshold, p.interviews, p.interviewed, [""] * (p.interviews - len(p.interviewed)))
    interview.rated = p.interviews > 0
    event = Expected(total=sum(len(forms) for _, forms in p.events) + len(p.loose_forms))
    for attending, forms in p.events:
        if attending is None or len(forms) > attending:  # no head count, or more forms than people
            continue
        codes = [_code(p.threshold, r) for r in forms]
        event.base += attending
        event.responses += len(forms)
        event.responded += sum(code in ("I", "P") for code in codes)
    event.outside = event.total - event.responses
    if not event.base and not any(a is not None and len(f) <= a for a, f in p.events):
        event = Expected(total=event.total, responses=event.total, rated=False)
    return {"survey": survey, "event": event, "interview": interview}


def _build(db: Database, tmp_path: Path, p: Programme) -> dict[str, str]:
    n = next(NUMBER)
    project = f"prop{n}"
    slugs = {"survey": f"prop{n}-survey", "event": f"prop{n}-event", "interview": f"prop{n}-interview"}
    kinds = {"survey": "survey", "event": "event_feedback", "interview": "interview_schedule"}
    with db.write() as session:
        session.add(Project(slug=project, name=f"Programme {n}"))
        session.flush()
        made = {}
        for role, slug in slugs.items():
            path = tmp_path / f"{slug}.yaml"
            path.write_text(YAML.format(slug=slug, title=slug.title(), kind=kinds[role], project=project))
            loaded = load_file(path)
            save_instrument(session, loaded)
            made[role] = session.scalar(select(Instrument).where(Instrument.slug == slug))
            made[role].partial_threshold = 0.0 if p.threshold == "any" else float(p.threshold)
        made["survey"].access = "open" if p.anonymous else None
        cases = add_contacts(session, made["survey"], p.contacts) if p.contacts else []
        add_responses(
            session,
            made["survey"],
            [
                _spec(r, case_id=c, mode="paper" if paper else "web")
                for r, c, paper in zip(p.survey, cases, p.paper, strict=False)
            ]
            + [_spec(r) for r in p.anonymous],
        )
        for case_id, flag in zip(cases[len(p.survey) :], p.flags, strict=True):
            if flag:
                setattr(session.get(Case, case_id), flag, True)
        interview_cases = add_contacts(session, made["interview"], p.interviews) if p.interviews else []
        add_responses(
            session,
            made["interview"],
            [_spec(r, case_id=c, mode="phone") for r, c in zip(p.interviewed, interview_cases, strict=False)],
        )
        forms = [_spec(r, mode="paper") for r in p.loose_forms]
        for i, (attending, returned) in enumerate(p.events):
            event = add_activity(session, made["event"].project_id, f"Event {i + 1}", attending)
            forms += [_spec(r, activity_id=event.id, mode="paper") for r in returned]
        add_responses(session, made["event"], forms)
    return {"project": project, **slugs}


def _spec(r: tuple[bool, int, int], **extra: object) -> dict[str, object]:
    complete, answered, applicable = r
    status = "complete" if complete else "partial"
    return {"status": status, "answered": answered, "applicable": applicable, **extra}


def _pages(client: FlaskClient, names: dict[str, str]) -> dict[tuple[str, str], set[str]]:
    project = names["project"]
    urls = [f"/staff/projects/{project}", f"/staff/projects/{project}/rates"]
    urls += [f"/staff/projects/{project}/methodology"]
    urls += [
        f"/staff/projects/{project}/summaries?instrument={names[r]}" for r in ("survey", "event", "interview")
    ]
    seen: dict[tuple[str, str], set[str]] = defaultdict(set)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        for slug, name, value in FIGURE.findall(response.get_data(as_text=True)):
            seen[(slug, name)].add(value.strip())
    return seen


def _sheet(app: Flask, tmp_path: Path, project: str) -> dict[str, dict[str, object]]:
    out = tmp_path / f"{project}.xlsx"
    result = app.test_cli_runner().invoke(args=["export", "--project", project, "-o", str(out)])
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out, read_only=True)
    try:
        rows = list(book["Response rates"].iter_rows(values_only=True))
    finally:
        book.close()  # a read-only workbook keeps its file open until closed
    return {str(row[0]): dict(zip(rows[0], row, strict=False)) for row in rows[1:] if row and row[0]}


@pytest.fixture
def admin(app: Flask, db: Database) -> FlaskClient:
    with db.write() as session:
        accounts.create_user(session, "root@example.org", "Root", is_admin=True, password="x" * 16)
    client = app.test_client()
    token = CSRF.search(client.get("/staff/login").get_data(as_text=True)).group(1)
    client.post("/staff/login", data={"csrf_token": token, "email": "root@example.org", "password": "x" * 16})
    return client


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(p=programmes())
def test_every_surface_agrees_with_an_independent_count(
    app: Flask, db: Database, admin: FlaskClient, tmp_path: Path, p: Programme
) -> None:
    names = _build(db, tmp_path, p)
    seen = _pages(admin, names)
    disagreeing = {key: values for key, values in seen.items() if len(values) != 1}
    assert not disagreeing, disagreeing
    sheet = _sheet(app, tmp_path, names["project"])
    for role, want in expected(p).items():
        slug = names[role]
        shown = {name: next(iter(values)) for (s, name), values in seen.items() if s == slug}
        assert shown["total"] == str(want.total), (role, shown)
        data = json.loads(app.test_cli_runner().invoke(args=["rates", "--instrument", slug, "--json"]).output)
        assert data["responses"] == want.responses and data["responses_outside_sample"] == want.outside, role
        assert data["partial_threshold"] == p.threshold
        row = sheet[slug]
        assert (row["responses from the sample"], row["responses outside the sample"]) == (
            want.responses,
            want.outside,
        )
        if not want.rated:
            assert "responded" not in shown and data["rates"]["RR2"] is None, role
            continue
        assert (shown["responded"], shown["base"], shown["rate"]) == (
            str(want.responded),
            str(want.base),
            want.rate,
        ), role
        assert (data["responded"], data["base"]) == (want.responded, want.base), role
        assert shown.get("outside", "0") == str(want.outside), role
        assert row["I"] + row["P"] == want.responded and row["cases"] == want.base, role
        if role != "event":
            assert {k: v for k, v in data["counts"].items() if v} == {
                k: v for k, v in want.codes.items() if v
            }
