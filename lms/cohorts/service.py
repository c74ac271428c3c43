"""Cohort rules: creating cohorts, enrolment codes and invite links, joining, rosters.

Functions take plain data and an explicit acting user, add and flush, and never commit;
callers run read-then-write paths (joining) inside ``write_transaction``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import get_timezone
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from lms.audit.service import record
from lms.auth.models import Role, User
from lms.extensions import db

from .models import Cohort, Enrolment, EnrolmentStatus, cohort_trainers

#: no 0/O, 1/I/L: codes are read aloud and typed on phones
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8


class EnrolmentError(ValueError):
    """A trainee could not join: wrong code, closed enrolment or full cohort."""


@dataclass
class CohortData:
    course_id: int
    name: str
    starts_on: date
    ends_on: date
    enrol_until: date
    capacity: int | None
    description: str = ""
    trainer_ids: tuple[int, ...] = ()


def normalize_code(raw: str) -> str:
    return "".join(ch for ch in (raw or "").upper() if ch.isalnum())


def _new_code() -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if db.session.scalar(select(Cohort.id).where(Cohort.enrol_code == code)) is None:
            return code


def _trainers(ids) -> list[User]:
    if not ids:
        return []
    users = db.session.scalars(select(User).where(User.id.in_(ids))).all()
    return [u for u in users if u.has_role(Role.TRAINER)]


def create_cohort(actor: User, data: CohortData) -> Cohort:
    """Create a cohort with a fresh enrolment code and invite token."""
    cohort = Cohort(
        course_id=data.course_id,
        name=data.name,
        description=data.description,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        enrol_until=data.enrol_until,
        capacity=data.capacity,
        enrol_code=_new_code(),
        invite_token=secrets.token_urlsafe(32),
        created_by_id=actor.id,
    )
    cohort.trainers = _trainers(data.trainer_ids)
    db.session.add(cohort)
    db.session.flush()
    record(actor, "cohort.create", cohort, name=data.name)
    return cohort


def update_cohort(actor: User, cohort: Cohort, data: CohortData) -> None:
    for name in ("course_id", "name", "description", "starts_on", "ends_on", "enrol_until", "capacity"):
        setattr(cohort, name, getattr(data, name))
    cohort.trainers = _trainers(data.trainer_ids)
    db.session.flush()
    record(actor, "cohort.update", cohort)


def regenerate_code(actor: User, cohort: Cohort) -> None:
    """New enrolment code and invite token: the old ones stop working."""
    cohort.enrol_code = _new_code()
    cohort.invite_token = secrets.token_urlsafe(32)
    db.session.flush()
    record(actor, "cohort.regenerate_code", cohort)


def active_count(cohort: Cohort) -> int:
    return db.session.scalar(
        select(func.count(Enrolment.id)).where(
            Enrolment.cohort_id == cohort.id, Enrolment.status == EnrolmentStatus.ACTIVE
        )
    )


def find_by_code(code: str) -> Cohort | None:
    return db.session.scalar(select(Cohort).where(Cohort.enrol_code == normalize_code(code)))


def find_by_invite(token: str) -> Cohort | None:
    return db.session.scalar(select(Cohort).where(Cohort.invite_token == token))


def join_cohort(user: User, cohort: Cohort | None, today: date) -> tuple[Enrolment, bool]:
    """Enrol ``user`` in ``cohort`` through its code or link; joining twice is harmless.

    :returns: the enrolment and whether it is new.
    :raises EnrolmentError: when the code matched no cohort, enrolment has closed, or the
        cohort is full.
    """
    if cohort is None:
        raise EnrolmentError(_l("No cohort has this enrolment code. Check the code and try again."))
    # Lock the cohort row (PostgreSQL) so two last-place joins cannot both pass the capacity check.
    db.session.execute(select(Cohort.id).where(Cohort.id == cohort.id).with_for_update())
    enrolment = db.session.scalar(
        select(Enrolment).where(Enrolment.cohort_id == cohort.id, Enrolment.user_id == user.id)
    )
    if enrolment is not None and enrolment.status == EnrolmentStatus.ACTIVE:
        return enrolment, False
    if today > cohort.enrol_until or today > cohort.ends_on:
        raise EnrolmentError(_l("Enrolment for this cohort closed on %(day)s.", day=cohort.enrol_until))
    if cohort.capacity is not None and active_count(cohort) >= cohort.capacity:
        raise EnrolmentError(_l("This cohort is full. Please contact the organizer."))
    if enrolment is None:
        enrolment = Enrolment(cohort_id=cohort.id, user_id=user.id)
        db.session.add(enrolment)
    else:
        enrolment.status = EnrolmentStatus.ACTIVE
    db.session.flush()
    return enrolment, True


def add_members(actor: User, cohort: Cohort, users: list[User]) -> int:
    """Enrol ``users`` (organizers may go over capacity); return how many were added."""
    existing = {e.user_id: e for e in db.session.scalars(select(Enrolment).where(Enrolment.cohort_id == cohort.id))}
    added = 0
    for user in users:
        enrolment = existing.get(user.id)
        if enrolment is None:
            existing[user.id] = enrolment = Enrolment(cohort_id=cohort.id, user_id=user.id)
            db.session.add(enrolment)
        elif enrolment.status == EnrolmentStatus.ACTIVE:
            continue
        enrolment.status = EnrolmentStatus.ACTIVE
        added += 1
    db.session.flush()
    if added:
        record(actor, "cohort.add_members", cohort, count=added)
    return added


def remove_member(actor: User, cohort: Cohort, user_id: int) -> bool:
    enrolment = db.session.scalar(
        select(Enrolment).where(Enrolment.cohort_id == cohort.id, Enrolment.user_id == user_id)
    )
    if enrolment is None or enrolment.status == EnrolmentStatus.REMOVED:
        return False
    enrolment.status = EnrolmentStatus.REMOVED
    db.session.flush()
    record(actor, "cohort.remove_member", cohort, user_id=user_id)
    return True


def roster(cohort: Cohort):
    """Active members as plain rows: id, name, phone, email, region, work unit, position, joined."""
    return db.session.execute(
        select(
            User.id,
            User.name,
            User.phone,
            User.email,
            User.province,
            User.city,
            User.county,
            User.work_unit,
            User.position,
            Enrolment.joined_at,
        )
        .join(Enrolment, Enrolment.user_id == User.id)
        .where(Enrolment.cohort_id == cohort.id, Enrolment.status == EnrolmentStatus.ACTIVE)
        .order_by(Enrolment.joined_at, User.id)
    ).all()


def can_view_cohort(user: User, cohort: Cohort) -> bool:
    """Organizers see every cohort; trainers see the cohorts they are assigned to."""
    if user.has_role(Role.ORGANIZER):
        return True
    return user.has_role(Role.TRAINER) and any(t.id == user.id for t in cohort.trainers)


def can_manage_cohort(user: User, cohort: Cohort) -> bool:
    return user.has_role(Role.ORGANIZER)


def cohorts_for_user(user: User):
    """Cohorts the user is an active member of, newest first, with their course."""
    return db.session.scalars(
        select(Cohort)
        .join(Enrolment, Enrolment.cohort_id == Cohort.id)
        .where(Enrolment.user_id == user.id, Enrolment.status == EnrolmentStatus.ACTIVE)
        .order_by(Cohort.starts_on.desc())
    ).all()


def visible_cohorts(user: User):
    """A select() of the cohorts ``user`` may see as staff."""
    query = select(Cohort).order_by(Cohort.starts_on.desc(), Cohort.id.desc())
    if not user.has_role(Role.ORGANIZER):
        query = query.join(cohort_trainers).where(cohort_trainers.c.user_id == user.id)
    return query


def today_local(now: datetime) -> date:
    """Today's date in the site's time zone (enrolment windows are local days)."""
    return now.astimezone(get_timezone()).date()


def member_counts(cohort_ids: list[int]) -> dict[int, int]:
    """Active members per cohort, in one query."""
    if not cohort_ids:
        return {}
    rows = db.session.execute(
        select(Enrolment.cohort_id, func.count(Enrolment.id))
        .where(Enrolment.cohort_id.in_(cohort_ids), Enrolment.status == EnrolmentStatus.ACTIVE)
        .group_by(Enrolment.cohort_id)
    )
    return dict(rows.all())
