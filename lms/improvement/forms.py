"""Forms for recording, updating and filtering improvement actions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from lms.input_guard import bounded_int

from .models import ActionStatus, FindingKind, Measure, TargetKind

FINDING_LABELS = {
    FindingKind.ITEM: _l("A flagged question"),
    FindingKind.MODULE: _l("A module that needs attention"),
    FindingKind.NEED: _l("A high-demand need"),
    FindingKind.SUGGESTION: _l("A suggestion"),
    FindingKind.COMMENT: _l("A feedback comment"),
    FindingKind.OTHER: _l("Other"),
}
TARGET_LABELS = {
    TargetKind.QUESTION: _l("Question"),
    TargetKind.LESSON: _l("Lesson"),
    TargetKind.MODULE: _l("Module"),
}
STATUS_LABELS = {
    ActionStatus.PLANNED: _l("Planned"),
    ActionStatus.IN_PROGRESS: _l("In progress"),
    ActionStatus.DONE: _l("Done"),
    ActionStatus.DROPPED: _l("Dropped"),
}
MEASURE_LABELS = {
    Measure.FACILITY: _l("Facility (share of marks earned)"),
    Measure.GAIN: _l("Learning gain (pre/post)"),
    Measure.SATISFACTION: _l("Satisfaction"),
    Measure.COMPLETION: _l("Completion"),
}


def _choices(labels: dict, blank=None) -> list:
    choices = [SelectChoice(str(k), v) for k, v in labels.items()]
    return ([SelectChoice("", blank)] if blank is not None else []) + choices


class ActionForm(FlaskForm):
    """What can be changed on an action after it is recorded."""

    finding_summary = TextAreaField(
        _l("Finding (what the report showed)"), validators=[DataRequired(), Length(max=2000)]
    )
    target_kind = SelectField(
        _l("Content to change"),
        choices=_choices(TARGET_LABELS, _l("None yet")),
        validators=[Optional()],
    )
    target_key = StringField(_l("Key of that question, lesson or module"), validators=[Optional(), Length(max=64)])
    planned_change = TextAreaField(_l("Planned change"), validators=[DataRequired(), Length(max=4000)])
    expected_effect = TextAreaField(_l("Expected effect"), validators=[Optional(), Length(max=2000)])
    measure = SelectField(_l("Measure of the effect"), choices=_choices(MEASURE_LABELS))
    status = SelectField(_l("Status"), choices=_choices(STATUS_LABELS))
    owner_id = SelectField(_l("Owner"), coerce=bounded_int, validators=[Optional()])

    def validate_target_key(self, field):
        if self.target_kind.data and not (field.data or "").strip():
            raise ValidationError(_l("Enter the key (e.g. m01-q03) of the content to change."))


class NewActionForm(ActionForm):
    course_id = SelectField(_l("Course"), coerce=bounded_int, validators=[DataRequired()])
    finding_kind = SelectField(_l("Kind of finding"), choices=_choices(FINDING_LABELS))
    finding_ref = HiddenField()
    cohort_id = HiddenField()


class LinkVersionForm(FlaskForm):
    version = SelectField(_l("Content version"), validators=[DataRequired()])


class ActionFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    status = SelectField(_l("Status"), choices=_choices(STATUS_LABELS, _l("Any")), validators=[Optional()])
    measure = SelectField(_l("Measure"), choices=_choices(MEASURE_LABELS, _l("Any")), validators=[Optional()])
    finding = SelectField(_l("Kind of finding"), choices=_choices(FINDING_LABELS, _l("Any")), validators=[Optional()])
    course = SelectField(_l("Course"), coerce=bounded_int, validators=[Optional()])
    mine = SelectField(
        _l("Owner"),
        choices=[SelectChoice("", _l("Anyone")), SelectChoice("1", _l("Mine"))],
        validators=[Optional()],
    )
