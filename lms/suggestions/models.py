"""Suggestions and the organizers' replies."""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.auth.models import User
from lms.db import UTCDateTime, str_enum, utcnow
from lms.extensions import db


class SuggestionStatus(enum.StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    ACTED_ON = "acted_on"
    CLOSED = "closed"


STATUS_LABELS = {
    SuggestionStatus.NEW: _l("New"),
    SuggestionStatus.ACKNOWLEDGED: _l("Acknowledged"),
    SuggestionStatus.ACTED_ON: _l("Acted on"),
    SuggestionStatus.CLOSED: _l("Closed"),
}


class Suggestion(db.Model):
    """One suggestion. An anonymous one stores no author and only the day it was made (no
    time), and its id is random (``lms.surveys.ids``), so nothing orders it among named ones."""

    __tablename__ = "suggestions"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: None for an anonymous suggestion
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    is_anonymous: Mapped[bool] = mapped_column(default=False)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id"), index=True)
    module_id: Mapped[int | None] = mapped_column(ForeignKey("modules.id"))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[SuggestionStatus] = mapped_column(
        str_enum(SuggestionStatus), default=SuggestionStatus.NEW, index=True
    )
    created_on: Mapped[date] = mapped_column(Date, index=True)  #: the local day
    #: named suggestions only: the exact time (None for anonymous ones)
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  #: last triage or reply

    author: Mapped[User | None] = relationship()
    replies: Mapped[list[SuggestionReply]] = relationship(
        back_populates="suggestion",
        order_by="SuggestionReply.created_at",
        lazy="raise_on_sql",
        cascade="all, delete-orphan",
    )

    def __repr__(self) -> str:
        return f"<Suggestion {self.id}>"


class SuggestionReply(db.Model):
    """An organizer's reply: shown to a named author on their "my suggestions" page."""

    __tablename__ = "suggestion_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(ForeignKey("suggestions.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    suggestion: Mapped[Suggestion] = relationship(back_populates="replies")
    author: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<SuggestionReply {self.id}>"
