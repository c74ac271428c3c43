"""Forms for registration, login, profiles and passwords."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField, TelField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from .service import MIN_PASSWORD_LENGTH, Profile
from .validators import normalize_email, normalize_phone


class ProfileFieldsMixin:
    """The personal fields shared by registration and the profile page."""

    name = StringField(
        _l("Real name"),
        validators=[DataRequired(message=_l("This field is required.")), Length(max=64)],
    )
    phone = TelField(_l("Mobile number"), validators=[Optional(), Length(max=20)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Length(max=254)])
    province = StringField(_l("Province"), validators=[DataRequired(), Length(max=32)])
    city = StringField(_l("City"), validators=[Optional(), Length(max=32)])
    county = StringField(_l("County"), validators=[Optional(), Length(max=32)])
    work_unit = StringField(_l("Work unit"), validators=[DataRequired(), Length(max=128)])
    position = StringField(_l("Position"), validators=[Optional(), Length(max=64)])

    def validate_phone(self, field):
        if field.data and normalize_phone(field.data) is None:
            raise ValidationError(_l("Enter an 11-digit mainland mobile number."))

    def validate_email(self, field):
        if field.data and normalize_email(field.data) is None:
            raise ValidationError(_l("Enter a valid e-mail address."))

    def validate_name(self, field):
        field.data = " ".join(field.data.split())
        if not field.data:
            raise ValidationError(_l("This field is required."))

    def check_contact(self) -> bool:
        if not (self.phone.data or self.email.data):
            self.phone.errors.append(_l("Give a mobile number or an e-mail address."))
            return False
        return True

    def profile(self) -> Profile:
        return Profile(
            name=self.name.data.strip(),
            phone=normalize_phone(self.phone.data),
            email=normalize_email(self.email.data),
            province=self.province.data.strip(),
            city=(self.city.data or "").strip(),
            county=(self.county.data or "").strip(),
            work_unit=self.work_unit.data.strip(),
            position=(self.position.data or "").strip(),
        )


def _password_field(label):
    return PasswordField(
        label,
        validators=[
            DataRequired(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=128,
                message=_l("Use %(min)d to %(max)d characters.", min=MIN_PASSWORD_LENGTH, max=128),
            ),
        ],
    )


class RegistrationForm(ProfileFieldsMixin, FlaskForm):
    password = _password_field(_l("Password"))
    confirm = PasswordField(
        _l("Repeat password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))],
    )

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        return self.check_contact() and ok


class ProfileForm(ProfileFieldsMixin, FlaskForm):
    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        return self.check_contact() and ok


class LoginForm(FlaskForm):
    identifier = StringField(_l("Mobile number or e-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=128)])
    remember = BooleanField(_l("Keep me signed in on this device"))
    next = HiddenField()


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    password = _password_field(_l("New password"))
    confirm = PasswordField(
        _l("Repeat new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))],
    )


class ResetRequestForm(FlaskForm):
    identifier = StringField(_l("Mobile number or e-mail"), validators=[DataRequired(), Length(max=254)])


class ResetPasswordForm(FlaskForm):
    password = _password_field(_l("New password"))
    confirm = PasswordField(
        _l("Repeat new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))],
    )


class LanguageForm(FlaskForm):
    lang = HiddenField(validators=[DataRequired()])
    next = HiddenField()


class LogoutForm(FlaskForm):
    """Logging out is a POST with a CSRF token, so no other site can sign a user out."""
