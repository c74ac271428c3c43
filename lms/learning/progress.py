"""Recording a trainee's progress: lesson views, active time (heartbeats) and completion.

Every function here writes and must run inside ``write_transaction()``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select, update

from lms.db import insert_ignore, utcnow
from lms.extensions import db

from .models import Course, Lesson
from .progress_models import LessonProgress

#: the most active time one heartbeat may add: the page beats every 30 s, so anything longer
#: is a tab that slept or a forged request
MAX_BEAT_SECONDS = 60
#: network delay allowed between the page's clock and the server's
BEAT_SLACK_SECONDS = 5

#: how stale ``last_seen_at`` may get before a page view updates it (heartbeats update it too)
VIEW_REFRESH = timedelta(minutes=5)

#: called as hook(user_id, lesson) after a lesson becomes complete, inside the transaction
#: (certificates are issued the moment the last requirement is met)
on_lesson_completed: list[Callable[[int, Lesson], None]] = []


def _progress_row(user_id: int, lesson: Lesson) -> LessonProgress:
    """The trainee's row for the lesson, created on first use (safe under parallel requests)."""
    insert_ignore(
        LessonProgress,
        user_id=user_id,
        lesson_id=lesson.id,
        course_id=lesson.course_id,
        lesson_version=lesson.version,
        first_seen_at=utcnow(),
        last_seen_at=utcnow(),
        active_seconds=0,
        position="",
        last_beat="",
    )
    return db.session.scalar(
        select(LessonProgress)
        .where(LessonProgress.user_id == user_id, LessonProgress.lesson_id == lesson.id)
        .with_for_update()
    )


def record_view(user_id: int, lesson: Lesson) -> LessonProgress:
    """The trainee opened the lesson: remember when and which version they saw."""
    row = _progress_row(user_id, lesson)
    row.last_seen_at = utcnow()
    if row.completed_at is None:
        row.lesson_version = lesson.version
    return row


def view_is_news(row: LessonProgress | None, lesson: Lesson) -> bool:
    """Whether opening the lesson must be written down: a first view, a new version, or the
    first view in a while (reloading the page does not take the write lock each time)."""
    return (
        row is None
        or (row.completed_at is None and row.lesson_version != lesson.version)
        or utcnow() - row.last_seen_at > VIEW_REFRESH
    )


def record_heartbeat(
    user_id: int, lesson: Lesson, view_id: str, seq: int, seconds: int, position: str, now=None
) -> bool:
    """Add active time reported by the lesson page; False when the beat was a replay.

    A page view beats with an increasing ``seq``; a beat whose (view, seq) is not newer than
    the last one recorded is ignored, so a retried request never counts twice.
    """
    row = _progress_row(user_id, lesson)
    last_view, _, last_seq = row.last_beat.partition(":")
    if last_view == view_id and last_seq.isdigit() and seq <= int(last_seq):
        return False
    # never more than the time since the last beat: two tabs or a replay do not count twice
    now = now or utcnow()
    elapsed = int((now - row.last_seen_at).total_seconds()) + BEAT_SLACK_SECONDS
    row.active_seconds += max(0, min(seconds, MAX_BEAT_SECONDS, elapsed))
    row.last_seen_at = now
    row.last_beat = f"{view_id}:{seq}"
    if position:
        row.position = position
    return True


class NotStudiedEnough(ValueError):
    """The lesson's minimum of active study (the credit rule) is not met yet."""


def complete_lesson(user_id: int, lesson: Lesson, rule=None) -> bool:
    """Mark the lesson complete; True only the first time (hooks run once).

    :param rule: the credit rule in force (default: the rule of the trainee's cohort).
    :raises NotStudiedEnough: before the rule's minimum of active time, with the reason.
    """
    from .credit import completion_refusal, learner_rule

    row = _progress_row(user_id, lesson)
    if row.completed_at is None:
        if rule is None:
            rule = learner_rule(user_id, db.session.get(Course, lesson.course_id))
        refusal = completion_refusal(rule, lesson.minutes, row.active_seconds)
        if refusal:
            raise NotStudiedEnough(refusal)
    changed = db.session.execute(
        update(LessonProgress)
        .where(LessonProgress.id == row.id, LessonProgress.completed_at.is_(None))
        .values(completed_at=utcnow(), lesson_version=lesson.version, last_seen_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.expire(row)
    if changed:
        for hook in on_lesson_completed:
            hook(user_id, lesson)
    return bool(changed)


def lesson_progress(user_id: int, lesson_id: int) -> LessonProgress | None:
    return db.session.scalar(
        select(LessonProgress).where(LessonProgress.user_id == user_id, LessonProgress.lesson_id == lesson_id)
    )
