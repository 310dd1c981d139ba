"""The CRISP demo as a workbook, an SPSS file and a Stata file: the three say the same thing.

One demo database for the module (the CRISP web survey and its 189 demo responses, some partial,
many routed past questions), exported once in each format with the same filter. Each question is
compared row by row: the workbook's label (or 0/1 for a choice of a multiple-choice question) is
the value label of the code in both statistical files; where the workbook is blank, the files
hold a missing code, "not shown" exactly for the responses whose routing skipped the question
(``skipped_questions``) and "not answered" for the others, so the codes add up to the summary's
"Not shown" and "Missing" counts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import select
from stat_support import VALID_NAME, Read, read_dta, read_sav

from feedback import create_app
from feedback.config import Settings
from feedback.db import Base, InstrumentVersion, Question, Response, SkippedQuestion
from feedback.db.app import EXTENSION
from feedback.db.summary_queries import ResponseFilter
from feedback.domain.instrument import Instrument as InstrumentModel
from feedback.domain.loader import load_file
from feedback.domain.summary import FrequencyTable
from feedback.services.demo import load_demo
from feedback.services.exports import export_xlsx, instruments_of
from feedback.services.instruments import get_instrument, model_of, save_instrument
from feedback.services.stat_exports import export_stat
from feedback.services.summaries import InstrumentSummary, summarise

FORMS = Path(__file__).resolve().parents[2] / "forms"
SLUG = "crisp-web-survey"
SECRET = "demo-secret"
SPSS_CODES = {"not shown": -8.0, "not answered": -9.0}
STATA_CODES = {"not shown": "a", "not answered": "b"}


@dataclass
class Exported:
    workbook: list[dict[str, Any]]
    sav: Read
    dta: Read
    summary: InstrumentSummary
    model: InstrumentModel
    skipped: dict[str, set[int]]  # question -> response ids routed past it


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Exported]:
    path = tmp_path_factory.mktemp("stat-demo")
    settings = Settings(
        instance_path=path, database_url=f"sqlite:///{path}/t.db", secret_key=SECRET, testing=True
    )
    app = create_app(settings)
    db = app.extensions[EXTENSION]
    Base.metadata.create_all(db.engine)
    with db.write() as session:
        save_instrument(session, load_file(FORMS / f"{SLUG}.yaml"))
        load_demo(session)
    with db.read() as session:
        instruments = instruments_of(session, SLUG, None)
        scope = ResponseFilter()
        export_xlsx(session, instruments, path / "crisp.xlsx", scope, SECRET)
        export_stat(session, instruments, path / "crisp.sav", scope, SECRET, "sav")
        export_stat(session, instruments, path / "crisp.dta", scope, SECRET, "dta")
        summary = summarise(session, SLUG, scope)
        version = session.get(InstrumentVersion, get_instrument(session, SLUG).current_version_id)
        model = model_of(version).without_personal_data()
        skipped: dict[str, set[int]] = {}
        for name, response_id in session.execute(
            select(Question.name, SkippedQuestion.response_id)
            .join(Question, Question.id == SkippedQuestion.question_id)
            .join(Response, Response.id == SkippedQuestion.response_id)
        ):
            skipped.setdefault(name, set()).add(response_id)
    book = openpyxl.load_workbook(path / "crisp.xlsx", read_only=True)
    rows = list(book["Responses"].iter_rows(values_only=True))
    book.close()
    width = len(rows[0])  # read-only rows stop at their last filled cell
    workbook = [dict(zip(rows[0], (*row, *[None] * (width - len(row))), strict=True)) for row in rows[1:]]
    yield Exported(
        workbook, read_sav(path / "crisp.sav"), read_dta(path / "crisp.dta"), summary, model, skipped
    )
    db.dispose()


def _variable(read: Read, question: str, choice: str) -> str:
    """The choice's variable: ``question__choice``, or, shortened, the one labelled ``[question/choice]``."""
    wanted = f"{question}__{choice}"
    if wanted in read.meta.column_names:
        return wanted
    return next(n for n in read.meta.column_names if read.label(n).startswith(f"[{question}/{choice}] "))


def _expected_missing(exported: Exported, name: str, response_id: int) -> str:
    return "not shown" if response_id in exported.skipped.get(name, set()) else "not answered"


def test_one_row_per_response_in_the_same_order(exported: Exported) -> None:
    ids = [row["response_id"] for row in exported.workbook]
    assert len(ids) == 189
    assert [int(v) for v in exported.sav.column("response_id")] == ids
    assert [int(v) for v in exported.dta.column("response_id")] == ids
    for read in (exported.sav, exported.dta):
        texts = [
            h for h in ("status", "mode", "event", "event_code", "respondent") if h in exported.workbook[0]
        ]
        assert {"status", "mode", "event", "respondent"} <= set(texts)
        for header in texts:
            assert read.column(header) == [row[header] or "" for row in exported.workbook], header
        for row, when in zip(exported.workbook, read.column("submitted_at"), strict=True):
            if row["submitted_at"] is None:
                assert when is None  # a partial response was never submitted
            else:
                assert isinstance(when, datetime)
                assert abs((when - row["submitted_at"]).total_seconds()) < 1


