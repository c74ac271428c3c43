"""Self-service password reset by e-mail.

- **The link** carries a token signed with the secret key (itsdangerous), holding the
  account id and a fingerprint of its password hash and account token. It expires after
  ``PASSWORD_RESET_MINUTES`` and works once: setting the password changes the hash (and the
  account token, which also signs out every device), so the fingerprint no longer matches.
  No table holds tokens; nothing in the database opens an account.
- **The same answer** whether or not the account exists or has an e-mail address, and the
  mail leaves from a background thread, so neither the page nor its timing tells.
- **Throttled** per address (Flask-Limiter on the route) and per account (at most
  ``PASSWORD_RESET_MAILS_PER_HOUR`` mails, counted in the login throttle's store).
- **The link's address** comes from ``LMS_BASE_URL``; only in development does it fall back
  to the request's host (in production a forged Host header would otherwise point the link
  at another site).
"""

from __future__ import annotations

import hashlib
import hmac
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from flask import current_app, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer

from lms.extensions import db
from lms.logs import security_event
from lms.mail import mail_configured, send_soon

from . import service, throttle
from .models import User

SALT = "lms-password-reset"


def available() -> bool:
    """Whether reset links can be mailed: an SMTP server, and in production a base URL."""
    config = current_app.config
    return mail_configured() and bool(config["LMS_BASE_URL"] or not config["ENV_PRODUCTION"])


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _fingerprint(user: User) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    state = f"{user.password_hash}:{user.session_token}".encode()
    return hmac.new(secret, state, hashlib.sha256).hexdigest()[:24]


def make_token(user: User) -> str:
    return _serializer().dumps([user.id, _fingerprint(user)])


def user_for_token(token: str) -> User | None:
    """The active account a valid, unexpired, unused token is for; else None."""
    try:
        user_id, fingerprint = _serializer().loads(token, max_age=current_app.config["PASSWORD_RESET_MINUTES"] * 60)
    except (BadSignature, ValueError, TypeError):  # SignatureExpired is a BadSignature
        return None
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.is_active or not isinstance(fingerprint, str):
        return None
    return user if hmac.compare_digest(fingerprint, _fingerprint(user)) else None


def request_reset(identifier: str) -> None:
    """Mail a reset link to the account ``identifier`` names, if it has an e-mail address and
    has not had too many links this hour. Says nothing either way."""
    user = service.find_user(identifier)
    if user is None or not user.is_active or not user.email:
        security_event("password.reset_request", outcome="no-mail")
        return
    key = "reset:" + throttle.account_key(user.id, "")
    if throttle.store().incr(key, 3600) > current_app.config["PASSWORD_RESET_MAILS_PER_HOUR"]:
        security_event("password.reset_request", user=user.id, outcome="throttled")
        return
    send_soon(_message(user, make_token(user)), "password reset")
    security_event("password.reset_request", user=user.id, outcome="sent")


def _link(token: str) -> str:
    path = url_for("auth.reset_password", token=token)
    return (current_app.config["LMS_BASE_URL"] or request.url_root.rstrip("/")) + path


def _message(user: User, token: str) -> EmailMessage:
    config = current_app.config
    locale = user.locale if user.locale in config["LANGUAGES"] else config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        subject = _("Reset your password")
        body = _(
            "Dear %(name)s,\n\nsomeone (we hope you) asked to reset the password of your account "
            "on the training platform. Open this link within %(minutes)d minutes to choose a new "
            "password; it works once:\n\n%(url)s\n\nIf you did not ask for this, ignore this "
            "message: your password stays as it is.\n\nThis message was sent automatically; "
            "please do not reply to it.",
            name=user.name,
            minutes=config["PASSWORD_RESET_MINUTES"],
            url=_link(token),
        )
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = formataddr((user.name, user.email))
    message["Message-ID"] = make_msgid(domain="lms")
    message.set_content(body)
    return message


def set_new_password(user: User, password: str) -> None:
    """Set the password (which ends the token and every session of the account)."""
    user.set_password(password, service.hash_method())
    db.session.flush()
    security_event("password.reset_by_mail", user=user.id)
