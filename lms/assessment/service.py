"""Attempts on the server: who may take a quiz, starting, saving, finishing, closing.

Functions take plain data and an explicit user, add and flush, and never commit; callers run
them inside ``write_transaction``. The rules that matter under concurrency:

- **Start**: the trainee's user row is locked (PostgreSQL; SQLite's ``BEGIN IMMEDIATE``
  already serialises writers), an attempt in progress is resumed rather than duplicated,
  and the unique (quiz, user, number) constraint catches any start that still races.
- **Save**: each save carries the sequence number the server issued with the page or its
  last reply (the last accepted save's plus one); any other number (or a resend of the last
  one with other answers) comes from a stale tab and is refused, never applied. Saves after the deadline plus the grace
  period are refused and close the attempt.
- **Finish**: ``UPDATE ... WHERE state = 'in_progress'``; only the request that changed the
  row grades, so two tabs or twenty requests grade once.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select, update
from sqlalchemy.exc import IntegrityError

from lms.auth.models import Role, User
from lms.cohorts.models import Cohort, Enrolment, EnrolmentStatus, cohort_trainers
from lms.extensions import db
from lms.learning.models import Course

from .draw import draw_questions
from .grading import (  # noqa: F401  (on_attempt_graded is part of this module's contract)
    load_items,
    on_attempt_graded,
    score_objective_items,
    settle,
)
from .models import Attempt, AttemptItem, AttemptState, QuestionVersion, Quiz, QuizKind
from .rules import AFTER_CLOSING, ANSWER, DURING, RIGHT_AFTER, WHILE_OPEN, QuizRules, quiz_rules
from .scoring import clean_response

#: closed_by values
BY_TRAINEE = "trainee"
BY_DEADLINE = "deadline"

#: the largest sequence number a client may send (fits a 32-bit integer column)
MAX_SEQ = 2**31 - 1


class AttemptError(ValueError):
    """An attempt action refused by the rules; the message is shown to the trainee."""


class StaleSave(AttemptError):
    """A save from a page that is behind the server (another tab or device saved later)."""


class AttemptClosed(AttemptError):
    """The attempt is finished or past its deadline; nothing can be saved any more."""


class OutOfOrder(AttemptError):
    """The course's sequence does not allow this quiz yet (or any more)."""

    def __init__(self, reasons: list[str]):
        super().__init__(" ".join(reasons))
        self.reasons = reasons


def check_sequence(user_id: int, quiz: Quiz, answering: bool = False) -> None:
    """Refuse a quiz the course's order does not allow now (see ``lms.learning.sequence``).

    :param answering: a save to an attempt already started: the pre-test it belongs to is
        not "too late" because the trainee opened a lesson meanwhile.
    :raises OutOfOrder: with the reasons shown to the trainee.
    """
    from lms.learning.sequence import quiz_lock_reasons_for

    if answering and quiz.kind == QuizKind.PRE_TEST:
        return
    reasons = quiz_lock_reasons_for(user_id, db.session.get(Course, quiz.course_id), quiz.kind, quiz.module_id)
    if reasons:
        raise OutOfOrder(reasons)


# -- who may do what ----------------------------------------------------------------------


def get_quiz(course: Course, key: str) -> Quiz | None:
    return db.session.scalar(select(Quiz).where(Quiz.course_id == course.id, Quiz.key == key, Quiz.live()))


def enrolled_cohort(user: User, course_id: int) -> Cohort | None:
    """The cohort of the course the user is an active member of (the newest, if several)."""
    return db.session.scalar(
        select(Cohort)
        .join(Enrolment, Enrolment.cohort_id == Cohort.id)
        .where(
            Enrolment.user_id == user.id,
            Enrolment.status == EnrolmentStatus.ACTIVE,
            Cohort.course_id == course_id,
        )
        .order_by(Cohort.starts_on.desc(), Cohort.id.desc())
        .limit(1)
    )