def test_single_choice_answers_are_codes_labelled_as_the_workbook_shows_them(exported: Exported) -> None:
    checked = 0
    for question in exported.model.input_questions():
        if question.type != "select_one":
            continue
        labels = [c.label for c in exported.model.choices_for(question)]
        for read, codes in ((exported.sav, SPSS_CODES), (exported.dta, STATA_CODES)):
            value_labels = read.value_labels(question.name)
            assert [value_labels[n] for n in range(1, len(labels) + 1)] == labels
            assert value_labels[codes["not shown"]] == "Not shown (skipped)"
            assert value_labels[codes["not answered"]] == "Missing (shown, not answered)"
            label = read.label(question.name)
            assert label == question.label or (len(label) == 80 and label[:-1] in question.label)
            for row, value in zip(exported.workbook, read.column(question.name), strict=True):
                if row[question.name] is None:
                    assert value == codes[_expected_missing(exported, question.name, row["response_id"])]
                else:
                    assert value_labels[value] == row[question.name]
                    checked += 1
    assert checked > 2 * 1000


def test_multiple_choice_questions_are_one_0_1_variable_per_choice(exported: Exported) -> None:
    questions = [q for q in exported.model.input_questions() if q.type == "select_multiple"]
    assert [q.name for q in questions] == ["activities", "expectations"]
    for question in questions:
        for choice in exported.model.choices_for(question):
            column = f"{question.name}/{choice.name}"
            for read, codes in ((exported.sav, SPSS_CODES), (exported.dta, STATA_CODES)):
                name = _variable(read, question.name, choice.name)
                assert read.label(name).endswith(f": {choice.label}") or len(read.label(name)) == 80
                for row, value in zip(exported.workbook, read.column(name), strict=True):
                    if row[column] is None:
                        assert value == codes[_expected_missing(exported, question.name, row["response_id"])]
                    else:
                        assert value == row[column]
    assert exported.sav.label("activities__rise").startswith("Which CRISP activities did you take part in?")
    assert exported.sav.value_labels("activities__rise")[1] == "Ticked"


def test_text_answers_are_the_workbooks_and_empty_when_missing(exported: Exported) -> None:
    texts = [q.name for q in exported.model.input_questions() if q.type == "text"]
    assert "comments" in texts
    answered = 0
    for name in texts:
        expected = [row[name] or "" for row in exported.workbook]
        assert exported.sav.column(name) == expected
        assert exported.dta.column(name) == expected
        answered += sum(1 for text in expected if text)
    assert answered > 100


def test_missing_codes_add_up_to_the_summarys_not_shown_and_missing(exported: Exported) -> None:
    tables = [t for t in exported.summary.tables if isinstance(t, FrequencyTable) and not t.multiple]
    assert sum(t.not_shown for t in tables) > 500 and sum(t.missing for t in tables) > 300
    for table in tables:
        for read, codes in ((exported.sav, SPSS_CODES), (exported.dta, STATA_CODES)):
            values = read.column(table.name)
            assert values.count(codes["not shown"]) == table.not_shown, table.name
            assert values.count(codes["not answered"]) == table.missing, table.name
    for table in (t for t in exported.summary.tables if isinstance(t, FrequencyTable) and t.multiple):
        first = next(n for n in exported.sav.meta.column_names if n.startswith(f"{table.name}__"))
        assert exported.sav.column(first).count(-8.0) == table.not_shown
        assert exported.sav.column(first).count(-9.0) == table.missing


def test_the_missing_codes_are_declared_missing(exported: Exported) -> None:
    spss = exported.sav.meta.missing_ranges["useful_rise"]
    assert sorted(r["lo"] for r in spss) == [-9.0, -8.0]
    # pyreadstat lists the extended missing values a Stata variable holds: this one has both.
    assert sorted(exported.dta.meta.missing_user_values["useful_action_learning"]) == ["a", "b"]
    assert "response_id" not in exported.sav.meta.missing_ranges
    assert "-8 = not shown" in " ".join(exported.sav.meta.notes)


def test_names_are_valid_in_both_formats(exported: Exported) -> None:
    for read, limit in ((exported.sav, 64), (exported.dta, 32)):
        names = read.meta.column_names
        assert all(re.fullmatch(VALID_NAME, n) and len(n) <= limit for n in names)
        assert len({n.lower() for n in names}) == len(names)
    # Stata's 32 characters do not hold every choice variable's name: the label keeps the mapping.
    long = [n for n in exported.dta.meta.column_names if exported.dta.label(n).startswith("[")]
    assert long and all(exported.dta.label(n).startswith("[expectations/") for n in long)
