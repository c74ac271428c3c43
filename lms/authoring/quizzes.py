"""Editing a quiz: its settings, its fixed question list or its random-draw rules.

The rules are the course format's (docs/course-format.md, "Quizzes"), and the content and its
hash come from :class:`lms.content.spec.QuizSpec`, as when the quiz is loaded from files.
Every saved change bumps the quiz's ``version`` at once (quizzes have no version table: an
attempt records the version it was taken on). A change names the version the page showed;
if the quiz moved on meanwhile, nothing is written (:class:`QuizConflict`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import delete, select

from lms.assessment.models import Question, Quiz, QuizItem, QuizKind
from lms.audit.service import record
from lms.auth.models import User
from lms.content.schema import REVIEW_MODES
from lms.content.spec import QuizSpec
from lms.content.structure import StructureChange, record_structure, snapshot_before_writing
from lms.extensions import db
from lms.learning.models import Course, Module
from lms.versioning import content_hash

from .service import AuthoringError


class QuizConflict(AuthoringError):
    def __init__(self, quiz: Quiz):
        super().__init__(
            _(
                "Someone else changed this quiz (now version %(v)d) meanwhile. Check it and make your change again.",
                v=quiz.version,
            )
        )
        self.quiz = quiz


class QuizProblems(AuthoringError):
    def __init__(self, problems: list[str]):
        super().__init__(" ".join(problems))
        self.problems = problems


@dataclass
class QuizSettings:
    title: str
    time_limit_minutes: int | None
    max_attempts: int | None
    pass_mark: int
    shuffle_questions: bool
    shuffle_options: bool
    review: str
    #: post-test only: the key of the pre-test it parallels
    parallel_to: str | None = None
    #: quizzes that draw at random: [{"module", "count", "exclude_tags"}]
    draw: list[dict] | None = None


def settings_of(quiz: Quiz) -> QuizSettings:
    s = quiz.settings or {}
    return QuizSettings(
        title=quiz.title,
        time_limit_minutes=s.get("time_limit_minutes"),
        max_attempts=s.get("max_attempts"),
        pass_mark=s.get("pass_mark", 60),
        shuffle_questions=bool(s.get("shuffle_questions")),
        shuffle_options=bool(s.get("shuffle_options")),
        review=s.get("review") or "after_close",
        parallel_to=s.get("parallel_to"),
        draw=s.get("draw"),
    )


def item_keys(quiz: Quiz) -> list[str]:
    """The keys of the quiz's fixed questions, in order."""
    return list(
        db.session.scalars(
            select(Question.key)
            .join(QuizItem, QuizItem.question_id == Question.id)
            .where(QuizItem.quiz_id == quiz.id)
            .order_by(QuizItem.position)
        )
    )


def _questions(course: Course) -> dict[str, Question]:
    return {
        q.key: q
        for q in db.session.scalars(
            select(Question).where(Question.course_id == course.id, Question.is_retired.is_(False))
        )
    }


def _modules(course: Course) -> dict[int, Module]:
    return {
        m.id: m
        for m in db.session.scalars(select(Module).where(Module.course_id == course.id, Module.is_retired.is_(False)))
    }


def _other(course: Course, kind: QuizKind) -> Quiz | None:
    return db.session.scalar(
        select(Quiz).where(Quiz.course_id == course.id, Quiz.kind == kind, Quiz.is_retired.is_(False))
    )


