"""Editing one question of the bank: every saved change is a new version at once.

The rules are the course format's (docs/course-format.md, "questions.yaml"), and the content
and its hash are made by :class:`lms.content.spec.QuestionSpec`, so a question saved here and
the same question loaded from files are one and the same version. A save names the version
the form showed; if someone saved in between, nothing is written (:class:`QuestionConflict`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from lms.assessment.models import (
    Difficulty,
    Question,
    QuestionStatus,
    QuestionType,
    QuestionVersion,
    Quiz,
)
from lms.audit.service import record
from lms.auth.models import User
from lms.content import question_rules as rules
from lms.content.characters import xml_safe, xml_safe_value
from lms.content.fields import KEY_PATTERN
from lms.content.publish import publish_version
from lms.content.spec import QuestionSpec
from lms.extensions import db
from lms.learning.models import Course, Lesson, Module
from lms.versioning import content_hash

from .service import AuthoringError

CHOICE_TYPES = rules.CHOICE_TYPES


@dataclass
class QuestionData:
    """A question as typed in the editor, with the answer already in its stored form."""

    qtype: str
    stem: str
    options: list[str] = field(default_factory=list)
    #: a letter, sorted letters, True/False, accepted texts or a reference text, by type
    answer: object = None
    explanation: str = ""
    lesson_key: str | None = None
    difficulty: str = "medium"
    tags: list[str] = field(default_factory=list)
    #: the question's status (not content: no new version); None keeps it
    ready: bool | None = None


class QuestionProblems(AuthoringError):
    """The question breaks a rule; ``problems`` maps a form field to its message."""

    def __init__(self, problems: dict[str, str]):
        super().__init__(" ".join(problems.values()))
        self.problems = problems


class QuestionConflict(AuthoringError):
    """Someone saved the question after the form was loaded."""

    def __init__(self, question: Question):
        super().__init__(
            _(
                "Someone else saved this question (now version %(v)d) while you were editing it.",
                v=question.version,
            )
        )
        self.question = question


def module_lessons(module: Module) -> list[Lesson]:
    return db.session.scalars(
        select(Lesson)
        .where(Lesson.module_id == module.id, Lesson.is_retired.is_(False))
        .order_by(Lesson.position, Lesson.id)
    ).all()


def lesson_key_of(question: Question) -> str | None:
    if question.lesson_id is None:
        return None
    return db.session.scalar(select(Lesson.key).where(Lesson.id == question.lesson_id))


def data_of(question: Question) -> QuestionData:
    return QuestionData(
        qtype=str(question.qtype),
        stem=question.stem,
        options=list(question.options or []),
        answer=question.answer,
        explanation=question.explanation or "",
        lesson_key=lesson_key_of(question),
        difficulty=str(question.difficulty),
        tags=list(question.tags or []),
        ready=question.status == QuestionStatus.READY,
    )


def question_problems(
    course: Course,
    module: Module,
    data: QuestionData,
    question: Question | None = None,
) -> dict[str, str]:
    """Every rule the question breaks, by form field (empty when it may be saved): the
    content's rules (:mod:`lms.content.question_rules`), then its lesson and the draws."""
    problems = rules.question_problems(data.qtype, data.stem, data.options, data.answer, data.difficulty, data.tags)
    if "qtype" in problems:
        return problems
    if data.lesson_key and data.lesson_key not in {ls.key for ls in module_lessons(module)}:
        problems["lesson"] = _("Choose a lesson of this question's module.")
    if "tags" not in problems and (message := _draw_problem(course, module, question, data.tags)):
        problems["tags"] = message
    return problems


