"""Survey rules: who may answer what and when, submitting and editing, and what is due.

Functions take plain data and an explicit user, add and flush, and never commit; callers
run :func:`submit_response` inside ``write_transaction``.

Anonymity. An anonymous survey's response row has no user id, no time (only the local day)
and a random id (:mod:`.ids`); that the trainee answered is a separate
``survey_participations`` row with no time at all, written in the same transaction. Nothing
else records the submission: no audit entry, no log line with the user. Residual risks are
listed in ``docs/architecture.md`` (surveys).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, exists, select
from sqlalchemy.exc import IntegrityError

from lms.auth.models import User
from lms.cohorts.models import Cohort, Enrolment, EnrolmentStatus
from lms.db import utcnow
from lms.extensions import db
from lms.learning.models import Module
from lms.todo import DueItem

from .answers import AnswerValue, check_answers
from .ids import assign_ids
from .models import (
    Survey,
    SurveyAnswer,
    SurveyItem,
    SurveyKind,
    SurveyParticipation,
    SurveyResponse,
)
from .windows import (
    Window,
    effective_window,
    effective_windows,
    local_day,
    start_of_day,
)

#: Called inside the submitting transaction, after the first submission of a form (not after
#: an edit), with the response (named surveys) or the participation (anonymous ones) and the
#: trainee's id; e.g. the certificates domain issues a certificate once feedback is in.
on_survey_submitted: list[Callable[[SurveyResponse | SurveyParticipation, int], None]] = []

#: Checks of the course's order, registered in ``lms/wiring.py``: each is called as
#: guard(user_id, cohort, survey) and returns the reasons the survey is not open to the
#: trainee yet (e.g. the course feedback before the final exam); empty when it is.
sequence_guards: list[Callable[[int, Cohort, Survey], list[str]]] = []

KIND_ORDER = [SurveyKind.NEEDS, SurveyKind.MODULE_FEEDBACK, SurveyKind.FEEDBACK, SurveyKind.FOLLOW_UP]
KIND_LABELS = {
    SurveyKind.NEEDS: _l("Needs survey"),
    SurveyKind.FEEDBACK: _l("Course feedback"),
    SurveyKind.MODULE_FEEDBACK: _l("Module rating"),
    SurveyKind.FOLLOW_UP: _l("Follow-up survey"),
}


class SurveyError(Exception):
    """A submission the rules refuse; ``message`` says why, for the trainee."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class SurveyClosed(SurveyError):
    """The survey is not open (not yet, no longer, or the follow-up is not due yet)."""


class AlreadySubmitted(SurveyError):
    """A second submission. ``editable``: the trainee may change the answers they gave."""

    def __init__(self, message, editable: bool = False):
        super().__init__(message)
        self.editable = editable


class SurveyLocked(SurveyError):
    """The course's order does not open this survey to the trainee yet."""


class NotAMember(SurveyError):
    """The user is not an active member of the cohort."""


# -- reading -------------------------------------------------------------------------------


def course_surveys(course_id: int) -> list[Survey]:
    """The course's current surveys: needs, module feedback, feedback, follow-up."""
    surveys = db.session.scalars(
        select(Survey).where(Survey.course_id == course_id, Survey.is_retired.is_(False))
    ).all()
    return sorted(surveys, key=lambda s: (KIND_ORDER.index(s.kind), s.key))


def get_survey(course_id: int, key: str) -> Survey | None:
    return db.session.scalar(
        select(Survey).where(Survey.course_id == course_id, Survey.key == key, Survey.is_retired.is_(False))
    )


def survey_of_kind(course_id: int, kind: SurveyKind) -> Survey | None:
    """The course's current survey of a kind (course files hold at most one of each)."""
    return db.session.scalar(
        select(Survey)
        .where(Survey.course_id == course_id, Survey.kind == kind, Survey.is_retired.is_(False))
        .order_by(Survey.id)
        .limit(1)
    )


def current_items(survey: Survey) -> list[SurveyItem]:
    return db.session.scalars(
        select(SurveyItem)
        .where(SurveyItem.survey_id == survey.id, SurveyItem.is_retired.is_(False))
        .order_by(SurveyItem.position)
    ).all()


def course_modules(course_id: int) -> list[Module]:
    return db.session.scalars(
        select(Module).where(Module.course_id == course_id, Module.is_retired.is_(False)).order_by(Module.position)
    ).all()


def get_module(course_id: int, key: str) -> Module | None:
    return db.session.scalar(
        select(Module).where(Module.course_id == course_id, Module.key == key, Module.is_retired.is_(False))
    )


