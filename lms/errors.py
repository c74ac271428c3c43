"""Error pages in the site's look; the session is rolled back on every error."""

from __future__ import annotations

import logging

from flask import Flask, current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, OperationalError
from werkzeug.exceptions import HTTPException

from .access import AccessDenied, NotFound
from .extensions import db
from .logs import security_event

log = logging.getLogger(__name__)

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Please go back and try again.")),
    403: (_l("Access denied"), _l("You do not have permission to open this page.")),
    404: (_l("Page not found"), _l("The page you asked for does not exist or has been moved.")),
    405: (_l("Method not allowed"), _l("This page cannot be used that way.")),
    409: (_l("Conflict"), _l("Someone else changed this at the same time. Please reload and try again.")),
    413: (_l("File too large"), _l("The file you sent is larger than allowed.")),
    429: (_l("Too many attempts"), _l("Too many attempts in a short time. Please wait a minute and try again.")),
    500: (_l("Server error"), _l("Something went wrong on our side. It has been logged; please try again later.")),
    503: (_l("Busy"), _l("The server is busy. Please try again in a moment; nothing you entered was saved twice.")),
}


def init_errors(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(AccessDenied, lambda error: render_error(403))
    app.register_error_handler(NotFound, lambda error: render_error(404))
    app.register_error_handler(OperationalError, _database_error)
    app.register_error_handler(DataError, _value_refused)
    app.register_error_handler(Exception, _unexpected_error)


def render_error(code: int, message: str | None = None):
    db.session.rollback()
    title, default = MESSAGES.get(code, MESSAGES[500])
    return render_template("errors/error.html", code=code, title=title, message=message or default), code


def _csrf_error(error: CSRFError):
    return render_error(400, _("The form had expired or was sent from another page. Please reload and submit again."))


def _http_error(error: HTTPException):
    code = error.code or 500
    if code not in MESSAGES:
        return error
    if code == 403:
        user = current_user.id if current_user and current_user.is_authenticated else None
        security_event("access.denied", user=user, method=request.method, endpoint=request.endpoint)
    return render_error(code)


def _value_refused(error: DataError):
    """The database refused a value (too long, out of range): a form missed a validator.

    The request gets a 400 page instead of a 500; the log names the error class only (the
    statement's parameters are user input). Tests re-raise, so a missing validator fails them.
    """
    if current_app.testing and not current_app.config.get("LMS_RENDER_500"):
        raise error
    log.warning("database refused a value on %s %s: %s", request.method, request.endpoint, type(error.orig).__name__)
    return render_error(400, _("A value you sent is too long or not valid. Please shorten it and try again."))


def _database_error(error: OperationalError):
    if "locked" in str(error.orig).lower():
        log.warning("database busy on %s %s", request.method, request.path)
        return render_error(503)
    return _unexpected_error(error)


def _unexpected_error(error: Exception):
    if isinstance(error, HTTPException):
        return _http_error(error)
    if current_app.testing and not current_app.config.get("LMS_RENDER_500"):
        raise error  # let the test see the traceback
    # The traceback is redacted by lms.logs; statement parameters are hidden in production.
    log.error("unhandled error on %s %s", request.method, request.endpoint, exc_info=error)
    return render_error(500)
