"""The demo's programme, projects and activities, the instruments it answers, and the run order.

Projects the instrument loader already created (as placeholders named after their slug) are
adopted and filled in; anything an administrator typed in is kept. Activity short codes come
from :mod:`secrets`, not the seed: the seed is public and links must not be guessable.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select

from ...db import Activity, Instrument, InstrumentVersion, Programme, Project, Question
from ..instruments import model_of
from . import crisp, move, pirr, seed4bme, step_up, tables
from .answers import Form
from .context import Demo


def run(demo: Demo) -> str:
    """Create everything, flush, and return the summary the CLI prints."""
    demo.progress("Change Up demo: programme and projects")
    programme = _programme(demo)
    _activities(demo)
    _load_forms(demo)
    steps = (
        ("CRISP: contact list, web survey and action learning discussions", crisp.survey),
        ("", crisp.discussions),
        ("MOVE: telephone interviews", move.interviews),
        ("Step Up: interviews and an observation", step_up.fieldwork),
        ("PiRR: event feedback and steering group feedback", pirr.feedback),
        ("SEED4BME: telephone surveys, interviews and case studies", seed4bme.fieldwork),
    )
    for label, step in steps:
        if label:
            demo.progress(f"Change Up demo: {label}")
        step(demo)
    demo.session.flush()
    return demo.summary(programme.name)


def _programme(demo: Demo) -> Programme:
    programme = Programme(
        slug=tables.PROGRAMME_SLUG,
        name=tables.PROGRAMME_NAME,
        description=tables.programme_description(demo.seed),
        is_demo=True,
    )
    demo.session.add(programme)
    demo.session.flush()
    slugs = [spec.slug for spec in tables.PROJECTS]
    existing = {p.slug: p for p in demo.session.scalars(select(Project).where(Project.slug.in_(slugs)))}
    for spec in tables.PROJECTS:
        project = existing.get(spec.slug)
        if project is None:
            project = Project(slug=spec.slug, name=spec.name)
            demo.session.add(project)
        elif project.name == spec.slug.replace("-", " ").title():  # the loader's placeholder
            project.name = spec.name
        project.programme_id = programme.id
        project.description = project.description or spec.description
        project.lead_organisation = project.lead_organisation or spec.lead_organisation
        project.area = project.area or spec.area
        demo.projects[spec.slug] = project
    demo.session.flush()
    return programme


def _activities(demo: Demo) -> None:
    used = set(demo.session.scalars(select(Activity.short_code).where(Activity.short_code.is_not(None))))
    for slug, specs in tables.ACTIVITIES.items():
        for spec in specs:
            code = secrets.token_urlsafe(6)
            while code in used:
                code = secrets.token_urlsafe(6)
            used.add(code)
            activity = Activity(
                project_id=demo.projects[slug].id,
                kind=spec.kind,
                series=spec.series,
                title=spec.title,
                starts_on=spec.starts_on,
                region=spec.region,
                attending=spec.attending,
                attending_note=spec.note,
                short_code=code,
            )
            demo.session.add(activity)
            demo.activities[spec.key] = activity
    demo.session.flush()


def _load_forms(demo: Demo) -> None:
    """The current version of each demo instrument that is loaded, with question ids by name."""
    rows = demo.session.execute(
        select(Instrument, InstrumentVersion)
        .join(InstrumentVersion, InstrumentVersion.id == Instrument.current_version_id)
        .where(Instrument.slug.in_(list(tables.INSTRUMENT_SLUGS)))
    ).all()
    ids: dict[int, dict[str, int]] = {}
    version_ids = [version.id for _, version in rows]
    for version_id, name, qid in demo.session.execute(
        select(Question.version_id, Question.name, Question.id).where(Question.version_id.in_(version_ids))
    ):
        ids.setdefault(version_id, {})[name] = qid
    for instrument, version in rows:
        model = model_of(version)
        page_of = {q.name: page.index for page in model.pages() for q in page.questions()}
        demo.forms[instrument.slug] = Form(
            instrument, version, model, ids.get(version.id, {}), page_of, model.enclosing_groups()
        )
