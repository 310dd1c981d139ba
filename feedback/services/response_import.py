"""Importing responses from a workbook or CSV in the layout of our own Responses sheet.

Headers are question names (the first row); ``select_one`` cells may hold the code or the label;
``select_multiple`` answers come from our ``question/choice`` 0/1 columns when the file has them,
else from the joined column as space-separated codes (the XLSForm convention) or our
"; "-separated labels. Optional columns: ``email`` (links the response to the project's contact,
creating it and its case if need be, so the case's disposition follows from the response),
``status`` (complete/partial, default complete), ``mode`` (default paper), ``event_code`` (an
activity's short code), ``event`` (an activity's short code or title: older exports wrote the
code there, newer ones the title with the code in ``event_code``, which wins when both are
filled, since titles need not be unique), ``submitted_at``. ``response_id`` and ``respondent`` are
ignored: ids are the database's own, and the pseudonym cannot be turned back into a person.

Every row goes through :func:`record_response`, i.e. the same checks as a web answer. A bad row
raises :class:`ImportProblem` (row, column, reason) and, since the caller's transaction rolls
back, nothing is imported; with ``skip_invalid`` bad rows are reported and left out instead.
"""

from __future__ import annotations

import csv
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import Case, Contact, Instrument, InstrumentVersion
from ..db.export_queries import activity_lookup
from ..domain.instrument import MODES
from ..domain.instrument import Instrument as Model
from ..export.cells import from_csv_text
from ..export.tables import META_HEADERS
from .instruments import UnknownInstrument, get_instrument, model_of
from .responses import InvalidAnswers, question_ids, record_response

OPTIONAL = ("email", "status", "mode", "event", "event_code", "submitted_at")
TICKED = {"1", "1.0", "yes", "true", "x"}
UNTICKED = {"", "0", "0.0", "no", "false"}


class ImportProblem(ValueError):
    """Why a file or row cannot be imported, with where (row 1 is the header row)."""

    def __init__(
        self, file: str, reason: str, row: int | None = None, column: str | None = None, letter: str = ""
    ):
        self.file, self.reason, self.row, self.column = file, reason, row, column
        where = file
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column '{column}'" + (f" ({letter})" if letter else "")
        super().__init__(f"{where}: {reason}")


@dataclass(frozen=True)
class RowMeta:
    """The columns of an imported row that describe the response rather than answer questions."""

    status: str
    mode: str
    activity_id: int | None
    submitted_at: datetime | None
    email: str


@dataclass
class ImportResult:
    imported: int = 0
    skipped: list[ImportProblem] = field(default_factory=list)


