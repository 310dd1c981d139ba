"""Used page keys: what makes a repeated POST of a respondent's page harmless.

Every question page and "Check your answers" page carries a random key (256 bits) in a hidden
field. When a POST with that key is accepted, one row records it with a hash of what was posted
and where the respondent was sent next. The same key posted again (a double click, a browser
retry over a shaky connection, the back button) finds the row: with the same answers it gets the
same redirect and nothing is written; with different answers it is refused.

``key`` is unique in the database, so two identical POSTs racing each other cannot both be
recorded: the second INSERT fails (on PostgreSQL it waits for the first transaction and then
fails), its transaction is rolled back, and it is answered from the first one's row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, UTCDateTime, utcnow


class PageSubmission(Base):
    __tablename__ = "page_submissions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), index=True)
    #: 1-based page number; 0 for the "Check your answers" page (the final submission).
    page: Mapped[int] = mapped_column(Integer)
    #: SHA-256 (hex) of the posted fields, control fields included, CSRF token and key excluded.
    digest: Mapped[str] = mapped_column(String(64))
    #: The path the first POST redirected to; a replay is sent to the same place.
    location: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
