"""Cohorts and their members."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Column, Date, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.auth.models import User
from lms.db import UTCDateTime, str_enum, utcnow
from lms.extensions import db
from lms.learning.models import Course

cohort_trainers = Table(
    "cohort_trainers",
    db.metadata,
    Column("cohort_id", ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class EnrolmentStatus(enum.StrEnum):
    ACTIVE = "active"
    REMOVED = "removed"  #: kept so the trainee's records still name the cohort


class Cohort(db.Model):
    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    #: the last day a trainee may join with the code or link
    enrol_until: Mapped[date] = mapped_column(Date)
    capacity: Mapped[int | None] = mapped_column()  #: None means no limit
    #: 报名码: short, typed by hand, unique; guessing is rate-limited
    enrol_code: Mapped[str] = mapped_column(String(16), unique=True)
    #: the invite link's token: long and random, so links cannot be guessed
    invite_token: Mapped[str] = mapped_column(String(43), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the course structure its trainees are measured against; NULL until the course's
    #: structure changes after the cohort started (it then follows the current rows)
    structure_id: Mapped[int | None] = mapped_column(ForeignKey("course_structures.id"))

    course: Mapped[Course] = relationship(lazy="joined")
    trainers: Mapped[list[User]] = relationship(secondary=cohort_trainers, lazy="selectin")

    def __repr__(self) -> str:
        return f"<Cohort {self.id}>"


class Enrolment(db.Model):
    __tablename__ = "enrolments"
    __table_args__ = (UniqueConstraint("cohort_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[EnrolmentStatus] = mapped_column(str_enum(EnrolmentStatus), default=EnrolmentStatus.ACTIVE)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: {module id (text): structure id} for modules the trainee had finished when the cohort
    #: moved to a newer structure: finished modules stay finished as they were taken
    module_pins: Mapped[dict] = mapped_column(JSON, default=dict)

    cohort: Mapped[Cohort] = relationship()
    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<Enrolment {self.cohort_id}:{self.user_id}>"