@contextmanager
def open_rows(path: Path) -> Iterator[tuple[list[str], Iterator[tuple[int, list[object]]]]]:
    """Headers and (sheet row number, values) from .xlsx (sheet "Responses", else the first) or
    .csv; the file is closed when the block ends. Blank rows are left out."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        book = load_workbook(path, read_only=True, data_only=True)
        try:
            sheet = book["Responses"] if "Responses" in book.sheetnames else book.worksheets[0]
            rows = sheet.iter_rows(values_only=True)
            headers = [str(h).strip() if h is not None else "" for h in next(rows, ())]
            numbered: Iterator[tuple[int, list[object]]] = (
                (n, list(v)) for n, v in enumerate(rows, 2) if any(x not in (None, "") for x in v)
            )
            yield headers, numbered
        finally:
            book.close()
        return
    if suffix == ".csv":
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            headers = [from_csv_text(h).strip() for h in next(reader, [])]
            yield (
                headers,
                (
                    (n, [from_csv_text(v) for v in values])
                    for n, values in enumerate(reader, 2)
                    if any(v.strip() for v in values)
                ),
            )
        return
    raise ImportProblem(str(path), f"unsupported file type '{suffix or path.name}' (expected .xlsx or .csv)")


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


class _RowReader:
    """Turns one row into (answers, meta) for one instrument version, or raises ImportProblem."""

    def __init__(self, file: str, headers: Sequence[str], model: Model, activities: dict[str, int]):
        self.file, self.model, self.activities = file, model, activities
        self.index = {h: i for i, h in enumerate(headers) if h}
        self.questions = [
            q for q in model.input_questions() if q.name in self.index or q.type == "select_multiple"
        ]
        multi = {f"{q.name}/{c.name}" for q in model.input_questions() for c in model.choices_for(q)}
        known = set(META_HEADERS) | set(OPTIONAL) | {q.name for q in model.input_questions()} | multi
        unknown = [h for h in self.index if h not in known]
        if unknown:
            raise ImportProblem(
                file,
                f"unknown column(s) {', '.join(unknown)}: expected question names of "
                f"'{model.slug}' (see its Codebook) or {', '.join(OPTIONAL)}",
                row=1,
            )
        if not any(
            q.name in self.index or any(k.startswith(q.name + "/") for k in self.index)
            for q in model.input_questions()
        ):
            raise ImportProblem(file, f"no column is a question of '{model.slug}'", row=1)

    def cell(self, values: list[object], name: str) -> object:
        i = self.index.get(name)
        return values[i] if i is not None and i < len(values) else None

    def problem(self, row: int, name: str, reason: str) -> ImportProblem:
        i = self.index.get(name)
        return ImportProblem(self.file, reason, row, name, get_column_letter(i + 1) if i is not None else "")

    def answers(self, row: int, values: list[object]) -> dict[str, object]:
        out: dict[str, object] = {}
        for question in self.questions:
            choices = self.model.choices_for(question)
            by_label = {c.label.casefold(): c.name for c in choices}
            if question.type == "select_multiple":
                columns = [
                    (c.name, f"{question.name}/{c.name}")
                    for c in choices
                    if f"{question.name}/{c.name}" in self.index
                ]
                ticked = []
                for code, column in columns:
                    mark = _text(self.cell(values, column)).strip().lower()
                    if mark in TICKED:
                        ticked.append(code)
                    elif mark not in UNTICKED:
                        raise self.problem(row, column, f"expected 1 or 0, found '{mark}'")
                joined = _text(self.cell(values, question.name)).strip()
                if ticked:
                    out[question.name] = ticked
                elif joined and not any(_text(self.cell(values, c)).strip() for _, c in columns):
                    codes = joined.split()
                    if not {c.name for c in choices}.issuperset(codes):
                        codes = [
                            by_label.get(part.strip().casefold(), part.strip()) for part in joined.split(";")
                        ]
                    out[question.name] = codes
                continue
            raw = self.cell(values, question.name)
            text = _text(raw).strip()
            if question.type == "select_one" and text and text not in {c.name for c in choices}:
                text = by_label.get(text.casefold(), text)
            if question.type in ("select_one", "integer", "decimal", "date"):
                out[question.name] = text
            else:
                out[question.name] = raw if isinstance(raw, str) else text
        return out

    def meta(self, row: int, values: list[object]) -> RowMeta:
        status = _text(self.cell(values, "status")).strip().lower() or "complete"
        if status not in ("complete", "partial"):
            raise self.problem(row, "status", f"expected complete or partial, found '{status}'")
        mode = _text(self.cell(values, "mode")).strip().lower() or "paper"
        if mode not in MODES:
            raise self.problem(row, "mode", f"expected one of {', '.join(MODES)}, found '{mode}'")
        activity_id = self.activity(row, values)
        submitted = self.cell(values, "submitted_at")
        submitted_at: datetime | None = None
        if isinstance(submitted, datetime):
            submitted_at = submitted
        elif _text(submitted).strip():
            try:
                submitted_at = datetime.fromisoformat(_text(submitted).strip())
            except ValueError:
                raise self.problem(
                    row,
                    "submitted_at",
                    f"expected a date and time like 2026-03-01 12:00, found '{submitted}'",
                ) from None
        if submitted_at is not None and submitted_at.tzinfo is None:
            submitted_at = submitted_at.replace(tzinfo=UTC)
        email = _text(self.cell(values, "email")).strip().lower()
        if email and "@" not in email:
            raise self.problem(row, "email", f"expected an e-mail address, found '{email}'")
        return RowMeta(status, mode, activity_id, submitted_at, email)


    def activity(self, row: int, values: list[object]) -> int | None:
        """The activity named by ``event_code`` (a short code) or else ``event`` (code or title)."""
        code = _text(self.cell(values, "event_code")).strip()
        if code:
            found = self.activities.get(code)
            if found is None:
                raise self.problem(row, "event_code", f"no activity of this project has the code '{code}'")
            return found
        event = _text(self.cell(values, "event")).strip()
        if not event:
            return None
        found = self.activities.get(event)
        if found is None:
            raise self.problem(row, "event", f"no activity of this project has the code or title '{event}'")
        return found


def _contact_case(
    session: Session, project_id: int | None, instrument_id: int, email: str
) -> tuple[int, int]:
    if project_id is None:
        raise ValueError("the instrument belongs to no project, so e-mail addresses cannot be linked")
    contact = session.scalar(select(Contact).where(Contact.project_id == project_id, Contact.email == email))
    if contact is None:
        contact = Contact(project_id=project_id, email=email)
        session.add(contact)
        session.flush()
    case = session.scalar(
        select(Case).where(Case.instrument_id == instrument_id, Case.contact_id == contact.id)
    )
    if case is None:
        case = Case(instrument_id=instrument_id, contact_id=contact.id, token=secrets.token_urlsafe(32))
        session.add(case)
        session.flush()
    return contact.id, case.id


def import_responses(session: Session, slug: str, path: Path, *, skip_invalid: bool = False) -> ImportResult:
    """Import every row of ``path`` into the instrument's current version (flushes, never commits).

    Raises ``UnknownInstrument``, or :class:`ImportProblem` for the file or the first bad row
    (unless ``skip_invalid``, which records bad rows in the result and imports the rest).
    """
    instrument = get_instrument(session, slug)
    version = session.get(InstrumentVersion, instrument.current_version_id)
    if version is None:  # as current_model: an instrument without a version has nothing to import into
        raise UnknownInstrument(slug)
    model = model_of(version)
    activities = activity_lookup(session, instrument.project_id)
    with open_rows(path) as (headers, rows):
        return _import_rows(
            session,
            instrument,
            version,
            model,
            _RowReader(path.name, headers, model, activities),
            rows,
            skip_invalid,
        )


def _import_rows(
    session: Session,
    instrument: Instrument,
    version: InstrumentVersion,
    model: Model,
    reader: _RowReader,
    rows: Iterator[tuple[int, list[object]]],
    skip_invalid: bool,
) -> ImportResult:
    ids = question_ids(session, version.id)
    result = ImportResult()
    for number, values in rows:
        try:
            with session.begin_nested():
                meta = reader.meta(number, values)
                answers = reader.answers(number, values)
                contact_id = case_id = None
                if meta.email:
                    try:
                        contact_id, case_id = _contact_case(
                            session, instrument.project_id, instrument.id, meta.email
                        )
                    except ValueError as exc:
                        raise reader.problem(number, "email", str(exc)) from None
                try:
                    record_response(
                        session,
                        instrument,
                        answers,
                        status=meta.status,
                        mode=meta.mode,
                        activity_id=meta.activity_id,
                        submitted_at=meta.submitted_at,
                        contact_id=contact_id,
                        case_id=case_id,
                        model=model,
                        version=version,
                        ids=ids,
                    )
                except InvalidAnswers as exc:
                    name, message = next(iter(exc.errors.items()))
                    raise reader.problem(
                        number, name, f"{message} (found '{_text(reader.cell(values, name))}')"
                    ) from None
        except ImportProblem as problem:
            if not skip_invalid:
                raise
            result.skipped.append(problem)
            continue
        result.imported += 1
    return result
