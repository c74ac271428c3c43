"""A trainee's progress through lessons: seen, active time, where they left off, completed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lms.db import UTCDateTime, utcnow
from lms.extensions import db


class LessonProgress(db.Model):
    """One row per (trainee, lesson). ``course_id`` is copied from the lesson so that course
    and cohort reports aggregate without joining through lessons and modules."""

    __tablename__ = "lesson_progress"
    __table_args__ = (
        UniqueConstraint("user_id", "lesson_id"),
        Index("ix_lesson_progress_course_user", "course_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"))
    #: the lesson version last shown to the trainee (and, once done, the one completed)
    lesson_version: Mapped[int] = mapped_column(default=1)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: visible, active time on the page, summed from heartbeats
    active_seconds: Mapped[int] = mapped_column(default=0)
    #: the last heading the trainee reached (resume where they left off)
    position: Mapped[str] = mapped_column(String(64), default="")
    #: the last heartbeat's sequence per page view, to ignore replays: "<view id>:<seq>"
    last_beat: Mapped[str] = mapped_column(String(64), default="")

    def __repr__(self) -> str:
        return f"<LessonProgress user={self.user_id} lesson={self.lesson_id}>"
