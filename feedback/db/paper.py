"""Paper data entry: batches of keyed questionnaires and their optional second keying.

A :class:`PaperBatch` is one sitting of keying forms for one instrument and (usually) one event;
each form keyed becomes an ordinary response (mode ``paper``) with a :class:`PaperEntry` giving
its place in the batch. Double data entry keys a sample of forms a second time: the second
keying is kept as typed (``second_values``) and compared with the stored answers, never stored
as a response, so rates and summaries count each paper form once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, UTCDateTime, utcnow


class PaperBatch(Base):
    """Forms keyed together: the instrument, the event they came from, who keyed them.

    ``second_every`` asks for every n-th form to be keyed again (0: only forms chosen by hand).
    """

    __tablename__ = "paper_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    instrument_id: Mapped[int] = mapped_column(ForeignKey("instruments.id"), index=True)
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    keyed_by: Mapped[str] = mapped_column(String(200), default="")
    second_every: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PaperEntry(Base):
    """One keyed form: its response, its number in the batch and its second keying, if any."""

    __tablename__ = "paper_entries"
    __table_args__ = (UniqueConstraint("batch_id", "seq"),)

    response_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True
    )
    batch_id: Mapped[int] = mapped_column(ForeignKey("paper_batches.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    needs_second: Mapped[bool] = mapped_column(Boolean, default=False)
    second_values: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    second_keyed_by: Mapped[str] = mapped_column(String(200), default="")
    second_keyed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
