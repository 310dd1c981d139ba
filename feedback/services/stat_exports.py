"""SPSS (.sav) and Stata (.dta) exports: the workbook's Responses rows as labelled variables.

The rows are the workbook's own: :func:`~feedback.export.tables.response_rows` over a
:class:`~feedback.export.tables.ResponsesLayout` of the instrument without its personal-data
questions (in codes mode), so the two files agree answer by answer and filter by filter. This
module turns each question's column into variables, and :mod:`feedback.export.statfiles` writes
them (its docstring has the format rules: missing codes, names, dates, long text). What is added:

* **select_one**: codes 1..k in the order of the choices, value-labelled with the choice labels.
  An answer whose code the current version no longer lists gets the next number, labelled with
  the code itself (what the workbook shows for it).
* **select_multiple**: one 0/1 variable per choice, ``question__choice``, labelled
  "question: choice" (the workbook's ``question/choice`` columns). The workbook's joined column is
  not repeated: the flags say the same.
* **Why an answer is missing**, row by row, as the summary tables count it: *not shown* when the
  response's routing skipped the question (``skipped_questions``, see :mod:`feedback.db.skips`)
  or its version did not ask it; otherwise *not answered* (shown, left blank). So the number of
  each code in a variable is the summary's "Not shown" and "Missing" for that question.

Never identified: personal-data questions are left out and there is no identified variant (who
needs names uses the workbook's Respondents sheet). Only reads the database; each file is written
under a temporary name beside its target and renamed into place when complete.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import Instrument, Question, Response, SkippedQuestion
from ..db.summary_queries import ResponseFilter, question_names
from ..domain.instrument import Instrument as InstrumentModel
from ..domain.instrument import Question as QuestionModel
from ..export.statfiles import (
    NOT_ANSWERED,
    NOT_SHOWN,
    Dataset,
    Kind,
    Missing,
    StatReport,
    Variable,
    write_dta,
    write_sav,
)
from ..export.tables import DATE, DECIMAL, INTEGER, META_NOTES, MULTI, ONE, ResponsesLayout, response_rows
from .exports import ExportResult, _model, _temporary

STAT_FORMATS: tuple[str, ...] = ("sav", "dta")
WRITERS: dict[str, Callable[[Path, Dataset], StatReport]] = {"sav": write_sav, "dta": write_dta}
FLAG_LABELS = {0: "Not ticked", 1: "Ticked"}
_KIND: dict[int, Kind] = {INTEGER: "integer", DECIMAL: "decimal", DATE: "date"}


def not_shown(
    session: Session, instrument: Instrument, scope: ResponseFilter, names: Collection[str]
) -> dict[int, set[str]]:
    """Response id -> the questions (of ``names``) it was not shown: those its routing skipped,
    and those its version did not ask. Responses with neither are left out of the map."""
    conditions = scope.conditions(instrument.id)
    wanted = set(names)
    by_id = question_names(session, instrument.id)
    out: dict[int, set[str]] = {}
    skipped = (
        select(SkippedQuestion.response_id, SkippedQuestion.question_id)
        .join(Response, Response.id == SkippedQuestion.response_id)
        .where(*conditions)
    )
    for response_id, question_id in session.execute(skipped):
        name = by_id.get(question_id)
        if name in wanted:
            out.setdefault(response_id, set()).add(name)
    versions = list(session.scalars(select(Response.version_id).where(*conditions).distinct()))
    asked: dict[int, set[str]] = {version: set() for version in versions}
    for version, name in session.execute(
        select(Question.version_id, Question.name).where(Question.version_id.in_(versions))
    ):
        asked[version].add(name)
    for version, names_asked in asked.items():
        lacking = wanted - names_asked
        if lacking:
            ids = session.scalars(select(Response.id).where(*conditions, Response.version_id == version))
            for response_id in ids:
                out.setdefault(response_id, set()).update(lacking)
    return out


def _filled(values: Sequence[object], why: Sequence[Missing]) -> list[object]:
    return [reason if value is None else value for value, reason in zip(values, why, strict=True)]


def _coded(model: InstrumentModel, question: QuestionModel, values: Sequence[object]) -> Variable:
    """A select_one as codes 1..k with its choice labels (unknown codes numbered after them)."""
    numbers = {choice.name: n for n, choice in enumerate(model.choices_for(question), 1)}
    labels = {n: choice.label or choice.name for n, choice in enumerate(model.choices_for(question), 1)}
    coded: list[object] = []
    for value in values:
        if value is None:
            coded.append(None)
            continue
        code = str(value)
        if code not in numbers:
            numbers[code] = len(numbers) + 1
            labels[numbers[code]] = code
        coded.append(numbers[code])
    return Variable(question.name, question.label, "code", coded, labels)


def _question_variables(
    model: InstrumentModel,
    question: QuestionModel,
    layout: ResponsesLayout,
    columns: Sequence[Sequence[object]],
    why: Sequence[Missing],
) -> list[Variable]:
    slot = layout.slots[question.name]
    values = columns[slot.column]
    if slot.kind == MULTI:
        return [
            Variable(
                f"{question.name}__{choice}",
                question.label or question.name,
                "flag",
                _filled(columns[column], why),
                FLAG_LABELS,
                source=layout.headers[column],
                detail=slot.labels.get(choice, choice),
            )
            for choice, column in slot.choice_columns.items()
        ]
    if slot.kind == ONE:
        coded = _coded(model, question, values)
        return [Variable(coded.name, coded.label, "code", _filled(coded.values, why), coded.value_labels)]
    kind = _KIND.get(slot.kind, "text")
    return [Variable(question.name, question.label, kind, _filled(values, why))]


def _meta(header: str, values: Sequence[object]) -> Variable:
    """A column of the response (id, status, mode, event, submitted_at, respondent): no missing codes."""
    present = [v for v in values if v is not None]
    kind: Kind
    if header == "submitted_at" or (present and all(isinstance(v, datetime) for v in present)):
        kind = "datetime"
    elif header == "response_id" or (present and all(type(v) is int for v in present)):
        kind = "integer"
    else:
        kind = "text"
    return Variable(header, META_NOTES.get(header, header), kind, values, user_missing=False)


def stat_dataset(
    session: Session,
    instrument: Instrument,
    scope: ResponseFilter,
    secret: str,
    progress: Callable[[int], None] | None = None,
) -> Dataset:
    """The instrument's responses in ``scope`` as variables (see the module docstring)."""
    model = _model(session, instrument).without_personal_data()
    layout = ResponsesLayout(model, "codes")
    columns: list[list[object]] = [[] for _ in layout.headers]
    for row in response_rows(session, instrument, layout, scope, secret, progress):
        for column, value in zip(columns, row, strict=True):
            column.append(value)
    questions = model.input_questions()
    hidden = not_shown(session, instrument, scope, [q.name for q in questions])
    ids = columns[layout.headers.index("response_id")]
    first = min((slot.column for slot in layout.slots.values()), default=len(layout.headers))
    variables = [_meta(header, columns[i]) for i, header in enumerate(layout.headers[:first])]
    for question in questions:
        why = [
            NOT_SHOWN if isinstance(rid, int) and question.name in hidden.get(rid, ()) else NOT_ANSWERED
            for rid in ids  # response ids: always int
        ]
        variables.extend(_question_variables(model, question, layout, columns, why))
    written = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    notes = [
        f"{instrument.title} ({instrument.slug}): {len(ids)} responses, exported {written} UTC.",
        "Questions marked as personal data are not included.",
        "select_one: codes 1..k in the questionnaire's order, with value labels. select_multiple: "
        "one variable per choice, 1 = ticked, 0 = not ticked.",
    ]
    return Dataset(f"{instrument.title} ({instrument.slug})", variables, notes)


