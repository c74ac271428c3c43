"""The cohort funnel (enrolled → started → completed → certified) as a registry of stages.

Each stage is a function ``count(cohort) -> int`` (a SQL COUNT). The stages this package can
compute from the tables it reads are registered here; other domains add theirs with
:func:`register_stage` when the app starts, e.g. the certificates domain::

    register_stage("certified", _l("Certified"), count_certified, after="completed")

A stage that is not registered is simply not shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, or_, select

from lms.assessment.models import Attempt
from lms.cohorts.models import Cohort, Enrolment, EnrolmentStatus
from lms.extensions import db
from lms.learning.models import Lesson, Module
from lms.learning.progress_models import LessonProgress

Counter = Callable[[Cohort], int]


@dataclass(frozen=True)
class Stage:
    key: str
    label: object  #: a lazy string, translated when shown
    count: Counter


_stages: list[Stage] = []


def register_stage(key: str, label, count: Counter, after: str | None = None) -> None:
    """Add a funnel stage (or replace the one with the same key), after stage ``after``
    or at the end."""
    global _stages
    stages = [s for s in _stages if s.key != key]
    stage = Stage(key, label, count)
    index = next((i + 1 for i, s in enumerate(stages) if s.key == after), len(stages))
    stages.insert(index, stage)
    _stages = stages


def stages() -> list[Stage]:
    return list(_stages)


@dataclass(frozen=True)
class StageCount:
    key: str
    label: object
    count: int
    share: float | None  #: of the first stage, 0-1


def funnel(cohort: Cohort) -> list[StageCount]:
    """Every registered stage's count for ``cohort``, with its share of the first stage."""
    counts = [(s, s.count(cohort)) for s in _stages]
    first = counts[0][1] if counts else 0
    return [StageCount(s.key, s.label, n, n / first if first else None) for s, n in counts]


def active_members(cohort_id: int):
    """A select of the user ids actively enrolled in the cohort."""
    return select(Enrolment.user_id).where(Enrolment.cohort_id == cohort_id, Enrolment.status == EnrolmentStatus.ACTIVE)


def current_lessons(course_id: int):
    """A select of the ids of the course's current lessons (in current modules)."""
    return (
        select(Lesson.id)
        .join(Module, Module.id == Lesson.module_id)
        .where(
            Lesson.course_id == course_id,
            Lesson.is_retired.is_(False),
            Module.is_retired.is_(False),
        )
    )


def count_enrolled(cohort: Cohort) -> int:
    return db.session.scalar(select(func.count()).select_from(active_members(cohort.id).subquery()))


def count_started(cohort: Cohort) -> int:
    """Members who opened a lesson of the course or took a quiz in the cohort."""
    members = active_members(cohort.id).subquery()
    opened = exists().where(LessonProgress.user_id == members.c.user_id, LessonProgress.course_id == cohort.course_id)
    attempted = exists().where(Attempt.user_id == members.c.user_id, Attempt.cohort_id == cohort.id)
    return db.session.scalar(select(func.count()).select_from(members).where(or_(opened, attempted)))


def count_completed(cohort: Cohort) -> int:
    """Members who completed every lesson of the cohort's course structure."""
    from lms.learning.structure import cohort_lessons

    lessons = cohort_lessons(cohort).subquery()
    total = db.session.scalar(select(func.count()).select_from(lessons))
    if not total:
        return 0
    done = (
        select(LessonProgress.user_id)
        .join(lessons, lessons.c.id == LessonProgress.lesson_id)
        .where(
            LessonProgress.user_id.in_(active_members(cohort.id)),
            LessonProgress.completed_at.is_not(None),
        )
        .group_by(LessonProgress.user_id)
        .having(func.count() == total)
    ).subquery()
    return db.session.scalar(select(func.count()).select_from(done))


register_stage("enrolled", _l("Enrolled"), count_enrolled)
register_stage("started", _l("Started"), count_started)
register_stage("completed", _l("Completed all lessons"), count_completed)
