"""Which structure a trainee is measured against: the lessons, quiz and 学时 of each module.

A cohort that has started when the course's structure changes is pinned to the structure it
ran on (``Cohort.structure_id``); a cohort with no pin follows the current rows. A trainee
whose cohort was moved to a newer structure keeps the modules they had finished on the older
one (``Enrolment.module_pins``). Everything that says whether a module is done or how many
学时 a trainee has reads its plan from here, never "the current content" directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from lms.assessment.models import Quiz, QuizKind
from lms.extensions import db

from .models import Course, Lesson, Module, StructureLesson, StructureModule

_LESSON_COLUMNS = (Lesson.id, Lesson.module_id, Lesson.key, Lesson.title, Lesson.kind, Lesson.minutes)


@dataclass
class ModulePlan:
    module: Module  #: the current row (title, key, summary for display)
    version: int  #: the module version this plan is of
    hours: float
    prerequisites: list[str]
    quiz_id: int | None
    lessons: list = field(default_factory=list)  #: rows: id, module_id, key, title, kind, minutes
    structure_id: int | None = None  #: None: the current rows


@dataclass(frozen=True)
class Placement:
    """Where one trainee stands structurally: the cohort's pin and their own module pins."""

    structure_id: int | None = None
    module_pins: dict = field(default_factory=dict)  #: {module id (text): structure id}

    def structure_ids(self) -> set[int | None]:
        return {self.structure_id, *(int(s) for s in self.module_pins.values())}


def live_plan(course: Course) -> list[ModulePlan]:
    """The course as its current rows have it (modules and lessons not retired)."""
    modules = db.session.scalars(
        select(Module).where(Module.course_id == course.id, Module.is_retired.is_(False)).order_by(Module.position)
    ).all()
    lessons = db.session.execute(
        select(*_LESSON_COLUMNS)
        .where(Lesson.course_id == course.id, Lesson.is_retired.is_(False))
        .order_by(Lesson.position)
    ).all()
    quizzes = dict(
        db.session.execute(
            select(Quiz.module_id, Quiz.id).where(
                Quiz.course_id == course.id, Quiz.kind == QuizKind.MODULE_QUIZ, Quiz.live()
            )
        ).all()
    )
    by_module: dict[int, list] = {}
    for row in lessons:
        by_module.setdefault(row.module_id, []).append(row)
    return [
        ModulePlan(
            m,
            m.version,
            float(m.credit_hours or 0),
            list(m.prerequisites or []),
            quizzes.get(m.id),
            by_module.get(m.id, []),
        )
        for m in modules
    ]


def stored_plans(structure_ids) -> dict[int, list[ModulePlan]]:
    """The plans of stored structures, in three queries whatever their number."""
    ids = [s for s in structure_ids if s is not None]
    if not ids:
        return {}
    entries = db.session.scalars(
        select(StructureModule)
        .where(StructureModule.structure_id.in_(ids))
        .order_by(StructureModule.structure_id, StructureModule.position)
    ).all()
    modules = {m.id: m for m in db.session.scalars(select(Module).where(Module.id.in_({e.module_id for e in entries})))}
    lesson_rows = db.session.execute(
        select(StructureLesson.structure_id, StructureLesson.module_id.label("plan_module"), *_LESSON_COLUMNS)
        .join(Lesson, Lesson.id == StructureLesson.lesson_id)
        .where(StructureLesson.structure_id.in_(ids))
        .order_by(StructureLesson.position)
    ).all()
    lessons: dict[tuple[int, int], list] = {}
    for row in lesson_rows:
        lessons.setdefault((row.structure_id, row.plan_module), []).append(row)
    plans: dict[int, list[ModulePlan]] = {s: [] for s in ids}
    for e in entries:
        plans[e.structure_id].append(
            ModulePlan(
                modules[e.module_id],
                e.module_version,
                float(e.credit_hours or 0),
                list(e.prerequisites or []),
                e.quiz_id,
                lessons.get((e.structure_id, e.module_id), []),
                e.structure_id,
            )
        )
    return plans


def plans_for(course: Course, placements) -> dict[int | None, list[ModulePlan]]:
    """Every plan the given placements need, the current one under None."""
    needed: set[int | None] = set()
    for placement in placements:
        needed |= placement.structure_ids()
    plans: dict[int | None, list[ModulePlan]] = dict(stored_plans(needed))
    if None in needed:
        plans[None] = live_plan(course)
    return plans


def trainee_plan(placement: Placement, plans: dict) -> list[ModulePlan]:
    """The cohort's plan with the trainee's pinned modules as they were when finished."""
    base = plans[placement.structure_id]
    if not placement.module_pins:
        return base
    result = []
    for plan in base:
        pinned = placement.module_pins.get(str(plan.module.id))
        found = None
        if pinned is not None:
            found = next((p for p in plans.get(int(pinned), []) if p.module.id == plan.module.id), None)
        result.append(found or plan)
    present = {p.module.id for p in base}
    for module_id, pinned in placement.module_pins.items():  # finished modules removed since
        if int(module_id) not in present:
            result += [p for p in plans.get(int(pinned), []) if p.module.id == int(module_id)]
    return result


def placement_of(user_id: int, course: Course, cohort_id: int | None = None) -> Placement:
    """The trainee's placement in ``cohort_id``, or in their newest active cohort of the
    course; staff and outsiders see the current rows."""
    from lms.cohorts.models import Cohort, Enrolment, EnrolmentStatus

    query = (
        select(Cohort.structure_id, Enrolment.module_pins)
        .join(Enrolment, Enrolment.cohort_id == Cohort.id)
        .where(Enrolment.user_id == user_id, Cohort.course_id == course.id)
    )
    if cohort_id is not None:
        query = query.where(Cohort.id == cohort_id)
    else:
        query = query.where(Enrolment.status == EnrolmentStatus.ACTIVE)
    row = db.session.execute(query.order_by(Cohort.starts_on.desc(), Cohort.id.desc()).limit(1)).first()
    if row is None:
        return Placement()
    return Placement(row.structure_id, dict(row.module_pins or {}))


def cohort_placements(cohort_id: int) -> dict[int, Placement]:
    """{user id: placement} of the cohort's active members, in one query."""
    from lms.cohorts.models import Cohort, Enrolment, EnrolmentStatus

    rows = db.session.execute(
        select(Enrolment.user_id, Cohort.structure_id, Enrolment.module_pins)
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .where(Enrolment.cohort_id == cohort_id, Enrolment.status == EnrolmentStatus.ACTIVE)
    ).all()
    return {r.user_id: Placement(r.structure_id, dict(r.module_pins or {})) for r in rows}


def plan_lesson_ids(plan: list[ModulePlan]) -> set[int]:
    return {lesson.id for module in plan for lesson in module.lessons}


def cohort_lessons(cohort):
    """A select of (id, module_id) of the lessons the cohort's structure asks for: the pinned
    structure's, or the current lessons in current modules while the cohort follows them.
    (Trainees' own module pins are left to the standings.)"""
    if cohort.structure_id is not None:
        return select(StructureLesson.lesson_id.label("id"), StructureLesson.module_id).where(
            StructureLesson.structure_id == cohort.structure_id
        )
    return (
        select(Lesson.id, Lesson.module_id)
        .join(Module, Module.id == Lesson.module_id)
        .where(Lesson.course_id == cohort.course_id, Lesson.is_retired.is_(False), Module.is_retired.is_(False))
    )
