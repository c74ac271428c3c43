"""When a survey is open in a cohort: the organizer's window, or the default.

Defaults (no ``survey_windows`` row, or a None bound in it):

- needs survey: open from enrolment (no opening time) until the end of the cohort's last
  day, so trainees can answer it *before* training starts;
- feedback and module feedback: from the start of the cohort's first day to the end of its
  last day;
- follow-up: open for each trainee from their due day (:func:`lms.surveys.service.follow_up_due_on`)
  with no closing time.

Days are local days (Asia/Shanghai); times are stored in UTC. An organizer's bound replaces
the default one; for the follow-up survey a trainee's due day still comes first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import get_timezone
from sqlalchemy import select

from lms.audit.service import record
from lms.auth.models import User
from lms.cohorts.models import Cohort
from lms.db import utcnow
from lms.extensions import db

from .models import Survey, SurveyKind, SurveyWindow


@dataclass(frozen=True)
class Window:
    opens_at: datetime | None  #: UTC; None: open from enrolment
    closes_at: datetime | None  #: UTC; None: never closes
    is_custom: bool = False  #: an organizer set at least one bound
    #: follow-up only: nothing is due for this trainee yet (no completion known)
    not_due: bool = False

    def state(self, now: datetime) -> str:
        """ "upcoming", "open" or "closed" at ``now``."""
        if self.not_due or (self.opens_at is not None and now < self.opens_at):
            return "upcoming"
        if self.closes_at is not None and now >= self.closes_at:
            return "closed"
        return "open"

    def is_open(self, now: datetime) -> bool:
        return self.state(now) == "open"


def start_of_day(day: date) -> datetime:
    """The first instant of a local day, as an aware datetime (UTC-comparable)."""
    return get_timezone().localize(datetime.combine(day, time()))


def local_day(moment: datetime) -> date:
    return moment.astimezone(get_timezone()).date()


def default_window(cohort: Cohort, survey: Survey) -> Window:
    end = start_of_day(cohort.ends_on + timedelta(days=1))
    if survey.kind == SurveyKind.NEEDS:
        return Window(None, end)
    if survey.kind == SurveyKind.FOLLOW_UP:
        return Window(None, None)
    return Window(start_of_day(cohort.starts_on), end)


def _combine(cohort: Cohort, survey: Survey, row: SurveyWindow | None) -> Window:
    default = default_window(cohort, survey)
    if row is None:
        return default
    return Window(
        row.opens_at if row.opens_at is not None else default.opens_at,
        row.closes_at if row.closes_at is not None else default.closes_at,
        is_custom=row.opens_at is not None or row.closes_at is not None,
    )


def window_row(cohort_id: int, survey_id: int) -> SurveyWindow | None:
    return db.session.scalar(
        select(SurveyWindow).where(SurveyWindow.cohort_id == cohort_id, SurveyWindow.survey_id == survey_id)
    )


def effective_window(cohort: Cohort, survey: Survey) -> Window:
    """The survey's window in the cohort (the organizer's bounds over the defaults)."""
    return _combine(cohort, survey, window_row(cohort.id, survey.id))


def effective_windows(cohort: Cohort, surveys: list[Survey]) -> dict[int, Window]:
    """Windows of several surveys of a cohort in one query, by survey id."""
    rows = {
        row.survey_id: row
        for row in db.session.scalars(select(SurveyWindow).where(SurveyWindow.cohort_id == cohort.id))
    }
    return {s.id: _combine(cohort, s, rows.get(s.id)) for s in surveys}


class WindowError(ValueError):
    """The window asked for is impossible (it closes before it opens)."""


def set_window(
    actor: User, cohort: Cohort, survey: Survey, opens_at: datetime | None, closes_at: datetime | None
) -> SurveyWindow | None:
    """Set (or, with two None bounds, reset to the defaults) a survey's window in a cohort.

    :raises WindowError: when ``closes_at`` is not after ``opens_at``.
    """
    if opens_at is not None and closes_at is not None and closes_at <= opens_at:
        raise WindowError("closes before it opens")
    row = window_row(cohort.id, survey.id)
    if opens_at is None and closes_at is None:
        if row is not None:
            db.session.delete(row)
            db.session.flush()
        record(actor, "survey.window_reset", cohort, survey=survey.key)
        return None
    if row is None:
        row = SurveyWindow(cohort_id=cohort.id, survey_id=survey.id)
        db.session.add(row)
    row.opens_at, row.closes_at, row.updated_by_id = opens_at, closes_at, actor.id
    row.updated_at = utcnow()
    db.session.flush()
    record(
        actor,
        "survey.window_set",
        cohort,
        survey=survey.key,
        opens_at=opens_at.isoformat() if opens_at else None,
        closes_at=closes_at.isoformat() if closes_at else None,
    )
    return row
