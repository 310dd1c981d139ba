"""Coding free text: keep a codebook of themes, tag answers with them, count them like a closed
question.

Themes belong to an instrument, either to one text question or (``question_name`` None) to all
of its text questions. Tagging replaces the themes of the answers shown on one page with the
ones ticked, so unticking a box removes a theme. Counts are "answers coded": the base of a theme
table is the number of answers with at least one theme, and an answer may carry several themes,
so, as with ``select_multiple``, the percentages can add up to more than 100%.

Every change is in the audit trail with its before and after (when someone is acting, see
:mod:`feedback.services.audit`): a codebook change (theme added, renamed, deleted) on the
instrument's trail, keyed ``theme <id>``; a change to an answer's themes on the response's
trail, keyed ``<question> (themes)``, with the theme names as they were at the time. Tags are
written in bulk, so their entries are too: one ``executemany`` however many answers change.

Functions here flush and never commit; the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import ColumnElement, delete, func, insert, select
from sqlalchemy.orm import Session, aliased

from ..db import Answer, Instrument, Question, Response
from ..db.coding import AnswerTheme, Theme, tags_of, text_answer_counts, theme_counts
from ..db.summary_queries import ResponseFilter
from ..domain.summary import FrequencyTable, QuestionInfo, frequency_table
from .coding_audit import record_codebook, record_tags, theme_key, theme_labels
from .instruments import get_instrument
from .summaries import question_infos

MAX_LABEL = 200
THEME_NOTE = (
    "Themes given to free-text answers. Percentages are of the answers coded (the base); an answer "
    "can have several themes, so they may add up to more than 100%. Missing = answers not coded yet."
)


class CodingError(ValueError):
    """Something the evaluator asked for that cannot be done; the message says what to change."""


@dataclass(frozen=True)
class TextQuestion:
    name: str
    label: str


def text_questions(session: Session, instrument: Instrument) -> list[TextQuestion]:
    """The text questions of the instrument's current version, in order."""
    return [
        TextQuestion(info.name, info.label)
        for info in question_infos(session, instrument).values()
        if info.type == "text"
    ]


def codebook(session: Session, instrument: Instrument, question_name: str | None) -> list[Theme]:
    """Themes offered for ``question_name``: its own, then the instrument-wide ones.

    With ``question_name`` None: only the instrument-wide themes.
    """
    scope: ColumnElement[bool] = Theme.question_name.is_(None)
    if question_name is not None:
        scope = scope | (Theme.question_name == question_name)
    return list(
        session.scalars(
            select(Theme)
            .where(Theme.instrument_id == instrument.id, scope)
            .order_by(Theme.question_name.is_(None), Theme.position, Theme.id)
        )
    )


def _clean_label(label: str) -> str:
    text = " ".join(label.split())
    if not text:
        raise CodingError("Enter a name for the theme")
    if len(text) > MAX_LABEL:
        raise CodingError(f"Theme names can be up to {MAX_LABEL} characters; this one has {len(text)}")
    return text


def _check_unique(
    session: Session,
    instrument: Instrument,
    question_name: str | None,
    label: str,
    except_id: int | None = None,
) -> None:
    same_scope = (
        Theme.question_name.is_(None) if question_name is None else Theme.question_name == question_name
    )
    clash = session.scalar(
        select(Theme.id).where(
            Theme.instrument_id == instrument.id,
            same_scope,
            func.lower(Theme.label) == label.lower(),
            Theme.id != (except_id or 0),
        )
    )
    if clash is not None:
        raise CodingError(f"There is already a theme called '{label}' here")


def _theme_of(session: Session, instrument: Instrument, theme_id: int) -> Theme:
    theme = session.get(Theme, theme_id)
    if theme is None or theme.instrument_id != instrument.id:
        raise CodingError("That theme no longer exists; reload the page")
    return theme