def is_member(user_id: int, cohort_id: int | None) -> bool:
    """Whether the user is an active member of the cohort (staff previews have no cohort)."""
    if cohort_id is None:
        return True
    return db.session.scalar(
        select(
            exists().where(
                Enrolment.cohort_id == cohort_id,
                Enrolment.user_id == user_id,
                Enrolment.status == EnrolmentStatus.ACTIVE,
            )
        )
    )


def is_cohort_trainer(user: User, cohort_id: int | None) -> bool:
    if cohort_id is None or not user.has_role(Role.TRAINER):
        return False
    return db.session.scalar(
        select(exists().where(cohort_trainers.c.cohort_id == cohort_id, cohort_trainers.c.user_id == user.id))
    )


def can_view_attempt(user: User, attempt: Attempt) -> bool:
    """The trainee who made it, the trainers of its cohort, and organizers."""
    if attempt.user_id == user.id or user.has_role(Role.ORGANIZER):
        return True
    return is_cohort_trainer(user, attempt.cohort_id)


def can_grade(user: User, attempt: Attempt) -> bool:
    """Trainers of the attempt's cohort and organizers grade; never the trainee themself."""
    if attempt.user_id == user.id:
        return False
    return user.has_role(Role.ORGANIZER) or is_cohort_trainer(user, attempt.cohort_id)


def rules_of(quiz: Quiz) -> QuizRules:
    return quiz_rules(quiz, db.session.get(Course, quiz.course_id))


def grace() -> timedelta:
    return timedelta(seconds=current_app.config.get("ATTEMPT_GRACE_SECONDS", 30))


def remaining_seconds(attempt: Attempt, now: datetime) -> int | None:
    """Whole seconds left before the deadline (0 when passed); None when untimed."""
    if attempt.deadline_at is None:
        return None
    return max(0, int((attempt.deadline_at - now).total_seconds()))


def cohort_closes_at(cohort: Cohort | None) -> datetime | None:
    """When the cohort's quizzes close: the end of its last day (Asia/Shanghai)."""
    if cohort is None:
        return None
    from lms.surveys.windows import start_of_day

    return start_of_day(cohort.ends_on + timedelta(days=1))


#: Moodle's "immediately after the attempt": the first two minutes after submitting
RIGHT_AFTER_WINDOW = timedelta(minutes=2)


def review_parts(
    attempt: Attempt, rules: QuizRules, closes_at: datetime | None, left: int | None, now: datetime
) -> frozenset[str]:
    """What the trainee may see of their finished attempt now (score, correctness, answer,
    explanation), by the quiz's review options.

    The right answer is never shown while the trainee may still retake the quiz (attempts
    left and the quiz not closed), whatever the options say.
    """
    if attempt.state == AttemptState.IN_PROGRESS:
        return rules.review[DURING]
    closed = closes_at is not None and now >= closes_at
    if closed:
        parts = rules.review[AFTER_CLOSING]
    elif attempt.finished_at is not None and now - attempt.finished_at <= RIGHT_AFTER_WINDOW:
        parts = rules.review[RIGHT_AFTER]
    else:
        parts = rules.review[WHILE_OPEN]
    if not closed and left != 0:
        parts = parts - {ANSWER}
    return parts


def user_attempts(user_id: int, quiz_id: int) -> list[Attempt]:
    return list(
        db.session.scalars(
            select(Attempt).where(Attempt.quiz_id == quiz_id, Attempt.user_id == user_id).order_by(Attempt.number)
        )
    )


def attempts_left(rules: QuizRules, attempts: list[Attempt]) -> int | None:
    """How many more attempts may be started; None when unlimited."""
    if rules.max_attempts is None:
        return None
    return max(0, rules.max_attempts - len(attempts))


# -- closing overdue attempts -------------------------------------------------------------


def _overdue(now: datetime, quiz_id=None, user_id=None, cohort_id=None):
    query = select(Attempt.id, Attempt.deadline_at).where(
        Attempt.state == AttemptState.IN_PROGRESS,
        Attempt.deadline_at.is_not(None),
        Attempt.deadline_at < now - grace(),
    )
    if quiz_id is not None:
        query = query.where(Attempt.quiz_id == quiz_id)
    if user_id is not None:
        query = query.where(Attempt.user_id == user_id)
    if cohort_id is not None:
        query = query.where(Attempt.cohort_id == cohort_id)
    return query.order_by(Attempt.id)