def stat_paths(target: Path, instruments: Sequence[Instrument], file_format: str) -> list[Path]:
    """``FILE.sav`` for one instrument; ``FILE-<slug>.sav`` for each of a project's."""
    if len(instruments) == 1:
        return [target]
    stem = target.with_suffix("") if target.suffix.lower() == f".{file_format}" else target
    return [Path(f"{stem}-{i.slug}.{file_format}") for i in instruments]


def export_stat(
    session: Session,
    instruments: list[Instrument],
    target: Path,
    scope: ResponseFilter,
    secret: str,
    file_format: str,
    progress: Callable[[int], None] | None = None,
) -> ExportResult:
    """One SPSS (``sav``) or Stata (``dta``) file per instrument; ``long_texts`` counts answers an
    SPSS string could not hold whole (they continue in part variables). Raises ``ValueError`` for
    another format."""
    write = WRITERS.get(file_format)
    if write is None:
        raise ValueError(f"not a statistical file format: {file_format!r} (expected sav or dta)")
    written: list[Path] = []
    rows: dict[str, int] = {}
    split = 0
    for instrument, path in zip(instruments, stat_paths(target, instruments, file_format), strict=True):
        dataset = stat_dataset(session, instrument, scope, secret, progress)
        with _temporary(path) as temporary:
            report = write(temporary, dataset)
        written.append(path)
        rows[path.name] = report.rows
        split += report.split_texts
    return ExportResult(tuple(written), rows, split)