def quiz_problems(
    course: Course,
    quiz: Quiz,
    settings: QuizSettings,
    keys: list[str],
    draft: bool | None = None,
) -> list[str]:
    """Every rule of the course format the quiz would break (empty when it may be saved).

    :param draft: judge it as a draft (which may be empty) or as published; by default, as
        the quiz is.
    """
    draft = quiz.is_draft if draft is None else draft
    problems = []
    if not settings.title.strip() or len(settings.title) > 200:
        problems.append(_("The title must be 1 to 200 characters."))
    if not 0 <= settings.pass_mark <= 100:
        problems.append(_("The pass mark is a whole number from 0 to 100."))
    if settings.time_limit_minutes is not None and settings.time_limit_minutes < 1:
        problems.append(_("The time limit is at least 1 minute (or empty for untimed)."))
    if settings.max_attempts is not None and settings.max_attempts < 1:
        problems.append(_("Attempts are at least 1 (or empty for unlimited)."))
    if not isinstance(settings.review, dict) and settings.review not in REVIEW_MODES:
        problems.append(_("Choose when explanations are shown."))
    questions = _questions(course)
    modules = _modules(course)
    module_of = {k: modules[q.module_id].key for k, q in questions.items() if q.module_id in modules}
    quiz_module = modules[quiz.module_id].key if quiz.module_id in modules else None
    if settings.draw is None:
        problems += _list_problems(course, quiz, keys, questions, module_of, quiz_module, draft)
    else:
        problems += _draw_problems(settings.draw, questions, module_of, quiz_module, draft)
    if quiz.kind == QuizKind.POST_TEST and settings.parallel_to:
        pre = _other(course, QuizKind.PRE_TEST)
        if pre is None or pre.key != settings.parallel_to:
            problems.append(_("A post-test is a parallel form of the pre-test only."))
    return problems


def _list_problems(course, quiz, keys, questions, module_of, quiz_module, draft) -> list[str]:
    problems = []
    if not keys and not draft:  # a draft may be saved empty; publishing needs a question
        problems.append(_("A quiz needs at least one question."))
    if len(set(keys)) != len(keys):
        problems.append(_("Each question may appear once in a quiz."))
    missing = [k for k in keys if k not in questions]
    if missing:
        problems.append(_("These questions do not exist: %(keys)s", keys=", ".join(missing)))
    if quiz_module is not None:
        foreign = [k for k in keys if k in module_of and module_of[k] != quiz_module]
        if foreign:
            problems.append(_("A module quiz has only its module's questions, not %(keys)s.", keys=", ".join(foreign)))
    pair = {QuizKind.PRE_TEST: QuizKind.POST_TEST, QuizKind.POST_TEST: QuizKind.PRE_TEST}
    if quiz.kind in pair and (other := _other(course, pair[quiz.kind])) is not None:
        other_keys = item_keys(other)
        common = [k for k in keys if k in other_keys]
        if common:
            problems.append(_("The pre-test and post-test may not share questions: %(keys)s", keys=", ".join(common)))
        mine = Counter(module_of.get(k) for k in keys)
        theirs = Counter(module_of.get(k) for k in other_keys)
        if mine != theirs and not draft:  # a new draft fills up one question at a time
            problems.append(
                _(
                    "The pre-test and post-test are parallel forms: they need the same number of "
                    "questions from each module. Replace a question with one of the same module "
                    "instead of adding or removing."
                )
            )
    return problems


def _draw_problems(draw, questions, module_of, quiz_module, draft) -> list[str]:
    problems = []
    if not draw and not draft:
        problems.append(_("A random draw needs at least one rule."))
    used_tags = {t for q in questions.values() for t in (q.tags or [])}
    seen = set()
    for rule in draw:
        module, count = rule["module"], rule["count"]
        excluded = set(rule.get("exclude_tags") or [])
        if quiz_module is not None and module != quiz_module:
            problems.append(_("A module quiz draws from its own module only."))
        if module in seen:
            problems.append(_("Module %(m)s has two draw rules.", m=module))
        seen.add(module)
        for tag in sorted(excluded - used_tags):
            problems.append(_("No question has the tag “%(tag)s”.", tag=tag))
        available = sum(
            1 for k, q in questions.items() if module_of.get(k) == module and not excluded & set(q.tags or [])
        )
        if count < 1 or count > available:
            problems.append(
                _(
                    "Module %(m)s: draw 1 to %(n)d questions (after leaving out the excluded tags).",
                    m=module,
                    n=available,
                )
            )
    return problems


def _content(quiz: Quiz, settings: QuizSettings, keys: list[str]) -> tuple[dict, QuizSpec]:
    stored = {
        "time_limit_minutes": settings.time_limit_minutes,
        "max_attempts": settings.max_attempts,
        "pass_mark": settings.pass_mark,
        "shuffle_questions": settings.shuffle_questions,
        "shuffle_options": settings.shuffle_options,
        "review": settings.review,
        "draw": settings.draw,
    }
    if quiz.kind == QuizKind.POST_TEST:
        stored["parallel_to"] = settings.parallel_to or None
    module_key = db.session.scalar(select(Module.key).where(Module.id == quiz.module_id)) if quiz.module_id else None
    spec = QuizSpec(
        quiz.key, str(quiz.kind), settings.title.strip(), module_key, keys if settings.draw is None else [], stored
    )
    return stored, spec


