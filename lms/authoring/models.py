"""Who may edit a course, and the drafts of modules and lessons not yet shown to trainees.

The ``modules`` and ``lessons`` rows hold the published content trainees see; a draft lives
here until it is published, when the row (and a new ``*_versions`` row) is written. So a new
lesson is invisible to trainees until it is published.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lms.db import UTCDateTime, str_enum, utcnow
from lms.extensions import db


class CourseAuthor(db.Model):
    """A trainer assigned to write a course's content (organizers may edit every course)."""

    __tablename__ = "course_authors"

    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<CourseAuthor course={self.course_id} user={self.user_id}>"


class DraftKind(enum.StrEnum):
    LESSON = "lesson"
    MODULE = "module"


class ContentDraft(db.Model):
    """An unpublished change to a lesson or module, or a new one.

    One draft per published item (the unique constraint; new items have no target yet).
    ``revision`` grows with every save: a save names the revision it was made from and only
    succeeds if the draft is still at it, so two trainers never overwrite each other silently.
    """

    __tablename__ = "content_drafts"
    __table_args__ = (UniqueConstraint("target_kind", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    target_kind: Mapped[DraftKind] = mapped_column(str_enum(DraftKind, length=16))
    #: the published lesson or module this draft changes; None for a new one
    target_id: Mapped[int | None] = mapped_column()
    #: new lessons: the published module they will be added to
    module_id: Mapped[int | None] = mapped_column(ForeignKey("modules.id"), index=True)
    #: new lessons of a new module: the module's draft (published together with it)
    parent_draft_id: Mapped[int | None] = mapped_column(ForeignKey("content_drafts.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200), default="")
    body_markdown: Mapped[str] = mapped_column(Text, default="")
    #: lessons: kind, minutes; modules: summary, objectives, credit_hours, prerequisites
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    #: the version of the published item the draft was started from (0 for a new item)
    base_version: Mapped[int] = mapped_column(default=0)
    revision: Mapped[int] = mapped_column(default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_new(self) -> bool:
        return self.target_id is None

    def __repr__(self) -> str:
        return f"<ContentDraft {self.id} {self.target_kind} {self.key} r{self.revision}>"
