"""Grading: scoring a finished attempt, trainers' grades for short answers, regrading.

Every item is graded against a stored question version: the one it was answered on, or the
corrected version a regrade chose (``graded_version_id``). When the last item of an attempt
has a score, the attempt becomes graded, its pass is decided and ``on_attempt_graded``
hooks run inside the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import aliased

from lms.audit.service import record
from lms.auth.models import User
from lms.extensions import db
from lms.learning.models import Course

from .access import check_question
from .models import (
    Attempt,
    AttemptItem,
    AttemptState,
    Question,
    QuestionType,
    QuestionVersion,
    Quiz,
)
from .rules import quiz_rules
from .scoring import percent_of, score_item

#: Called with (attempt) whenever an attempt's grade is settled: when it becomes graded, and
#: when a regrade or a trainer's new grade changes a graded attempt's score or pass. Hooks run
#: inside the grading transaction (so a certificate can be issued atomically with the pass)
#: and must be idempotent.
on_attempt_graded: list[Callable[[Attempt], None]] = []


class GradingError(ValueError):
    """A grade or regrade that cannot be applied; the message is shown to the trainer."""


def _key_versions(items: list[AttemptItem]) -> dict[int, dict]:
    """The data of every version the items are graded on, by version id, in one query."""
    ids = {item.graded_version_id or item.question_version_id for item in items}
    if not ids:
        return {}
    rows = db.session.execute(select(QuestionVersion.id, QuestionVersion.data).where(QuestionVersion.id.in_(ids)))
    return dict(rows.all())


def load_items(attempt: Attempt, lock: bool = False) -> list[AttemptItem]:
    query = select(AttemptItem).where(AttemptItem.attempt_id == attempt.id).order_by(AttemptItem.position)
    if lock:
        query = query.with_for_update()
    return list(db.session.scalars(query))


def _rules_for(attempt: Attempt):
    quiz = db.session.get(Quiz, attempt.quiz_id)
    return quiz_rules(quiz, db.session.get(Course, quiz.course_id))


def score_objective_items(attempt: Attempt, items: list[AttemptItem]) -> None:
    """Score every item the machine can score; short answers keep a trainer's grade.

    A blank short answer scores 0 at once: there is nothing for a trainer to read.
    """
    rules = _rules_for(attempt)
    data = _key_versions(items)
    for item in items:
        version = data[item.graded_version_id or item.question_version_id]
        if version["type"] == QuestionType.SHORT_ANSWER:
            if item.response is None and item.graded_by_id is None:
                item.score, item.is_correct = 0.0, False
            continue
        result = score_item(version, item.response, item.points, rules.multiple_choice_scoring)
        item.score, item.is_correct = result.score, result.is_correct


def settle(attempt: Attempt, items: list[AttemptItem], now: datetime) -> bool:
    """Decide the attempt's state and totals from its items; return whether its grade changed.

    An item without a score keeps the attempt awaiting grading (no score, no pass yet).
    A graded attempt whose score or pass changes gets ``regraded_at`` so the trainee is told.
    """
    if any(item.score is None for item in items):
        attempt.state = AttemptState.AWAITING_GRADING
        attempt.score = attempt.percent = attempt.passed = None
        return False
    rules = _rules_for(attempt)
    total = round(sum(item.score for item in items), 4)
    maximum = round(sum(item.points for item in items), 4)
    percent = percent_of(total, maximum)
    passed = percent >= rules.pass_mark if rules.counts_pass else None
    was_graded = attempt.state == AttemptState.GRADED
    changed = not was_graded or (attempt.score, attempt.passed) != (total, passed)
    if was_graded and changed:
        attempt.regraded_at = now
    attempt.state = AttemptState.GRADED
    attempt.score, attempt.max_score, attempt.percent, attempt.passed = (
        total,
        maximum,
        percent,
        passed,
    )
    db.session.flush()
    if changed:
        for hook in on_attempt_graded:
            hook(attempt)
    return changed


def grade_item(actor: User, item: AttemptItem, score: float, note: str, now: datetime) -> Attempt:
    """Record a trainer's score (0..points) and note for a short answer; settle the attempt.

    The caller has checked that ``actor`` may grade the attempt's cohort.

    :raises GradingError: when the item is not a short answer, the attempt is still in
        progress, or the score is outside 0..points.
    """
    attempt = db.session.scalar(select(Attempt).where(Attempt.id == item.attempt_id).with_for_update())
    if attempt.state == AttemptState.IN_PROGRESS:
        raise GradingError(_l("This attempt is still in progress."))
    version = db.session.get(QuestionVersion, item.graded_version_id or item.question_version_id)
    if version.data["type"] != QuestionType.SHORT_ANSWER:
        raise GradingError(_l("Only short answers are graded by hand."))
    if not 0 <= score <= item.points:
        raise GradingError(_l("The score must be between 0 and %(points)s.", points=format(item.points, "g")))
    items = load_items(attempt, lock=True)
    target = next(i for i in items if i.id == item.id)
    target.score = round(float(score), 4)
    target.is_correct = target.score >= target.points
    target.grader_note = note
    target.graded_by_id = actor.id
    target.graded_at = now
    settle(attempt, items, now)
    record(actor, "attempt.grade", attempt, item=item.id, score=target.score)
    return attempt


@dataclass
class RegradeSummary:
    attempts: int = 0  #: finished attempts whose items were scored again
    changed: int = 0  #: graded attempts whose score or pass changed
    skipped: int = 0  #: items answered on a version the correction cannot apply to


def _compatible(answered: dict, correction: dict) -> bool:
    """A correction can grade an answer only if the type and number of options match."""
    return answered["type"] == correction["type"] and len(answered.get("options") or []) == len(
        correction.get("options") or []
    )


def regrade_question(actor: User, question: Question, version: QuestionVersion, now: datetime) -> RegradeSummary:
    """Grade every attempt item of ``question`` again on ``version``'s answer key.

    Finished attempts get new item scores and totals (``regraded_at`` when a graded attempt
    changed); attempts still in progress are pointed at the correction, so they are graded
    on it when they finish. Items keep the version they were answered on.

    :raises AccessDenied: when ``actor`` is not staff of the course (or is taking it).
    :raises GradingError: for short answers (trainers grade those) or a version of
        another question.
    """
    check_question(actor, question, "regrade")  # in the transaction of the write
    if version.question_id != question.id:
        raise GradingError(_l("That version belongs to another question."))
    if version.data["type"] == QuestionType.SHORT_ANSWER:
        raise GradingError(_l("Short answers are graded by trainers; there is no key to regrade."))
    answered = aliased(QuestionVersion)
    rows = db.session.execute(
        select(AttemptItem, answered.data)
        .join(answered, answered.id == AttemptItem.question_version_id)
        .where(AttemptItem.question_id == question.id)
        .order_by(AttemptItem.attempt_id)
    ).all()
    summary = RegradeSummary()
    touched: set[int] = set()
    for item, answered_data in rows:
        if not _compatible(answered_data, version.data):
            summary.skipped += 1
            continue
        item.graded_version_id = None if version.id == item.question_version_id else version.id
        touched.add(item.attempt_id)
    db.session.flush()
    attempts = (
        db.session.scalars(
            select(Attempt)
            .where(Attempt.id.in_(touched), Attempt.state != AttemptState.IN_PROGRESS)
            .order_by(Attempt.id)
            .with_for_update()
        ).all()
        if touched
        else []
    )
    for attempt in attempts:
        items = load_items(attempt)
        score_objective_items(attempt, items)
        summary.attempts += 1
        was_graded = attempt.state == AttemptState.GRADED
        if settle(attempt, items, now) and was_graded:
            summary.changed += 1
    record(
        actor,
        "question.regrade",
        question,
        version=version.version,
        attempts=summary.attempts,
        changed=summary.changed,
        skipped=summary.skipped,
    )
    return summary