def is_member(user_id: int, cohort_id: int) -> bool:
    return db.session.scalar(
        select(
            exists().where(
                Enrolment.user_id == user_id,
                Enrolment.cohort_id == cohort_id,
                Enrolment.status == EnrolmentStatus.ACTIVE,
            )
        )
    )


def _participation(survey_id: int, cohort_id: int, user_id: int, module_id: int | None):
    query = select(SurveyParticipation).where(
        SurveyParticipation.survey_id == survey_id,
        SurveyParticipation.cohort_id == cohort_id,
        SurveyParticipation.user_id == user_id,
    )
    if module_id is None:
        query = query.where(SurveyParticipation.module_id.is_(None))
    else:
        query = query.where(SurveyParticipation.module_id == module_id)
    return db.session.scalar(query)


def named_response(survey: Survey, cohort_id: int, user_id: int, module_id: int | None = None) -> SurveyResponse | None:
    """The trainee's own response to a named survey (None for anonymous surveys)."""
    if survey.is_anonymous:
        return None
    query = select(SurveyResponse).where(
        SurveyResponse.survey_id == survey.id,
        SurveyResponse.cohort_id == cohort_id,
        SurveyResponse.user_id == user_id,
    )
    if module_id is None:
        query = query.where(SurveyResponse.module_id.is_(None))
    else:
        query = query.where(SurveyResponse.module_id == module_id)
    return db.session.scalar(query)


def response_answers(response: SurveyResponse):
    """A named response's answers as plain rows (item_id, row_key, value_num, value_text)."""
    return db.session.execute(
        select(SurveyAnswer.item_id, SurveyAnswer.row_key, SurveyAnswer.value_num, SurveyAnswer.value_text).where(
            SurveyAnswer.response_id == response.id
        )
    ).all()


def has_submitted(user_id: int, cohort_id: int, survey_kind: SurveyKind | str) -> bool:
    """Whether the trainee has submitted the cohort's survey of this kind (for module feedback:
    rated at least one module). Works for anonymous surveys through the participation row."""
    return db.session.scalar(
        select(
            exists().where(
                SurveyParticipation.user_id == user_id,
                SurveyParticipation.cohort_id == cohort_id,
                SurveyParticipation.survey_id == Survey.id,
                Survey.kind == SurveyKind(survey_kind),
            )
        )
    )


# -- follow-up -----------------------------------------------------------------------------


def follow_up_due_on(user_id: int, cohort: Cohort, completed_on: date | None = None) -> date | None:
    """The day the follow-up survey becomes due for a trainee, or None (not due at all).

    Due ``due_days_after_completion`` days (the follow-up file's setting, default 90) after
    completion, where completion is:

    1. ``completed_on`` when the caller knows the course completion day (learning domain);
    2. otherwise the day the trainee submitted the course feedback survey: for a named
       feedback survey the response's ``submitted_on``; for an anonymous one that day is
       recorded nowhere (it would link the trainee to their answers), so the last day the
       feedback survey was open in the cohort stands in (the window's closing day, or the
       cohort's last day when it has no closing time);
    3. no feedback submitted (and no ``completed_on``): not due.
    """
    follow_up = survey_of_kind(cohort.course_id, SurveyKind.FOLLOW_UP)
    if follow_up is None:
        return None
    days = timedelta(days=int((follow_up.settings or {}).get("due_days_after_completion", 90)))
    if completed_on is not None:
        return completed_on + days
    feedback = survey_of_kind(cohort.course_id, SurveyKind.FEEDBACK)
    if feedback is None or _participation(feedback.id, cohort.id, user_id, None) is None:
        return None
    response = named_response(feedback, cohort.id, user_id)
    if response is not None:
        return response.submitted_on + days
    closes_at = effective_window(cohort, feedback).closes_at
    last_day = local_day(closes_at - timedelta(microseconds=1)) if closes_at else cohort.ends_on
    return last_day + days


def window_for(user_id: int | None, cohort: Cohort, survey: Survey) -> Window:
    """The survey's window for one trainee: for the follow-up survey it opens no earlier
    than the trainee's due day (and not at all while nothing is due)."""
    window = effective_window(cohort, survey)
    if survey.kind != SurveyKind.FOLLOW_UP or user_id is None:
        return window
    due = follow_up_due_on(user_id, cohort)
    if due is None:
        return Window(window.opens_at, window.closes_at, window.is_custom, not_due=True)
    due_at = start_of_day(due)
    opens_at = max(due_at, window.opens_at) if window.opens_at else due_at
    return Window(opens_at, window.closes_at, window.is_custom)


