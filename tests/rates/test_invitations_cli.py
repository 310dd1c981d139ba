"""Waves, mail merge, non-responders, SMTP, dispositions, calls and ``feedback rates`` on the CLI."""

from __future__ import annotations

import json
import zipfile
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from flask.testing import FlaskCliRunner
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook
from rates_support import add_contacts, add_responses, make_instrument
from sqlalchemy import select

from feedback.db import Case, ContactAttribute
from feedback.db.sampling import CallAttempt, DispositionChange, Invitation, InvitationWave
from feedback.db.session import Database
from feedback.domain.rates import DISPOSITIONS, RATE_NAMES
from feedback.services import invitations as inv

NASTY = ['=HYPERLINK("http://evil")', "+1", "-2+3", "@SUM(A1)", "  =1+1", "\tx", "\rx", "plain"]


def invoke(runner: FlaskCliRunner, *args: str) -> Result:
    return runner.invoke(args=list(args))


@pytest.fixture
def survey(db: Database) -> list[int]:
    """Four cases: one complete, one partial, one silent, one silent and opted out."""
    with db.write() as session:
        instrument = make_instrument(session, "crisp-web-survey")
        cases = add_contacts(session, instrument, 4, lambda i: {"region": NASTY[i]})
        add_responses(
            session,
            instrument,
            [
                {"case_id": cases[0]},
                {"case_id": cases[1], "status": "partial", "answered": 2, "applicable": 10},
            ],
        )
        session.get(Case, cases[3]).opted_out = True
    return cases


def test_mailmerge_workbook_has_links_and_no_formulas(
    runner: FlaskCliRunner, db: Database, survey: list[int], tmp_path: Path
) -> None:
    with db.write() as session:
        # Names and attributes that a spreadsheet would evaluate if written naively.
        for value, cid in zip(NASTY, survey, strict=False):
            session.get(Case, cid).contact.name = value
    out = tmp_path / "merge.xlsx"
    result = invoke(runner, "invitations", "mailmerge", "--instrument", "crisp-web-survey", "-o", str(out))
    assert result.exit_code == 0, result.output
    rows = list(load_workbook(out).active.iter_rows())
    assert [c.value for c in rows[0]] == ["email", "id", "name", "organisation", "region", "link"]
    with db.read() as session:
        tokens = list(session.scalars(select(Case.token).order_by(Case.id)))
    assert rows[1][5].value == f"http://127.0.0.1:5000/f/crisp-web-survey?t={tokens[0]}"
    names = [r[2] for r in rows[1:]]
    assert [c.value for c in names] == NASTY[:4]  # values unchanged, no apostrophe added
    assert all(c.data_type == "s" for r in rows for c in r if c.value is not None)
    assert [c.quotePrefix for c in names] == [True, True, True, True]
    calamine = CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()
    assert [r[2] for r in calamine[1:]] == NASTY[:4]
    with zipfile.ZipFile(out) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()


def test_the_mail_merge_uses_the_one_cell_rule(tmp_path: Path) -> None:
    """The merge goes through the export writer: a line break before "=", an error value and
    spaces before "=" stay text, and a NUL in a name stored before imports cleaned it is removed
    instead of failing the merge (IllegalCharacterError)."""
    out = tmp_path / "merge.xlsx"
    values = ["\n=1+1", "#DIV/0!", "  =1+1", "Zo\x00ë", "plain", 12]
    inv.write_workbook(out, ["value"], [[v] for v in values])
    cells = [row[0] for row in load_workbook(out).active.iter_rows(min_row=2)]
    assert [c.value for c in cells] == ["\n=1+1", "#DIV/0!", "  =1+1", "Zoë", "plain", "12"]
    assert [c.quotePrefix for c in cells] == [True, True, True, False, False, False]
    assert all(c.data_type == "s" for c in cells)


