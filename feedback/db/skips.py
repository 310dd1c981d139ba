"""Which questions a response was *not shown* (routed past by a skip rule).

Summary tables must count "not shown" apart from "missing" (shown but left blank), and neither
may sit in a percentage's base. Relevance rules are XPath-like expressions that SQL cannot
evaluate, so the answer is recorded when the response is saved: ``record_response`` (and any
caller of ``write_answers`` that passes ``skipped=``) writes one row here per input question the
rules hid. Counting "not shown" is then a ``GROUP BY`` like every other count, and "missing" is
derived: responses in scope - answered - not shown.

A separate table rather than a marker row in ``answers``: every existing count over ``answers``
(answered questions, rates, exports) stays right without having to exclude markers.
Responses saved before this table existed have no rows, so their skipped questions count as
missing; nothing counts them twice.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId


class SkippedQuestion(Base):
    __tablename__ = "skipped_questions"
    __table_args__ = (Index("ix_skipped_questions_question_id", "question_id"),)

    response_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), primary_key=True)
