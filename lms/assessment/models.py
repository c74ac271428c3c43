"""The question bank and quizzes."""
from __future__ import annotations

import enum

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import str_enum
from lms.extensions import db
from lms.versioning import VersionedMixin, VersionRowMixin


class QuestionType(enum.StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    TRUE_FALSE = "true_false"
    FILL_BLANK = "fill_blank"
    SHORT_ANSWER = "short_answer"


class Difficulty(enum.StrEnum):
    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"


class QuizKind(enum.StrEnum):
    PRE_TEST = "pre_test"
    MODULE_QUIZ = "module_quiz"
    POST_TEST = "post_test"
    FINAL_EXAM = "final_exam"


class Question(VersionedMixin, db.Model):
    __tablename__ = "questions"
    __table_args__ = (UniqueConstraint("course_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"), index=True)
    lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lessons.id"))
    key: Mapped[str] = mapped_column(String(64))
    qtype: Mapped[QuestionType] = mapped_column(str_enum(QuestionType))
    stem: Mapped[str] = mapped_column(Text)
    options: Mapped[list] = mapped_column(JSON, default=list)  #: option texts, A first
    #: letter(s), true/false, accepted answers or a reference answer, by type
    answer: Mapped[object] = mapped_column(JSON)
    explanation: Mapped[str] = mapped_column(Text, default="")
    difficulty: Mapped[Difficulty] = mapped_column(str_enum(Difficulty), default=Difficulty.MEDIUM)
    tags: Mapped[list] = mapped_column(JSON, default=list)

    def __repr__(self) -> str:
        return f"<Question {self.key} v{self.version}>"


class QuestionVersion(VersionRowMixin, db.Model):
    __tablename__ = "question_versions"
    __table_args__ = (UniqueConstraint("question_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), index=True)
    version: Mapped[int] = mapped_column()


class Quiz(VersionedMixin, db.Model):
    __tablename__ = "quizzes"
    __table_args__ = (UniqueConstraint("course_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    module_id: Mapped[int | None] = mapped_column(ForeignKey("modules.id"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[QuizKind] = mapped_column(str_enum(QuizKind))
    title: Mapped[str] = mapped_column(String(200))
    #: time limit, attempts, pass mark, shuffling, review, draw rules, parallel_to
    settings: Mapped[dict] = mapped_column(JSON, default=dict)

    items: Mapped[list[QuizItem]] = relationship(
        order_by="QuizItem.position", cascade="all, delete-orphan", lazy="raise_on_sql"
    )

    def __repr__(self) -> str:
        return f"<Quiz {self.key}>"


class QuizItem(db.Model):
    """A question on a quiz's fixed list (quizzes that draw at random have none)."""

    __tablename__ = "quiz_items"
    __table_args__ = (UniqueConstraint("quiz_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
