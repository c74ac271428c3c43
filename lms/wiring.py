"""How the domains talk to each other, in one place.

Domains do not import each other's services to react to events; they expose hook lists,
requirement checks and ``due_items`` providers, and this module connects them when the app
is created. Registering is idempotent, so creating many apps (tests) registers each once.

Certificates are issued "the moment the last requirement is met": a lesson completed, an
attempt graded or a survey submitted queues a check for the trainee's cohort (the hooks run
inside the triggering transaction); the queue is run once that transaction has committed,
after the request (or, from the CLI, by :func:`run_certificate_checks`).
"""

from __future__ import annotations

from flask import Flask, g
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms import todo


def connect_domains(app: Flask) -> None:
    from lms.assessment import grading
    from lms.assessment import results as assessment
    from lms.certificates import eligibility
    from lms.certificates import service as certificates
    from lms.learning import progress, requirements
    from lms.surveys import service as surveys

    # the dashboard's "to do" list
    for provider in (assessment.due_items, surveys.due_items, certificates.due_items):
        todo.register(provider)

    # the certificate rules that learning answers
    eligibility.register_check("required_modules", requirements.required_modules_status)
    eligibility.register_check("min_credit_hours", requirements.credit_hours_status)
    eligibility.register_credit_hours_source(requirements.credited_hours)

    # reports: the certified stage of the funnel, and 学时 by the course's own credit rule
    from lms.reports import funnel, hours

    funnel.register_stage("certified", _l("Certified"), _count_certified, after="completed")
    hours.set_hours_provider(_credited_hours_by_user)

    # sessions: a user with an attempt in progress (it autosaves) may stay idle longer
    from lms.auth import login_sessions

    _add_once(login_sessions.busy_checks, _has_attempt_in_progress)
    # the course's order: the course feedback once the final exam is finished
    _add_once(surveys.sequence_guards, _feedback_order)

    # events that may complete a trainee's requirements
    _add_once(progress.on_lesson_completed, _lesson_completed)
    _add_once(grading.on_attempt_graded, _attempt_graded)
    _add_once(surveys.on_survey_submitted, _survey_submitted)

    @app.after_request
    def _issue_certificates(response):
        run_certificate_checks()
        return response


def _has_attempt_in_progress(user_id: int) -> bool:
    from lms.assessment.models import Attempt, AttemptState
    from lms.extensions import db

    query = select(Attempt.id).where(Attempt.user_id == user_id, Attempt.state == AttemptState.IN_PROGRESS)
    return db.session.scalar(query.limit(1)) is not None


def _count_certified(cohort) -> int:
    from lms.certificates import service as certificates

    return certificates.cohort_counts(cohort)["valid"]


def _credited_hours_by_user(cohort) -> dict[int, float]:
    from lms.learning.standing import cohort_standings

    standings = cohort_standings(cohort.course, cohort.id)
    return {user_id: s.credited_hours for user_id, s in standings.items() if s.credited_hours}


def _feedback_order(user_id: int, cohort, survey) -> list[str]:
    from lms.learning.sequence import feedback_lock_reasons_for
    from lms.surveys.models import SurveyKind

    if survey.kind != SurveyKind.FEEDBACK:
        return []
    return feedback_lock_reasons_for(user_id, cohort.course)


def _add_once(hooks: list, hook) -> None:
    if hook not in hooks:
        hooks.append(hook)


def _queue(user_id: int, cohort_id: int | None) -> None:
    if cohort_id is not None:
        g.setdefault("certificate_checks", set()).add((user_id, cohort_id))


def _lesson_completed(user_id: int, lesson) -> None:
    from lms.cohorts.models import Cohort, Enrolment, EnrolmentStatus
    from lms.extensions import db

    cohort_ids = db.session.scalars(
        select(Cohort.id)
        .join(Enrolment, Enrolment.cohort_id == Cohort.id)
        .where(
            Enrolment.user_id == user_id,
            Enrolment.status == EnrolmentStatus.ACTIVE,
            Cohort.course_id == lesson.course_id,
        )
    ).all()
    for cohort_id in cohort_ids:
        _queue(user_id, cohort_id)


def _attempt_graded(attempt) -> None:
    _queue(attempt.user_id, attempt.cohort_id)


def _survey_submitted(submission, user_id: int) -> None:
    _queue(user_id, submission.cohort_id)


def run_certificate_checks() -> None:
    """Issue the certificates that the committed changes of this request or command earned."""
    from lms.certificates.hooks import issue_if_eligible

    for user_id, cohort_id in sorted(g.pop("certificate_checks", ())):
        issue_if_eligible(user_id, cohort_id)
