"""Outgoing e-mail over SMTP, from the ``MAIL_*`` settings (see ``config.py``)."""

from __future__ import annotations

import contextlib
import logging
import smtplib
import threading
from email.message import EmailMessage

from flask import Flask, current_app

log = logging.getLogger(__name__)


def mail_configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


class Mailer:
    """One SMTP connection for a run, opened on first use."""

    def __init__(self, config):
        self.config = config
        self.smtp: smtplib.SMTP | None = None

    def send(self, message: EmailMessage) -> None:
        if self.smtp is None:
            c = self.config
            cls = smtplib.SMTP_SSL if c["MAIL_USE_SSL"] else smtplib.SMTP
            self.smtp = cls(c["MAIL_SERVER"], c["MAIL_PORT"], timeout=30)
            if c["MAIL_USE_TLS"] and not c["MAIL_USE_SSL"]:
                self.smtp.starttls()
            if c["MAIL_USERNAME"]:
                self.smtp.login(c["MAIL_USERNAME"], c["MAIL_PASSWORD"] or "")
        self.smtp.send_message(message)

    def close(self) -> None:
        if self.smtp is not None:
            with contextlib.suppress(smtplib.SMTPException):
                self.smtp.quit()


def send_soon(message: EmailMessage, what: str) -> None:
    """Send ``message`` from a background thread, so that the response does not wait for (or
    reveal by its timing) the SMTP server. A failure is logged with ``what``, never the
    address; the person can ask again."""
    app: Flask = current_app._get_current_object()

    def run():
        mailer = Mailer(app.config)
        try:
            mailer.send(message)
        except (OSError, smtplib.SMTPException) as error:
            with app.app_context():
                app.logger.error("e-mail not sent (%s): %s", what, type(error).__name__)
        finally:
            mailer.close()

    threading.Thread(target=run, name=f"mail-{what}", daemon=True).start()