@dataclass
class Status:
    """Where a trainee stands with one form."""

    window: Window
    state: str  #: "upcoming", "open" or "closed"
    submitted: bool
    response: SurveyResponse | None  #: named surveys only
    can_submit: bool  #: open and not yet submitted
    can_edit: bool  #: submitted, named, editable and still open
    locked: list = None  #: why the course's order keeps it closed to the trainee (may be empty)


def lock_reasons(user_id: int, cohort: Cohort, survey: Survey) -> list[str]:
    """Why the course's order keeps this survey from the trainee now (empty: it does not)."""
    reasons: list[str] = []
    for guard in sequence_guards:
        reasons.extend(guard(user_id, cohort, survey))
    return reasons


def status_for(user_id: int, cohort: Cohort, survey: Survey, now: datetime, module_id: int | None = None) -> Status:
    window = window_for(user_id, cohort, survey)
    state = window.state(now)
    submitted = _participation(survey.id, cohort.id, user_id, module_id) is not None
    response = named_response(survey, cohort.id, user_id, module_id) if submitted else None
    locked = [] if submitted else lock_reasons(user_id, cohort, survey)
    return Status(
        window=window,
        state=state,
        submitted=submitted,
        response=response,
        can_submit=state == "open" and not submitted and not locked,
        can_edit=(
            state == "open" and submitted and response is not None and survey.allow_edit and not survey.is_anonymous
        ),
        locked=locked,
    )


def closed_message(survey: Survey, window: Window, now: datetime):
    """Why a survey cannot be answered now, with the relevant day."""
    state = window.state(now)
    if state == "upcoming":
        if window.not_due:
            return _l("This survey is not due yet. It opens after you complete the course.")
        return _l("This survey opens on %(day)s.", day=format_date(window.opens_at, "yyyy-MM-dd"))
    return _l(
        "This survey closed on %(day)s. Answers can no longer be submitted or changed.",
        day=format_date(window.closes_at - timedelta(microseconds=1), "yyyy-MM-dd"),
    )


# -- writing -------------------------------------------------------------------------------


@dataclass
class Submitted:
    response: SurveyResponse
    participation: SurveyParticipation
    created: bool  #: False when an editable response was changed


def _lock_enrolment(user_id: int, cohort_id: int) -> None:
    """Lock the trainee's enrolment row (PostgreSQL), so two submissions of the same trainee
    run one after the other; SQLite's BEGIN IMMEDIATE already serialises writers."""
    found = db.session.scalar(
        select(Enrolment.id)
        .where(
            Enrolment.user_id == user_id,
            Enrolment.cohort_id == cohort_id,
            Enrolment.status == EnrolmentStatus.ACTIVE,
        )
        .with_for_update()
    )
    if found is None:
        raise NotAMember(_l("You are not a member of this cohort."))


def _add_answers(response: SurveyResponse, rows: list[AnswerValue]) -> None:
    answers = [
        SurveyAnswer(
            response_id=response.id,
            item_id=r.item_id,
            item_version=r.item_version,
            row_key=r.row_key,
            value_num=r.value_num,
            value_text=r.value_text,
        )
        for r in rows
    ]
    assign_ids(answers)
    db.session.add_all(answers)


def submit_response(
    user: User,
    cohort: Cohort,
    survey: Survey,
    values: dict,
    now: datetime,
    module: Module | None = None,
    editing: bool = False,
) -> Submitted:
    """Store the trainee's answers: a new response, or changes to their editable one.

    :param values: item key -> value as submitted (see :mod:`.answers`).
    :param editing: the form was shown as an edit of an earlier response; a *new* submission
        when a response exists is refused as a second submission even if it could be edited.
    :raises NotAMember: the user is not an active member of the cohort.
    :raises SurveyClosed: the survey is not open for this trainee now.
    :raises AlreadySubmitted: a second submission (anonymous, not editable, or not an edit).
    :raises SurveyInputError: an answer breaks its item's rules.
    :raises SurveyError: the module does not fit the survey.
    """
    _lock_enrolment(user.id, cohort.id)
    if survey.course_id != cohort.course_id:
        raise SurveyError(_l("This survey does not belong to the cohort's course."))
    if (survey.kind == SurveyKind.MODULE_FEEDBACK) != (module is not None):
        raise SurveyError(_l("Choose the module you are rating."))
    if module is not None and module.course_id != cohort.course_id:
        raise SurveyError(_l("This module does not belong to the cohort's course."))
    module_id = module.id if module is not None else None
    window = window_for(user.id, cohort, survey)
    if not window.is_open(now):
        raise SurveyClosed(closed_message(survey, window, now))
    participation = _participation(survey.id, cohort.id, user.id, module_id)
    if participation is None:
        locked = lock_reasons(user.id, cohort, survey)
        if locked:
            raise SurveyLocked(" ".join(locked))
    rows = check_answers(current_items(survey), values)

    if participation is not None:
        response = named_response(survey, cohort.id, user.id, module_id)
        editable = response is not None and survey.allow_edit
        if not editable:
            raise AlreadySubmitted(_l("You have already submitted this survey. Thank you."))
        if not editing:
            raise AlreadySubmitted(
                _l(
                    "You had already submitted this survey. Your earlier answers are kept; "
                    "you can change them below and save."
                ),
                editable=True,
            )
        db.session.execute(delete(SurveyAnswer).where(SurveyAnswer.response_id == response.id))
        _add_answers(response, rows)
        response.survey_version = survey.version
        response.updated_at = now
        db.session.flush()
        return Submitted(response, participation, created=False)

    participation = SurveyParticipation(survey_id=survey.id, cohort_id=cohort.id, user_id=user.id, module_id=module_id)
    anonymous = survey.is_anonymous
    response = SurveyResponse(
        survey_id=survey.id,
        cohort_id=cohort.id,
        user_id=None if anonymous else user.id,
        module_id=module_id,
        survey_version=survey.version,
        submitted_on=local_day(now),
        submitted_at=None if anonymous else now,
    )
    assign_ids([participation])
    assign_ids([response])
    try:
        with db.session.begin_nested():
            db.session.add_all([participation, response])
            db.session.flush()
            _add_answers(response, rows)
            db.session.flush()
    except IntegrityError:
        # Only a concurrent submission can get here (the enrolment lock makes it rare).
        raise AlreadySubmitted(_l("You have already submitted this survey. Thank you.")) from None
    for hook in on_survey_submitted:
        hook(participation if anonymous else response, user.id)
    return Submitted(response, participation, created=True)


