"""WTForms classes for the staff pages (CSRF comes from Flask-WTF's ``FlaskForm``)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # WTForms 3.3; its stubs are 3.2
from wtforms.validators import DataRequired, EqualTo, Length

from ...db.accounts import ROLES
from ...services.accounts import MIN_PASSWORD_LENGTH


class LoginForm(FlaskForm):
    email = EmailField("E-mail address", validators=[DataRequired("Enter your e-mail address")])
    password = PasswordField("Password", validators=[DataRequired("Enter your password")])


class _NewPassword(FlaskForm):
    password = PasswordField(
        "New password",
        validators=[
            DataRequired("Enter a new password"),
            Length(min=MIN_PASSWORD_LENGTH, message=f"Use at least {MIN_PASSWORD_LENGTH} characters"),
        ],
    )
    confirm = PasswordField(
        "Type the new password again",
        validators=[DataRequired("Type the new password again"), EqualTo("password", "The passwords differ")],
    )


class ResetPasswordForm(_NewPassword):
    pass


class ChangePasswordForm(_NewPassword):
    current = PasswordField("Current password", validators=[DataRequired("Enter your current password")])


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token (logout, revoke, make a reset link)."""


class CreateUserForm(FlaskForm):
    email = EmailField(
        "E-mail address", validators=[DataRequired("Enter an e-mail address"), Length(max=320)]
    )
    name = StringField("Name", validators=[Length(max=200)])
    is_admin = BooleanField("Administrator (sees every project and manages users)")


class GrantRoleForm(FlaskForm):
    project = SelectField("Project", validators=[DataRequired("Choose a project")])
    role = SelectField("Role", choices=[SelectChoice(r, r.title()) for r in ROLES])
    can_identify = BooleanField("May see names and e-mail addresses (evaluators only)")