def has_overdue_attempts(now: datetime, quiz_id=None, user_id=None, cohort_id=None) -> bool:
    """A cheap read, so pages only open a write transaction when something must be closed."""
    query = _overdue(now, quiz_id, user_id, cohort_id).limit(1)
    return db.session.execute(query).first() is not None


def close_overdue_attempts(
    now: datetime,
    quiz_id: int | None = None,
    user_id: int | None = None,
    cohort_id: int | None = None,
) -> int:
    """Finish every attempt whose deadline plus the grace period has passed, with what was
    saved; return how many this call closed. Run it inside ``write_transaction``.

    Pages call it (filtered) before reading attempts, and ``flask lms close-attempts`` calls
    it for everything, so an abandoned attempt is graded even if nobody comes back.
    """
    closed = 0
    for attempt_id, deadline in db.session.execute(_overdue(now, quiz_id, user_id, cohort_id)).all():
        if finish_attempt(attempt_id, now, BY_DEADLINE, finished_at=deadline):
            closed += 1
    return closed


# -- the attempt's life -------------------------------------------------------------------


def start_attempt(
    user: User, quiz: Quiz, cohort: Cohort | None, now: datetime, rng: random.Random | None = None
) -> tuple[Attempt, bool]:
    """Start an attempt (or resume the one in progress); return it and whether it is new.

    :raises AttemptError: when no attempts are left or the quiz has no questions;
        :class:`OutOfOrder` when the course's sequence does not allow it yet.
    """
    # One start at a time per trainee (PostgreSQL); SQLite's BEGIN IMMEDIATE does this already.
    db.session.execute(select(User.id).where(User.id == user.id).with_for_update())
    close_overdue_attempts(now, quiz_id=quiz.id, user_id=user.id)
    rules = rules_of(quiz)
    attempts = user_attempts(user.id, quiz.id)
    for attempt in attempts:
        if attempt.state == AttemptState.IN_PROGRESS:
            return attempt, False
    if cohort is not None:
        check_sequence(user.id, quiz)
    if attempts_left(rules, attempts) == 0:
        raise AttemptError(_l("You have used all %(n)d attempts at this quiz.", n=rules.max_attempts))
    drawn = draw_questions(quiz, rules, rng, retake=bool(attempts))
    if not drawn:
        raise AttemptError(_l("This quiz has no questions yet."))
    number = max((a.number for a in attempts), default=0) + 1
    deadline = now + timedelta(minutes=rules.time_limit_minutes) if rules.time_limit_minutes else None
    attempt = Attempt(
        quiz_id=quiz.id,
        user_id=user.id,
        cohort_id=cohort.id if cohort else None,
        number=number,
        quiz_version=quiz.version,
        state=AttemptState.IN_PROGRESS,
        started_at=now,
        deadline_at=deadline,
        save_seq=0,
        max_score=sum(d.points for d in drawn),
    )
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
            db.session.flush()
            for position, d in enumerate(drawn):
                db.session.add(
                    AttemptItem(
                        attempt_id=attempt.id,
                        position=position,
                        question_id=d.question_id,
                        question_version_id=d.version_id,
                        option_order=d.option_order,
                        points=d.points,
                    )
                )
            db.session.flush()
    except IntegrityError:
        # Another start won the race for this number: use its attempt.
        existing = db.session.scalar(
            select(Attempt).where(Attempt.quiz_id == quiz.id, Attempt.user_id == user.id, Attempt.number == number)
        )
        if existing is None:
            raise
        return existing, False
    return attempt, True


def _lock(attempt_id: int) -> Attempt:
    attempt = db.session.scalar(
        select(Attempt).where(Attempt.id == attempt_id).with_for_update().execution_options(populate_existing=True)
    )
    if attempt is None:
        raise AttemptClosed(_l("This attempt no longer exists."))
    return attempt


