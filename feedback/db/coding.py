"""Coding free text: a codebook of themes per instrument (or per question) and the answers tagged.

A tag points at ``(response id, question name)`` rather than at an answer row: a partial response
saved again rewrites its answer rows, and the evaluator's coding must survive that. The question
is named, not numbered, because the same question has one row per instrument version.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, Select, String, Text, UniqueConstraint, distinct, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from .base import Base, BigId, UTCDateTime, utcnow
from .models import Question
from .responses import Answer, Response
from .summary_queries import ResponseFilter


class Theme(Base):
    """One theme of a codebook. ``question_name`` None: the theme is offered for every text
    question of the instrument (an instrument-wide codebook)."""

    __tablename__ = "themes"
    __table_args__ = (UniqueConstraint("instrument_id", "question_name", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_id: Mapped[int] = mapped_column(ForeignKey("instruments.id"), index=True)
    question_name: Mapped[str | None] = mapped_column(String(200))
    label: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AnswerTheme(Base):
    """A theme given to one respondent's answer to one text question."""

    __tablename__ = "answer_themes"
    __table_args__ = (UniqueConstraint("response_id", "question_name", "theme_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), index=True)
    question_name: Mapped[str] = mapped_column(String(200))
    theme_id: Mapped[int] = mapped_column(ForeignKey("themes.id", ondelete="CASCADE"), index=True)
    coded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    coded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- read queries (a fixed number per page, never one per answer) -------------------------------


def text_answer_rows(
    instrument_id: int, question_name: str, scope: ResponseFilter
) -> Select[int, int | None, str]:
    """Every non-empty answer to one text question in scope: (response id, contact id, text),
    oldest response first. Paginate it (``paginate(..., scalars=False)``)."""
    return (
        select(Response.id, Response.contact_id, Answer.value)
        .select_from(Answer)
        .join(Response, Response.id == Answer.response_id)
        .join(Question, Question.id == Answer.question_id)
        .where(*scope.conditions(instrument_id), Question.name == question_name, Answer.value != "")
        .order_by(Response.id, Answer.id)
    )


def answer_codes(
    session: Session, response_ids: Sequence[int], names: Sequence[str]
) -> dict[int, dict[str, list[str]]]:
    """Codes chosen by these responses for the named questions: response -> question -> codes."""
    out: dict[int, dict[str, list[str]]] = {}
    if not response_ids or not names:
        return out
    rows = session.execute(
        select(Answer.response_id, Question.name, Answer.code)
        .join(Question, Question.id == Answer.question_id)
        .where(Answer.response_id.in_(response_ids), Question.name.in_(names), Answer.code.is_not(None))
        .order_by(Answer.response_id, Answer.id)
    )
    for response_id, name, code in rows:
        if code is not None:  # the WHERE already drops them; this tells the type checker
            out.setdefault(response_id, {}).setdefault(name, []).append(code)
    return out


def tags_of(session: Session, response_ids: Sequence[int], question_name: str) -> dict[int, set[int]]:
    """Theme ids already given to these responses' answers to ``question_name``."""
    out: dict[int, set[int]] = {}
    if not response_ids:
        return out
    for response_id, theme_id in session.execute(
        select(AnswerTheme.response_id, AnswerTheme.theme_id).where(
            AnswerTheme.response_id.in_(response_ids), AnswerTheme.question_name == question_name
        )
    ):
        out.setdefault(response_id, set()).add(theme_id)
    return out


def theme_counts(
    session: Session, instrument_id: int, scope: ResponseFilter
) -> tuple[dict[tuple[str, int], int], dict[str, int]]:
    """Coded answers in scope: by (question, theme), and coded answers (the base) by question.

    The unique constraint on (response, question, theme) makes ``count(*)`` a count of answers.
    """
    where = scope.conditions(instrument_id)
    by_theme = {
        (name, theme_id): n
        for name, theme_id, n in session.execute(
            select(AnswerTheme.question_name, AnswerTheme.theme_id, func.count())
            .join(Response, Response.id == AnswerTheme.response_id)
            .where(*where)
            .group_by(AnswerTheme.question_name, AnswerTheme.theme_id)
        )
    }
    coded = dict(
        session.execute(
            select(AnswerTheme.question_name, func.count(distinct(AnswerTheme.response_id)))
            .join(Response, Response.id == AnswerTheme.response_id)
            .where(*where)
            .group_by(AnswerTheme.question_name)
        ).all()
    )
    return by_theme, coded


def text_answer_counts(
    session: Session, instrument_id: int, scope: ResponseFilter, names: Sequence[str]
) -> dict[str, int]:
    """Non-empty answers in scope per text question."""
    if not names:
        return {}
    return dict(
        session.execute(
            select(Question.name, func.count())
            .select_from(Answer)
            .join(Response, Response.id == Answer.response_id)
            .join(Question, Question.id == Answer.question_id)
            .where(*scope.conditions(instrument_id), Question.name.in_(names), Answer.value != "")
            .group_by(Question.name)
        ).all()
    )


def theme_usage(session: Session, theme_id: int) -> int:
    """How many answers carry the theme (what deleting it would take off)."""
    return session.scalar(select(func.count()).where(AnswerTheme.theme_id == theme_id)) or 0
