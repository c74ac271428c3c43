"""Course structure: courses, modules (专题), lessons (小节) and the glossary."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import UTCDateTime, str_enum, utcnow
from lms.extensions import db
from lms.versioning import VersionedMixin, VersionRowMixin


class LessonKind(enum.StrEnum):
    READING = "reading"
    CASE = "case"
    DISCUSSION = "discussion"


class Course(db.Model):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    code: Mapped[str] = mapped_column(String(8))  #: used in 证书编号
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    objectives: Mapped[list] = mapped_column(JSON, default=list)
    credit_hours: Mapped[float] = mapped_column(Float, default=0)  #: total 学时
    #: completion mode, certificate rules and quiz defaults, as in course.yaml
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    is_retired: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    modules: Mapped[list[Module]] = relationship(
        back_populates="course", order_by="Module.position", lazy="raise_on_sql"
    )

    def __repr__(self) -> str:
        return f"<Course {self.key}>"


class Module(VersionedMixin, db.Model):
    __tablename__ = "modules"
    __table_args__ = (UniqueConstraint("course_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    objectives: Mapped[list] = mapped_column(JSON, default=list)
    credit_hours: Mapped[float] = mapped_column(Float, default=0)
    #: module keys, or "pre-test", that must be done before this module opens
    prerequisites: Mapped[list] = mapped_column(JSON, default=list)

    course: Mapped[Course] = relationship(back_populates="modules")
    lessons: Mapped[list[Lesson]] = relationship(
        back_populates="module", order_by="Lesson.position", lazy="raise_on_sql"
    )

    def __repr__(self) -> str:
        return f"<Module {self.key} v{self.version}>"


class ModuleVersion(VersionRowMixin, db.Model):
    __tablename__ = "module_versions"
    __table_args__ = (UniqueConstraint("module_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"), index=True)
    version: Mapped[int] = mapped_column()


class Lesson(VersionedMixin, db.Model):
    __tablename__ = "lessons"
    __table_args__ = (UniqueConstraint("course_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[LessonKind] = mapped_column(str_enum(LessonKind), default=LessonKind.READING)
    minutes: Mapped[int] = mapped_column(default=0)  #: estimated minutes
    body_markdown: Mapped[str] = mapped_column(Text, default="")
    #: sanitised HTML rendered once when the content is loaded or saved
    body_html: Mapped[str] = mapped_column(Text, default="")
    toc: Mapped[list] = mapped_column(JSON, default=list)  #: [{"level", "id", "text"}]
    search_text: Mapped[str] = mapped_column(Text, default="")  #: plain text for search

    module: Mapped[Module] = relationship(back_populates="lessons")

    def __repr__(self) -> str:
        return f"<Lesson {self.key} v{self.version}>"


class LessonVersion(VersionRowMixin, db.Model):
    __tablename__ = "lesson_versions"
    __table_args__ = (UniqueConstraint("lesson_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id"), index=True)
    version: Mapped[int] = mapped_column()


class GlossaryTerm(db.Model):
    __tablename__ = "glossary_terms"
    __table_args__ = (UniqueConstraint("course_id", "term"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    term: Mapped[str] = mapped_column(String(64))
    definition: Mapped[str] = mapped_column(Text)
    lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lessons.id"))
    position: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<GlossaryTerm {self.term}>"


class CourseStructure(db.Model):
    """One version of which lessons, module quiz and 学时 make each module of a course.

    A cohort is measured against the structure it was pinned to when it started
    (``Cohort.structure_id``; NULL while it has not started: it follows the current rows).
    Structure rows are never changed, so finished records keep meaning what they meant.
    """

    __tablename__ = "course_structures"
    __table_args__ = (UniqueConstraint("course_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    number: Mapped[int] = mapped_column()  #: 1, 2, ... per course
    source: Mapped[str] = mapped_column(String(16), default="files")  #: files or editor
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    def __repr__(self) -> str:
        return f"<CourseStructure {self.course_id}#{self.number}>"


class StructureModule(db.Model):
    """A module as one structure has it: its version, hours, prerequisites and quiz."""

    __tablename__ = "structure_modules"
    __table_args__ = (UniqueConstraint("structure_id", "module_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("course_structures.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"))
    module_version: Mapped[int] = mapped_column()
    position: Mapped[int] = mapped_column(default=0)
    credit_hours: Mapped[float] = mapped_column(Float, default=0)
    prerequisites: Mapped[list] = mapped_column(JSON, default=list)
    quiz_id: Mapped[int | None] = mapped_column(ForeignKey("quizzes.id"))


class StructureLesson(db.Model):
    """A lesson a trainee must complete for a module in one structure."""

    __tablename__ = "structure_lessons"
    __table_args__ = (UniqueConstraint("structure_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("course_structures.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"))
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id"))
    position: Mapped[int] = mapped_column(default=0)
