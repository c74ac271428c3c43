"""Survey forms: one WTForms field per item, built from the survey's items at request time,
and the organizer's window form.

The item rules live in :mod:`.answers`; :meth:`SurveyForm.validate` applies them to every
item and keeps each message in ``item_errors`` (a matrix is a sub-form, whose errors WTForms
would otherwise scatter over its rows).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    FormField,
    HiddenField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.form import Form
from wtforms.validators import Optional, ValidationError

from .answers import ItemError, check_item, matrix_rows, options, scale
from .models import ItemType, SurveyItem


def field_name(item: SurveyItem) -> str:
    """The form field's name: item keys are [a-z0-9-], so a prefix avoids any clash with
    the form's own attributes, and a matrix row's field is ``q-<item>.<row>``."""
    return f"q-{item.key}"


def _scale_choices(item: SurveyItem) -> list[SelectChoice]:
    labels = item.spec.get("labels") or []
    choices = []
    for value in scale(item):
        label = str(value)
        if labels and item.itype != ItemType.RATING10:
            label = f"{value} {labels[value - 1]}"
        choices.append(SelectChoice(str(value), label))
    return choices


def _matrix_form(item: SurveyItem) -> type[Form]:
    class MatrixForm(Form):
        pass

    for row in matrix_rows(item):
        setattr(
            MatrixForm,
            row["id"],
            RadioField(row["label"], choices=_scale_choices(item), validate_choice=False),
        )
    return MatrixForm


def _field(item: SurveyItem):
    label = item.prompt
    kind = item.itype
    if kind in (ItemType.LIKERT, ItemType.RATING10):
        return RadioField(label, choices=_scale_choices(item), validate_choice=False)
    if kind == ItemType.SINGLE:
        choices = [SelectChoice(str(i), text) for i, text in enumerate(options(item))]
        return RadioField(label, choices=choices, validate_choice=False)
    if kind == ItemType.MULTIPLE:
        choices = [SelectChoice(str(i), text) for i, text in enumerate(options(item))]
        return SelectMultipleField(label, choices=choices, validate_choice=False)
    if kind == ItemType.MATRIX:
        return FormField(_matrix_form(item), label=label, separator=".")
    if kind == ItemType.NUMBER:
        return StringField(label, render_kw={"inputmode": "decimal", "autocomplete": "off"})
    return TextAreaField(label, render_kw={"rows": 4})


class SurveyForm(FlaskForm):
    """The base of every survey form; subclasses get one field per item."""

    #: "new" or "edit": how the form was shown (tells a second submission from an edit)
    mode = HiddenField(default="new")

    items: tuple[SurveyItem, ...] = ()  #: set on each subclass by build_survey_form

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.item_errors: dict[str, str] = {}

    def field_for(self, item: SurveyItem):
        return self[field_name(item)]

    def values(self) -> dict:
        """Item key -> the value as submitted, in the shapes :mod:`.answers` expects."""
        values = {}
        for item in self.items:
            data = self.field_for(item).data
            if item.itype == ItemType.MATRIX:
                data = {k: v for k, v in (data or {}).items() if v not in (None, "")}
            values[item.key] = data
        return values

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        values = self.values()
        self.item_errors = {}
        for item in self.items:
            try:
                check_item(item, values[item.key])
            except ItemError as error:
                self.item_errors[item.key] = str(error.message)
        return ok and not self.item_errors


def build_survey_form(items: list[SurveyItem], values: dict | None = None) -> SurveyForm:
    """A form for ``items``: filled from the request when one was posted, else from
    ``values`` (item key -> value, e.g. a named response being edited)."""

    class Form_(SurveyForm):
        pass

    Form_.items = tuple(items)
    for item in items:
        setattr(Form_, field_name(item), _field(item))
    values = values or {}
    data = {field_name(item): values[item.key] for item in items if item.key in values}
    return Form_(data=data)


class WindowForm(FlaskForm):
    """When a survey opens and closes in a cohort; blank means the default."""

    opens_at = DateTimeLocalField(_l("Opens at"), format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"], validators=[Optional()])
    closes_at = DateTimeLocalField(
        _l("Closes at"), format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"], validators=[Optional()]
    )

    def validate_closes_at(self, field):
        if field.data and self.opens_at.data and field.data <= self.opens_at.data:
            raise ValidationError(_l("The survey must close after it opens."))