def _version_data(items: list[AttemptItem]) -> dict[int, dict]:
    ids = {item.question_version_id for item in items}
    rows = db.session.execute(select(QuestionVersion.id, QuestionVersion.data).where(QuestionVersion.id.in_(ids)))
    return dict(rows.all())


def _check_open(attempt: Attempt, now: datetime) -> None:
    """Refuse changes to a finished attempt, closing it first if its time ran out."""
    if attempt.state != AttemptState.IN_PROGRESS:
        raise AttemptClosed(_l("This attempt has been submitted; answers can no longer be changed."))
    if attempt.deadline_at is not None and now > attempt.deadline_at + grace():
        finish_attempt(attempt.id, now, BY_DEADLINE, finished_at=attempt.deadline_at)
        raise AttemptClosed(_l("Time is up. The attempt was submitted with the answers saved before the deadline."))


def save_responses(attempt_id: int, seq: int, answers: dict[int, object], now: datetime) -> Attempt:
    """Store the answers of a save numbered ``seq`` (a whole or partial snapshot of the form).

    A save numbered one more than the last accepted one is applied. One with the same
    number is a resend of that save (the reply was lost): accepted if it holds the same
    answers, refused otherwise. Any other number means the page is stale.

    :param answers: raw values by attempt item id (letters, "true"/"false", text, lists).
    :raises StaleSave: for a stale page; :raises AttemptClosed: after finishing or the deadline.
    """
    attempt = _lock(attempt_id)
    _check_open(attempt, now)
    if attempt.cohort_id is not None:
        check_sequence(attempt.user_id, db.session.get(Quiz, attempt.quiz_id), answering=True)
    # The server issues the number a save must carry: one more than the last accepted save
    # (the page gets it with the form and with every reply). Anything else is a page that
    # has not seen the latest save (an older tab, or one that made up its own numbers).
    if not 0 < seq <= MAX_SEQ or seq < attempt.save_seq or seq > attempt.save_seq + 1:
        raise StaleSave(_stale_message())
    items = load_items(attempt)
    data = _version_data(items)
    cleaned = {}
    for item in items:
        if item.id in answers:
            version = data[item.question_version_id]
            cleaned[item] = clean_response(version["type"], len(version.get("options") or []), answers[item.id])
    if seq == attempt.save_seq:
        if any(item.response != value for item, value in cleaned.items()):
            raise StaleSave(_stale_message())
        return attempt
    for item, value in cleaned.items():
        if item.response != value:
            item.response = value
    attempt.save_seq = seq
    db.session.flush()
    return attempt


def _stale_message():
    return _l(
        "These answers were changed in another window or on another device. "
        "Reload the page to continue with the latest saved answers."
    )


def finish_attempt(
    attempt_id: int, now: datetime, closed_by: str = BY_TRAINEE, finished_at: datetime | None = None
) -> bool:
    """Close an attempt in progress and grade it; return whether this call closed it.

    The state changes with ``UPDATE ... WHERE state = 'in_progress'``: when several requests
    finish at once, exactly one sees a changed row and grades; the others return False.
    """
    result = db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt_id, Attempt.state == AttemptState.IN_PROGRESS)
        .values(state=AttemptState.AWAITING_GRADING, finished_at=finished_at or now, closed_by=closed_by)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    attempt = db.session.scalar(
        select(Attempt).where(Attempt.id == attempt_id).execution_options(populate_existing=True)
    )
    items = load_items(attempt)
    score_objective_items(attempt, items)
    settle(attempt, items, now)
    db.session.flush()
    return True


def mark_result_seen(attempt: Attempt) -> None:
    """The trainee has seen their changed result: the dashboard note goes away."""
    db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.regraded_at.is_not(None))
        .values(regraded_at=None)
        .execution_options(synchronize_session=False)
    )


def attempt_count(quiz_id: int) -> int:
    return db.session.scalar(select(func.count(Attempt.id)).where(Attempt.quiz_id == quiz_id))
