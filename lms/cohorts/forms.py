"""Forms for creating cohorts, joining them and managing members."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from lms.input_guard import bounded_int


class CohortForm(FlaskForm):
    course_id = SelectField(_l("Course"), coerce=bounded_int, validators=[DataRequired()])
    name = StringField(_l("Cohort name"), validators=[DataRequired(), Length(max=128)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    starts_on = DateField(_l("Starts on"), validators=[DataRequired()])
    ends_on = DateField(_l("Ends on"), validators=[DataRequired()])
    enrol_until = DateField(_l("Enrolment open until"), validators=[Optional()])
    capacity = IntegerField(_l("Capacity"), validators=[Optional(), NumberRange(min=1, max=100000)])
    trainer_ids = SelectMultipleField(_l("Trainers"), coerce=bounded_int, validators=[Optional()])

    def validate_ends_on(self, field):
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The end date must not be before the start date."))

    def validate_enrol_until(self, field):
        if field.data and self.ends_on.data and field.data > self.ends_on.data:
            raise ValidationError(_l("Enrolment must close by the end date."))


class JoinForm(FlaskForm):
    code = StringField(_l("Enrolment code"), validators=[DataRequired(), Length(max=32)])


class AddMembersForm(FlaskForm):
    identifiers = TextAreaField(
        _l("Mobile numbers or e-mail addresses, one per line"),
        validators=[DataRequired(), Length(max=20000)],
    )


class ConfirmForm(FlaskForm):
    """A bare CSRF-protected POST."""
