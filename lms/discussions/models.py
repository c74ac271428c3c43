"""Discussion posts. A thread is (cohort, module, lesson or none); replies are one level deep."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.auth.models import User
from lms.db import UTCDateTime, utcnow
from lms.extensions import db


class Post(db.Model):
    __tablename__ = "discussion_posts"
    __table_args__ = (Index("ix_discussion_posts_thread", "cohort_id", "module_id", "lesson_id", "parent_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"))
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"))
    #: None for the module's own thread
    lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lessons.id"))
    #: the post replied to (always a top-level post)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("discussion_posts.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    body_markdown: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)  #: rendered and sanitised once, when posted
    is_pinned: Mapped[bool] = mapped_column(default=False)
    is_hidden: Mapped[bool] = mapped_column(default=False)
    #: the author wrote as a trainer or organizer of the cohort (shown as 讲师答疑)
    is_staff_answer: Mapped[bool] = mapped_column(default=False)
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship(foreign_keys=[author_id], lazy="raise_on_sql")

    def __repr__(self) -> str:
        return f"<Post {self.id} thread={self.cohort_id}/{self.module_id}/{self.lesson_id}>"
