"""Account rules: registration, authentication, passwords, roles and activation.

Functions take plain data and an explicit acting user, add and flush, and never commit.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import cache

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from lms.audit.service import record
from lms.db import utcnow
from lms.extensions import db
from lms.logs import security_event

from .models import Role, User, UserRole, new_session_token
from .validators import looks_like_email, normalize_email, normalize_phone

MIN_PASSWORD_LENGTH = 8


def hash_method() -> str:
    """werkzeug's hash method: scrypt in production, a cheap one in tests (PASSWORD_HASH_METHOD)."""
    return current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")


@cache
def _dummy_hash(method: str) -> str:
    """A hash to check against when no account matches, so that costs as long as a wrong password."""
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


class AccountError(ValueError):
    """A rule about accounts was broken; ``field`` names the form field it belongs to."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass
class Profile:
    name: str
    phone: str | None = None
    email: str | None = None
    province: str = ""
    city: str = ""
    county: str = ""
    work_unit: str = ""
    position: str = ""


def find_user(identifier: str) -> User | None:
    """The account whose phone or e-mail is ``identifier`` (in any accepted spelling)."""
    if looks_like_email(identifier):
        email = normalize_email(identifier)
        return db.session.scalar(select(User).where(User.email == email)) if email else None
    phone = normalize_phone(identifier)
    return db.session.scalar(select(User).where(User.phone == phone)) if phone else None


def check_unique(phone: str | None, email: str | None, exclude: User | None = None) -> None:
    """:raises AccountError: when another account already uses the phone or the e-mail."""
    clauses = []
    if phone:
        clauses.append(User.phone == phone)
    if email:
        clauses.append(User.email == email)
    if not clauses:
        return
    query = select(User.phone, User.email).where(or_(*clauses))
    if exclude is not None:
        query = query.where(User.id != exclude.id)
    for other_phone, other_email in db.session.execute(query):
        if phone and other_phone == phone:
            raise AccountError(_l("This mobile number is already registered."), "phone")
        if email and other_email == email:
            raise AccountError(_l("This e-mail address is already registered."), "email")


def create_user(profile: Profile, password: str, roles: set[Role] | None = None) -> User:
    """Create an account after checking that its phone and e-mail are free.

    :raises AccountError: when the phone or e-mail is taken, or neither is given.
    """
    if not profile.phone and not profile.email:
        raise AccountError(_l("Give a mobile number or an e-mail address."), "phone")
    check_unique(profile.phone, profile.email)
    user = User(**vars(profile))
    user.set_password(password, hash_method())
    user.set_roles(roles or {Role.TRAINEE})
    _flush_unique(user)
    return user


def _flush_unique(user: User) -> None:
    """Flush ``user`` in a savepoint; a phone or e-mail taken meanwhile becomes an AccountError.

    ``check_unique`` runs first, but on PostgreSQL two registrations of one phone can both pass
    it before either commits; the unique constraint then decides, and the loser is told why.
    """
    try:
        with db.session.begin_nested():
            db.session.add(user)
            db.session.flush()
    except IntegrityError as error:
        if "email" in str(error.orig).lower():
            raise AccountError(_l("This e-mail address is already registered."), "email") from None
        raise AccountError(_l("This mobile number is already registered."), "phone") from None


def update_profile(user: User, profile: Profile) -> None:
    """:raises AccountError: when the new phone or e-mail belongs to another account."""
    if not profile.phone and not profile.email:
        raise AccountError(_l("Give a mobile number or an e-mail address."), "phone")
    check_unique(profile.phone, profile.email, exclude=user)
    for field, value in vars(profile).items():
        setattr(user, field, value)
    _flush_unique(user)


def authenticate(identifier: str, password: str) -> User | None:
    """The active account matching ``identifier`` and ``password``, else None."""
    return check_login(find_user(identifier), password)


def check_login(user: User | None, password: str) -> User | None:
    """``user`` when it is active and ``password`` is its password, else None (same cost)."""
    if user is None:
        check_password_hash(_dummy_hash(hash_method()), password)
        security_event("login.failure", user=None, reason="no_account")
        return None
    if not user.check_password(password):
        security_event("login.failure", user=user.id, reason="password")
        return None
    if not user.is_active:
        security_event("login.failure", user=user.id, reason="inactive")
        return None
    return user


def record_login(user: User) -> None:
    user.last_login_at = utcnow()
    db.session.flush()
    security_event("login.success", user=user.id)


def change_password(user: User, current: str, new: str) -> None:
    """:raises AccountError: when ``current`` is not the user's password."""
    if not user.check_password(current):
        raise AccountError(_l("The current password is not correct."), "current_password")
    user.set_password(new, hash_method())  # a new session token signs out other devices
    db.session.flush()
    security_event("password.change", user=user.id)


def sign_out_everywhere(user: User) -> None:
    """A new account token: every session and remembered device of ``user`` stops."""
    user.session_token = new_session_token()
    db.session.flush()


def reset_password(actor: User, user: User) -> str:
    """Give ``user`` a new random password and return it, to hand over once."""
    password = secrets.token_urlsafe(9)
    user.set_password(password, hash_method())
    record(actor, "user.reset_password", user)
    security_event("password.reset", actor=actor.id, user=user.id)
    return password


def set_active(actor: User, user: User, active: bool) -> None:
    """Activate or deactivate an account; a deactivated account's sessions stop at once."""
    if user.id == actor.id and not active:
        raise AccountError(_l("You cannot deactivate your own account."))
    user.is_active_account = active
    if not active:
        user.session_token = new_session_token()
    record(actor, "user.activate" if active else "user.deactivate", user)
    security_event("user.activate" if active else "user.deactivate", actor=actor.id, user=user.id)


def set_roles(actor: User, user: User, roles: set[Role]) -> None:
    """:raises AccountError: when an organizer would remove their own organizer role."""
    if user.id == actor.id and Role.ORGANIZER not in roles:
        raise AccountError(_l("You cannot remove your own organizer role."))
    before = sorted(user.roles)
    user.set_roles(roles)
    db.session.flush()
    record(actor, "user.set_roles", user, before=before, after=sorted(roles))
    security_event("role.change", actor=actor.id, user=user.id, before=before, after=sorted(roles))


def search_users(text: str = "", role: Role | None = None):
    """A select() of users matching ``text`` in name, phone, e-mail or work unit."""
    query = select(User).order_by(User.id.desc())
    text = text.strip()
    if text:
        pattern = f"%{text.lower()}%"
        query = query.where(
            or_(
                func.lower(User.name).like(pattern),
                User.phone.like(pattern),
                User.email.like(pattern),
                func.lower(User.work_unit).like(pattern),
            )
        )
    if role is not None:
        query = query.where(User.role_rows.any(UserRole.role == role))
    return query
