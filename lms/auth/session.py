"""Flask-Login wiring: the session id "user_id:account_token:session_token" and its checks.

``account_token`` (``User.session_token``) changes with the password or a deactivation and
signs the user out everywhere; ``session_token`` names one row of ``login_sessions``, which
holds the timeouts and ends at logout (see ``login_sessions``).
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, current_app, flash, g, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lms.db import write_transaction
from lms.extensions import db, login_manager

from . import login_sessions
from .models import User


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(_unauthorized)
    app.config.setdefault("REMEMBER_COOKIE_DURATION", timedelta(days=app.config["REMEMBER_DAYS"]))
    app.after_request(_touch_session)


def load_user(session_id: str) -> User | None:
    """Return the active user whose id, account token and live session match, else None."""
    user_id, _, rest = session_id.partition(":")
    account_token, _, token = rest.partition(":")
    if not user_id.isdigit() or not account_token or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or user.session_token != account_token:
        return None
    found = login_sessions.check(user.id, token)
    if found.row is None:
        g.session_expired = found.expired
        return None
    user.login_token = token
    user.login_session_id = found.row.id
    if login_sessions.needs_touch(found.row):
        g.touch_login_session = found.row.id
    return user


def _touch_session(response):
    """After the view: record that the session was used (at most once a minute)."""
    session_id = g.pop("touch_login_session", None)
    if session_id is not None:
        try:
            db.session.rollback()  # the view's read transaction, nothing pending after a view
            with write_transaction():
                login_sessions.touch(session_id)
        except Exception:  # a busy database must not turn a served page into an error
            current_app.logger.warning("could not record activity of login session %s", session_id, exc_info=True)
    return response


def _unauthorized():
    if g.get("session_expired"):
        flash(_l("You were signed out after a period of inactivity. Please log in again."), "info")
    else:
        flash(login_manager.login_message, "info")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def current_session_id() -> int | None:
    return getattr(current_user, "login_session_id", None) if current_user.is_authenticated else None
