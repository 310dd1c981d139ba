"""The Responses, Codebook and Free text sheets as headers plus row iterators.

Layout of Responses (the importer reads the same layout back):

* meta columns ``response_id``, ``status``, ``mode``, ``event`` (the activity's title, which is
  what a reader recognises), ``event_code`` (its short code, unique in the project, for linking
  and re-importing), ``submitted_at`` (UTC) and ``respondent``: a pseudonymous id, an HMAC-SHA256 of the
  contact id keyed with the app's secret. It is stable across exports (so waves can be linked)
  but cannot be turned back into a name or e-mail without the secret; names and e-mails are
  never exported;
* one column per input question of the current version, in order: ``select_one`` as label or
  code (``--values``), ``select_multiple`` as the joined answer (codes separated by spaces, the
  XLSForm convention, or labels separated by "; ") followed by one ``question/choice`` column per
  choice holding 1 or 0 (blank when the question was not answered), numbers as numbers, dates as
  dates, text as text.

Answers to questions that only older versions had are not in the sheet (the Codebook says so).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from sqlalchemy.orm import Session

from ..db import Instrument
from ..db.export_queries import stream_answers, stream_responses
from ..db.summary_queries import ResponseFilter, question_names, text_answers
from ..domain.instrument import Instrument as InstrumentModel
from .sheets import Sheet

Values = Literal["labels", "codes"]
META_HEADERS: tuple[str, ...] = (
    "response_id",
    "status",
    "mode",
    "event",
    "event_code",
    "submitted_at",
    "respondent",
)
META_NOTES: dict[str, str] = {
    "response_id": "The response's number in this database.",
    "status": "complete (submitted) or partial (saved, not submitted).",
    "mode": "How the answers were collected: web, paper, telephone, face_to_face, email.",
    "event": "The activity (event) the response is about: its title.",
    "event_code": "The activity's short code (unique in the project; the importer reads either column).",
    "submitted_at": "When the response was submitted, in UTC (Excel has no timezones).",
    "respondent": "Pseudonymous respondent id: a keyed hash of the contact, never a name or e-mail.",
}
MULTI_NOTE = "1 = ticked, 0 = not ticked; blank when the question was not answered."
CODEBOOK_HEADERS = (
    "name",
    "label",
    "type",
    "required",
    "skip rule",
    "constraint",
    "choice code",
    "choice label",
)

META = len(META_HEADERS)
ONE, MULTI, INTEGER, DECIMAL, DATE, TEXT = range(6)
_KINDS = {"select_one": ONE, "select_multiple": MULTI, "integer": INTEGER, "decimal": DECIMAL, "date": DATE}


def pseudonym(secret: str, contact_id: int | None) -> str:
    """The respondent column: 20 hex digits of HMAC-SHA256(secret, contact id)."""
    if contact_id is None:
        return ""
    digest = hmac.new(secret.encode(), f"contact:{contact_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:20]


@dataclass(frozen=True)
class Slot:
    kind: int
    column: int
    labels: dict[str, str]
    choice_columns: dict[str, int]


class ResponsesLayout:
    """Columns of the Responses sheet for one instrument version and ``values`` mode."""

    def __init__(self, model: InstrumentModel, values: Values = "labels"):
        self.values = values
        self.headers: list[str] = list(META_HEADERS)
        self.slots: dict[str, Slot] = {}
        for question in model.input_questions():
            kind = _KINDS.get(question.type, TEXT)
            choices = model.choices_for(question)
            labels = {c.name: c.label or c.name for c in choices}
            column = len(self.headers)
            self.headers.append(question.name)
            choice_columns: dict[str, int] = {}
            if kind == MULTI:
                for choice in choices:
                    choice_columns[choice.name] = len(self.headers)
                    self.headers.append(f"{question.name}/{choice.name}")
            self.slots[question.name] = Slot(kind, column, labels, choice_columns)

    def multi_slots(self) -> list[Slot]:
        return [s for s in self.slots.values() if s.kind == MULTI]


def _typed(slot: Slot, value: str | None, code: str | None, number: float | None, labels: bool) -> object:
    if slot.kind == ONE:
        return slot.labels.get(code or "", code) if labels else code
    if slot.kind == INTEGER:
        return int(number) if number is not None else value
    if slot.kind == DECIMAL:
        return number if number is not None else value
    if slot.kind == DATE and value:
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value


def response_rows(
    session: Session,
    instrument: Instrument,
    layout: ResponsesLayout,
    scope: ResponseFilter,
    secret: str,
    progress: Callable[[int], None] | None = None,
) -> Iterator[list[object]]:
    """Stream one row per response, merging the answer stream into it as both arrive."""
    slot_by_id = {
        qid: layout.slots[name]
        for qid, name in question_names(session, instrument.id).items()
        if name in layout.slots
    }
    labels = layout.values == "labels"
    multis = layout.multi_slots()
    width = len(layout.headers)
    row: list[object] = []
    ticked: dict[int, list[str]] = {}
    done = reported = 0

    # A select_multiple answer has few distinct tick patterns: its joined text and 0/1 cells are
    # worked out once per pattern, then copied (the choice columns follow the joined column).
    patterns: dict[tuple[int, tuple[str, ...]], list[object]] = {}

    def cells_for(slot: Slot, codes: tuple[str, ...]) -> list[object]:
        chosen = set(codes)
        ordered = [c for c in slot.choice_columns if c in chosen] + [
            c for c in codes if c not in slot.choice_columns
        ]
        joined = "; ".join(slot.labels.get(c, c) for c in ordered) if labels else " ".join(ordered)
        return [joined, *(1 if code in chosen else 0 for code in slot.choice_columns)]

    def finish() -> list[object]:
        for slot in multis:
            codes = ticked.get(slot.column)
            if not codes:
                continue
            key = (slot.column, tuple(codes))
            cells = patterns.get(key)
            if cells is None:
                cells = patterns[key] = cells_for(slot, key[1])
            row[slot.column : slot.column + len(cells)] = cells
        return row

    def start(response: tuple[Any, ...]) -> None:
        nonlocal row, ticked
        row = [None] * width
        row[:META] = [
            response[0],
            response[1],
            response[2],
            response[4],  # the activity's title
            response[3],  # its short code
            response[5],
            pseudonym(secret, response[6]),
        ]
        ticked = {}

    # Merge join: the long answer stream drives a plain for loop; the response stream is advanced
    # with next() once per response (responses without answers still get their row). On
    # PostgreSQL each query has its own snapshot, so an answer whose response is not in the
    # response stream (submitted in between) is left out rather than misplaced.
    responses = stream_responses(session, instrument.id, scope)
    current = None
    for rid, qid, value, code, number in stream_answers(session, instrument.id, scope):
        if current is None or rid > current[0]:
            while True:
                if current is not None:
                    yield finish()
                    done += 1
                    if progress is not None and done - reported >= 500:
                        progress(done - reported)
                        reported = done
                current = next(responses, None)
                if current is None or current[0] >= rid:
                    break
                start(current)
            if current is None:
                break
            start(current)
        if rid != current[0]:
            continue
        slot = slot_by_id.get(qid)
        if slot is None:
            continue
        kind = slot.kind
        if kind == MULTI:
            ticked.setdefault(slot.column, []).append(code or value or "")
        elif kind == ONE:
            row[slot.column] = slot.labels.get(code, code) if labels and code is not None else code
        elif kind == TEXT:
            row[slot.column] = value
        else:
            row[slot.column] = _typed(slot, value, code, number, labels)
    if current is not None:
        yield finish()
        done += 1
    for response in responses:
        start(response)
        yield finish()
        done += 1
    if progress is not None and done > reported:
        progress(done - reported)


def responses_sheet(
    session: Session,
    instrument: Instrument,
    model: InstrumentModel,
    scope: ResponseFilter,
    secret: str,
    values: Values = "labels",
    name: str = "Responses",
    progress: Callable[[int], None] | None = None,
) -> Sheet:
    layout = ResponsesLayout(model, values)
    rows = response_rows(session, instrument, layout, scope, secret, progress)
    return Sheet(name, layout.headers, rows, autofilter=True)


def codebook_rows(model: InstrumentModel) -> Iterator[list[object]]:
    for header in META_HEADERS:
        yield [header, META_NOTES[header], "meta", "", "", "", "", ""]
    groups = model.enclosing_groups()
    for question in model.input_questions():
        rule = " and ".join(
            f"({r})" for r in [*(g.relevant for g in groups.get(question.name, ())), question.relevant] if r
        )
        yield [
            question.name,
            question.label,
            question.xlsform_type,
            "yes" if question.required else "no",
            rule,
            question.constraint,
            "",
            "",
        ]
        for choice in model.choices_for(question):
            yield [question.name, "", "", "", "", "", choice.name, choice.label]
        if question.type == "select_multiple":
            yield [f"{question.name}/<choice>", MULTI_NOTE, "0/1", "", "", "", "", ""]
    yield [
        "",
        "Answers to questions that only older versions of the instrument asked are not exported.",
        "note",
        "",
        "",
        "",
        "",
        "",
    ]


def codebook_sheet(model: InstrumentModel, name: str = "Codebook") -> Sheet:
    return Sheet(name, CODEBOOK_HEADERS, codebook_rows(model), autofilter=True, wrap=True)


def free_text_sheet(
    session: Session,
    instrument: Instrument,
    model: InstrumentModel,
    scope: ResponseFilter,
    name: str = "Free text",
) -> Sheet | None:
    """Every text answer with its response id, or None when there are none."""
    texts = {q.name: q.label for q in model.input_questions() if q.type == "text"}
    if not texts:
        return None
    query = text_answers(session, instrument.id, scope, list(texts))
    if session.execute(query.limit(1)).first() is None:
        return None
    query = query.execution_options(yield_per=2000)

    def rows() -> Iterator[list[object]]:
        for response_id, question, value in session.execute(query):
            yield [response_id, question, texts.get(question, ""), value]

    headers = ("response_id", "question", "label", "answer")
    return Sheet(name, headers, rows(), autofilter=True, wrap=True)  # answers wrap: they are to be read
