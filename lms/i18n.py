"""Languages and time zones: Simplified Chinese first, times shown in Asia/Shanghai."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app, has_request_context, session
from flask_babel import Babel, format_date, format_datetime
from flask_login import current_user

from lms.auth.models import ROLE_LABELS, Role


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI and background jobs speak the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def init_i18n(app: Flask, babel: Babel) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.filters["datetime"] = _format_datetime
    app.jinja_env.filters["date"] = _format_date
    app.jinja_env.filters["hours"] = format_hours
    app.jinja_env.globals["role_label"] = lambda role: ROLE_LABELS.get(Role(str(role)), role)

    @app.context_processor
    def inject_languages():
        return {"languages": app.config["LANGUAGES"], "current_locale": select_locale()}


def _format_datetime(value: datetime | None, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    return format_datetime(value, fmt) if value else ""


def _format_date(value, fmt: str = "yyyy-MM-dd") -> str:
    return format_date(value, fmt) if value else ""


def local_datetime_text(value: datetime | None) -> str:
    """A UTC datetime as text in the site's time zone, for exports."""
    return _format_datetime(value)


def format_hours(value: float | None) -> str:
    """学时 as people write them: 16, 1.5, 0 (no trailing .0)."""
    return f"{round(value or 0, 1):g}"