def test_waves_go_to_the_right_people(runner: FlaskCliRunner, db: Database, survey: list[int]) -> None:
    result = invoke(runner, "invitations", "wave", "--instrument", "crisp-web-survey", "--on", "2024-01-01")
    assert result.exit_code == 0, result.output
    assert "wave 1 (invitation): 3 cases" in result.output  # the opted-out case is left alone
    result = invoke(runner, "invitations", "wave", "--instrument", "crisp-web-survey", "--reminder")
    assert "wave 2 (reminder): 2 cases" in result.output  # the partial and the silent one
    result = invoke(runner, "invitations", "wave", "--instrument", "crisp-web-survey")
    assert result.exit_code == 1 and "every case has been invited already" in result.output
    with db.read() as session:
        reminded = session.scalars(
            select(Invitation.case_id)
            .join(InvitationWave)
            .where(InvitationWave.number == 2)
            .order_by(Invitation.case_id)
        ).all()
    assert reminded == survey[1:3]


def test_nonresponders_and_partial_responders_are_listed_apart(
    runner: FlaskCliRunner, survey: list[int]
) -> None:
    result = invoke(runner, "invitations", "nonresponders", "--instrument", "crisp-web-survey")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "non-responders: 1" and lines[2] == "partial responders: 1"
    assert lines[1].strip().startswith("p2@example.org") and lines[3].strip().startswith("p1@example.org")


class FakeSMTP:
    sent: list[EmailMessage] = []

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host = host

    def __enter__(self) -> FakeSMTP:
        return self

    def __exit__(self, *exc: Any) -> None:
        pass

    def starttls(self) -> None:
        pass

    def login(self, user: str, password: str) -> None:
        pass

    def send_message(self, message: EmailMessage) -> None:
        if message["To"].startswith("p1@"):
            import smtplib

            raise smtplib.SMTPRecipientsRefused({message["To"]: (550, b"no such user")})
        FakeSMTP.sent.append(message)


