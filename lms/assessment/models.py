"""The question bank and quizzes."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import UTCDateTime, str_enum, utcnow
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


class QuestionStatus(enum.StrEnum):
    """As Moodle 4's question status: only ready questions are drawn into attempts."""

    DRAFT = "draft"  #: written in the browser or imported, not checked yet
    READY = "ready"


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
    #: not content (no new version): course-file questions are ready, new ones drafts
    status: Mapped[QuestionStatus] = mapped_column(str_enum(QuestionStatus), default=QuestionStatus.READY)

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
    #: made in the browser and not published yet: only its authors see it (``Quiz.live``)
    is_draft: Mapped[bool] = mapped_column(default=False, server_default=false())

    items: Mapped[list[QuizItem]] = relationship(
        order_by="QuizItem.position", cascade="all, delete-orphan", lazy="raise_on_sql"
    )

    @classmethod
    def live(cls):
        """The condition for a quiz trainees may see and take: published and not retired."""
        return cls.is_retired.is_(False) & cls.is_draft.is_(False)

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


class AttemptState(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    #: finished, with short answers waiting for a trainer
    AWAITING_GRADING = "awaiting_grading"
    GRADED = "graded"


class Attempt(db.Model):
    """One trainee's try at a quiz, created on the server with its deadline and its questions.

    ``number`` counts a trainee's attempts at a quiz; the unique constraint on
    (quiz, user, number) is what makes parallel starts with a one-attempt limit create one.
    """

    __tablename__ = "attempts"
    __table_args__ = (UniqueConstraint("quiz_id", "user_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: the cohort the trainee took it in (reports group by it); null for staff previews
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id"), index=True)
    number: Mapped[int] = mapped_column(default=1)
    quiz_version: Mapped[int] = mapped_column(default=1)
    state: Mapped[AttemptState] = mapped_column(str_enum(AttemptState), default=AttemptState.IN_PROGRESS, index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  #: None when untimed
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: "trainee" (finish button), "deadline" (closed on the server), "organizer"
    closed_by: Mapped[str | None] = mapped_column(String(16))
    #: the last accepted autosave's sequence number; a lower one comes from a stale tab
    save_seq: Mapped[int] = mapped_column(default=0)
    score: Mapped[float | None] = mapped_column(Float)  #: points earned
    max_score: Mapped[float] = mapped_column(Float, default=0)
    percent: Mapped[float | None] = mapped_column(Float)  #: 0-100
    passed: Mapped[bool | None] = mapped_column()
    #: set when a regrade changed the score, cleared when the trainee has seen it
    regraded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    items: Mapped[list[AttemptItem]] = relationship(
        order_by="AttemptItem.position", cascade="all, delete-orphan", lazy="raise_on_sql"
    )

    def __repr__(self) -> str:
        return f"<Attempt {self.id} quiz={self.quiz_id} user={self.user_id} #{self.number}>"


class AttemptItem(db.Model):
    """A question as drawn for one attempt, on the version it was answered on."""

    __tablename__ = "attempt_items"
    __table_args__ = (UniqueConstraint("attempt_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column()
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), index=True)
    question_version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id"))
    #: the version whose answer key graded the item when a regrade used a corrected key;
    #: None means the answered version (question_version_id) graded it
    graded_version_id: Mapped[int | None] = mapped_column(ForeignKey("question_versions.id"))
    #: the shown order of the options as indexes into the version's options (shuffling)
    option_order: Mapped[list] = mapped_column(JSON, default=list)
    points: Mapped[float] = mapped_column(Float, default=1)  #: the most this item can earn
    #: the trainee's answer in the version's terms (letters, true/false, text), None if blank
    response: Mapped[object | None] = mapped_column(JSON)
    score: Mapped[float | None] = mapped_column(Float)  #: None until graded
    is_correct: Mapped[bool | None] = mapped_column()
    graded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    graded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    grader_note: Mapped[str] = mapped_column(Text, default="")

    def __repr__(self) -> str:
        return f"<AttemptItem {self.attempt_id}:{self.position}>"
