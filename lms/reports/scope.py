"""What a report covers: which cohorts of a course, which days, which attempts.

Every report query takes a :class:`Scope` and turns it into WHERE clauses here, so filters mean
the same thing on every page: ``date_from``/``date_to`` are local days (Asia/Shanghai by
default) applied to when an attempt finished or a survey was submitted.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from lms.assessment.models import Attempt, AttemptState
from lms.auth.models import User
from lms.cohorts.models import Cohort
from lms.cohorts.service import can_view_cohort, visible_cohorts
from lms.extensions import db
from lms.surveys.models import SurveyResponse


@dataclass(frozen=True)
class Scope:
    course_id: int
    cohort_ids: tuple[int, ...]
    date_from: date | None = None
    date_to: date | None = None
    #: item analysis and score distributions use first attempts only unless this is set
    all_attempts: bool = False

    def with_cohorts(self, cohort_ids) -> Scope:
        return replace(self, cohort_ids=tuple(cohort_ids))

    def utc_bounds(self) -> tuple[datetime | None, datetime | None]:
        """The date filter as UTC instants: [start of date_from, start of the day after date_to)."""
        zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai"))

        def start(day: date) -> datetime:
            return datetime.combine(day, time.min, zone).astimezone(UTC)

        low = start(self.date_from) if self.date_from else None
        high = start(self.date_to + timedelta(days=1)) if self.date_to else None
        return low, high

    def attempt_filter(self, quiz_ids=None, first_only: bool | None = None) -> list:
        """WHERE clauses for graded attempts in scope (first attempts unless ``all_attempts``)."""
        clauses = [Attempt.state == AttemptState.GRADED, Attempt.cohort_id.in_(self.cohort_ids)]
        if quiz_ids is not None:
            clauses.append(Attempt.quiz_id.in_(list(quiz_ids)))
        if first_only if first_only is not None else not self.all_attempts:
            clauses.append(Attempt.number == 1)
        low, high = self.utc_bounds()
        if low is not None:
            clauses.append(Attempt.finished_at >= low)
        if high is not None:
            clauses.append(Attempt.finished_at < high)
        return clauses

    def response_filter(self) -> list:
        """WHERE clauses for survey responses in scope (the submission day is a local date)."""
        clauses = [SurveyResponse.cohort_id.in_(self.cohort_ids)]
        if self.date_from:
            clauses.append(SurveyResponse.submitted_on >= self.date_from)
        if self.date_to:
            clauses.append(SurveyResponse.submitted_on <= self.date_to)
        return clauses


def cohort_scope(cohort: Cohort, **filters) -> Scope:
    return Scope(course_id=cohort.course_id, cohort_ids=(cohort.id,), **filters)


def course_cohort_ids(user: User, course_id: int) -> tuple[int, ...]:
    """The cohorts of a course that ``user`` may see reports of."""
    query = visible_cohorts(user).where(Cohort.course_id == course_id)
    return tuple(c.id for c in db.session.scalars(query))


def visible_cohort_ids(user: User, cohort_ids) -> list[int]:
    """Of ``cohort_ids``, the ones ``user`` may see (order kept, unknown ids dropped)."""
    cohorts = db.session.scalars(select(Cohort).where(Cohort.id.in_(list(cohort_ids)))).all()
    allowed = {c.id for c in cohorts if can_view_cohort(user, c)}
    return [cid for cid in cohort_ids if cid in allowed]