def test_wave_sent_by_smtp_records_what_failed(
    runner: FlaskCliRunner, db: Database, survey: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    FakeSMTP.sent = []
    monkeypatch.setenv("FEEDBACK_SMTP_HOST", "mail.example.org")
    monkeypatch.setattr(inv.smtplib, "SMTP", FakeSMTP)
    result = invoke(runner, "invitations", "wave", "--instrument", "crisp-web-survey", "--send")
    assert result.exit_code == 0, result.output
    assert "sent 2, failed 1" in result.output
    assert [m["To"] for m in FakeSMTP.sent] == ["p0@example.org", "p2@example.org"]
    assert "/f/crisp-web-survey?t=" in FakeSMTP.sent[0].get_content()
    with db.read() as session:
        rows = session.execute(
            select(Invitation.case_id, Invitation.sent_at, Invitation.error).order_by(Invitation.case_id)
        ).all()
    assert [(r.sent_at is not None, bool(r.error)) for r in rows] == [
        (True, False),
        (False, True),
        (True, False),
    ]


def test_send_without_smtp_is_refused(
    runner: FlaskCliRunner, survey: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FEEDBACK_SMTP_HOST", raising=False)
    result = invoke(runner, "invitations", "wave", "--instrument", "crisp-web-survey", "--send")
    assert result.exit_code == 1 and "FEEDBACK_SMTP_HOST" in result.output


def test_rates_json_for_one_instrument(runner: FlaskCliRunner, survey: list[int]) -> None:
    result = invoke(runner, "rates", "--instrument", "crisp-web-survey", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["instrument"] == "crisp-web-survey" and data["cases"] == 4
    assert list(data["counts"]) == list(DISPOSITIONS)
    assert data["counts"] == {"I": 1, "P": 0, "R": 2, "NC": 0, "O": 0, "UH": 1, "UO": 0, "NE": 0}
    assert data["e"] == 1.0
    assert list(data["rates"]) == list(RATE_NAMES)
    assert data["rates"]["RR2"] == 0.25 and data["rates"]["COOP1"] == pytest.approx(1 / 3)


def test_rates_json_for_a_project_and_by_attribute(
    runner: FlaskCliRunner, db: Database, survey: list[int]
) -> None:
    with db.write() as session:
        make_instrument(session, "crisp-review", kind="document_review")
    result = invoke(runner, "rates", "--project", "crisp", "--json", "--by", "region")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    review, web = data["instruments"]
    assert review["instrument"] == "crisp-review" and review["rates"]["RR2"] is None and review["cases"] == 0
    assert review["note"] == "no respondents"
    groups = {g["value"]: g for g in web["by"]["groups"]}
    assert (
        groups[NASTY[0]]["rates"]["RR2"] == 1.0
        and groups["+1"]["counts"]["R"] == 1
        and groups["-2+3"]["counts"]["UH"] == 1
    )


def test_rates_text_states_e_and_undefined(runner: FlaskCliRunner, db: Database, survey: list[int]) -> None:
    result = invoke(runner, "rates", "--instrument", "crisp-web-survey")
    assert result.exit_code == 0, result.output
    assert "RR2    25.0% (1/4)" in result.output
    assert "e = 1.000 (default)" in result.output


def test_dispositions_set_keeps_the_reason(runner: FlaskCliRunner, db: Database, survey: list[int]) -> None:
    with db.read() as session:
        token = session.get(Case, survey[2]).token
    result = invoke(
        runner, "dispositions", "set", token, "NE", "--reason", "retired before the survey", "--by", "amy"
    )
    assert result.exit_code == 0, result.output
    assert "UH" not in result.output and "derived -> NE (now NE)" in result.output
    assert invoke(runner, "dispositions", "set", token, "ZZ", "--reason", "x").exit_code == 1
    assert invoke(runner, "dispositions", "set", "no-such-token", "NE", "--reason", "x").exit_code == 1
    with db.read() as session:
        changes = session.execute(select(DispositionChange.new, DispositionChange.reason)).all()
    assert [tuple(c) for c in changes] == [("NE", "retired before the survey")]
    data = json.loads(invoke(runner, "rates", "--instrument", "crisp-web-survey", "--json").output)
    assert data["counts"]["NE"] == 1 and data["counts"]["UH"] == 0


def test_calls_log_derives_the_disposition(runner: FlaskCliRunner, db: Database) -> None:
    with db.write() as session:
        phone = make_instrument(
            session, "move-telephone-interview", kind="interview_schedule", project="move"
        )
        (case_id,) = add_contacts(session, phone, 1)
        token = session.get(Case, case_id).token
    result = invoke(
        runner, "calls", "log", token, "no_answer", "--interviewer", "Kim", "--at", "2024-03-01 10:00:00"
    )
    assert result.exit_code == 0 and "disposition now UH" in result.output
    result = invoke(runner, "calls", "log", token, "soft_refusal", "--at", "2024-03-02 10:00:00")
    assert "disposition now R" in result.output
    result = invoke(runner, "calls", "log", token, "hung_up")
    assert result.exit_code == 1 and "unknown call outcome" in result.output
    with db.read() as session:
        assert session.scalars(select(CallAttempt.interviewer).order_by(CallAttempt.id)).all() == ["Kim", ""]


def test_methodology_command(runner: FlaskCliRunner, db: Database, survey: list[int]) -> None:
    with db.write() as session:
        make_instrument(session, "crisp-review", kind="document_review")
    result = invoke(runner, "methodology", "--project", "crisp")
    assert result.exit_code == 0, result.output
    assert "no respondents" in result.output and "25.0% (1/4)" in result.output
    assert invoke(runner, "methodology", "--project", "nope").exit_code == 1


def test_register_import_with_activity(runner: FlaskCliRunner, db: Database, tmp_path: Path) -> None:
    from feedback.db import Activity
    from feedback.db.sampling import AttendanceEntry

    with db.write() as session:
        form = make_instrument(session, "pirr-event-feedback", kind="event_feedback", project="pirr")
        activity = Activity(project_id=form.project_id, title="Launch")
        session.add(activity)
        session.flush()
        activity_id = activity.id
    path = tmp_path / "register.csv"
    path.write_text("email,name,role\na@x.org,Ann,Chair\nb@x.org,Bob,\n")
    result = invoke(
        runner,
        "contacts",
        "import",
        str(path),
        "--instrument",
        "pirr-event-feedback",
        "--activity",
        str(activity_id),
    )
    assert result.exit_code == 0, result.output
    assert f"register: 2 added to activity {activity_id}" in result.output
    with db.read() as session:
        assert len(session.scalars(select(AttendanceEntry.id)).all()) == 2
        assert session.scalars(select(ContactAttribute.value)).all() == ["Chair"]


def test_rates_json_lists_events_of_event_feedback(runner: FlaskCliRunner, db: Database) -> None:
    from feedback.db import Activity

    with db.write() as session:
        form = make_instrument(session, "pirr-event-feedback", kind="event_feedback", project="pirr")
        launch = Activity(project_id=form.project_id, title="Launch", attending=150)
        unknown = Activity(project_id=form.project_id, title="Drop-in")
        session.add_all([launch, unknown])
        session.flush()
        add_responses(session, form, [{"activity_id": launch.id}] * 31 + [{"activity_id": unknown.id}] * 2)
    data = json.loads(invoke(runner, "rates", "--project", "pirr", "--json").output)
    (form_json,) = data["instruments"]
    assert form_json["cases"] == 150 and form_json["rates"]["RR2"] == pytest.approx(31 / 150)
    events = {e["title"]: e for e in form_json["events"]}
    assert events["Launch"]["sample"] == 150 and events["Launch"]["counts"]["R"] == 119
    assert events["Drop-in"]["sample"] is None and events["Drop-in"]["rates"]["RR2"] is None
    assert "2 form(s) from 1 event(s) left out" in form_json["note"]


def test_rates_profile_json(runner: FlaskCliRunner, survey: list[int]) -> None:
    data = json.loads(
        invoke(runner, "rates", "--instrument", "crisp-web-survey", "--profile", "--json").output
    )
    rows = {r["value"]: r for r in data["representativeness"]["region"]}
    # Four cases, one respondent (the complete one, region NASTY[0]).
    assert rows[NASTY[0]] == {
        "value": NASTY[0], "sample": 1, "sample_base": 4, "respondents": 1, "respondent_base": 1,
        "difference_pp": 75.0,
    }  # fmt: skip
    assert rows["+1"]["difference_pp"] == -25.0


def test_head_count_from_the_cli(runner: FlaskCliRunner, db: Database) -> None:
    from feedback.db import Activity

    with db.write() as session:
        form = make_instrument(session, "pirr-event-feedback", kind="event_feedback", project="pirr")
        launch = Activity(project_id=form.project_id, title="Launch")
        session.add(launch)
        session.flush()
        add_responses(session, form, [{"activity_id": launch.id}] * 30)
        launch_id = launch.id
    result = invoke(runner, "contacts", "attending", str(launch_id), "120", "--note", "sign-in sheet")
    assert result.exit_code == 0, result.output
    data = json.loads(invoke(runner, "rates", "--instrument", "pirr-event-feedback", "--json").output)
    assert data["rates"]["RR2"] == 0.25 and "Launch: 120 (sign-in sheet)" in data["note"]
    assert invoke(runner, "contacts", "attending", "999", "5").exit_code == 1


def test_a_broken_body_template_is_refused_before_anything_is_recorded(
    runner: FlaskCliRunner, db: Database, survey: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FEEDBACK_SMTP_HOST", "mail.example.org")
    result = invoke(
        runner, "invitations", "wave", "--instrument", "crisp-web-survey", "--send", "--body", "Hi {nme}"
    )
    assert result.exit_code == 1 and "--body may use {name}" in result.output
    with db.read() as session:
        assert session.scalars(select(InvitationWave.id)).all() == []