def _draw_problem(
    course: Course,
    module: Module,
    question: Question | None,
    tags: list[str],
) -> str | None:
    """Whether the new tags leave every random draw of the course possible."""
    rows = db.session.execute(
        select(Question.id, Question.module_id, Question.tags).where(
            Question.course_id == course.id, Question.is_retired.is_(False)
        )
    ).all()
    qid = question.id if question is not None else None
    tag_sets = [(r.module_id, set(tags if r.id == qid else (r.tags or []))) for r in rows]
    if qid is None:
        tag_sets.append((module.id, set(tags)))
    used = set().union(*(t for _, t in tag_sets)) if tag_sets else set()
    quizzes = db.session.scalars(select(Quiz).where(Quiz.course_id == course.id, Quiz.is_retired.is_(False))).all()
    for quiz in quizzes:
        for rule in (quiz.settings or {}).get("draw") or []:
            excluded = set(rule.get("exclude_tags") or [])
            missing = sorted(excluded - used)
            if missing:
                return _(
                    "The quiz “%(quiz)s” leaves out questions tagged %(tag)s; keep that tag on at least one question.",
                    quiz=quiz.title,
                    tag=", ".join(missing),
                )
            if rule.get("module") != module.key:
                continue
            available = sum(1 for m, t in tag_sets if m == module.id and not t & excluded)
            if available < rule["count"]:
                return _(
                    "The quiz “%(quiz)s” draws %(n)d questions from this module; with "
                    "these tags only %(left)d would be left.",
                    quiz=quiz.title,
                    n=rule["count"],
                    left=available,
                )
    return None


def _spec(key: str, module: Module, data: QuestionData) -> QuestionSpec:
    return QuestionSpec(
        key,
        data.qtype,
        xml_safe(data.stem).strip(),
        xml_safe_value(list(data.options)),
        xml_safe_value(data.answer),
        xml_safe(data.explanation).strip(),
        data.lesson_key or None,
        data.difficulty,
        list(data.tags),
        module_key=module.key,
    )


def _write(actor: User, question: Question, module: Module, spec: QuestionSpec, digest: str):
    lesson_id = None
    if spec.lesson_key:
        lesson_id = db.session.scalar(
            select(Lesson.id).where(Lesson.module_id == module.id, Lesson.key == spec.lesson_key)
        )
    question.qtype, question.stem = QuestionType(spec.qtype), spec.stem
    question.options, question.answer = spec.options, spec.answer
    question.explanation, question.difficulty = spec.explanation, Difficulty(spec.difficulty)
    question.tags, question.lesson_id = spec.tags, lesson_id
    return publish_version(question, digest, spec.content(), "editor", actor)


def create_question(
    actor: User,
    course: Course,
    module: Module,
    key: str,
    data: QuestionData,
) -> tuple[Question, QuestionVersion]:
    """Add a question to a module's bank as version 1.

    :raises QuestionProblems: when the key or the question breaks a rule.
    """
    problems = question_problems(course, module, data)
    if not KEY_PATTERN.match(key or ""):
        problems["key"] = _(
            "Use lower-case letters, digits and hyphens, starting with a letter (at most 64 characters)."
        )
    elif db.session.scalar(select(Question.id).where(Question.course_id == course.id, Question.key == key)) is not None:
        problems["key"] = _("The id “%(key)s” is already used in this course (perhaps by a retired question).", key=key)
    if problems:
        raise QuestionProblems(problems)
    spec = _spec(key, module, data)
    digest = content_hash(spec.content())
    question = Question(
        course_id=course.id,
        module_id=module.id,
        key=key,
        version=0,
        qtype=QuestionType(spec.qtype),
        stem=spec.stem,
        answer=spec.answer,
        content_hash=digest,
        status=QuestionStatus.READY if data.ready else QuestionStatus.DRAFT,
    )
    db.session.add(question)
    row = _write(actor, question, module, spec, digest)
    record(actor, "authoring.create_question", question, key=key)
    return question, row


def update_question(
    actor: User,
    question_id: int,
    version: int,
    data: QuestionData,
) -> QuestionVersion | None:
    """Save a question as its next version; None when nothing changed.

    :param version: the version the author's form showed.
    :raises QuestionConflict: when the question is no longer at ``version``.
    :raises QuestionProblems: when the question breaks a rule.
    """
    question = db.session.scalar(
        select(Question).where(Question.id == question_id).with_for_update().execution_options(populate_existing=True)
    )
    if question.version != version:
        raise QuestionConflict(question)
    module = db.session.get(Module, question.module_id)
    course = db.session.get(Course, question.course_id)
    problems = question_problems(course, module, data, question)
    if problems:
        raise QuestionProblems(problems)
    if data.ready is not None:
        status = QuestionStatus.READY if data.ready else QuestionStatus.DRAFT
        if question.status != status:
            question.status = status
            record(actor, "authoring.question_status", question, status=str(status))
    spec = _spec(question.key, module, data)
    digest = content_hash(spec.content())
    if digest == question.content_hash:
        return None
    row = _write(actor, question, module, spec, digest)
    record(actor, "authoring.update_question", question, version=question.version)
    return row
