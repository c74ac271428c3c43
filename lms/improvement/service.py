"""The improvement ledger's rules: recording actions on findings and linking content versions.

Functions take an explicit acting user and plain data, add and flush, never commit; views call
them inside ``write_transaction``. Organizers see and keep every action; a trainer those of the
courses they teach a cohort of, and any they own or recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from lms.assessment.models import Question, QuestionVersion
from lms.audit.service import record
from lms.auth.models import Role, User, UserRole
from lms.cohorts.models import Cohort, cohort_trainers
from lms.db import utcnow
from lms.extensions import db
from lms.input_guard import parse_id
from lms.learning.models import Course, Lesson, LessonVersion, Module, ModuleVersion

from .models import (
    ActionStatus,
    ActionVersionLink,
    FindingKind,
    ImprovementAction,
    Measure,
    TargetKind,
)

#: target kind -> (version model, its foreign key to the item, the item model)
VERSION_TABLES = {
    TargetKind.QUESTION: (QuestionVersion, QuestionVersion.question_id, Question),
    TargetKind.LESSON: (LessonVersion, LessonVersion.lesson_id, Lesson),
    TargetKind.MODULE: (ModuleVersion, ModuleVersion.module_id, Module),
}


class ImprovementError(ValueError):
    """The action or link asked for does not fit the ledger's rules."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.field = field


@dataclass
class ActionData:
    course_id: int
    finding_kind: str
    finding_summary: str
    planned_change: str
    measure: str
    cohort_id: int | None = None
    finding_ref: str = ""
    target_kind: str | None = None
    target_key: str = ""  #: the key of the question, lesson or module in the course
    expected_effect: str = ""
    status: str = ActionStatus.PLANNED
    owner_id: int | None = None


# -- Who may see what ----------------------------------------------------------------------


def taught_course_ids(user: User) -> set[int]:
    """Courses of the cohorts a trainer is assigned to."""
    return set(
        db.session.scalars(
            select(Cohort.course_id)
            .join(cohort_trainers, cohort_trainers.c.cohort_id == Cohort.id)
            .where(cohort_trainers.c.user_id == user.id)
        )
    )


def can_record_for(user: User, course_id: int) -> bool:
    if user.has_role(Role.ORGANIZER):
        return True
    return user.has_role(Role.TRAINER) and course_id in taught_course_ids(user)


def can_view_action(user: User, action: ImprovementAction) -> bool:
    """Organizers: all; trainers: their courses' actions and the ones they own or recorded.
    Whoever may see an action may also update it and link versions to it."""
    if user.has_role(Role.ORGANIZER):
        return True
    if not user.has_role(Role.TRAINER):
        return False
    return user.id in (action.owner_id, action.created_by_id) or can_record_for(user, action.course_id)


def visible_actions(user: User):
    """A select() of the actions ``user`` may see, newest first."""
    query = select(ImprovementAction).order_by(ImprovementAction.created_at.desc(), ImprovementAction.id.desc())
    if user.has_role(Role.ORGANIZER):
        return query
    courses = taught_course_ids(user)
    return query.where(
        or_(
            ImprovementAction.course_id.in_(courses),
            ImprovementAction.owner_id == user.id,
            ImprovementAction.created_by_id == user.id,
        )
    )


def actions_for_target(user: User, kind: str, target_id: int) -> list[ImprovementAction]:
    """The visible actions on one question, lesson or module (for report pages)."""
    query = visible_actions(user).where(
        ImprovementAction.target_kind == TargetKind(kind), ImprovementAction.target_id == target_id
    )
    return db.session.scalars(query).all()


def staff_users() -> list[User]:
    """Possible owners: trainers and organizers, by name."""
    return db.session.scalars(
        select(User)
        .where(
            User.is_active_account.is_(True),
            User.role_rows.any(UserRole.role.in_([Role.TRAINER, Role.ORGANIZER])),
        )
        .order_by(User.name)
    ).all()


# -- Findings and targets --------------------------------------------------------------------


@dataclass
class Finding:
    """What a report link (``?finding=kind:ref``) pre-fills in the new-action form."""

    kind: str
    ref: str
    course_id: int | None
    summary: str
    target_kind: str | None
    target_key: str
    measure: str