def create_theme(session: Session, instrument: Instrument, question_name: str | None, label: str) -> Theme:
    """Add a theme at the end of the codebook. Raises :class:`CodingError` for an empty,
    too long or repeated name, or a question that is not a text question of the instrument."""
    if question_name is not None and question_name not in {
        q.name for q in text_questions(session, instrument)
    }:
        raise CodingError(f"'{question_name}' is not a text question of {instrument.slug}")
    text = _clean_label(label)
    _check_unique(session, instrument, question_name, text)
    last = session.scalar(select(func.max(Theme.position)).where(Theme.instrument_id == instrument.id))
    theme = Theme(
        instrument_id=instrument.id, question_name=question_name, label=text, position=(last or 0) + 1
    )
    session.add(theme)
    session.flush()
    record_codebook(
        session,
        instrument,
        "add theme",
        None,
        {theme_key(theme): text, "applies to": question_name or "every text question"},
    )
    return theme


def rename_theme(session: Session, instrument: Instrument, theme_id: int, label: str) -> Theme:
    """Rename a theme; its tags stay. Raises :class:`CodingError` (unknown theme, bad name)."""
    theme = _theme_of(session, instrument, theme_id)
    text = _clean_label(label)
    _check_unique(session, instrument, theme.question_name, text, except_id=theme.id)
    if text != theme.label:
        record_codebook(
            session, instrument, "rename theme", {theme_key(theme): theme.label}, {theme_key(theme): text}
        )
        theme.label = text
        session.flush()
    return theme


@dataclass(frozen=True)
class DeletedTheme:
    label: str
    answers: int  # answers that had the theme


def delete_theme(session: Session, instrument: Instrument, theme_id: int) -> DeletedTheme:
    """Delete a theme and take it off every answer that has it.

    Each of those answers gets an entry on its response's trail (its themes before and after),
    so the deletion can be undone by hand. Raises :class:`CodingError` for an unknown theme."""
    theme = _theme_of(session, instrument, theme_id)
    label = theme.label
    shared = aliased(AnswerTheme)
    rows = session.execute(
        select(AnswerTheme.response_id, AnswerTheme.question_name, AnswerTheme.theme_id)
        .join(
            shared,
            (shared.response_id == AnswerTheme.response_id)
            & (shared.question_name == AnswerTheme.question_name),
        )
        .where(shared.theme_id == theme.id)
    ).all()
    before: dict[tuple[int, str], set[int]] = {}
    for response_id, question_name, tag in rows:
        before.setdefault((response_id, question_name), set()).add(tag)
    after = {key: tags - {theme.id} for key, tags in before.items()}
    labels = theme_labels(session, instrument, {tag for _, _, tag in rows})
    reason = f"theme '{label}' deleted"
    record_tags(session, instrument, before, after, labels, reason)
    record_codebook(
        session,
        instrument,
        "delete theme",
        {
            theme_key(theme): label,
            "applies to": theme.question_name or "every text question",
            "answers with it": len(before),
        },
        None,
    )
    session.execute(delete(AnswerTheme).where(AnswerTheme.theme_id == theme.id))
    session.delete(theme)
    session.flush()
    return DeletedTheme(label, len(before))


def set_answer_themes(
    session: Session,
    instrument: Instrument,
    question_name: str,
    assignments: Mapping[int, set[int]],
    user_id: int | None = None,
) -> int:
    """Give each response's answer to ``question_name`` exactly the themes listed for it.

    Responses not in ``assignments`` are left alone. Raises :class:`CodingError` if a response
    has no answer to that question in this instrument or a theme is not in the question's
    codebook (a stale page, or a forged form), before changing anything. Returns tags written.
    """
    if not assignments:
        return 0
    allowed = {theme.id for theme in codebook(session, instrument, question_name)}
    unknown = sorted({t for themes in assignments.values() for t in themes} - allowed)
    if unknown:
        raise CodingError("Some themes no longer exist for this question; reload the page")
    response_ids = sorted(assignments)
    answered = set(
        session.scalars(
            select(Answer.response_id)
            .join(Question, Question.id == Answer.question_id)
            .join(Response, Response.id == Answer.response_id)
            .where(
                Response.instrument_id == instrument.id,
                Response.deleted_at.is_(None),
                Answer.response_id.in_(response_ids),
                Question.name == question_name,
            )
        )
    )
    missing = [rid for rid in response_ids if rid not in answered]
    if missing:
        raise CodingError(
            f"No answer to '{question_name}' for response(s) {', '.join(map(str, missing[:5]))}"
        )
    before = tags_of(session, response_ids, question_name)
    session.execute(
        delete(AnswerTheme).where(
            AnswerTheme.response_id.in_(response_ids), AnswerTheme.question_name == question_name
        )
    )
    rows = [
        {"response_id": rid, "question_name": question_name, "theme_id": tid, "coded_by": user_id}
        for rid in response_ids
        for tid in sorted(assignments[rid])
    ]
    if rows:
        session.execute(insert(AnswerTheme), rows)
    record_tags(
        session,
        instrument,
        {(rid, question_name): before.get(rid, set()) for rid in response_ids},
        {(rid, question_name): set(assignments[rid]) for rid in response_ids},
        theme_labels(session, instrument, allowed),
    )
    session.flush()
    return len(rows)


