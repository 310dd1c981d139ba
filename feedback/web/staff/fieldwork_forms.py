"""WTForms classes for the fieldwork pages: contact upload, sample draw, invitation wave, disposition.

Several forms share one page, so each field has a name unique on that page (``import_instrument``,
``sample_instrument``...): ids stay unique and an error summary link lands on the right field.
Instrument and attribute choices are filled per request by the view from the project's own data,
so a posted slug from another project fails validation like any unknown choice.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # WTForms 3.3; its stubs are 3.2
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ...domain.rates import DISPOSITIONS
from ...services.contact_files import MAX_COLUMNS, MAX_CONTACT_ROWS

DISPOSITION_LABELS = {
    "I": "I – complete",
    "P": "P – partial",
    "R": "R – refusal or break-off",
    "NC": "NC – non-contact",
    "O": "O – other eligible non-interview",
    "UH": "UH – unknown if eligible, nothing returned",
    "UO": "UO – unknown eligibility, other (e.g. bounced)",
    "NE": "NE – not eligible (out of scope)",
}
DERIVE = "derive"


class ImportContactsForm(FlaskForm):
    import_instrument = SelectField(
        "Instrument whose sample this list is", validators=[DataRequired("Choose an instrument")]
    )
    contacts_file = FileField(
        "Contact list (.xlsx or .csv with a header row; an 'email' or 'id' column identifies each contact; "
        f"at most {MAX_CONTACT_ROWS:,} contacts and {MAX_COLUMNS} columns a file)",
        validators=[
            FileRequired("Choose a .xlsx or .csv file to upload"),
            FileAllowed(["xlsx", "csv"], "The file must be a .xlsx workbook or a .csv file"),
        ],
    )
    skip_invalid = BooleanField("Skip invalid rows: import the good rows and list the bad ones")
    list_only = BooleanField("Add to the project's contacts only, without cases (draw a sample below)")


class SampleForm(FlaskForm):
    sample_instrument = SelectField(
        "Instrument to draw the sample for", validators=[DataRequired("Choose an instrument")]
    )
    sample_n = IntegerField(
        "Sample size (N), drawn from the contacts who are not yet cases of the instrument",
        validators=[
            InputRequired("Enter the number of contacts to draw"),
            NumberRange(min=1, message="Draw at least 1"),
        ],
    )
    sample_seed = IntegerField(
        "Seed (leave empty for a random one; it is recorded, so the draw can be repeated)",
        validators=[Optional(), NumberRange(min=0, max=2**62, message="Enter a whole number from 0")],
    )
    sample_strata = SelectField("Stratify by (proportional allocation)")


class WaveForm(FlaskForm):
    wave_instrument = SelectField("Instrument", validators=[DataRequired("Choose an instrument")])
    wave_kind = SelectField(
        "Kind",
        choices=[
            SelectChoice("invitation", "Invitation (every case not yet invited)"),
            SelectChoice("reminder", "Reminder (non-responders and partial responders)"),
        ],
    )
    wave_sent_on = DateField("Date sent (YYYY-MM-DD; empty for today)", validators=[Optional()])
    wave_note = StringField("Note", validators=[Length(max=500)])


class DispositionForm(FlaskForm):
    case_id = HiddenField(validators=[DataRequired("Choose a case first")])
    code = SelectField(
        "Final disposition",
        choices=[SelectChoice(DERIVE, "Derived from what happened (clear the one set by staff)")]
        + [SelectChoice(code, DISPOSITION_LABELS[code]) for code in DISPOSITIONS],
    )
    reason = TextAreaField(
        "Reason (kept with the case and shown in its history)",
        validators=[
            DataRequired("Give a reason for the disposition: it is kept with the case"),
            Length(max=2000),
        ],
    )