def describe_finding(kind: str, ref: str) -> Finding:
    """Defaults for an action on a finding; unknown kinds or refs give an "other" finding."""
    if kind == FindingKind.ITEM and parse_id(ref) is not None:
        question = db.session.get(Question, parse_id(ref))
        if question is not None:
            return Finding(
                kind,
                ref,
                question.course_id,
                f"{question.key}: {question.stem}",
                TargetKind.QUESTION,
                question.key,
                Measure.FACILITY,
            )
    if kind in (FindingKind.MODULE, FindingKind.NEED) and parse_id(ref) is not None:
        module = db.session.get(Module, parse_id(ref))
        if module is not None:
            measure = Measure.GAIN if kind == FindingKind.NEED else Measure.SATISFACTION
            return Finding(kind, ref, module.course_id, module.title, TargetKind.MODULE, module.key, measure)
    if kind in (FindingKind.SUGGESTION, FindingKind.COMMENT):
        return Finding(kind, ref[:64], None, "", None, "", Measure.SATISFACTION)
    return Finding(FindingKind.OTHER, "", None, "", None, "", Measure.SATISFACTION)


def resolve_target(course_id: int, kind: str | None, key: str) -> int | None:
    """The id of the question, lesson or module with ``key`` in the course.

    :raises ImprovementError: when a kind is given and no such item exists in the course.
    """
    if not kind:
        return None
    _version, _fk, model = VERSION_TABLES[TargetKind(kind)]
    item_id = db.session.scalar(select(model.id).where(model.course_id == course_id, model.key == key.strip()))
    if item_id is None:
        raise ImprovementError(_l("No %(kind)s with this key in the course.", kind=kind), "target_key")
    return item_id


def target_item(action: ImprovementAction):
    """The question, lesson or module the action changes, or None."""
    if not action.target_kind or not action.target_id:
        return None
    _version, _fk, model = VERSION_TABLES[action.target_kind]
    return db.session.get(model, action.target_id)


def target_label(action: ImprovementAction) -> str:
    item = target_item(action)
    if item is None:
        return ""
    return f"{item.key} · {getattr(item, 'title', None) or getattr(item, 'stem', '')}"


# -- Recording actions -----------------------------------------------------------------------


def _check(actor: User, data: ActionData) -> int | None:
    if db.session.get(Course, data.course_id) is None:
        raise ImprovementError(_l("Choose a course."), "course_id")
    if not can_record_for(actor, data.course_id):
        raise ImprovementError(_l("You can record actions only for the courses you teach."), "course_id")
    if data.owner_id is not None and data.owner_id not in {u.id for u in staff_users()}:
        raise ImprovementError(_l("The owner must be a trainer or an organizer."), "owner_id")
    return resolve_target(data.course_id, data.target_kind, data.target_key)


def create_action(actor: User, data: ActionData) -> ImprovementAction:
    """Record an action on a finding.

    :raises ImprovementError: for a course the actor does not teach, an unknown target key or an
        owner who is not staff.
    """
    target_id = _check(actor, data)
    cohort_id = data.cohort_id
    if cohort_id is not None:
        cohort = db.session.get(Cohort, cohort_id)
        cohort_id = cohort.id if cohort is not None and cohort.course_id == data.course_id else None
    action = ImprovementAction(
        course_id=data.course_id,
        cohort_id=cohort_id,
        finding_kind=FindingKind(data.finding_kind),
        finding_ref=data.finding_ref[:64],
        finding_summary=data.finding_summary,
        target_kind=TargetKind(data.target_kind) if data.target_kind else None,
        target_id=target_id,
        planned_change=data.planned_change,
        expected_effect=data.expected_effect,
        measure=Measure(data.measure),
        status=ActionStatus(data.status),
        owner_id=data.owner_id,
        created_by_id=actor.id,
    )
    db.session.add(action)
    db.session.flush()
    record(actor, "improvement.create", action, finding=f"{data.finding_kind}:{data.finding_ref}")
    return action


def update_action(actor: User, action: ImprovementAction, data: ActionData) -> None:
    """Change what is planned, who owns it, its status and measure (the finding stays)."""
    data.course_id = action.course_id
    target_id = _check(actor, data)
    old_status = action.status
    action.target_kind = TargetKind(data.target_kind) if data.target_kind else None
    action.target_id = target_id
    action.finding_summary = data.finding_summary
    action.planned_change = data.planned_change
    action.expected_effect = data.expected_effect
    action.measure = Measure(data.measure)
    action.status = ActionStatus(data.status)
    action.owner_id = data.owner_id
    action.updated_at = utcnow()
    db.session.flush()
    details = {"status": str(action.status)} if action.status != old_status else {}
    record(actor, "improvement.update", action, **details)


# -- Versions --------------------------------------------------------------------------------


@dataclass
class VersionInfo:
    kind: TargetKind
    row_id: int
    item_id: int
    item_key: str
    item_label: str
    version: int
    created_at: datetime
    source: str  #: files or editor (how the content changed)
    linked: bool = False