def _locked(quiz_id: int, version: int) -> Quiz:
    quiz = db.session.scalar(
        select(Quiz).where(Quiz.id == quiz_id).with_for_update().execution_options(populate_existing=True)
    )
    if quiz.version != version:
        raise QuizConflict(quiz)
    return quiz


def save_quiz(
    actor: User,
    quiz_id: int,
    version: int,
    settings: QuizSettings,
    keys: list[str] | None = None,
) -> bool:
    """Save the quiz's settings (and, if given, its fixed list); False when nothing changed.

    :raises QuizConflict: when the quiz is no longer at ``version``.
    :raises QuizProblems: when the quiz would break a rule.
    """
    quiz = _locked(quiz_id, version)
    course = db.session.get(Course, quiz.course_id)
    current = item_keys(quiz)
    keys = current if keys is None else keys
    if (settings.draw is None) != ((quiz.settings or {}).get("draw") is None):
        raise QuizProblems([_("A quiz keeps its kind of question list (fixed or drawn).")])
    problems = quiz_problems(course, quiz, settings, keys)
    if problems:
        raise QuizProblems(problems)
    stored, spec = _content(quiz, settings, keys)
    digest = content_hash(spec.content())
    if digest == quiz.content_hash:
        return False
    quiz.title, quiz.settings = spec.title, stored
    quiz.version, quiz.content_hash = quiz.version + 1, digest
    if keys != current:
        db.session.execute(delete(QuizItem).where(QuizItem.quiz_id == quiz.id))
        questions = _questions(course)
        for position, key in enumerate(keys):
            db.session.add(QuizItem(quiz_id=quiz.id, question_id=questions[key].id, position=position))
    db.session.flush()
    record(actor, "authoring.update_quiz", quiz, version=quiz.version)
    return True


def changed_list(keys: list[str], op: str, key: str, other: str | None = None) -> list[str]:
    """The fixed list after one edit: add, remove, up, down or replace (with ``other``)."""
    keys = list(keys)
    if op == "add":
        return [*keys, key]
    if key not in keys:
        return keys
    index = keys.index(key)
    if op == "remove":
        keys.pop(index)
    elif op in ("up", "down"):
        other_index = index + (-1 if op == "up" else 1)
        if 0 <= other_index < len(keys):
            keys[index], keys[other_index] = keys[other_index], keys[index]
    elif op == "replace" and other:
        keys[index] = other
    return keys


# -- a new quiz, made in the browser: a draft until published ------------------------------

#: the keys of the course-level quizzes, as in course files
COURSE_QUIZ_KEYS = {QuizKind.PRE_TEST: "pre-test", QuizKind.POST_TEST: "post-test", QuizKind.FINAL_EXAM: "final-exam"}
#: what trainees see of a new quiz's attempts until its author changes it
NEW_QUIZ_REVIEW = {
    QuizKind.MODULE_QUIZ: "immediately",
    QuizKind.PRE_TEST: "never",
    QuizKind.POST_TEST: "after_close",
    QuizKind.FINAL_EXAM: "after_close",
}


@dataclass(frozen=True)
class NewQuizPlace:
    """A quiz the course may still get: a module quiz for a module without one, or a pre-test,
    post-test or final exam the course lacks."""

    kind: QuizKind
    module: Module | None = None

    @property
    def value(self) -> str:
        return f"{self.kind}:{self.module.id}" if self.module else str(self.kind)


