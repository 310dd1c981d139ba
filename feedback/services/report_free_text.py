"""Chapter 5 of the Word report: free-text themes with their counts, and quotes where consented.

Quotes need consent. An instrument's ``quote_consent`` setting names the question that asked for
it (or the instrument has a question called ``quote_consent``); only answers of respondents who
answered it "yes" (a choice named ``yes`` or labelled "Yes...") are quoted, a few per long-answer
question, without names. An instrument that did not ask is not quoted, and the report says so.
Apart from :mod:`.report` so both stay under 400 lines; only reads.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import Answer, Instrument, Question, Response
from ..db.coding import tags_of, text_answer_counts, text_answer_rows
from ..db.summary_queries import ResponseFilter
from ..domain.instrument import Instrument as InstrumentModel
from ..domain.instrument import Question as ModelQuestion
from ..export.docx_report import Block, Heading, Paragraph
from .coding import text_questions, theme_tables
from .report_sections import frequency_table_block

CONSENT_SETTING = "quote_consent"
QUOTES_PER_QUESTION = 3
QUOTE_CHARS = 1000  # a longer answer is quoted up to here, marked [...]
_YES = re.compile(r"yes\b", re.IGNORECASE)


class Reported(Protocol):
    """An instrument of the report: its row and its model without personal-data questions."""

    @property
    def row(self) -> Instrument: ...

    @property
    def model(self) -> InstrumentModel: ...


def consent_question(model: InstrumentModel) -> ModelQuestion | None:
    """The question that asked respondents whether they may be quoted, if the instrument has one."""
    name = dict(model.settings).get(CONSENT_SETTING, "").strip() or CONSENT_SETTING
    try:
        question = model.question(name)
    except KeyError:
        return None
    return question if question.is_select else None


def consenting_codes(model: InstrumentModel, question: ModelQuestion) -> tuple[str, ...]:
    """Choices that give consent: named ``yes``, or labelled "Yes" or "Yes, ..."."""
    return tuple(
        choice.name
        for choice in model.choices_for(question)
        if choice.name.lower() == "yes" or _YES.match(choice.label.strip())
    )


def _quotable(model: InstrumentModel, name: str) -> bool:
    """Only long answers (``appearance: multiline``) are quoted: a short text box holds a fact
    (an organisation's name, an "other" to specify), which would identify rather than illustrate."""
    try:
        return model.question(name).multiline
    except KeyError:
        return False


def _quotes(
    session: Session,
    item: Reported,
    question_name: str,
    consent: tuple[str, tuple[str, ...]],
    scope: ResponseFilter,
    themes: dict[str, str],
) -> list[tuple[str, list[str]]]:
    consenting = (
        select(Answer.response_id)
        .join(Question, Question.id == Answer.question_id)
        .where(Question.name == consent[0], Answer.code.in_(consent[1]))
    )
    query = (
        text_answer_rows(item.row.id, question_name, scope)
        .where(Response.id.in_(consenting))
        .limit(QUOTES_PER_QUESTION)
    )
    rows = session.execute(query).all()
    tags = tags_of(session, [row[0] for row in rows], question_name)
    out = []
    for response_id, _contact, text in rows:
        quoted = shortened(text, QUOTE_CHARS)
        out.append((quoted, sorted(themes.get(str(t), "") for t in tags.get(response_id, set()))))
    return out


def free_text_chapter(
    session: Session, items: Sequence[Reported], scope: ResponseFilter, number: Callable[[int], str]
) -> list[Block]:
    """Chapter 5: each text question's themes with counts, and quotes where consented.
    ``number(5)`` gives the next table number in the chapter."""
    blocks: list[Block] = [Heading("5 Free-text answers")]
    shown = 0
    for item in items:
        questions = text_questions(session, item.row)
        answered = text_answer_counts(session, item.row.id, scope, [q.name for q in questions])
        questions = [q for q in questions if answered.get(q.name)]
        if not questions:
            continue
        shown += 1
        tables = {table.name: table for table in theme_tables(session, item.row.slug, scope)}
        blocks.append(Heading(item.row.title, 2))
        consent_q = consent_question(item.model)
        codes = consenting_codes(item.model, consent_q) if consent_q else ()
        blocks.append(Paragraph(_quote_policy(item.model, consent_q, codes)))
        for question in questions:
            blocks.append(Heading(question.label, 3))
            table = tables.get(question.name)
            if table is not None:
                caption = f"Table {number(5)}: {table.label}"
                blocks.append(frequency_table_block(caption, table, themes=True))
            else:
                n = answered[question.name]
                blocks.append(Paragraph(f"{n} answer{'' if n == 1 else 's'}, not yet coded into themes."))
            if consent_q is not None and codes and _quotable(item.model, question.name):
                labels = {row.value: row.label for row in table.rows} if table else {}
                quotes = _quotes(session, item, question.name, (consent_q.name, codes), scope, labels)
                blocks += quote_blocks(quotes)
    if not shown:
        blocks.append(Paragraph("No free-text answers have been given yet."))
    return blocks


def _quote_policy(model: InstrumentModel, question: ModelQuestion | None, codes: tuple[str, ...]) -> str:
    if question is None:
        return (
            "No quotes: respondents were not asked whether they may be quoted (the instrument has no "
            f"{CONSENT_SETTING} question, and no {CONSENT_SETTING} setting naming one), so only the "
            "themes and their counts are reported."
        )
    if not codes:
        return (
            f"No quotes: none of the answers to \u201c{question.label}\u201d reads as yes, so no "
            "respondent's consent to be quoted can be established."
        )
    labels = [c.label for c in model.choices_for(question) if c.name in codes]
    return (
        f"Quotes are only from respondents who answered \u201c{question.label}\u201d with "
        + " or ".join(f"\u201c{label}\u201d" for label in labels)
        + f"; at most {QUOTES_PER_QUESTION} per long-answer question, oldest first, never with a "
        "name (short answers, such as an organisation's name, are never quoted)."
    )


def shortened(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters on a whole word and marked as cut, if it is longer."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    if " " in head and not text[limit].isspace():
        head = head.rsplit(" ", 1)[0]
    return head.rstrip() + " [\u2026]"


def quote_blocks(quotes: Sequence[tuple[str, Sequence[str]]]) -> list[Block]:
    """Quotes (text, its themes) as the template's Quote style, each with its themes."""
    blocks: list[Block] = []
    for text, themes in quotes:
        blocks.append(Paragraph(f"\u201c{text}\u201d", style="Quote"))
        if themes:
            blocks.append(Paragraph(f"Themes: {', '.join(themes)}", style="Table Note"))
    return blocks