def _version_rows(kind: TargetKind, where) -> list[VersionInfo]:
    version_model, fk, model = VERSION_TABLES[kind]
    label = model.title if kind != TargetKind.QUESTION else model.stem
    rows = db.session.execute(
        select(
            version_model.id,
            fk.label("item_id"),
            model.key,
            label.label("label"),
            version_model.version,
            version_model.created_at,
            version_model.source,
        )
        .join(model, model.id == fk)
        .where(*where)
        .order_by(version_model.created_at, version_model.id)
    ).all()
    return [VersionInfo(kind, r.id, r.item_id, r.key, r.label, r.version, r.created_at, r.source) for r in rows]


def _content_under(action: ImprovementAction) -> dict[TargetKind, list]:
    """WHERE clauses selecting the versions of the target and the content inside it."""
    kind, target = action.target_kind, action.target_id
    if kind == TargetKind.QUESTION:
        return {TargetKind.QUESTION: [QuestionVersion.question_id == target]}
    if kind == TargetKind.LESSON:
        return {
            TargetKind.LESSON: [LessonVersion.lesson_id == target],
            TargetKind.QUESTION: [Question.lesson_id == target],
        }
    if kind == TargetKind.MODULE:
        return {
            TargetKind.MODULE: [ModuleVersion.module_id == target],
            TargetKind.LESSON: [Lesson.module_id == target],
            TargetKind.QUESTION: [Question.module_id == target],
        }
    return {}


def detected_versions(action: ImprovementAction) -> list[VersionInfo]:
    """New versions of the target (or of the lessons and questions inside it) created after
    the action was recorded and not linked yet: candidates to link."""
    linked = {(link.target_kind, link.version_row_id) for link in action.links}
    found = []
    for kind, where in _content_under(action).items():
        version_model = VERSION_TABLES[kind][0]
        found += [
            v
            for v in _version_rows(kind, [*where, version_model.created_at > action.created_at])
            if (v.kind, v.row_id) not in linked
        ]
    return sorted(found, key=lambda v: v.created_at)


def linked_versions(action: ImprovementAction) -> list[VersionInfo]:
    found = []
    by_kind: dict[TargetKind, list[int]] = {}
    for link in action.links:
        by_kind.setdefault(link.target_kind, []).append(link.version_row_id)
    for kind, ids in by_kind.items():
        version_model = VERSION_TABLES[kind][0]
        found += _version_rows(kind, [version_model.id.in_(ids)])
    for v in found:
        v.linked = True
    return sorted(found, key=lambda v: v.created_at)


def version_choices(action: ImprovementAction) -> list[VersionInfo]:
    """Every version of the content under the target, newest first (the link form's list)."""
    found = []
    for kind, where in _content_under(action).items():
        found += _version_rows(kind, where)
    return sorted(found, key=lambda v: v.created_at, reverse=True)


def link_version(
    action_id: int, target_kind: str, version_row_id: int, actor: User, source: str = "page"
) -> ActionVersionLink:
    """Record that a content version carried out an action; linking twice is harmless.

    The authoring domain calls this when an editor saves content and picks an action.

    :raises ImprovementError: for an unknown action or version, or a version of another course.
    """
    action = db.session.get(ImprovementAction, action_id)
    if action is None:
        raise ImprovementError(_l("No such action."))
    try:
        kind = TargetKind(target_kind)
    except ValueError:
        raise ImprovementError(_l("Unknown kind of content."), "version") from None
    version_model, fk, model = VERSION_TABLES[kind]
    course_id = db.session.scalar(
        select(model.course_id).join(version_model, fk == model.id).where(version_model.id == version_row_id)
    )
    if course_id is None or course_id != action.course_id:
        raise ImprovementError(_l("This version is not content of the action's course."), "version")
    existing = _existing_link(action.id, kind, version_row_id)
    if existing is not None:
        return existing
    link = ActionVersionLink(
        action_id=action.id,
        target_kind=kind,
        version_row_id=version_row_id,
        source=source[:16],
        linked_by_id=actor.id if actor else None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(link)
            db.session.flush()
    except IntegrityError:  # linked at the same moment by someone else: same result
        return _existing_link(action.id, kind, version_row_id)
    db.session.expire(action, ["links"])
    record(actor, "improvement.link_version", action, kind=str(kind), version_row_id=version_row_id)
    return link


def _existing_link(action_id: int, kind: TargetKind, version_row_id: int) -> ActionVersionLink | None:
    return db.session.scalar(
        select(ActionVersionLink).where(
            ActionVersionLink.action_id == action_id,
            ActionVersionLink.target_kind == kind,
            ActionVersionLink.version_row_id == version_row_id,
        )
    )


def change_point(action: ImprovementAction) -> VersionInfo | None:
    """The change the before/after comparison splits on: the earliest linked version, or
    (until one is linked) the earliest version detected after the action."""
    linked = linked_versions(action)
    if linked:
        return linked[0]
    detected = detected_versions(action)
    return detected[0] if detected else None
