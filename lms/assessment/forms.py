"""Forms: starting an attempt, the attempt's save/finish form, grading and regrading.

The answers themselves are read from the request by item id (their number and types vary
per attempt); these forms carry the CSRF token and the fixed fields.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, HiddenField, IntegerField, SelectField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from lms.input_guard import bounded_int


class StartAttemptForm(FlaskForm):
    """The start (or resume) button on a quiz's page."""

    #: "1" from the confirmation page of a timed quiz (its clock starts at once)
    confirmed = HiddenField()


class AttemptForm(FlaskForm):
    #: the save's sequence number: one more than the last save the page knows of
    seq = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=2**31 - 1)])


class GradeForm(FlaskForm):
    score = DecimalField(_l("Score"), places=2, validators=[InputRequired(), NumberRange(min=0)])
    note = TextAreaField(_l("Note to the trainee"), validators=[Optional(), Length(max=2000)])
    next = HiddenField()


class RegradeForm(FlaskForm):
    version_id = SelectField(_l("Answer key to grade with"), coerce=bounded_int, validators=[DataRequired()])
