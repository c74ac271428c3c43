"""Who may edit which course, the course outline as authors see it, and reordering.

Organizers may edit every course; a trainer edits the courses an organizer assigned to them
(``course_authors``). Functions take an explicit acting user, add and flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import delete, select

from lms.assessment.models import Question, Quiz
from lms.audit.service import record
from lms.auth.models import Role, User, UserRole
from lms.extensions import db
from lms.learning.models import Course, Lesson, Module
from lms.surveys.models import Survey

from .models import ContentDraft, CourseAuthor, DraftKind


class AuthoringError(ValueError):
    """An authoring action was refused; the message says why, in the user's language."""


def can_edit_course(user: User, course: Course) -> bool:
    """Organizers edit every course; trainers only the courses assigned to them."""
    if not user.is_authenticated or course.is_retired:
        return False
    if user.has_role(Role.ORGANIZER):
        return True
    if not user.has_role(Role.TRAINER):
        return False
    return (
        db.session.scalar(
            select(CourseAuthor.user_id).where(CourseAuthor.course_id == course.id, CourseAuthor.user_id == user.id)
        )
        is not None
    )


def can_manage_authors(user: User) -> bool:
    return user.has_role(Role.ORGANIZER)


def editable_courses(user: User) -> list[Course]:
    """The courses ``user`` may edit, by title."""
    query = select(Course).where(Course.is_retired.is_(False)).order_by(Course.title)
    if not user.has_role(Role.ORGANIZER):
        query = query.join(CourseAuthor, CourseAuthor.course_id == Course.id).where(CourseAuthor.user_id == user.id)
    return db.session.scalars(query).all()


def get_course(key: str) -> Course | None:
    return db.session.scalar(select(Course).where(Course.key == key, Course.is_retired.is_(False)))


# -- authors ------------------------------------------------------------------------------


def trainers() -> list[User]:
    """Every active account holding the trainer role, by name."""
    return db.session.scalars(
        select(User)
        .where(User.role_rows.any(UserRole.role == Role.TRAINER), User.is_active_account.is_(True))
        .order_by(User.name, User.id)
    ).all()


def author_ids(course: Course) -> set[int]:
    return set(db.session.scalars(select(CourseAuthor.user_id).where(CourseAuthor.course_id == course.id)))


def set_authors(actor: User, course: Course, user_ids: set[int]) -> tuple[int, int]:
    """Make exactly the trainers in ``user_ids`` the course's authors; return (added, removed).

    Ids of accounts that are not trainers are ignored.
    """
    wanted = {u.id for u in trainers() if u.id in user_ids}
    current = author_ids(course)
    added, removed = wanted - current, current - wanted
    for user_id in sorted(added):
        db.session.add(CourseAuthor(course_id=course.id, user_id=user_id, assigned_by_id=actor.id))
    if removed:
        db.session.execute(
            delete(CourseAuthor).where(CourseAuthor.course_id == course.id, CourseAuthor.user_id.in_(removed))
        )
    db.session.flush()
    if added or removed:
        record(actor, "authoring.set_authors", course, added=sorted(added), removed=sorted(removed))
    return len(added), len(removed)


# -- the outline --------------------------------------------------------------------------


@dataclass
class OutlineModule:
    """A module as authors see it: published (``module``) or new (``draft`` only)."""

    module: Module | None
    draft: ContentDraft | None
    lessons: list[tuple[Lesson | None, ContentDraft | None]] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)


