"""Survey forms and their items."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Date,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import UTCDateTime, str_enum, utcnow
from lms.extensions import db
from lms.versioning import VersionedMixin, VersionRowMixin


class SurveyKind(enum.StrEnum):
    NEEDS = "needs"
    FEEDBACK = "feedback"
    MODULE_FEEDBACK = "module_feedback"
    FOLLOW_UP = "follow_up"


class ItemType(enum.StrEnum):
    LIKERT = "likert"
    SINGLE = "single"
    MULTIPLE = "multiple"
    RATING10 = "rating10"
    MATRIX = "matrix"
    NUMBER = "number"
    TEXT = "text"


class Survey(VersionedMixin, db.Model):
    __tablename__ = "surveys"
    __table_args__ = (UniqueConstraint("course_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[SurveyKind] = mapped_column(str_enum(SurveyKind))
    title: Mapped[str] = mapped_column(String(200))
    intro: Mapped[str] = mapped_column(Text, default="")
    is_anonymous: Mapped[bool] = mapped_column(default=False)
    allow_edit: Mapped[bool] = mapped_column(default=False)
    settings: Mapped[dict] = mapped_column(JSON, default=dict)  #: e.g. due_days_after_completion

    items: Mapped[list[SurveyItem]] = relationship(
        back_populates="survey", order_by="SurveyItem.position", lazy="raise_on_sql"
    )

    def __repr__(self) -> str:
        return f"<Survey {self.key}>"


class SurveyItem(VersionedMixin, db.Model):
    __tablename__ = "survey_items"
    __table_args__ = (UniqueConstraint("survey_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(default=0)
    section: Mapped[str] = mapped_column(String(200), default="")
    itype: Mapped[ItemType] = mapped_column(str_enum(ItemType))
    prompt: Mapped[str] = mapped_column(Text)
    is_required: Mapped[bool] = mapped_column(default=True)
    #: options, matrix rows, likert labels, number bounds, as in the survey file
    spec: Mapped[dict] = mapped_column(JSON, default=dict)
    module_id: Mapped[int | None] = mapped_column(ForeignKey("modules.id"), index=True)
    measure: Mapped[str | None] = mapped_column(String(16))  #: needs items: need or confidence

    survey: Mapped[Survey] = relationship(back_populates="items")

    def __repr__(self) -> str:
        return f"<SurveyItem {self.key} v{self.version}>"


class SurveyItemVersion(VersionRowMixin, db.Model):
    __tablename__ = "survey_item_versions"
    __table_args__ = (UniqueConstraint("item_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("survey_items.id"), index=True)
    version: Mapped[int] = mapped_column()


def _one_per_scope(table: str) -> tuple:
    """Unique (survey, cohort, user, module), and unique (survey, cohort, user) when the
    response is for the whole course (module_id NULL, which a plain unique constraint would
    treat as always distinct). Anonymous rows (user_id NULL) are never constrained here."""
    return (
        UniqueConstraint("survey_id", "cohort_id", "user_id", "module_id"),
        Index(
            f"uq_{table}_whole_course",
            "survey_id",
            "cohort_id",
            "user_id",
            unique=True,
            sqlite_where=text("module_id IS NULL"),
            postgresql_where=text("module_id IS NULL"),
        ),
    )


class SurveyResponse(db.Model):
    """One submitted form.

    For an anonymous survey ``user_id`` is None and ``submitted_on`` holds only the day: the
    fact that a trainee answered lives in ``survey_participations``, apart from the answers.
    Named surveys are unique per (survey, cohort, user, module). ``module_id`` is set only for
    the module-feedback survey, which is answered once per module.

    Ids (here, in ``survey_answers`` and ``survey_participations``) are drawn at random by
    ``lms.surveys.ids``, not from a sequence: id order says nothing about submission order,
    so an anonymous response cannot be matched to a participation by rank.
    """

    __tablename__ = "survey_responses"
    __table_args__ = _one_per_scope("survey_responses")

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), index=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    #: module feedback only: the module rated (None for every other survey)
    module_id: Mapped[int | None] = mapped_column(ForeignKey("modules.id"), index=True)
    survey_version: Mapped[int] = mapped_column(default=1)
    submitted_on: Mapped[date] = mapped_column(Date)  #: the local day, never a time
    #: named surveys only (None for anonymous ones): exact times for "edited at" and reports
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    answers: Mapped[list[SurveyAnswer]] = relationship(cascade="all, delete-orphan", lazy="raise_on_sql")

    def __repr__(self) -> str:
        return f"<SurveyResponse {self.id}>"


class SurveyAnswer(db.Model):
    """One answer: a number (likert, rating, number, a chosen option's index, a matrix row's
    rating) and/or text. A multiple-choice item gives one row per chosen option; a matrix one
    row per rated row (``row_key``).

    Single and multiple choice: ``value_num`` is the option's 0-based index in the item's
    ``spec["options"]`` and ``value_text`` the option's text as shown. Likert and matrix: 1-5;
    rating10: 0-10; number: the number; text: ``value_text`` only."""

    __tablename__ = "survey_answers"
    __table_args__ = (Index("ix_survey_answers_item_value", "item_id", "value_num"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_responses.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("survey_items.id"), index=True)
    item_version: Mapped[int] = mapped_column(default=1)
    row_key: Mapped[str] = mapped_column(String(64), default="")
    value_num: Mapped[float | None] = mapped_column(Float)
    value_text: Mapped[str | None] = mapped_column(Text)


class SurveyParticipation(db.Model):
    """That a trainee has answered a survey in a cohort: kept apart from the answers so an
    anonymous survey can refuse a second submission without linking the answers to anyone.

    Written for named surveys too, so "has answered" is one query for every survey. It holds
    no time at all (not even the day): a day here would match the response's day."""

    __tablename__ = "survey_participations"
    __table_args__ = _one_per_scope("survey_participations")

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), index=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: module feedback only: the module rated
    module_id: Mapped[int | None] = mapped_column(ForeignKey("modules.id"), index=True)

    def __repr__(self) -> str:
        return f"<SurveyParticipation {self.survey_id}:{self.cohort_id}:{self.user_id}>"


class SurveyWindow(db.Model):
    """When a survey is open in a cohort, set by an organizer. Without a row the defaults of
    ``lms.surveys.windows`` apply; a None bound here also means "the default"."""

    __tablename__ = "survey_windows"
    __table_args__ = (UniqueConstraint("cohort_id", "survey_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), index=True)
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<SurveyWindow {self.cohort_id}:{self.survey_id}>"


class SentReminder(db.Model):
    """A reminder e-mail sent (or being sent) to a trainee: one per (user, cohort, survey,
    kind), so ``flask lms send-reminders`` can run every day without sending twice."""

    __tablename__ = "survey_reminders"
    __table_args__ = (UniqueConstraint("user_id", "cohort_id", "survey_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"))
    kind: Mapped[str] = mapped_column(String(32))  #: e.g. "follow_up_due"
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<SentReminder {self.kind} {self.user_id}>"
