"""Storage: models, the engine and session factory, and read queries."""

from .base import Base
from .models import Activity, Choice, Instrument, InstrumentVersion, Programme, Project, Question
from .responses import Answer, Case, Contact, ContactAttribute, Response

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
]
