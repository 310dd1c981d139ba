"""Storage: models, the engine and session factory, and read queries."""

from . import sampling  # noqa: F401 -- registers the fieldwork models (import them from .sampling)
from .accounts import User  # noqa: F401 -- registers the staff account models (see .accounts)
from .audit import AuditEntry  # noqa: F401 -- registers the audit trail (see .audit)
from .base import Base
from .coding import AnswerTheme, Theme  # noqa: F401 -- registers the free-text coding models
from .interviews import CaseAssignment  # noqa: F401 -- registers case assignments and interview records
from .models import Activity, Choice, Instrument, InstrumentVersion, Programme, Project, Question
from .paper import PaperBatch  # noqa: F401 -- registers paper data-entry batches and entries
from .ratelimits import RateLimitHit  # noqa: F401 -- registers the shared rate-limit buckets
from .responses import Answer, Case, Contact, ContactAttribute, Response
from .skips import SkippedQuestion
from .submissions import PageSubmission  # noqa: F401 -- registers the used page keys (see .submissions)

__all__ = [
    "Activity",
    "Answer",
    "Base",
    "Case",
    "Choice",
    "Contact",
    "ContactAttribute",
    "Instrument",
    "InstrumentVersion",
    "Programme",
    "Project",
    "Question",
    "Response",
    "SkippedQuestion",
]
