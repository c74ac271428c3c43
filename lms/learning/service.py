"""Reading course structure and deciding who may see a course."""

from __future__ import annotations

from sqlalchemy import exists, select

from lms.access import AccessDenied, NotFound, is_course_staff, takes_course
from lms.auth.models import Role, User
from lms.cohorts.models import Cohort, Enrolment, EnrolmentStatus
from lms.extensions import db

from .models import Course, GlossaryTerm, Lesson, Module


def can_view_course(user: User, course: Course) -> bool:
    """Staff see every course; a trainee sees the courses of cohorts they belong to."""
    if user.has_role(Role.ORGANIZER, Role.TRAINER):
        return True
    return db.session.scalar(
        select(
            exists().where(
                Enrolment.user_id == user.id,
                Enrolment.status == EnrolmentStatus.ACTIVE,
                Enrolment.cohort_id == Cohort.id,
                Cohort.course_id == course.id,
            )
        )
    )


def load_lesson_for(user: User, course_key: str, lesson_key: str, action: str = "view") -> tuple[Course, Lesson]:
    """The course and lesson ``user`` may ``action``: ``view`` (read it) or ``record``
    (complete it, send active time: its trainees and its own staff, not other trainers).

    :raises NotFound: no such course or lesson.
    :raises AccessDenied: the user may not do that here.
    """
    course = get_course(course_key)
    if course is None:
        raise NotFound(course_key)
    if not can_view_course(user, course):
        raise AccessDenied("view")
    if action == "record" and not (takes_course(user, course.id) or is_course_staff(user, course.id)):
        raise AccessDenied("record")
    lesson = get_lesson(course, lesson_key)
    if lesson is None:
        raise NotFound(lesson_key)
    return course, lesson


def active_courses() -> list[Course]:
    """Every course that is not retired, by title."""
    return db.session.scalars(select(Course).where(Course.is_retired.is_(False)).order_by(Course.title)).all()


def get_course(key: str) -> Course | None:
    return db.session.scalar(select(Course).where(Course.key == key, Course.is_retired.is_(False)))


def course_outline(course: Course) -> list[tuple[Module, list[Lesson]]]:
    """The course's current modules with their current lessons, in two queries."""
    modules = db.session.scalars(
        select(Module).where(Module.course_id == course.id, Module.is_retired.is_(False)).order_by(Module.position)
    ).all()
    lessons = db.session.execute(
        select(Lesson.id, Lesson.module_id, Lesson.key, Lesson.title, Lesson.kind, Lesson.minutes)
        .where(Lesson.course_id == course.id, Lesson.is_retired.is_(False))
        .order_by(Lesson.position)
    ).all()
    by_module: dict[int, list] = {}
    for row in lessons:
        by_module.setdefault(row.module_id, []).append(row)
    return [(m, by_module.get(m.id, [])) for m in modules]


def get_lesson(course: Course, key: str, retired: bool = False) -> Lesson | None:
    """The course's current lesson ``key`` (with ``retired``: only a retired one)."""
    return db.session.scalar(
        select(Lesson).where(Lesson.course_id == course.id, Lesson.key == key, Lesson.is_retired.is_(retired))
    )


def neighbours(course: Course, lesson: Lesson) -> tuple:
    """The previous and next lessons in course order (rows with key and title), or None."""
    ordered = db.session.execute(
        select(Lesson.id, Lesson.key, Lesson.title)
        .join(Module, Module.id == Lesson.module_id)
        .where(Lesson.course_id == course.id, Lesson.is_retired.is_(False), Module.is_retired.is_(False))
        .order_by(Module.position, Lesson.position)
    ).all()
    i = next((i for i, row in enumerate(ordered) if row.id == lesson.id), None)
    if i is None:  # a retired lesson a pinned cohort still reads
        return None, None
    return (ordered[i - 1] if i > 0 else None, ordered[i + 1] if i + 1 < len(ordered) else None)


def glossary(course: Course):
    return db.session.execute(
        select(
            GlossaryTerm.term,
            GlossaryTerm.definition,
            Lesson.key.label("lesson_key"),
            Lesson.title.label("lesson_title"),
        )
        .outerjoin(Lesson, Lesson.id == GlossaryTerm.lesson_id)
        .where(GlossaryTerm.course_id == course.id)
        .order_by(GlossaryTerm.position)
    ).all()


def learner_cohort_id(user_id: int, course: Course) -> int | None:
    """The newest cohort of the course the user is an active member of (None for staff)."""
    return db.session.scalar(
        select(Cohort.id)
        .join(Enrolment, Enrolment.cohort_id == Cohort.id)
        .where(
            Enrolment.user_id == user_id,
            Enrolment.status == EnrolmentStatus.ACTIVE,
            Cohort.course_id == course.id,
        )
        .order_by(Cohort.starts_on.desc(), Cohort.id.desc())
        .limit(1)
    )


def recommended_module_ids(user_id: int, course: Course) -> list[int]:
    """Modules the trainee's needs survey points to (the rule lives with the surveys)."""
    from lms.surveys.needs import recommended_module_ids as from_needs

    return from_needs(user_id, course.id)
