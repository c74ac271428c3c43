"""Cohort progress from ``lesson_progress``: by module, by trainee, and who has gone quiet.

A module counts as completed by a trainee when every lesson of it in the cohort's structure
(``learning.structure.cohort_lessons``) is completed; only
active members of the cohort count. ``lesson_progress`` is per course, not per cohort, so a
trainee in two cohorts of the same course shows the same progress in both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, select

from lms.auth.models import User
from lms.cohorts.models import Cohort, Enrolment, EnrolmentStatus
from lms.db import utcnow
from lms.extensions import db
from lms.learning.models import Module
from lms.learning.progress_models import LessonProgress
from lms.learning.structure import cohort_lessons

from .funnel import active_members


def _lessons(cohort: Cohort):
    return cohort_lessons(cohort).subquery("current_lessons")


def _per_user_module(cohort: Cohort):
    """Per (member, module): lessons seen and lessons completed, current lessons only."""
    lessons = _lessons(cohort)
    query = (
        select(
            LessonProgress.user_id,
            lessons.c.module_id,
            func.count().label("seen"),
            func.count(LessonProgress.completed_at).label("done"),
        )
        .join(lessons, lessons.c.id == LessonProgress.lesson_id)
        .where(LessonProgress.user_id.in_(active_members(cohort.id)))
        .group_by(LessonProgress.user_id, lessons.c.module_id)
    )
    return query.subquery("per_user_module"), lessons


def _module_sizes(lessons):
    return (select(lessons.c.module_id, func.count().label("size")).group_by(lessons.c.module_id)).subquery(
        "module_sizes"
    )


def module_completions(cohort: Cohort):
    """Per member with at least one completed module: modules completed and their 学时."""
    per, lessons = _per_user_module(cohort)
    sizes = _module_sizes(lessons)
    return db.session.execute(
        select(
            per.c.user_id,
            func.count().label("modules"),
            func.sum(Module.credit_hours).label("hours"),
        )
        .join(sizes, and_(sizes.c.module_id == per.c.module_id, per.c.done == sizes.c.size))
        .join(Module, Module.id == per.c.module_id)
        .group_by(per.c.user_id)
    ).all()


@dataclass
class ModuleProgress:
    module_id: int
    key: str
    title: str
    lessons: int
    started: int  #: members who opened at least one lesson of it
    completed: int  #: members who completed all its lessons
    members: int

    @property
    def completion(self) -> float | None:
        return self.completed / self.members if self.members else None

    @property
    def started_share(self) -> float | None:
        return self.started / self.members if self.members else None


def module_progress(cohort: Cohort, members: int) -> list[ModuleProgress]:
    """Started and completed counts for each current module, in course order."""
    per, lessons = _per_user_module(cohort)
    sizes = _module_sizes(lessons)
    counts = (
        select(
            per.c.module_id,
            func.count().label("started"),
            func.sum(case((per.c.done == sizes.c.size, 1), else_=0)).label("completed"),
        )
        .join(sizes, sizes.c.module_id == per.c.module_id)
        .group_by(per.c.module_id)
    ).subquery()
    rows = db.session.execute(
        select(
            Module.id,
            Module.key,
            Module.title,
            sizes.c.size,
            func.coalesce(counts.c.started, 0).label("started"),
            func.coalesce(counts.c.completed, 0).label("completed"),
        )
        .join(sizes, sizes.c.module_id == Module.id)
        .outerjoin(counts, counts.c.module_id == Module.id)
        .order_by(Module.position)
    ).all()
    return [ModuleProgress(r.id, r.key, r.title, r.size, r.started, r.completed, members) for r in rows]


@dataclass
class TraineeProgress:
    user_id: int
    name: str
    phone: str | None
    province: str
    city: str
    county: str
    work_unit: str
    position: str
    lessons_done: int
    modules_done: int
    hours: float | None
    active_seconds: int
    last_seen_at: datetime | None


def _member_rows(cohort: Cohort):
    lessons = _lessons(cohort)
    progress = (
        select(
            LessonProgress.user_id,
            func.count(LessonProgress.completed_at).label("done"),
            func.sum(LessonProgress.active_seconds).label("seconds"),
            func.max(LessonProgress.last_seen_at).label("last_seen"),
        )
        .join(lessons, lessons.c.id == LessonProgress.lesson_id)
        .where(LessonProgress.user_id.in_(active_members(cohort.id)))
        .group_by(LessonProgress.user_id)
    ).subquery()
    return (
        select(
            User.id,
            User.name,
            User.phone,
            User.province,
            User.city,
            User.county,
            User.work_unit,
            User.position,
            progress.c.done,
            progress.c.seconds,
            progress.c.last_seen,
        )
        .join(Enrolment, Enrolment.user_id == User.id)
        .outerjoin(progress, progress.c.user_id == User.id)
        .where(Enrolment.cohort_id == cohort.id, Enrolment.status == EnrolmentStatus.ACTIVE)
    ), progress


def trainee_progress(cohort: Cohort, hours: dict[int, float]) -> list[TraineeProgress]:
    """Every active member with lessons and modules completed, 学时, time and last activity."""
    query, _ = _member_rows(cohort)
    modules = {row.user_id: row.modules for row in module_completions(cohort)}
    rows = db.session.execute(query.order_by(User.name, User.id)).all()
    return [
        TraineeProgress(
            r.id,
            r.name,
            r.phone,
            r.province,
            r.city,
            r.county,
            r.work_unit,
            r.position,
            r.done or 0,
            modules.get(r.id, 0),
            hours.get(r.id, 0.0),
            r.seconds or 0,
            r.last_seen,
        )
        for r in rows
    ]


def inactive_trainees(cohort: Cohort, days: int, now: datetime | None = None) -> list[TraineeProgress]:
    """Active members with no lesson activity in the last ``days`` days (or none at all)."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    query, progress = _member_rows(cohort)
    rows = db.session.execute(
        query.where((progress.c.last_seen.is_(None)) | (progress.c.last_seen < cutoff)).order_by(
            progress.c.last_seen.is_(None).desc(), progress.c.last_seen, User.name
        )
    ).all()
    return [
        TraineeProgress(
            r.id,
            r.name,
            r.phone,
            r.province,
            r.city,
            r.county,
            r.work_unit,
            r.position,
            r.done or 0,
            0,
            None,
            r.seconds or 0,
            r.last_seen,
        )
        for r in rows
    ]


def lesson_completion(cohort_ids, lesson_ids) -> tuple[int, int]:
    """(members, members who completed every one of ``lesson_ids``) over several cohorts."""
    lesson_ids = list(lesson_ids)
    members = (
        select(Enrolment.user_id)
        .where(Enrolment.cohort_id.in_(list(cohort_ids)), Enrolment.status == EnrolmentStatus.ACTIVE)
        .distinct()
    ).subquery()
    total = db.session.scalar(select(func.count()).select_from(members))
    if not lesson_ids or not total:
        return total or 0, 0
    done = (
        select(LessonProgress.user_id)
        .where(
            LessonProgress.user_id.in_(select(members.c.user_id)),
            LessonProgress.lesson_id.in_(lesson_ids),
            LessonProgress.completed_at.is_not(None),
        )
        .group_by(LessonProgress.user_id)
        .having(func.count() == len(lesson_ids))
    ).subquery()
    return total, db.session.scalar(select(func.count()).select_from(done))
