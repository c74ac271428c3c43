"""Forms of the question bank pages: the list's filters, the upload, the confirmation."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import HiddenField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from lms.input_guard import bounded_int

from .formats import EXTENSIONS
from .formats.common import TYPE_LABELS


class BankFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    module = SelectField(_l("Module"), coerce=bounded_int, validators=[Optional()])
    type = SelectField(
        _l("Type"),
        choices=[SelectChoice("", _l("All types"))]
        + [SelectChoice(value, label) for value, label in TYPE_LABELS.items()],
        validators=[Optional()],
    )
    tag = SelectField(_l("Tag"), validators=[Optional()])
    q = StringField(_l("Search"), validators=[Optional()])


class BankImportForm(FlaskForm):
    file = FileField(
        _l("Question file"),
        validators=[
            FileRequired(_l("Choose a file to import.")),
            FileAllowed(
                [*EXTENSIONS, "xls"],
                _l("Upload a GIFT (.gift or .txt), Moodle XML (.xml), Excel (.xlsx) or CSV (.csv) file."),
            ),
        ],
    )
    module_id = SelectField(_l("Default module"), coerce=bounded_int, validators=[Optional()])


class ImportConfirmForm(FlaskForm):
    """Confirm an import; ``skip`` holds the numbers of the items with problems to leave out
    (its choices are set from the preview kept on the server)."""

    skip = SelectMultipleField(_l("Skip"), coerce=bounded_int, validators=[Optional()])
    #: the module every question goes into, when the preview was asked to put them all in one
    all_module = HiddenField(validators=[Optional()])
    #: items confirmed to replace a question whose text is another question's
    replace = SelectMultipleField(_l("Replace"), coerce=bounded_int, validators=[Optional()])
