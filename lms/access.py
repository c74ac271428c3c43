"""Object access in one place: who teaches or takes a course, and the errors services raise.

Services load the object a request acts on through a ``load_*_for(user, id, action)`` helper
that raises :class:`AccessDenied` or :class:`NotFound` (never an HTTP exception); the error
handlers turn them into the 403 and 404 pages, and the CLI or a test sees the exception.
Called inside the write transaction, the check reads the same snapshot as the write.
"""

from __future__ import annotations

from sqlalchemy import exists, select

from lms.auth.models import Role, User
from lms.cohorts.models import Cohort, Enrolment, EnrolmentStatus, cohort_trainers
from lms.extensions import db


class AccessDenied(Exception):
    """The acting user may not do this to this object (403)."""


class NotFound(Exception):
    """The object does not exist, or must not even be hinted at (404)."""


def teaches_course(user: User, course_id: int) -> bool:
    """A trainer assigned to at least one cohort of the course."""
    if not user.has_role(Role.TRAINER):
        return False
    return db.session.scalar(
        select(
            exists().where(
                cohort_trainers.c.user_id == user.id,
                cohort_trainers.c.cohort_id == Cohort.id,
                Cohort.course_id == course_id,
            )
        )
    )


def takes_course(user: User, course_id: int) -> bool:
    """An active member (trainee) of a cohort of the course."""
    return db.session.scalar(
        select(
            exists().where(
                Enrolment.user_id == user.id,
                Enrolment.status == EnrolmentStatus.ACTIVE,
                Enrolment.cohort_id == Cohort.id,
                Cohort.course_id == course_id,
            )
        )
    )


def is_course_staff(user: User, course_id: int) -> bool:
    """Organizers, and trainers who teach the course."""
    return user.has_role(Role.ORGANIZER) or teaches_course(user, course_id)


def may_see_keys(user: User, course_id: int) -> bool:
    """Answer keys and explanations: the course's staff, unless they are taking it themselves."""
    return is_course_staff(user, course_id) and not takes_course(user, course_id)
