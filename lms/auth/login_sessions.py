"""Server-side login sessions: one row per sign-in, checked on every request.

The signed cookie (Flask's session, or Flask-Login's remember cookie) only carries
``"<user id>:<account token>:<session token>"``. A request is signed in only while the row of
that session token exists, has not ended, is inside its absolute lifetime and has not been
idle too long; so ending the row (logout, "sign out everywhere", a password change) kills
every copy of the cookie, wherever it was copied to.

Rules (configurable, see ``config.py``):
- a browser session lasts at most ``SESSION_LIFETIME_HOURS`` (12) and ends after
  ``SESSION_IDLE_MINUTES`` (30) without a request; a trainee with an attempt in progress
  (the attempt page autosaves) gets ``SESSION_ATTEMPT_IDLE_MINUTES`` instead;
- a remembered device ("keep me signed in") lasts ``REMEMBER_DAYS`` (14) from the sign-in,
  with no idle limit inside that.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Boolean, ForeignKey, String, delete, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from lms.db import UTCDateTime, utcnow
from lms.extensions import db

#: how often a session's last-seen time is written (at most once a minute per session)
TOUCH_INTERVAL = timedelta(seconds=60)
#: ended and expired rows are kept this long (the profile lists none of them)
KEEP_ENDED = timedelta(days=7)

#: callables ``(user_id) -> bool``: True when the user is in the middle of something that
#: autosaves (an attempt) and may stay idle for ``SESSION_ATTEMPT_IDLE_MINUTES``.
busy_checks: list[Callable[[int], bool]] = []


class LoginSession(db.Model):
    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the session token: the table alone opens no session
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: the absolute end: sign-in + 12 hours, or + 14 days for a remembered device
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: a short description of the browser ("Chrome · Android"), for the profile's list
    device: Mapped[str] = mapped_column(String(64), default="")

    def __repr__(self) -> str:
        return f"<LoginSession {self.id} user={self.user_id}>"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _idle_limit() -> timedelta:
    return timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])


def start(user_id: int, remember: bool, user_agent: str = "", now: datetime | None = None) -> str:
    """Record a new session for ``user_id`` and return its token (for the cookie).

    Also deletes the user's rows that ended or expired more than a week ago.
    """
    now = now or utcnow()
    config = current_app.config
    lifetime = (
        timedelta(days=config["REMEMBER_DAYS"]) if remember else timedelta(hours=config["SESSION_LIFETIME_HOURS"])
    )
    token = secrets.token_urlsafe(24)
    db.session.execute(
        delete(LoginSession).where(
            LoginSession.user_id == user_id,
            or_(LoginSession.ended_at < now - KEEP_ENDED, LoginSession.expires_at < now - KEEP_ENDED),
        )
    )
    db.session.add(
        LoginSession(
            user_id=user_id,
            token_hash=hash_token(token),
            remember=remember,
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime,
            device=describe_device(user_agent),
        )
    )
    db.session.flush()
    return token


@dataclass
class Check:
    """What :func:`check` found: the live row, or why there is none."""

    row: LoginSession | None
    expired: bool = False  # True when the session existed but timed out (not ended by hand)


def check(user_id: int, token: str, now: datetime | None = None) -> Check:
    """The live session of ``user_id`` with ``token``, or why it is not live."""
    now = now or utcnow()
    row = db.session.scalar(select(LoginSession).where(LoginSession.token_hash == hash_token(token)))
    if row is None or row.user_id != user_id or row.ended_at is not None:
        return Check(None)
    if now >= row.expires_at:
        return Check(None, expired=True)
    if not row.remember and now - row.last_seen_at > _idle_limit():
        longer = timedelta(minutes=current_app.config["SESSION_ATTEMPT_IDLE_MINUTES"])
        if now - row.last_seen_at > longer or not any(busy(user_id) for busy in busy_checks):
            return Check(None, expired=True)
    return Check(row)


def needs_touch(row: LoginSession, now: datetime | None = None) -> bool:
    return (now or utcnow()) - row.last_seen_at >= TOUCH_INTERVAL


def touch(session_id: int, now: datetime | None = None) -> None:
    """Move the session's last-seen time forward (the idle clock restarts)."""
    now = now or utcnow()
    db.session.execute(
        update(LoginSession)
        .where(LoginSession.id == session_id, LoginSession.ended_at.is_(None), LoginSession.last_seen_at < now)
        .values(last_seen_at=now)
    )


def end(user_id: int, session_id: int, now: datetime | None = None) -> bool:
    """End one session of ``user_id``; False when it is not theirs or already ended."""
    result = db.session.execute(
        update(LoginSession)
        .where(LoginSession.id == session_id, LoginSession.user_id == user_id, LoginSession.ended_at.is_(None))
        .values(ended_at=now or utcnow())
    )
    return result.rowcount > 0


def end_all(user_id: int, except_id: int | None = None, now: datetime | None = None) -> int:
    """End every session of ``user_id`` (but ``except_id``); returns how many were live."""
    query = update(LoginSession).where(LoginSession.user_id == user_id, LoginSession.ended_at.is_(None))
    if except_id is not None:
        query = query.where(LoginSession.id != except_id)
    return db.session.execute(query.values(ended_at=now or utcnow())).rowcount


def active_sessions(user_id: int, now: datetime | None = None) -> list[LoginSession]:
    """The user's sessions that are still live, newest first (for the profile page)."""
    now = now or utcnow()
    rows = db.session.scalars(
        select(LoginSession)
        .where(LoginSession.user_id == user_id, LoginSession.ended_at.is_(None), LoginSession.expires_at > now)
        .order_by(LoginSession.last_seen_at.desc(), LoginSession.id.desc())
    )
    idle = _idle_limit()
    # an idle browser session is dead for check(); do not list it (an attempt in progress may
    # still keep one alive, which the list shows the next time it is used)
    return [row for row in rows if row.remember or now - row.last_seen_at <= idle]


_BROWSERS = (
    ("MicroMessenger", "WeChat"),
    ("Edg/", "Edge"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


def describe_device(user_agent: str) -> str:
    """A short label for a User-Agent string ("Chrome · Android"); nothing else is stored."""
    user_agent = user_agent or ""
    browser = next((name for marker, name in _BROWSERS if marker in user_agent), "")
    system = next((name for marker, name in _SYSTEMS if marker in user_agent), "")
    label = " · ".join(part for part in (browser, system) if part)
    return label or re.sub(r"[^\w./ -]", "", user_agent)[:32]
