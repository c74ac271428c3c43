"""Reading results: best results per quiz, passes, what is due, trainers' lists and queue.

Read-only: nothing here writes. Pages close overdue attempts (``service``) before reading.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import case, func, select

from lms.auth.models import Role, User
from lms.cohorts.models import Cohort, cohort_trainers
from lms.db import utcnow
from lms.extensions import db
from lms.learning.models import Course
from lms.todo import DueItem

from .models import Attempt, AttemptItem, AttemptState, QuestionVersion, Quiz, QuizKind
from .rules import quiz_rules
from .service import grace


@dataclass(frozen=True)
class BestResult:
    percent: float | None  #: the best percentage among graded attempts; None if none graded
    passed: bool  #: some graded attempt passed
    attempts: int  #: attempts started (in progress and awaiting grading included)


def best_results(user_id: int, course_id: int) -> dict[int, BestResult]:
    """Each quiz of the course the user attempted -> their best result, in one query."""
    graded = Attempt.state == AttemptState.GRADED
    rows = db.session.execute(
        select(
            Attempt.quiz_id,
            func.max(case((graded, Attempt.percent))),
            func.max(case((graded & Attempt.passed.is_(True), 1), else_=0)),
            func.count(Attempt.id),
        )
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .where(Attempt.user_id == user_id, Quiz.course_id == course_id)
        .group_by(Attempt.quiz_id)
    ).all()
    return {quiz_id: BestResult(percent, bool(passed), count) for quiz_id, percent, passed, count in rows}


def passed_quiz_ids(user_id: int, course_id: int) -> set[int]:
    """The quizzes of the course the user has passed (a graded attempt at or over the mark)."""
    return set(
        db.session.scalars(
            select(Attempt.quiz_id)
            .distinct()
            .join(Quiz, Quiz.id == Attempt.quiz_id)
            .where(
                Attempt.user_id == user_id,
                Quiz.course_id == course_id,
                Attempt.state == AttemptState.GRADED,
                Attempt.passed.is_(True),
            )
        )
    )


def due_items(user_id: int, cohort: Cohort, now: datetime | None = None) -> list[DueItem]:
    """What the trainee should do about quizzes in this cohort's course, most urgent first.

    - an attempt in progress, with its deadline (not yet past the grace period);
    - results changed by a regrade, until the trainee opens the result;
    - the pre-test, while it has never been started;
    - the post-test, once the course's order opens it and until it is started;
    - the final exam, once the order opens it, while it is not passed and attempts remain.

    Needs a request or app context with a server name (it builds URLs).
    """
    now = now or utcnow()
    course = db.session.get(Course, cohort.course_id)
    quizzes = {q.id: q for q in db.session.scalars(select(Quiz).where(Quiz.course_id == course.id, Quiz.live()))}
    attempts = (
        db.session.scalars(
            select(Attempt).where(Attempt.user_id == user_id, Attempt.quiz_id.in_(quizzes)).order_by(Attempt.number)
        ).all()
        if quizzes
        else []
    )
    by_quiz: dict[int, list[Attempt]] = {}
    for attempt in attempts:
        by_quiz.setdefault(attempt.quiz_id, []).append(attempt)
    items: list[DueItem] = []
    for attempt in attempts:
        quiz = quizzes[attempt.quiz_id]
        if attempt.state == AttemptState.IN_PROGRESS:
            if attempt.deadline_at is not None and now > attempt.deadline_at + grace():
                continue  # closed on the next read; nothing left to do
            items.append(
                DueItem(
                    kind="attempt",
                    title=quiz.title,
                    url=url_for("assessment.take_attempt", attempt_id=attempt.id),
                    due_at=attempt.deadline_at,
                    note=_("In progress: continue answering"),
                )
            )
        elif attempt.regraded_at is not None:
            items.append(
                DueItem(
                    kind="result",
                    title=quiz.title,
                    url=url_for("assessment.show_result", attempt_id=attempt.id),
                    note=_("Score changed after a regrade"),
                )
            )
    standing = None
    for quiz in sorted(quizzes.values(), key=lambda q: q.id):
        mine = by_quiz.get(quiz.id, [])
        url = url_for("assessment.show_quiz", course_key=course.key, quiz_key=quiz.key)
        if quiz.kind in (QuizKind.POST_TEST, QuizKind.FINAL_EXAM) and not mine:
            # only once the course's order opens it (the standing is read once, if needed)
            from lms.learning.sequence import quiz_lock_reasons
            from lms.learning.standing import course_standing

            standing = standing or course_standing(user_id, course)
            if quiz_lock_reasons(standing, quiz.kind, quiz.module_id):
                continue
        if quiz.kind == QuizKind.PRE_TEST and not mine:
            items.append(DueItem(kind="quiz", title=quiz.title, url=url, note=_("Not taken yet")))
        elif quiz.kind == QuizKind.POST_TEST and not mine:
            items.append(DueItem(kind="quiz", title=quiz.title, url=url, note=_("Open: compare with your pre-test")))
        elif quiz.kind == QuizKind.FINAL_EXAM:
            if any(a.state == AttemptState.IN_PROGRESS for a in mine):
                continue
            if any(a.passed for a in mine if a.state == AttemptState.GRADED):
                continue
            if any(a.state == AttemptState.AWAITING_GRADING for a in mine):
                continue  # wait for the grade before suggesting another try
            limit = quiz_rules(quiz, course).max_attempts
            if limit is not None and len(mine) >= limit:
                continue
            note = _("Open: %(n)d attempts left", n=limit - len(mine)) if limit is not None else _("Open")
            items.append(DueItem(kind="quiz", title=quiz.title, url=url, note=note))
    return items


# -- trainers' views ----------------------------------------------------------------------


def cohort_attempt_rows(cohort_id: int, quiz_id: int | None = None):
    """Attempts of a cohort as plain rows (with the trainee and quiz), newest first."""
    query = (
        select(
            Attempt.id,
            Attempt.number,
            Attempt.state,
            Attempt.started_at,
            Attempt.finished_at,
            Attempt.closed_by,
            Attempt.score,
            Attempt.max_score,
            Attempt.percent,
            Attempt.passed,
            Attempt.regraded_at,
            User.id.label("user_id"),
            User.name,
            User.phone,
            User.email,
            User.work_unit,
            Quiz.id.label("quiz_id"),
            Quiz.title.label("quiz_title"),
            Quiz.kind.label("quiz_kind"),
        )
        .join(User, User.id == Attempt.user_id)
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .where(Attempt.cohort_id == cohort_id)
        .order_by(Attempt.started_at.desc(), Attempt.id.desc())
    )
    if quiz_id is not None:
        query = query.where(Attempt.quiz_id == quiz_id)
    return db.session.execute(query).all()


def course_quizzes(course_id: int) -> list[Quiz]:
    query = select(Quiz).where(Quiz.course_id == course_id, Quiz.live())
    return list(db.session.scalars(query.order_by(Quiz.id)))


def grading_queue(user: User, limit: int = 50):
    """Short answers waiting for a trainer, oldest first, in the cohorts ``user`` teaches.

    Organizers see every cohort's. Returns (rows, total waiting).
    """
    query = (
        select(
            AttemptItem.id,
            AttemptItem.points,
            AttemptItem.response,
            AttemptItem.position,
            Attempt.id.label("attempt_id"),
            Attempt.finished_at,
            Attempt.cohort_id,
            User.name.label("trainee_name"),
            User.work_unit,
            Quiz.title.label("quiz_title"),
            Cohort.name.label("cohort_name"),
            QuestionVersion.data,
        )
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .join(User, User.id == Attempt.user_id)
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .outerjoin(Cohort, Cohort.id == Attempt.cohort_id)
        .join(QuestionVersion, QuestionVersion.id == AttemptItem.question_version_id)
        .where(Attempt.state == AttemptState.AWAITING_GRADING, AttemptItem.score.is_(None))
    )
    if not user.has_role(Role.ORGANIZER):
        query = query.join(cohort_trainers, cohort_trainers.c.cohort_id == Attempt.cohort_id).where(
            cohort_trainers.c.user_id == user.id
        )
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.execute(query.order_by(Attempt.finished_at, Attempt.id, AttemptItem.position).limit(limit)).all()
    return rows, total
