"""Suggestion-box rules: who may write about what, the organizers' triage and replies.

Functions take plain data and an explicit user, add and flush, and never commit.

An anonymous suggestion stores no author, only the local day (no time), and a random id
(:mod:`lms.surveys.ids`), so it cannot be dated or ordered among named ones. The rate limit
on writing one is keyed by a keyed hash of the user id (see the view), never the id itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.audit.service import record
from lms.auth.models import Role, User
from lms.cohorts.models import Cohort, Enrolment, EnrolmentStatus
from lms.extensions import db
from lms.learning.models import Course, Module
from lms.surveys.ids import assign_ids
from lms.surveys.windows import local_day

from .models import Suggestion, SuggestionReply, SuggestionStatus


class SuggestionError(ValueError):
    """The suggestion cannot be stored as given."""


@dataclass
class SuggestionData:
    subject: str
    body: str
    anonymous: bool = False
    about: str = ""  #: "" (general), "c<course id>" or "m<module id>"


def visible_courses(user: User) -> list[Course]:
    """Courses a suggestion may be about: staff see every current course, trainees the
    courses of the cohorts they belong to."""
    query = select(Course).where(Course.is_retired.is_(False)).order_by(Course.title)
    if not user.has_role(Role.ORGANIZER, Role.TRAINER):
        query = query.where(
            Course.id.in_(
                select(Cohort.course_id)
                .join(Enrolment, Enrolment.cohort_id == Cohort.id)
                .where(Enrolment.user_id == user.id, Enrolment.status == EnrolmentStatus.ACTIVE)
            )
        )
    return db.session.scalars(query).all()


def about_choices(user: User) -> list[tuple[str, str]]:
    """Choices for "what is it about": nothing in particular, a course, or one of its modules."""
    choices = [("", str(_l("The platform or training in general")))]
    courses = visible_courses(user)
    if not courses:
        return choices
    modules = db.session.scalars(
        select(Module)
        .where(Module.course_id.in_([c.id for c in courses]), Module.is_retired.is_(False))
        .order_by(Module.course_id, Module.position)
    ).all()
    for course in courses:
        choices.append((f"c{course.id}", course.title))
        for module in modules:
            if module.course_id == course.id:
                choices.append((f"m{module.id}", f"{course.title} · {module.title}"))
    return choices


def _resolve_about(user: User, about: str) -> tuple[int | None, int | None]:
    if not about:
        return None, None
    if about not in {value for value, _label in about_choices(user)}:
        raise SuggestionError(_l("Choose one of the listed courses or modules."))
    if about.startswith("c"):
        return int(about[1:]), None
    module = db.session.get(Module, int(about[1:]))
    return module.course_id, module.id


def create_suggestion(user: User, data: SuggestionData, now: datetime) -> Suggestion:
    """Store a suggestion, named or anonymous.

    :raises SuggestionError: when it is about a course or module the user cannot see.
    """
    course_id, module_id = _resolve_about(user, data.about)
    suggestion = Suggestion(
        author_id=None if data.anonymous else user.id,
        is_anonymous=data.anonymous,
        course_id=course_id,
        module_id=module_id,
        subject=data.subject.strip(),
        body=data.body.strip(),
        status=SuggestionStatus.NEW,
        created_on=local_day(now),
        created_at=None if data.anonymous else now,
    )
    assign_ids([suggestion])
    db.session.add(suggestion)
    db.session.flush()
    return suggestion


def my_suggestions(user: User) -> list[Suggestion]:
    """The user's named suggestions with their replies, newest first (anonymous ones are
    not linked to anyone, so they cannot be listed here)."""
    return db.session.scalars(
        select(Suggestion)
        .options(selectinload(Suggestion.replies))
        .where(Suggestion.author_id == user.id)
        .order_by(Suggestion.created_at.desc())
    ).all()


def can_triage(user: User) -> bool:
    return user.has_role(Role.ORGANIZER)


def suggestions_query(status: str = "", course_id: int | None = None, who: str = ""):
    """A select() of suggestions for the organizers' list, filtered, newest day first (the
    order within a day follows the random ids: anonymous ones carry no time)."""
    query = (
        select(Suggestion)
        .options(selectinload(Suggestion.author))
        .order_by(Suggestion.created_on.desc(), Suggestion.id)
    )
    if status in set(SuggestionStatus):
        query = query.where(Suggestion.status == SuggestionStatus(status))
    if course_id:
        query = query.where(Suggestion.course_id == course_id)
    if who == "named":
        query = query.where(Suggestion.is_anonymous.is_(False))
    elif who == "anonymous":
        query = query.where(Suggestion.is_anonymous.is_(True))
    return query


def get_with_replies(suggestion_id: int) -> Suggestion | None:
    return db.session.scalar(
        select(Suggestion)
        .options(selectinload(Suggestion.replies).selectinload(SuggestionReply.author))
        .where(Suggestion.id == suggestion_id)
    )


def triage(actor: User, suggestion: Suggestion, status: SuggestionStatus, reply: str, now: datetime) -> bool:
    """Set the status and/or add a reply; returns whether anything changed."""
    changed = False
    if suggestion.status != status:
        record(actor, "suggestion.status", suggestion, old=str(suggestion.status), new=str(status))
        suggestion.status = status
        changed = True
    reply = reply.strip()
    if reply:
        db.session.add(SuggestionReply(suggestion_id=suggestion.id, author_id=actor.id, body=reply, created_at=now))
        record(actor, "suggestion.reply", suggestion)
        if suggestion.status == SuggestionStatus.NEW:
            suggestion.status = SuggestionStatus.ACKNOWLEDGED  # a reply acknowledges it
        changed = True
    if changed:
        suggestion.updated_at = now
    db.session.flush()
    return changed