def theme_tables(
    session: Session, instrument_slug: str, scope: ResponseFilter | None = None
) -> list[FrequencyTable]:
    """A frequency table of themes per text question that has its own themes or coded answers.

    Shaped like a ``select_multiple`` table: rows are the themes in codebook order (code = the
    theme id as text), ``base`` = answers coded, ``missing`` = answers not coded yet,
    ``not_shown`` = 0. Raises ``UnknownInstrument``. A fixed handful of queries.
    """
    instrument = get_instrument(session, instrument_slug)
    scope = scope or ResponseFilter()
    questions = text_questions(session, instrument)
    themes = list(
        session.scalars(
            select(Theme)
            .where(Theme.instrument_id == instrument.id)
            .order_by(Theme.question_name.is_(None), Theme.position, Theme.id)
        )
    )
    by_theme, coded = theme_counts(session, instrument.id, scope)
    answers = text_answer_counts(session, instrument.id, scope, [q.name for q in questions])
    own = {t.question_name for t in themes if t.question_name is not None}
    tables = []
    for question in questions:
        if question.name not in own and not coded.get(question.name):
            continue
        offered = [t for t in themes if t.question_name in (question.name, None)]
        info = QuestionInfo(
            question.name,
            f"Themes: {question.label}",
            "select_multiple",
            tuple((str(t.id), t.label) for t in offered),
        )
        base = coded.get(question.name, 0)
        counts = {str(t.id): min(by_theme.get((question.name, t.id), 0), base) for t in offered}
        table = frequency_table(
            info,
            counts,
            answered=base,
            missing=max(0, answers.get(question.name, 0) - base),
            not_shown=0,
            multiple=True,
        )
        tables.append(replace(table, note=THEME_NOTE))
    return tables


def profile_questions(
    infos: Mapping[str, QuestionInfo], pages: Mapping[str, int | None], limit: int = 6
) -> list[QuestionInfo]:
    """The respondent profile shown beside each free-text answer: the single-choice questions of
    the first page that has any (who the respondent is: organisation type, area...)."""
    singles = [info for info in infos.values() if info.type == "select_one"]
    numbered = [page for info in singles if (page := pages.get(info.name)) is not None]
    if numbered:
        first = min(numbered)
        singles = [info for info in singles if pages.get(info.name) == first]
    return singles[:limit]


def question_pages(session: Session, instrument: Instrument) -> dict[str, int | None]:
    """Page number of each question of the current version."""
    return dict(
        session.execute(
            select(Question.name, Question.page).where(Question.version_id == instrument.current_version_id)
        ).all()
    )


def describe_profile(infos: Sequence[QuestionInfo], codes: Mapping[str, list[str]]) -> list[tuple[str, str]]:
    """(question label, answer label) pairs for one respondent; unanswered shown as a dash."""
    out = []
    for info in infos:
        chosen = codes.get(info.name, [])
        out.append((info.label, "; ".join(info.label_for(c) for c in chosen) if chosen else "\u2013"))
    return out
