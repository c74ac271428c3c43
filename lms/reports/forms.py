"""Report filters (GET forms: they change nothing, so no CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange, Optional, ValidationError

from lms.input_guard import bounded_int

from .breakdown import DEFAULT_DIMENSION, DIMENSIONS


class _GetForm(FlaskForm):
    class Meta:
        csrf = False


class ReportFilterForm(_GetForm):
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    cohorts = SelectField(
        _l("Cohorts"),
        choices=[
            SelectChoice("cohort", _l("This cohort")),
            SelectChoice("course", _l("All my cohorts of this course")),
        ],
        default="cohort",
        validators=[Optional()],
    )
    attempts = SelectField(
        _l("Attempts"),
        choices=[
            SelectChoice("first", _l("First attempts (as Moodle)")),
            SelectChoice("all", _l("All graded attempts")),
        ],
        default="first",
        validators=[Optional()],
    )
    dim = SelectField(
        _l("Break down by"),
        choices=[SelectChoice(d.key, d.label) for d in DIMENSIONS.values()],
        default=DEFAULT_DIMENSION,
        validators=[Optional()],
    )

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date must not be before the start date."))


class InactiveForm(_GetForm):
    days = IntegerField(_l("No activity for (days)"), validators=[Optional(), NumberRange(1, 365)])


class CommentFilterForm(_GetForm):
    survey = SelectField(_l("Survey"), coerce=bounded_int, validators=[Optional()])
    q = StringField(_l("Contains"), validators=[Optional()])


class CompareForm(_GetForm):
    cohort = SelectMultipleField(_l("Cohorts to compare"), coerce=bounded_int, validators=[Optional()])
