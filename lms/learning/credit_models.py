"""学时 rules set by organizers in the browser, per course or per cohort.

They override the course file's ``credit_rule`` (which a reload of the files rewrites), so
they live in their own table: one row per course (``cohort_id`` NULL) and one per cohort.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, text
from sqlalchemy.orm import Mapped, mapped_column

from lms.db import UTCDateTime, utcnow
from lms.extensions import db


class CreditRuleSetting(db.Model):
    __tablename__ = "credit_rule_settings"
    __table_args__ = (
        # a plain unique constraint would treat NULL cohorts as distinct
        Index(
            "uq_credit_rule_course",
            "course_id",
            unique=True,
            sqlite_where=text("cohort_id IS NULL"),
            postgresql_where=text("cohort_id IS NULL"),
        ),
        Index("uq_credit_rule_cohort", "cohort_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    #: the fields set here (the others come from the course, the course file or the defaults)
    rule: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
