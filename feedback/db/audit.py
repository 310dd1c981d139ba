"""The audit trail: one row per change to what respondents said, how it was classified, which
instruments exist and who may see what.

Rows are written by :mod:`feedback.services.audit` (automatically for ORM changes to the audited
models, explicitly for bulk answer edits, theme coding and erasures) and never updated or deleted
by the application. ``actor_label`` keeps who it was as text ("cli:alice", an e-mail address) so the
trail still reads correctly after a user is removed (``actor_id`` then becomes NULL).
``before``/``after`` hold only the changed fields, as JSON; an erasure keeps no personal data in
them (see :func:`feedback.services.audit.erase_contact`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, UTCDateTime, utcnow


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_entity", "entity_type", "entity_id"),
        Index("ix_audit_entries_project_at", "project_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    actor_label: Mapped[str] = mapped_column(String(320), default="")
    action: Mapped[str] = mapped_column(String(40))  # create, update, delete, edit, erase, code, ...
    entity_type: Mapped[str] = mapped_column(String(40))  # response, case, instrument, ...
    entity_id: Mapped[int | None] = mapped_column(BigId)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text, default="")