def new_quiz_places(course: Course) -> list[NewQuizPlace]:
    taken = db.session.execute(
        select(Quiz.kind, Quiz.module_id).where(Quiz.course_id == course.id, Quiz.is_retired.is_(False))
    ).all()
    kinds = {kind for kind, _module in taken}
    modules_with_quiz = {module_id for kind, module_id in taken if kind == QuizKind.MODULE_QUIZ}
    modules = db.session.scalars(
        select(Module).where(Module.course_id == course.id, Module.is_retired.is_(False)).order_by(Module.position)
    ).all()
    places = [NewQuizPlace(QuizKind.MODULE_QUIZ, m) for m in modules if m.id not in modules_with_quiz]
    return places + [NewQuizPlace(kind) for kind in COURSE_QUIZ_KEYS if kind not in kinds]


def _new_key(course: Course, place: NewQuizPlace) -> str:
    base = f"{place.module.key}-quiz" if place.module else COURSE_QUIZ_KEYS[place.kind]
    used = set(db.session.scalars(select(Quiz.key).where(Quiz.course_id == course.id, Quiz.key.like(f"{base}%"))))
    key, n = base, 2
    while key in used:  # a retired quiz keeps its key (attempts point at it)
        key, n = f"{base}-{n}", n + 1
    return key


def create_quiz(actor: User, course: Course, place_value: str, title: str, drawn: bool) -> Quiz:
    """A new draft quiz at ``place_value`` (a :attr:`NewQuizPlace.value`), with a fixed list of
    questions or a random draw; trainees see it once it is published.

    :raises QuizProblems: for a place the course no longer has free, or a bad title.
    """
    place = next((p for p in new_quiz_places(course) if p.value == place_value), None)
    problems = []
    if place is None:
        problems.append(_("Choose where the quiz goes: a module without a quiz, or a test the course lacks."))
    title = (title or "").strip()
    if not title or len(title) > 200:
        problems.append(_("The title must be 1 to 200 characters."))
    if problems:
        raise QuizProblems(problems)
    quiz = Quiz(
        course_id=course.id,
        module_id=place.module.id if place.module else None,
        key=_new_key(course, place),
        kind=place.kind,
        title=title,
        is_draft=True,
        version=1,
    )
    settings = QuizSettings(
        title=title,
        time_limit_minutes=None,
        max_attempts=None,
        pass_mark=60,
        shuffle_questions=False,
        shuffle_options=False,
        review=NEW_QUIZ_REVIEW[place.kind],
        draw=[] if drawn else None,
    )
    stored, spec = _content(quiz, settings, [])
    quiz.settings, quiz.content_hash = stored, content_hash(spec.content())
    db.session.add(quiz)
    db.session.flush()
    record(actor, "authoring.create_quiz", quiz, key=quiz.key, kind=str(quiz.kind))
    return quiz


def publish_quiz(actor: User, quiz_id: int, version: int) -> StructureChange | None:
    """Publish a draft quiz: trainees see it from now on. A module quiz changes what finishing
    its module takes, so the course's structure is recorded (running cohorts keep theirs until
    moved on the structure page); returns that change, if any.

    :raises QuizConflict: when the quiz is no longer at ``version``.
    :raises QuizProblems: when the quiz is not a draft or would break a rule.
    """
    quiz = _locked(quiz_id, version)
    if not quiz.is_draft:
        raise QuizProblems([_("This quiz is already published.")])
    course = db.session.get(Course, quiz.course_id)
    problems = quiz_problems(course, quiz, settings_of(quiz), item_keys(quiz), draft=False)
    if problems:
        raise QuizProblems(problems)
    snapshot_before_writing(course)  # the structure trainees are on, before the quiz joins it
    quiz.is_draft = False
    db.session.flush()
    record(actor, "authoring.publish_quiz", quiz, version=quiz.version)
    return record_structure(course, "editor", actor.id)


def discard_quiz(actor: User, quiz_id: int, version: int) -> None:
    """Delete a draft quiz (nobody can have taken it).

    :raises QuizConflict: when the quiz is no longer at ``version``.
    :raises QuizProblems: when the quiz is published.
    """
    quiz = _locked(quiz_id, version)
    if not quiz.is_draft:
        raise QuizProblems([_("A published quiz is retired in the course files, not deleted.")])
    record(actor, "authoring.discard_quiz", None, quiz=quiz.id, key=quiz.key)
    db.session.execute(delete(QuizItem).where(QuizItem.quiz_id == quiz.id))
    db.session.delete(quiz)
    db.session.flush()
