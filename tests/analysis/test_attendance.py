"""Attendance tables (the report's Tables 3.1, 3.3, 3.4) and the respondent profile (Table 2.2),
from the Change Up demo, through the domain, ``feedback attendance`` and the workbook.

One demo database for the module, with only the CRISP web survey loaded (so the demo writes its
189 responses and the Summary sheet has Table 2.2 to lay out); the tests only read it.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from demo_apps import database, load_forms, sqlite_app
from flask import Flask
from sqlalchemy import func, select

from feedback.db import Activity, Project
from feedback.db.app import EXTENSION
from feedback.db.attendance import attendance_counts
from feedback.db.session import Database
from feedback.domain.attendance import NOT_KNOWN, AttendanceCount, attendance_table
from feedback.services.attendance import project_attendance

FORMS = Path(__file__).resolve().parents[2] / "forms"


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = sqlite_app(tmp_path_factory.mktemp("attendance-demo"))
    load_forms(app, ["crisp-web-survey"], demo=True)
    yield app
    database(app).dispose()


@pytest.fixture(scope="module")
def demo_db(demo_app: Flask) -> Database:
    return demo_app.extensions[EXTENSION]


# ----------------------------------------------------------------------------- the report's tables
def test_table_3_1_crisp_events_by_activity_and_region(demo_db: Database) -> None:
    with demo_db.read() as session:
        table = project_attendance(session, "crisp")
    expected = {
        "Regional Information Skills Event": {
            "North East": 2,
            "Yorkshire and Humberside": 1,
            "East Midlands": 2,
        },
        "Action Learning sets": {"North East": 2, "Yorkshire and Humberside": 4, "East Midlands": 3},
        "'Volunteering with Offenders in the Community' training": {
            "North East": 1,
            "Yorkshire and Humberside": 1,
            "East Midlands": 2,
        },
        "Sub-regional conferences (all Yorkshire and Humberside)": {"Yorkshire and Humberside": 3},
        "'Taster day' for action learning": {"North East": 1},
    }
    for series, regions in expected.items():
        group = table.group(series)
        assert {line.region: line.events for line in group.regions} == regions, series
    conferences = table.group("Sub-regional conferences (all Yorkshire and Humberside)")
    assert [(a.title, a.events) for a in conferences.activities] == [
        ("Sub-regional conference: 'Risk or no Risk'", 1),
        ("Sub-regional conference: 'Just Visiting'", 1),
        ("Sub-regional conference: 'One Vision'", 1),
    ]
    # Publications and the e-bulletin are listed, not counted as events (the report gives no count).
    publications = table.group("Provision of resource packs, publications and reports")
    assert publications.output and publications.events == 0 and len(publications.activities) == 5
    assert table.group("'Light Lunch' weekly information e-bulletin").output
    assert table.outputs == 6
    # The report gives no head count for any CRISP event: not known, never 0.
    assert table.attending is None and table.attending_text == NOT_KNOWN
    assert table.events == 2 + 5 + 9 + 3 + 4 + 1 + 1  # focus groups included


def test_table_3_3_step_up_attendance_with_an_event_not_detailed(demo_db: Database) -> None:
    with demo_db.read() as session:
        table = project_attendance(session, "step-up")
    conference = table.group("Regional conference")
    assert (conference.events, conference.attending_text) == (1, "64")
    seminars = table.group("Seminars")
    assert [a.attending_text for a in seminars.activities] == ["10", "17", NOT_KNOWN]
    # The series total adds the two known head counts and says so.
    assert seminars.attending == 27
    assert seminars.attending_text == "27 (known for 2 of 3 events)"
    assert seminars.region("West Midlands").unknown == 1


def test_table_3_4_seed4bme_delegates_per_event_and_region(demo_db: Database) -> None:
    with demo_db.read() as session:
        table = project_attendance(session, "seed4bme")
    workshops = table.group("Capacity Building workshops")
    assert [(a.title, a.region, a.attending) for a in workshops.activities] == [
        ("Preparing for funding/what funders want", "North West", 17),
        ("Business planning", "North West", 15),
        ("Partnership and consortia", "North West", 11),
    ]
    forums = table.group("Regional Forums")
    assert [a.attending for a in forums.activities] == [66, 16, 19, 28, 24, 30]
    conference = table.group("2 day national conference")
    assert [(r.region, r.events, r.attending) for r in conference.regions] == [("South West", 2, 178)]
    assert [a.attending for a in conference.activities] == [92, 86]  # "92 and 86"
    assert table.known == table.events == 11
    assert table.base_text.startswith("Attendance known for 11 of 11 events")


def test_counts_come_from_one_aggregate_query(demo_db: Database) -> None:
    from sqlalchemy import event

    statements: list[str] = []

    def seen(*args: object) -> None:
        statements.append(str(args[2]))

    with demo_db.read() as session:
        project = session.scalars(select(Project).where(Project.slug == "pirr")).one()
        event.listen(demo_db.engine, "before_cursor_execute", seen)
        try:
            counts = attendance_counts(session, project.id)
        finally:
            event.remove(demo_db.engine, "before_cursor_execute", seen)
        activities = session.scalar(
            select(func.count()).select_from(Activity).where(Activity.project_id == project.id)
        )
    assert len(statements) == 1 and "GROUP BY" in statements[0]
    assert sum(c.events for c in counts) == activities == 19  # 18 events and the e-newsletter


def test_unknown_attendance_is_never_added_as_zero() -> None:
    counts = [
        AttendanceCount("Seminars", "A", "London", "seminar", events=1, known=1, attending=35, order=1),
        AttendanceCount("Seminars", "B", "London", "seminar", events=1, known=0, attending=None, order=2),
        AttendanceCount("Seminars", "C", "Leeds", "seminar", events=2, known=0, attending=None, order=3),
    ]
    table = attendance_table("t", counts)
    group = table.group("Seminars")
    assert (group.events, group.known, group.attending) == (4, 1, 35)
    assert group.attending_text == "35 (known for 1 of 4 events)"
    assert group.region("Leeds").attending is None and group.region("Leeds").attending_text == NOT_KNOWN
    with pytest.raises(ValueError, match="does not match"):
        AttendanceCount("S", "D", "X", "event", events=1, known=0, attending=0)


# ---------------------------------------------------------------------------------------- the CLI
def test_attendance_command_prints_the_tables(demo_app: Flask) -> None:
    result = demo_app.test_cli_runner().invoke(args=["attendance", "--project", "seed4bme"])
    assert result.exit_code == 0, result.output
    assert "2 day national conference: 2 event(s), attending 178" in result.output
    assert "  South West: 2 event(s), attending 178" in result.output
    assert "All activities: 11 event(s), attending 404" in result.output


def test_attendance_command_json_keeps_unknown_as_null(demo_app: Flask) -> None:
    result = demo_app.test_cli_runner().invoke(args=["attendance", "--project", "step-up", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    seminars = next(s for s in data["series"] if s["series"] == "Seminars")
    assert [a["attending"] for a in seminars["activities"]] == [10, 17, None]
    assert (seminars["attending"], seminars["attendance_known"], seminars["events"]) == (27, 2, 3)


def test_attendance_command_unknown_project(demo_app: Flask) -> None:
    result = demo_app.test_cli_runner().invoke(args=["attendance", "--project", "nope"])
    assert result.exit_code == 1 and "no project called 'nope'" in result.output


# ----------------------------------------------------------------------------------- the workbook
@pytest.fixture(scope="module")
def crisp_export(demo_app: Flask, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("attendance-export") / "crisp.xlsx"
    result = demo_app.test_cli_runner().invoke(
        args=["export", "--instrument", "crisp-web-survey", "-o", str(path)]
    )
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture(scope="module")
def crisp_workbook(crisp_export: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(crisp_export)


def test_workbook_has_an_attendance_sheet_with_table_3_1(crisp_workbook: openpyxl.Workbook) -> None:
    assert crisp_workbook.sheetnames[-1] == "Attendance"
    rows = list(crisp_workbook["Attendance"].iter_rows(values_only=True))
    assert "Attendance known for 0 of 25 events" in str(rows[0][0])
    header = rows.index(
        ("Activity", "Region", "No. of events", "No. attending", "Events with attendance known", "Note", None)
    )
    lines = {(r[0], r[1]): r[2:5] for r in rows[header + 1 :] if r[0]}
    series = "Action Learning sets"
    assert lines[(series, "All regions")] == (9, NOT_KNOWN, 0)
    assert lines[(series, "North East")] == (2, NOT_KNOWN, 0)
    assert lines[(series, "Yorkshire and Humberside")] == (4, NOT_KNOWN, 0)
    assert lines[(series, "East Midlands")] == (3, NOT_KNOWN, 0)
    publications = "Provision of resource packs, publications and reports"
    assert lines[(publications, "All regions")][0] == "output"


def _profile_block(rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    start = next(i for i, r in enumerate(rows) if str(r[0]).startswith("Profile of respondents"))
    end = rows.index((None,) * len(rows[0]), start)
    return rows[start:end]


def test_summary_sheet_opens_with_the_respondent_profile_of_table_2_2(
    crisp_workbook: openpyxl.Workbook,
) -> None:
    rows = list(crisp_workbook["Summary"].iter_rows(values_only=True))
    block = _profile_block(rows)
    assert block[0][0] == (
        "Profile of respondents: About you and your organisation "
        "(each question's % is of those who answered it)"
    )
    headings = [r[0] for r in block if str(r[0]).endswith(("[org_type]", "[primary_work]", "[location]"))]
    assert [str(h).rsplit(" [", 1)[1] for h in headings] == ["org_type]", "primary_work]", "location]"]
    figures = {r[0]: r[1:3] for r in block}
    # Table 2.2: 68.8 / 17.5 / 13.8 of 189 (the demo's note: the report's 13.7 fits no base of 189).
    # Percentages are stored as fractions shown as 0.0% (68.8%), rounded as the staff pages show them.
    assert [r[1:3] for r in block[3:6]] == [(130, 0.688), (33, 0.175), (26, 0.138)]
    assert figures["Yorkshire and the Humber"] == (84, 0.477)
    assert figures["North East"] == (29, 0.165)
    # Each question has its own base and adds up to 100% of it.
    bases = [r[1] for r in block if r[0] == "Base (answered)"]
    totals = [r[1:3] for r in block if r[0] == "Total"]
    assert bases == [189, 185, 176]
    assert totals == [(189, 1), (185, 1), (176, 1)]
    # Each question once: the profile's questions are not repeated after it.
    later = rows[rows.index(block[-1]) + 1 :]
    assert not [r for r in later if str(r[0]).endswith(("[org_type]", "[primary_work]", "[location]"))]


def test_charts_still_point_at_their_tables_below_the_profile(
    crisp_export: Path, crisp_workbook: openpyxl.Workbook
) -> None:
    with zipfile.ZipFile(crisp_export) as archive:
        first_chart = archive.read("xl/charts/chart1.xml").decode()
    labels, values = re.findall(
        r"<(?:c:)?f>'Summary'!\$([A-Z])\$(\d+):\$[A-Z]\$(\d+)</(?:c:)?f>", first_chart
    )
    sheet = crisp_workbook["Summary"]
    first, last = int(labels[1]), int(labels[2])
    assert sheet.cell(row=first - 1, column=1).value == "Answer"  # a per-question table's rows
    above = [sheet.cell(row=r, column=1).value for r in range(first - 1, 0, -1)]
    heading = next(str(v) for v in above if str(v).endswith("]"))
    # the first chart belongs to the first question after the profile, which is not repeated
    assert heading == "Which CRISP activities did you take part in? [activities]", heading
    shares = [sheet.cell(row=r, column=3).value for r in range(first, last + 1)]
    assert shares and all(isinstance(v, float) and 0 <= v <= 1 for v in shares)
    assert values[0] == "C"
