"""Forms for issuing, revoking and reissuing certificates, designs, and public verification."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DecimalField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from .service import MAX_SIGNATURES


class RevokeForm(FlaskForm):
    """A reason is required; it goes to the audit log and is never shown publicly."""

    reason = TextAreaField(_l("Reason for revoking"), validators=[DataRequired(), Length(max=500)])


class ReissueForm(FlaskForm):
    reason = TextAreaField(_l("Reason for reissuing"), validators=[DataRequired(), Length(max=500)])


class IssueForm(FlaskForm):
    """Issuing by hand, regardless of the requirements."""

    reason = TextAreaField(_l("Reason for issuing"), validators=[DataRequired(), Length(max=500)])
    credit_hours = DecimalField(
        _l("Credit hours"),
        places=None,
        validators=[Optional(), NumberRange(min=0, max=1000)],
        description=_l("Leave empty for the hours credited by the course's rules."),
    )


class DesignForm(FlaskForm):
    title = StringField(_l("Certificate title"), validators=[Optional(), Length(max=20)])
    issuer = StringField(_l("Issuing organisation"), validators=[Optional(), Length(max=60)])
    seal = FileField(_l("Seal image (PNG, at most 512 KB and 2000 pixels)"))
    remove_seal = BooleanField(_l("Remove the current seal"))
    sig1_name = StringField(_l("Name"), validators=[Optional(), Length(max=20)])
    sig1_title = StringField(_l("Position"), validators=[Optional(), Length(max=30)])
    sig2_name = StringField(_l("Name"), validators=[Optional(), Length(max=20)])
    sig2_title = StringField(_l("Position"), validators=[Optional(), Length(max=30)])
    sig3_name = StringField(_l("Name"), validators=[Optional(), Length(max=20)])
    sig3_title = StringField(_l("Position"), validators=[Optional(), Length(max=30)])

    def signature_fields(self):
        return [(getattr(self, f"sig{i}_name"), getattr(self, f"sig{i}_title")) for i in range(1, MAX_SIGNATURES + 1)]

    def signatures(self) -> list[tuple[str, str]]:
        return [
            (name.data.strip(), title.data.strip())
            for name, title in self.signature_fields()
            if (name.data or "").strip()
        ]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for name, title in self.signature_fields():
            if (title.data or "").strip() and not (name.data or "").strip():
                name.errors.append(_l("Enter the name for this position."))
                ok = False
            elif (name.data or "").strip() and not (title.data or "").strip():
                title.errors.append(_l("Enter the position for this name."))
                ok = False
        return ok


class LookupForm(FlaskForm):
    number = StringField(_l("Certificate number"), validators=[DataRequired(), Length(max=32)])
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=64)])


class FileCheckForm(FlaskForm):
    file = FileField(_l("Certificate PDF"), validators=[FileRequired()])

    def validate_file(self, field):
        filename = (field.data.filename or "").lower() if field.data else ""
        if filename and not filename.endswith(".pdf"):
            raise ValidationError(_l("Choose the PDF file of the certificate."))
