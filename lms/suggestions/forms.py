"""Forms of the suggestion box."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from .models import STATUS_LABELS

REQUIRED = _l("This field is required.")


class SuggestionForm(FlaskForm):
    about = SelectField(_l("About"), choices=[], validate_choice=False)
    subject = StringField(_l("Subject"), validators=[DataRequired(message=REQUIRED), Length(max=200)])
    body = TextAreaField(_l("Your suggestion"), validators=[DataRequired(message=REQUIRED), Length(max=5000)])
    anonymous = BooleanField(_l("Submit anonymously (no name is stored; you will not see replies)"))


class TriageForm(FlaskForm):
    status = SelectField(_l("Status"), choices=[SelectChoice(s.value, label) for s, label in STATUS_LABELS.items()])
    reply = TextAreaField(_l("Reply to the author"), validators=[Optional(), Length(max=5000)])