def outline(course: Course) -> list[OutlineModule]:
    """Published modules and lessons in order, each with its draft, then the new drafts."""
    modules = db.session.scalars(
        select(Module)
        .where(Module.course_id == course.id, Module.is_retired.is_(False))
        .order_by(Module.position, Module.id)
    ).all()
    lessons = db.session.scalars(
        select(Lesson)
        .where(Lesson.course_id == course.id, Lesson.is_retired.is_(False))
        .order_by(Lesson.position, Lesson.id)
    ).all()
    questions = db.session.scalars(
        select(Question).where(Question.course_id == course.id, Question.is_retired.is_(False)).order_by(Question.id)
    ).all()
    drafts = db.session.scalars(
        select(ContentDraft).where(ContentDraft.course_id == course.id).order_by(ContentDraft.id)
    ).all()
    by_target = {(d.target_kind, d.target_id): d for d in drafts if d.target_id is not None}
    result: dict[int, OutlineModule] = {}
    for m in modules:
        result[m.id] = OutlineModule(m, by_target.get((DraftKind.MODULE, m.id)))
    for lesson in lessons:
        if lesson.module_id in result:
            result[lesson.module_id].lessons.append((lesson, by_target.get((DraftKind.LESSON, lesson.id))))
    for q in questions:
        if q.module_id in result:
            result[q.module_id].questions.append(q)
    new_modules = {
        d.id: OutlineModule(None, d) for d in drafts if d.target_kind == DraftKind.MODULE and d.target_id is None
    }
    for d in drafts:
        if d.target_kind != DraftKind.LESSON or d.target_id is not None:
            continue
        if d.module_id in result:
            result[d.module_id].lessons.append((None, d))
        elif d.parent_draft_id in new_modules:
            new_modules[d.parent_draft_id].lessons.append((None, d))
    return list(result.values()) + list(new_modules.values())


def quizzes(course: Course) -> list[Quiz]:
    """The course's quizzes: module quizzes in module order, then the others."""
    return db.session.scalars(
        select(Quiz)
        .outerjoin(Module, Module.id == Quiz.module_id)
        .where(Quiz.course_id == course.id, Quiz.is_retired.is_(False))
        .order_by(Module.position.is_(None), Module.position, Quiz.id)
    ).all()


def surveys(course: Course) -> list[Survey]:
    return db.session.scalars(
        select(Survey).where(Survey.course_id == course.id, Survey.is_retired.is_(False)).order_by(Survey.id)
    ).all()


# -- reordering ---------------------------------------------------------------------------


def _swap(items: list, index: int, direction: int) -> tuple | None:
    """Renumber ``items`` 0..n-1 and swap item ``index`` with its neighbour; None at an end."""
    other = index + direction
    if not 0 <= other < len(items):
        return None
    for position, item in enumerate(items):
        item.position = position
    items[index].position, items[other].position = other, index
    return items[index], items[other]


def move_module(actor: User, course: Course, module_id: int, direction: int) -> bool:
    """Move a module one place up (-1) or down (+1) in its course; False at either end.

    Positions are layout, not content: no new version.

    :raises AuthoringError: when the move would put a module before one of its prerequisites.
    """
    modules = db.session.scalars(
        select(Module)
        .where(Module.course_id == course.id, Module.is_retired.is_(False))
        .order_by(Module.position, Module.id)
        .with_for_update()
    ).all()
    index = next((i for i, m in enumerate(modules) if m.id == module_id), None)
    if index is None:
        raise LookupError(module_id)
    other = index + direction
    if 0 <= other < len(modules):
        earlier, later = modules[min(index, other)], modules[max(index, other)]
        if earlier.key in (later.prerequisites or []):
            raise AuthoringError(
                _(
                    "“%(later)s” needs “%(earlier)s” first, so it cannot come before it. "
                    "Change its prerequisites first.",
                    later=later.title,
                    earlier=earlier.title,
                )
            )
    swapped = _swap(modules, index, direction)
    db.session.flush()
    if swapped:
        record(actor, "authoring.move_module", modules[index], direction=direction)
    return swapped is not None


def move_lesson(actor: User, lesson: Lesson, direction: int) -> bool:
    """Move a lesson one place up (-1) or down (+1) in its module; False at either end."""
    lessons = db.session.scalars(
        select(Lesson)
        .where(Lesson.module_id == lesson.module_id, Lesson.is_retired.is_(False))
        .order_by(Lesson.position, Lesson.id)
        .with_for_update()
    ).all()
    index = next(i for i, item in enumerate(lessons) if item.id == lesson.id)
    swapped = _swap(lessons, index, direction)
    db.session.flush()
    if swapped:
        record(actor, "authoring.move_lesson", lesson, direction=direction)
    return swapped is not None
