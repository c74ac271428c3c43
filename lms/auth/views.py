"""Registration, login, logout, the profile page and the language switch."""

from __future__ import annotations

import hashlib

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from lms.db import write_transaction
from lms.extensions import limiter
from lms.security import safe_next_url

from . import service
from .forms import (
    LanguageForm,
    LoginForm,
    LogoutForm,
    PasswordChangeForm,
    ProfileForm,
    RegistrationForm,
)
from .service import AccountError

bp = Blueprint("auth", __name__)


def _login_account_key() -> str:
    """Rate-limit key for one account: a hash of the identifier, so no phone number is stored."""
    identifier = (request.form.get("identifier") or "").strip().lower()
    return "login:" + hashlib.sha256(identifier.encode()).hexdigest()[:32]


def _failed_login(response) -> bool:
    return response.status_code != 302


def _clear_session() -> None:
    """Empty the session, keeping only the chosen interface language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def _start_session(user, remember: bool = False) -> None:
    """Sign ``user`` in with a fresh session (no data carried over from before login)."""
    _clear_session()
    login_user(user, remember=remember)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMITS_PER_ADDRESS"], methods=["POST"], scope="login-ip")
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMITS_PER_ACCOUNT"],
    methods=["POST"],
    key_func=_login_account_key,
    deduct_when=_failed_login,
    scope="login-account",
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("learning.home"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        # The password check (scrypt, tens of ms) runs outside the write lock.
        user = service.authenticate(form.identifier.data, form.password.data)
        if user is not None:
            with write_transaction():
                service.record_login(user)
            _start_session(user, remember=form.remember.data)
            return redirect(safe_next_url(form.next.data) or url_for("learning.home"))
        form.password.errors.append(_("The account or the password is not correct."))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    if LogoutForm().validate_on_submit():
        logout_user()
        _clear_session()
        flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"], scope="register")
def register():
    if current_user.is_authenticated:
        return redirect(url_for("learning.home"))
    form = RegistrationForm()
    if form.validate_on_submit():
        try:
            with write_transaction():
                user = service.create_user(form.profile(), form.password.data)
        except AccountError as error:
            getattr(form, error.field or "name").errors.append(str(error))
        else:
            _start_session(user)
            flash(_("Welcome, %(name)s. Your account is ready.", name=user.name), "success")
            next_url = safe_next_url(request.args.get("next"))
            return redirect(next_url or url_for("cohorts.join"))
    return render_template("auth/register.html", form=form)


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        try:
            with write_transaction():
                service.update_profile(current_user, form.profile())
        except AccountError as error:
            getattr(form, error.field or "name").errors.append(str(error))
        else:
            flash(_("Your profile has been saved."), "success")
            return redirect(url_for("auth.profile"))
    return render_template("auth/profile.html", form=form, user=current_user)


@bp.route("/profile/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            with write_transaction():
                service.change_password(current_user, form.current_password.data, form.password.data)
        except AccountError as error:
            form.current_password.errors.append(str(error))
        else:
            _start_session(current_user._get_current_object())  # keep this device signed in with the new token
            flash(_("Your password has been changed. Other devices have been signed out."), "success")
            return redirect(url_for("auth.profile"))
    return render_template("auth/password.html", form=form)


@bp.route("/language", methods=["POST"])
def set_language():
    form = LanguageForm()
    if form.validate_on_submit() and form.lang.data in current_app.config["LANGUAGES"]:
        session["lang"] = form.lang.data
        if current_user.is_authenticated:
            with write_transaction():
                current_user.locale = form.lang.data
    return redirect(safe_next_url(form.next.data) or url_for("learning.home"))
