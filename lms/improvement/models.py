"""The improvement ledger (持续改进台账): findings, the actions taken on them, and the
content versions that carried each action out."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.auth.models import User
from lms.db import UTCDateTime, str_enum, utcnow
from lms.extensions import db


class FindingKind(enum.StrEnum):
    ITEM = "item"  #: a flagged question (ref: question id)
    MODULE = "module"  #: a low-rated or unhealthy module (ref: module id)
    NEED = "need"  #: a high-demand need (ref: module id)
    SUGGESTION = "suggestion"  #: a suggestion-box entry (ref: its id in lms.suggestions)
    COMMENT = "comment"  #: a feedback comment (ref: the survey answer id)
    OTHER = "other"


class TargetKind(enum.StrEnum):
    """What content the action changes; each has a ``*_versions`` table."""

    QUESTION = "question"
    LESSON = "lesson"
    MODULE = "module"


class ActionStatus(enum.StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DROPPED = "dropped"


class Measure(enum.StrEnum):
    """The figure the action is expected to move, compared before and after the change."""

    FACILITY = "facility"
    GAIN = "gain"
    SATISFACTION = "satisfaction"
    COMPLETION = "completion"


class ImprovementAction(db.Model):
    __tablename__ = "improvement_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    #: the cohort whose report showed the finding (None when recorded from elsewhere)
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id", ondelete="SET NULL"))
    finding_kind: Mapped[FindingKind] = mapped_column(str_enum(FindingKind))
    #: the finding's id in its own table (question, module, suggestion...), as text
    finding_ref: Mapped[str] = mapped_column(String(64), default="")
    finding_summary: Mapped[str] = mapped_column(Text)
    target_kind: Mapped[TargetKind | None] = mapped_column(str_enum(TargetKind))
    target_id: Mapped[int | None] = mapped_column()  #: id of the question, lesson or module
    planned_change: Mapped[str] = mapped_column(Text)
    expected_effect: Mapped[str] = mapped_column(Text, default="")
    measure: Mapped[Measure] = mapped_column(str_enum(Measure))
    status: Mapped[ActionStatus] = mapped_column(str_enum(ActionStatus), default=ActionStatus.PLANNED, index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id], lazy="selectin")
    links: Mapped[list[ActionVersionLink]] = relationship(
        back_populates="action",
        cascade="all, delete-orphan",
        order_by="ActionVersionLink.id",
        lazy="selectin",
    )

    def __repr__(self) -> str:
        return f"<ImprovementAction {self.id} {self.status}>"


class ActionVersionLink(db.Model):
    """A content version that carried out an action: a row of question_versions,
    lesson_versions or module_versions (by ``target_kind``)."""

    __tablename__ = "improvement_version_links"
    __table_args__ = (UniqueConstraint("action_id", "target_kind", "version_row_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("improvement_actions.id", ondelete="CASCADE"), index=True)
    target_kind: Mapped[TargetKind] = mapped_column(str_enum(TargetKind))
    version_row_id: Mapped[int] = mapped_column()
    #: "page" (linked on the action page), "editor" (chosen when saving content)
    source: Mapped[str] = mapped_column(String(16), default="page")
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    action: Mapped[ImprovementAction] = relationship(back_populates="links")

    def __repr__(self) -> str:
        return f"<ActionVersionLink {self.action_id} {self.target_kind}:{self.version_row_id}>"
