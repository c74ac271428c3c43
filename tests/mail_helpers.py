"""A local SMTP server for tests that send e-mail (aiosmtpd), and reading what it got."""

from __future__ import annotations

import socket
import time
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    """Yields (port, received envelopes); the server keeps what it receives."""
    controller_module = pytest.importorskip("aiosmtpd.controller")

    class Sink:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(envelope)
            return "250 OK"

    sink = Sink()
    controller = controller_module.Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port, sink.messages
    controller.stop()


def wait_for_mail(messages: list, count: int = 1, seconds: float = 10) -> list[EmailMessage]:
    """The first ``count`` messages once they arrived (mail leaves from a background thread)."""
    deadline = time.monotonic() + seconds
    while len(messages) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(messages) >= count, f"{len(messages)} of {count} e-mails arrived"
    return [message_from_bytes(m.content, policy=policy.default) for m in messages[:count]]
