"""One log format, a request id on every line, secrets redacted, security events as key=value.

Every line: ``<UTC ISO time> <level> [<request id>] <logger>: <message>``. The request id is
the client's ``X-Request-ID`` when it is a safe token (a proxy's id), else a random one; it
is sent back in the response's ``X-Request-ID`` header so a user's report can be matched to
the log.

Secrets are kept out in the first place (no view or service logs a form value; SQLAlchemy
hides statement parameters outside debug and tests). As a second line of defence every log
record, whatever its handler (ours, gunicorn's, pytest's), is redacted when it is created:
password hashes, mainland mobile numbers, ``password=``/``token=`` pairs and long random
tokens (session, remember, certificate and invite tokens) in the message and the traceback
become placeholders.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request

events = logging.getLogger("lms.events")

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_HASH = re.compile(r"\b(?:scrypt|pbkdf2)(?::[\w]+)*\$[^\s$'\"]+\$[0-9a-fA-F]+")
_PHONE = re.compile(r"(?<![\d])(?:\+?86)?1[3-9]\d{9}(?!\d)")
_SECRET_PAIR = re.compile(r"(?i)\b(password|passwd|password_hash|token|session_token|secret|remember_token)=\S+")
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,}")


_SLUG_PART = re.compile(r"^(?:[0-9]+|[a-z]+)$")


def _looks_random(word: str) -> bool:
    """A token, not a word: it has digits, or about as many capitals as small letters. A slug
    such as a file or module key (``01-getting-started``: each part digits or small letters)
    is a word."""
    if all(_SLUG_PART.match(part) for part in re.split(r"[-_]+", word) if part):
        return False
    if any(c.isdigit() for c in word) and any(c.isalpha() for c in word):
        return True
    letters = [c for c in word if c.isalpha()]
    upper = sum(c.isupper() for c in letters)
    return bool(letters) and 0.25 <= upper / len(letters) <= 0.75


def redact(text: str) -> str:
    """``text`` with password hashes, phone numbers and tokens replaced by placeholders."""
    text = _HASH.sub("[password-hash]", text)
    text = _SECRET_PAIR.sub(lambda m: f"{m.group(1)}=[redacted]", text)
    text = _TOKEN.sub(lambda m: "[token]" if _looks_random(m.group(0)) else m.group(0), text)
    return _PHONE.sub("[phone]", text)


def _current_request_id() -> str:
    if has_request_context():
        return g.get("request_id", "-")
    return "-"


class RedactingFilter(logging.Filter):
    """Redacts a record's message and traceback in place and stamps the request id."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _current_request_id()
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: logging reports it itself
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_FILTER = RedactingFilter()
_base_factory = logging.getLogRecordFactory()


def _record_factory(*args, **kwargs) -> logging.LogRecord:
    # Applied at creation, so every handler (also pytest's caplog) sees the redacted record.
    record = _base_factory(*args, **kwargs)
    _FILTER.filter(record)
    return record


class UTCFormatter(logging.Formatter):
    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")

    def formatTime(self, record, datefmt=None) -> str:
        moment = datetime.fromtimestamp(record.created, UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = "-"
        return super().format(record)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is now (test runners swap it)."""

    def __init__(self):
        logging.Handler.__init__(self)

    @property
    def stream(self):
        return sys.stderr


def _install_root_handler() -> None:
    root = logging.getLogger()
    if any(isinstance(h, _StderrHandler) for h in root.handlers):
        return
    handler = _StderrHandler()
    handler.setFormatter(UTCFormatter())
    handler.addFilter(_FILTER)
    root.addHandler(handler)


def _value(value) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, list | tuple | set | frozenset):
        return ",".join(sorted(str(v) for v in value)) or "-"
    text = str(value)
    return text if re.fullmatch(r"[\w.:/,@-]+", text) else json.dumps(text, ensure_ascii=False)


def security_event(event: str, **fields) -> None:
    """Log one security event as ``event=<name> key=value ...``: ids and names, never secrets.

    ``fields`` carry user ids (``None`` is logged as ``unknown``), roles, object ids; the
    line's timestamp says when.
    """
    parts = [f"event={event}"] + [f"{key}={_value(value)}" for key, value in fields.items()]
    events.info(" ".join(parts))


def _assign_request_id() -> None:
    given = request.headers.get("X-Request-ID", "")
    if _SAFE_REQUEST_ID.fullmatch(given) and redact(given) == given:
        g.request_id = given
    else:
        g.request_id = secrets.token_hex(8)


def _send_request_id(response):
    if "request_id" in g:
        response.headers["X-Request-ID"] = g.request_id
    return response


def init_logging(app: Flask) -> None:
    """Install the format and the redaction (once per process) and the request-id hooks."""
    from flask.logging import default_handler

    if logging.getLogRecordFactory() is not _record_factory:
        logging.setLogRecordFactory(_record_factory)
    _install_root_handler()
    logging.getLogger("lms").removeHandler(default_handler)  # ours on the root logger prints it
    logging.getLogger("lms").setLevel(logging.DEBUG if app.debug else logging.INFO)
    app.before_request(_assign_request_id)
    app.after_request(_send_request_id)
