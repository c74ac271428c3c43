"""Publishing a course's structure: which lessons, quiz and 学时 make each module.

Every writer of content (the course loader, the browser editor) calls :func:`record_structure`
after it wrote. When the structure changed, the cohorts that have already started and still
followed the current rows are pinned to the structure they ran on, a new structure row is
written, and a module whose lessons, quiz or prerequisites changed without a new version of
its own gets one (so records can be told apart by module version). Cohorts that start later
run on the new structure. A running cohort moves only when the publisher chooses so
(:func:`move_cohorts`); its trainees keep each module they had finished as they took it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select

from lms.assessment.models import Quiz
from lms.extensions import db
from lms.learning.models import (
    Course,
    CourseStructure,
    Module,
    ModuleVersion,
    StructureLesson,
    StructureModule,
)
from lms.learning.structure import ModulePlan, live_plan, stored_plans

from .publish import publish_version


def local_today(now: datetime | None = None) -> date:
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai"))
    return (now or datetime.now(ZoneInfo("UTC"))).astimezone(zone).date()


def _shape(plan: list[ModulePlan]) -> dict[int, tuple]:
    """What counts as structure, per module: lessons, hours, prerequisites and quiz (not
    their order, not titles or text)."""
    return {
        p.module.id: (
            frozenset(lesson.id for lesson in p.lessons),
            round(p.hours, 2),
            tuple(sorted(p.prerequisites)),
            p.quiz_id,
        )
        for p in plan
    }


def latest_structure(course_id: int) -> CourseStructure | None:
    return db.session.scalar(
        select(CourseStructure)
        .where(CourseStructure.course_id == course_id)
        .order_by(CourseStructure.number.desc())
        .limit(1)
    )


def changed_modules(before: list[ModulePlan], after: list[ModulePlan]) -> list[int]:
    """Ids of modules added, removed or changed in structure between two plans."""
    old, new = _shape(before), _shape(after)
    return sorted(m for m in old.keys() | new.keys() if old.get(m) != new.get(m))


def _write(course: Course, plan: list[ModulePlan], source: str, actor_id: int | None) -> CourseStructure:
    number = (
        db.session.scalar(select(func.max(CourseStructure.number)).where(CourseStructure.course_id == course.id)) or 0
    )
    structure = CourseStructure(course_id=course.id, number=number + 1, source=source, created_by_id=actor_id)
    db.session.add(structure)
    db.session.flush()
    for position, p in enumerate(plan):
        db.session.add(
            StructureModule(
                structure_id=structure.id,
                module_id=p.module.id,
                module_version=p.module.version,
                position=position,
                credit_hours=p.hours,
                prerequisites=p.prerequisites,
                quiz_id=p.quiz_id,
            )
        )
        for i, lesson in enumerate(p.lessons):
            db.session.add(
                StructureLesson(structure_id=structure.id, module_id=p.module.id, lesson_id=lesson.id, position=i)
            )
    db.session.flush()
    return structure


def _bump_module(module: Module, plan: ModulePlan, source: str, actor_id: int | None) -> None:
    """A new version of a module whose structure changed while its own content did not."""
    previous = db.session.scalar(
        select(ModuleVersion.data).where(ModuleVersion.module_id == module.id, ModuleVersion.version == module.version)
    )
    quiz_key = db.session.scalar(select(Quiz.key).where(Quiz.id == plan.quiz_id)) if plan.quiz_id else None
    data = dict(previous or {}) | {"lessons": [lesson.key for lesson in plan.lessons], "quiz": quiz_key}
    publish_version(module, module.content_hash, data, source, actor_id)


@dataclass
class StructureChange:
    previous: CourseStructure | None
    structure: CourseStructure
    modules: list[int]  #: ids of the modules whose structure changed


def record_structure(
    course: Course,
    source: str = "files",
    actor_id: int | None = None,
    today: date | None = None,
) -> StructureChange | None:
    """Write a new structure when the current rows differ from the latest one (else None).

    Call it after writing content, inside the same transaction.
    """
    today = today or local_today()
    latest = latest_structure(course.id)
    current = live_plan(course)
    if latest is not None:
        before = stored_plans([latest.id])[latest.id]
        changed = changed_modules(before, current)
        if not changed:
            return None
        old_versions = {p.module.id: p.version for p in before}
        for plan in current:
            if plan.module.id in changed and plan.module.version == old_versions.get(plan.module.id):
                _bump_module(plan.module, plan, source, actor_id)
                plan.version = plan.module.version
        _pin_started_cohorts(course, latest, today)
    else:
        if not current:
            return None
        changed = [p.module.id for p in current]
    structure = _write(course, current, source, actor_id)
    return StructureChange(latest, structure, changed)


def _pin_started_cohorts(course: Course, structure: CourseStructure, today: date) -> None:
    from lms.cohorts.models import Cohort

    for cohort in db.session.scalars(
        select(Cohort).where(Cohort.course_id == course.id, Cohort.structure_id.is_(None), Cohort.starts_on <= today)
    ):
        cohort.structure_id = structure.id
    db.session.flush()


def snapshot_before_writing(course: Course, today: date | None = None) -> None:
    """Before a writer changes a course: make sure the structure trainees are on is stored
    (a course from before structures were recorded has none yet)."""
    if course.id is None:
        return
    latest = latest_structure(course.id)
    current = live_plan(course)
    if not current:
        return
    if latest is None or changed_modules(stored_plans([latest.id])[latest.id], current):
        if latest is not None:
            _pin_started_cohorts(course, latest, today or local_today())
        _write(course, current, "files", None)


# -- running cohorts -----------------------------------------------------------------------


@dataclass
class CohortImpact:
    cohort: object  #: Cohort
    members: int
    #: per changed module: (module, trainees who have not finished it and would get the change)
    affected: list[tuple[Module, int]]


def running_cohorts(course: Course, today: date | None = None) -> list:
    """Cohorts that have started, not ended, and are on an older structure."""
    from lms.cohorts.models import Cohort

    today = today or local_today()
    latest = latest_structure(course.id)
    if latest is None:
        return []
    return db.session.scalars(
        select(Cohort)
        .where(
            Cohort.course_id == course.id,
            Cohort.starts_on <= today,
            Cohort.ends_on >= today,
            Cohort.structure_id.is_not(None),
            Cohort.structure_id != latest.id,
        )
        .order_by(Cohort.starts_on, Cohort.id)
    ).all()


def impacts(course: Course, today: date | None = None) -> tuple[CourseStructure | None, list[CohortImpact]]:
    """For each running cohort on an older structure: how many trainees each change would reach."""
    from lms.learning.standing import cohort_standings

    latest = latest_structure(course.id)
    cohorts = running_cohorts(course, today)
    if latest is None or not cohorts:
        return latest, []
    plans = stored_plans({latest.id, *(c.structure_id for c in cohorts)})
    result = []
    for cohort in cohorts:
        changed = changed_modules(plans[cohort.structure_id], plans[latest.id])
        standings = cohort_standings(course, cohort.id)
        modules = {p.module.id: p.module for p in plans[latest.id] + plans[cohort.structure_id]}
        affected = []
        for module_id in changed:
            unfinished = sum(
                1 for s in standings.values() if not ((m := s.module(module_id)) is not None and m.is_done)
            )
            affected.append((modules[module_id], unfinished))
        result.append(CohortImpact(cohort, len(standings), affected))
    return latest, result


def move_cohorts(course: Course, cohort_ids: set[int], today: date | None = None) -> list:
    """Move running cohorts to the latest structure. A trainee keeps each changed module they
    had finished on the structure they finished it on. Returns the cohorts moved."""
    from lms.cohorts.models import Enrolment
    from lms.learning.standing import cohort_standings

    latest = latest_structure(course.id)
    moved = []
    for cohort in running_cohorts(course, today):
        if cohort.id not in cohort_ids:
            continue
        plans = stored_plans({latest.id, cohort.structure_id})
        changed = changed_modules(plans[cohort.structure_id], plans[latest.id])
        standings = cohort_standings(course, cohort.id)
        enrolments = {
            e.user_id: e
            for e in db.session.scalars(select(Enrolment).where(Enrolment.cohort_id == cohort.id).with_for_update())
        }
        for user_id, standing in standings.items():
            pins = dict(enrolments[user_id].module_pins or {})
            for module_id in changed:
                found = standing.module(module_id)
                if found is not None and found.is_done and str(module_id) not in pins:
                    pins[str(module_id)] = cohort.structure_id
            enrolments[user_id].module_pins = pins
        cohort.structure_id = latest.id
        moved.append(cohort)
    db.session.flush()
    return moved
