"""Registration, login, logout, the profile page and the language switch."""

from __future__ import annotations

import math

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
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

from . import login_sessions, password_reset, service, throttle
from .forms import (
    LanguageForm,
    LoginForm,
    LogoutForm,
    PasswordChangeForm,
    ProfileForm,
    RegistrationForm,
    ResetPasswordForm,
    ResetRequestForm,
)
from .service import AccountError
from .session import current_session_id

bp = Blueprint("auth", __name__)


def _clear_session() -> None:
    """Empty the session, keeping only the chosen interface language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def _start_session(user, remember: bool = False, first_login: bool = False) -> None:
    """Sign ``user`` in with a fresh session (no data carried over from before login).

    Records a login session row whose token the cookie carries (and, at a login, the time).
    """
    with write_transaction():
        if first_login:
            service.record_login(user)
        user.login_token = login_sessions.start(user.id, remember, request.headers.get("User-Agent", ""))
    _clear_session()
    login_user(user, remember=remember)


def _throttled_message(wait: int) -> str:
    if wait >= 120:
        return _("Too many attempts for this account. Try again in %(minutes)d minutes.", minutes=math.ceil(wait / 60))
    return _("Too many attempts for this account. Try again in %(seconds)d seconds.", seconds=wait)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMITS_PER_ADDRESS"], methods=["POST"], scope="login-ip")
def login():
    if current_user.is_authenticated:
        return redirect(url_for("learning.home"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        account = service.find_user(form.identifier.data)
        key = throttle.account_key(account.id if account else None, form.identifier.data)
        verdict = throttle.begin(key)
        if not verdict.allowed:
            form.password.errors.append(_throttled_message(verdict.wait_seconds))
            g.retry_after = verdict.wait_seconds  # see throttle.init_throttle
            return render_template("auth/login.html", form=form), 429
        # The password check (scrypt, tens of ms) runs outside the write lock.
        user = service.check_login(account, form.password.data)
        throttle.record(key, succeeded=user is not None)
        if user is not None:
            _start_session(user, remember=form.remember.data, first_login=True)
            response = redirect(safe_next_url(form.next.data) or url_for("learning.home"))
            throttle.set_device_cookie(response, user.id)
            return response
        form.password.errors.append(_("The account or the password is not correct."))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    if LogoutForm().validate_on_submit():
        session_id = current_session_id()
        if session_id is not None:
            with write_transaction():
                login_sessions.end(current_user.id, session_id)
        _clear_session()
        # after clearing: logout_user() leaves the flag that deletes the remember cookie
        logout_user()
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
    return render_template(
        "auth/profile.html",
        form=form,
        user=current_user,
        sessions=login_sessions.active_sessions(current_user.id),
        current_session_id=current_session_id(),
        end_form=LogoutForm(),
    )


@bp.route("/profile/sessions/<int:session_id>/end", methods=["POST"])
@login_required
def end_session(session_id: int):
    """Sign out one device listed on the profile (only the user's own sessions)."""
    if not LogoutForm().validate_on_submit():
        abort(400)
    if session_id == current_session_id():
        return logout()
    with write_transaction():
        ended = login_sessions.end(current_user.id, session_id)
    if not ended:
        abort(404)
    flash(_("That device has been signed out."), "success")
    return redirect(url_for("auth.profile"))


@bp.route("/profile/sessions/end-all", methods=["POST"])
@login_required
def end_all_sessions():
    """Sign out everywhere: every session and remembered device, this one included."""
    if not LogoutForm().validate_on_submit():
        abort(400)
    with write_transaction():
        service.sign_out_everywhere(current_user)
        login_sessions.end_all(current_user.id)
    _clear_session()
    logout_user()
    flash(_("You have been signed out on every device."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/profile/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            with write_transaction():
                service.change_password(current_user, form.current_password.data, form.password.data)
                login_sessions.end_all(current_user.id)
        except AccountError as error:
            form.current_password.errors.append(str(error))
        else:
            _start_session(current_user._get_current_object())  # keep this device signed in with the new token
            flash(_("Your password has been changed. Other devices have been signed out."), "success")
            return redirect(url_for("auth.profile"))
    return render_template("auth/password.html", form=form)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["PASSWORD_RESET_LIMITS_PER_ADDRESS"], methods=["POST"], scope="password-reset"
)
def forgot_password():
    if current_user.is_authenticated:
        return redirect(url_for("auth.change_password"))
    available = password_reset.available()
    form = ResetRequestForm()
    if available and form.validate_on_submit():
        password_reset.request_reset(form.identifier.data)
        # the same words whether or not the account exists or has an e-mail address
        flash(
            _(
                "If this account has an e-mail address, a link to reset the password is on its way. "
                "It works once, for %(minutes)d minutes.",
                minutes=current_app.config["PASSWORD_RESET_MINUTES"],
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form, available=available)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["PASSWORD_RESET_LIMITS_PER_ADDRESS"], methods=["POST"], scope="password-reset"
)
def reset_password(token: str):
    user = password_reset.user_for_token(token)
    if user is None:
        return render_template("auth/reset.html", form=None), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        with write_transaction():
            password_reset.set_new_password(user, form.password.data)
            login_sessions.end_all(user.id)
        flash(_("Your password has been reset. Log in with the new password."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form, user=user)


@bp.route("/language", methods=["POST"])
def set_language():
    form = LanguageForm()
    if form.validate_on_submit() and form.lang.data in current_app.config["LANGUAGES"]:
        session["lang"] = form.lang.data
        if current_user.is_authenticated:
            with write_transaction():
                current_user.locale = form.lang.data
    return redirect(safe_next_url(form.next.data) or url_for("learning.home"))