# -- what is due ---------------------------------------------------------------------------


def _open_note(window: Window) -> str:
    if window.closes_at is None:
        return ""
    last = format_date(window.closes_at - timedelta(microseconds=1), "yyyy-MM-dd")
    return _("Open until %(day)s", day=last)


def _participated(user_id: int, cohort_id: int) -> set[tuple[int, int | None]]:
    rows = db.session.execute(
        select(SurveyParticipation.survey_id, SurveyParticipation.module_id).where(
            SurveyParticipation.user_id == user_id, SurveyParticipation.cohort_id == cohort_id
        )
    )
    return {(r.survey_id, r.module_id) for r in rows}


def due_items(user_id: int, cohort: Cohort, now: datetime | None = None) -> list[DueItem]:
    """Surveys the trainee should answer now in this cohort: the needs survey (before and
    during training), the course feedback, and the follow-up survey once due. Module
    feedback comes from :func:`module_feedback_due`, which needs the completed modules.
    """
    now = now or utcnow()
    if not is_member(user_id, cohort.id):
        return []
    surveys = [s for s in course_surveys(cohort.course_id) if s.kind != SurveyKind.MODULE_FEEDBACK]
    done = _participated(user_id, cohort.id)
    windows = effective_windows(cohort, surveys)
    items = []
    for survey in surveys:
        if (survey.id, None) in done:
            continue
        window = window_for(user_id, cohort, survey) if survey.kind == SurveyKind.FOLLOW_UP else windows[survey.id]
        if not window.is_open(now) or lock_reasons(user_id, cohort, survey):
            continue
        note = _open_note(window)
        if survey.kind == SurveyKind.NEEDS and now < start_of_day(cohort.starts_on):
            note = _("Please answer before training starts")
        url = url_for("surveys.fill_survey", cohort_id=cohort.id, survey_key=survey.key)
        items.append(DueItem("survey", survey.title, url, window.closes_at, note))
    return items


def module_feedback_due(
    user_id: int, cohort: Cohort, completed_module_ids, now: datetime | None = None
) -> list[DueItem]:
    """A rating to give for each completed module not rated yet (the learning domain knows
    which modules are complete and calls this), while the module-feedback survey is open."""
    now = now or utcnow()
    survey = survey_of_kind(cohort.course_id, SurveyKind.MODULE_FEEDBACK)
    completed = set(completed_module_ids or ())
    if survey is None or not completed or not is_member(user_id, cohort.id):
        return []
    window = effective_window(cohort, survey)
    if not window.is_open(now):
        return []
    done = _participated(user_id, cohort.id)
    items = []
    for module in course_modules(cohort.course_id):
        if module.id not in completed or (survey.id, module.id) in done:
            continue
        url = url_for(
            "surveys.fill_module_survey",
            cohort_id=cohort.id,
            survey_key=survey.key,
            module_key=module.key,
        )
        title = f"{survey.title} · {module.title}"
        items.append(DueItem("survey", title, url, window.closes_at, _open_note(window)))
    return items
