"""User accounts and their roles."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import ClassVar

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from lms.db import UTCDateTime, str_enum, utcnow
from lms.extensions import db


class Role(enum.StrEnum):
    TRAINEE = "trainee"
    TRAINER = "trainer"
    ORGANIZER = "organizer"


def new_session_token() -> str:
    return secrets.token_urlsafe(16)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))  #: real name (姓名), printed on certificates
    #: mainland mobile number, digits only; unique when present
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    #: lower-cased e-mail address; unique when present
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    province: Mapped[str] = mapped_column(String(32), default="")
    city: Mapped[str] = mapped_column(String(32), default="")
    county: Mapped[str] = mapped_column(String(32), default="")
    work_unit: Mapped[str] = mapped_column(String(128), default="")  #: 工作单位
    position: Mapped[str] = mapped_column(String(64), default="")  #: 职务
    locale: Mapped[str | None] = mapped_column(String(8))  #: preferred interface language
    is_active_account: Mapped[bool] = mapped_column(default=True)
    #: part of the login session's id: changing it signs the user out everywhere
    session_token: Mapped[str] = mapped_column(String(32), default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    def __repr__(self) -> str:
        return f"<User {self.id}>"

    #: the token of the login session this object was loaded for (see auth.login_sessions)
    login_token: ClassVar[str] = ""  # set per instance; not a column
    login_session_id: ClassVar[int | None] = None

    # Flask-Login: the session stores "id:account token:session token"; a new account token
    # ends every session of the user, an ended login session ends that one.
    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}:{self.login_token}"

    @property
    def is_active(self) -> bool:
        return self.is_active_account

    @property
    def roles(self) -> set[Role]:
        return {row.role for row in self.role_rows}

    def has_role(self, *roles: Role | str) -> bool:
        held = {row.role.value for row in self.role_rows}
        return any(str(role) in held for role in roles)

    def set_roles(self, roles: set[Role]) -> None:
        keep = [row for row in self.role_rows if row.role in roles]
        have = {row.role for row in keep}
        self.role_rows = keep + [UserRole(role=r) for r in sorted(roles - have)]

    def set_password(self, password: str, method: str = "scrypt") -> None:
        self.password_hash = generate_password_hash(password, method=method)
        self.session_token = new_session_token()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def region(self) -> str:
        return " ".join(part for part in (self.province, self.city, self.county) if part)


class UserRole(db.Model):
    __tablename__ = "user_roles"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(str_enum(Role))

    user: Mapped[User] = relationship(back_populates="role_rows")

    def __repr__(self) -> str:
        return f"<UserRole {self.user_id} {self.role}>"


ROLE_LABELS = {
    Role.TRAINEE: _l("Trainee"),
    Role.TRAINER: _l("Trainer"),
    Role.ORGANIZER: _l("Organizer"),
}
