"""Who may answer an instrument and its partial rule, set by an evaluator (audited).

``GET/POST /staff/projects/<slug>/instruments/<instrument_slug>/rules``

Both choices change figures: opening a sampled survey to everyone lets answers in that are
outside the sample (counted on their own line, in no rate), and the partial threshold decides
whether a started response is P or R. So the page shows the rule in words and the instrument's
figures as they are now, and the change goes on the audit trail with who made it.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import RadioField, StringField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # WTForms 3.3; its stubs are 3.2
from wtforms.validators import DataRequired, Length

from ...db import Instrument, Project
from ...db.app import get_db, get_session
from ...domain.partial import PartialRule
from ...services.access import INVITATION, OPEN, SettingsError, access_text, set_response_rules
from ...services.figures import instrument_rates
from .access import require_project_role
from .blueprint import bp

FOLLOW = "sample"


class ResponseRulesForm(FlaskForm):
    access = RadioField(
        "Who may answer",
        choices=[
            SelectChoice(FOLLOW, "Follow the sample: invited contacts only when there is a contact list"),
            SelectChoice(INVITATION, "Invited contacts only, through their personal links"),
            SelectChoice(OPEN, "Anyone with the link: answers without an invitation are outside the sample"),
        ],
        validators=[DataRequired("Choose who may answer")],
    )
    partial_threshold = StringField(
        "Partial threshold",
        validators=[DataRequired("Enter a partial threshold, such as 0.5, or any"), Length(max=20)],
    )


def _instrument(project: Project, slug: str) -> Instrument:
    instrument = get_session().scalar(
        select(Instrument).where(Instrument.slug == slug, Instrument.project_id == project.id)
    )
    if instrument is None:
        abort(404)
    return instrument


def _render(
    project: Project, instrument: Instrument, form: ResponseRulesForm, status: int = 200
) -> ResponseReturnValue:
    (figures,) = instrument_rates(get_session(), [instrument])
    return render_template(
        "staff/instrument_rules.html",
        project=project,
        instrument=instrument,
        form=form,
        figures=figures,
        rule=PartialRule.from_stored(instrument.partial_threshold),
        access_now=access_text(instrument.access),
        page_title=f"Response rules: {instrument.title}",
    ), status


@bp.route("/projects/<slug>/instruments/<instrument_slug>/rules", methods=["GET", "POST"])
@require_project_role("evaluator")
def instrument_rules(project: Project, instrument_slug: str) -> ResponseReturnValue:
    instrument = _instrument(project, instrument_slug)
    if request.method == "GET":
        form = ResponseRulesForm(
            formdata=None,
            access=instrument.access or FOLLOW,
            partial_threshold=PartialRule.from_stored(instrument.partial_threshold).setting,
        )
        return _render(project, instrument, form)
    form = ResponseRulesForm()
    if not form.validate_on_submit():
        return _render(project, instrument, form, 400)
    access = None if form.access.data == FOLLOW else form.access.data
    try:
        with get_db().write() as session:
            target = session.get(Instrument, instrument.id)
            if target is None:
                abort(404)
            changed = set_response_rules(
                session, target, access=access, partial_threshold=form.partial_threshold.data or ""
            )
    except SettingsError as exc:
        form.partial_threshold.errors = [str(exc)]
        return _render(project, instrument, form, 400)
    said = "; ".join(changed) if changed else "nothing was changed"
    flash(f"'{instrument.title}': {said}.", "success")
    return redirect(url_for("staff.instrument_rules", slug=project.slug, instrument_slug=instrument.slug))
