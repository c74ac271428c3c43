"""Forms for organizers' user management."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from lms.input_guard import bounded_int


class UserSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    q = StringField(_l("Search"), validators=[Optional()])
    role = SelectField(
        _l("Role"),
        choices=[
            SelectChoice("", _l("All roles")),
            SelectChoice("trainee", _l("Trainee")),
            SelectChoice("trainer", _l("Trainer")),
            SelectChoice("organizer", _l("Organizer")),
        ],
        validators=[Optional()],
    )


class UserRolesForm(FlaskForm):
    trainee = BooleanField(_l("Trainee"))
    trainer = BooleanField(_l("Trainer"))
    organizer = BooleanField(_l("Organizer"))

    def selected(self) -> set[str]:
        return {name for name in ("trainee", "trainer", "organizer") if getattr(self, name).data}


class ConfirmForm(FlaskForm):
    """A bare CSRF-protected POST (activate, deactivate, reset password, confirm import)."""


class UserImportForm(FlaskForm):
    file = FileField(
        _l("File (CSV or XLSX)"),
        validators=[
            FileRequired(_l("Choose a file to import.")),
            FileAllowed(["csv", "xlsx"], _l("Upload a .csv or .xlsx file.")),
        ],
    )
    cohort_id = SelectField(_l("Enrol them in cohort"), coerce=bounded_int, validators=[Optional()])
