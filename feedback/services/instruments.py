"""Storing loaded instruments as versions, and reading them back as domain objects."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from ..db import Choice, Instrument, InstrumentVersion, Project, Question
from ..domain import serialise
from ..domain.instrument import Instrument as InstrumentModel
from ..domain.loader import LoadedInstrument
from ..domain.partial import PartialRule
from .access import ACCESS_CHOICES


class UnknownInstrument(LookupError):
    pass


@dataclass(frozen=True)
class SaveOutcome:
    slug: str
    version: int
    status: str  # "new", "new version", "unchanged", "reverted"
    questions: int
    created_project: str | None = None


def _project(session: Session, slug: str | None) -> tuple[Project | None, str | None]:
    if not slug:
        return None, None
    project = session.scalar(select(Project).where(Project.slug == slug))
    if project is not None:
        return project, None
    # Instruments may arrive before their project is described (``make run`` loads forms/ first);
    # a placeholder keeps them together until someone names it properly.
    project = Project(slug=slug, name=slug.replace("-", " ").title())
    session.add(project)
    session.flush()
    return project, slug


def _insert_rows(session: Session, version: InstrumentVersion, model: InstrumentModel) -> int:
    pages = {q.name: page.index for page in model.pages() for q in page.questions()}
    question_rows = [
        {
            "version_id": version.id,
            "name": q.name,
            "type": q.type,
            "list_name": q.list_name,
            "label": q.label,
            "position": position,
            "page": pages.get(q.name),
            "required": q.required,
        }
        for position, q in enumerate(model.questions())
    ]
    if question_rows:
        session.execute(insert(Question), question_rows)
    choice_rows = []
    for list_name, choices in model.choice_lists.items():
        seen: set[str] = set()
        for position, choice in enumerate(choices):
            if choice.name in seen:  # allow_choice_duplicates: keep the first for counting
                continue
            seen.add(choice.name)
            choice_rows.append(
                {
                    "version_id": version.id,
                    "list_name": list_name,
                    "name": choice.name,
                    "label": choice.label,
                    "position": position,
                }
            )
    if choice_rows:
        session.execute(insert(Choice), choice_rows)
    return len(question_rows)


def _apply_settings(instrument: Instrument, model: InstrumentModel) -> None:
    """The file's ``partial_threshold`` and ``access``, when it states them. A file that is silent
    keeps what the instrument has, so a choice made in the staff area survives reloading it."""
    settings = dict(model.settings)
    if "partial_threshold" in settings:
        instrument.partial_threshold = PartialRule.parse(settings["partial_threshold"]).stored
    elif instrument.partial_threshold is None:
        instrument.partial_threshold = PartialRule().stored
    if settings.get("access") in ACCESS_CHOICES:
        instrument.access = settings["access"]


def save_instrument(session: Session, loaded: LoadedInstrument) -> SaveOutcome:
    """Store ``loaded`` as the instrument's current version; unchanged content is a no-op."""
    model = loaded.instrument
    digest = serialise.digest(model)
    project, created_project = _project(session, model.project)
    instrument = session.scalar(select(Instrument).where(Instrument.slug == model.slug))
    status = "new version"
    if instrument is None:
        instrument = Instrument(slug=model.slug, kind=model.kind, title=model.title)
        session.add(instrument)
        status = "new"
    instrument.kind, instrument.title = model.kind, model.title
    instrument.project_id = project.id if project else instrument.project_id
    _apply_settings(instrument, model)
    session.flush()

    existing = session.scalar(
        select(InstrumentVersion).where(
            InstrumentVersion.instrument_id == instrument.id, InstrumentVersion.digest == digest
        )
    )
    if existing is not None:
        reverted = instrument.current_version_id != existing.id
        instrument.current_version_id = existing.id
        session.flush()
        count = session.scalar(select(func.count()).where(Question.version_id == existing.id)) or 0
        return SaveOutcome(
            model.slug, existing.number, "reverted" if reverted else "unchanged", count, created_project
        )

    number = (
        session.scalar(
            select(func.max(InstrumentVersion.number)).where(InstrumentVersion.instrument_id == instrument.id)
        )
        or 0
    ) + 1
    version = InstrumentVersion(
        instrument_id=instrument.id,
        number=number,
        label=model.version,
        digest=digest,
        definition=serialise.to_dict(model),
        source=loaded.source[-500:],
    )
    session.add(version)
    session.flush()
    count = _insert_rows(session, version, model)
    instrument.current_version_id = version.id
    session.flush()
    return SaveOutcome(model.slug, number, status, count, created_project)


def get_instrument(session: Session, slug: str) -> Instrument:
    instrument = session.scalar(select(Instrument).where(Instrument.slug == slug))
    if instrument is None:
        raise UnknownInstrument(slug)
    return instrument


def current_model(session: Session, slug: str) -> InstrumentModel:
    """The instrument's current version as a domain object."""
    instrument = get_instrument(session, slug)
    version = session.get(InstrumentVersion, instrument.current_version_id)
    if version is None:
        raise UnknownInstrument(slug)
    return model_of(version)


def model_of(version: InstrumentVersion) -> InstrumentModel:
    return serialise.from_dict(version.definition)
