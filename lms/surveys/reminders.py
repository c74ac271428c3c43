"""Reminder e-mails for due follow-up surveys, sent by ``flask lms send-reminders``.

Idempotent: each reminder is first claimed as a ``survey_reminders`` row (unique per user,
cohort, survey and kind) in its own committed transaction, then sent; a failed send removes
the claim so the next run tries again. A crash between the send and the end of the run can
at worst lose a reminder, never send it twice. Run it once a day (cron or a systemd timer).
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from lms.auth.models import User
from lms.cohorts.models import Cohort, Enrolment, EnrolmentStatus
from lms.db import write_transaction
from lms.extensions import db
from lms.mail import Mailer

from .models import SentReminder, Survey, SurveyKind, SurveyParticipation
from .service import follow_up_due_on, window_for
from .windows import local_day

log = logging.getLogger(__name__)

FOLLOW_UP_DUE = "follow_up_due"


@dataclass
class ReminderReport:
    sent: int = 0
    failed: int = 0
    no_email: int = 0  #: due, but the trainee has no e-mail address

    def summary(self) -> str:
        return f"{self.sent} reminder(s) sent, {self.failed} failed, {self.no_email} without an e-mail address."


@dataclass(frozen=True)
class Due:
    user_id: int
    cohort_id: int
    survey_id: int


def due_follow_ups(now: datetime) -> list[Due]:
    """Trainees whose follow-up survey is due and open, unanswered and not yet reminded.

    Only trainees who submitted the course feedback can have a due day (see
    :func:`~lms.surveys.service.follow_up_due_on`), so the candidates come from one query.
    """
    follow_up = Survey.__table__.alias("follow_up")
    feedback = Survey.__table__.alias("feedback")
    rows = db.session.execute(
        select(Enrolment.user_id, Enrolment.cohort_id, follow_up.c.id)
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .join(
            follow_up,
            (follow_up.c.course_id == Cohort.course_id)
            & (follow_up.c.kind == SurveyKind.FOLLOW_UP.value)
            & follow_up.c.is_retired.is_(False),
        )
        .join(feedback, (feedback.c.course_id == Cohort.course_id) & (feedback.c.kind == SurveyKind.FEEDBACK.value))
        .join(
            SurveyParticipation,
            (SurveyParticipation.survey_id == feedback.c.id)
            & (SurveyParticipation.cohort_id == Enrolment.cohort_id)
            & (SurveyParticipation.user_id == Enrolment.user_id),
        )
        .where(Enrolment.status == EnrolmentStatus.ACTIVE)
        .distinct()
    ).all()
    if not rows:
        return []
    survey_ids = {row[2] for row in rows}
    answered = set(
        db.session.execute(
            select(SurveyParticipation.user_id, SurveyParticipation.cohort_id, SurveyParticipation.survey_id).where(
                SurveyParticipation.survey_id.in_(survey_ids)
            )
        ).all()
    )
    reminded = set(
        db.session.execute(
            select(SentReminder.user_id, SentReminder.cohort_id, SentReminder.survey_id).where(
                SentReminder.kind == FOLLOW_UP_DUE
            )
        ).all()
    )
    today = local_day(now)
    cohorts: dict[int, Cohort] = {}
    surveys: dict[int, Survey] = {}
    due = []
    for user_id, cohort_id, survey_id in rows:
        key = (user_id, cohort_id, survey_id)
        if key in answered or key in reminded:
            continue
        cohort = cohorts.get(cohort_id) or cohorts.setdefault(cohort_id, db.session.get(Cohort, cohort_id))
        survey = surveys.get(survey_id) or surveys.setdefault(survey_id, db.session.get(Survey, survey_id))
        day = follow_up_due_on(user_id, cohort)
        if day is None or day > today or not window_for(user_id, cohort, survey).is_open(now):
            continue
        due.append(Due(user_id, cohort_id, survey_id))
    return due


def _survey_url(cohort_id: int, survey_key: str) -> str:
    adapter = current_app.url_map.bind(current_app.config.get("SERVER_NAME") or "localhost")
    path = adapter.build("surveys.fill_survey", {"cohort_id": cohort_id, "survey_key": survey_key})
    return (current_app.config["LMS_BASE_URL"] or "") + path


def _message(user: User, cohort: Cohort, survey: Survey) -> EmailMessage:
    config = current_app.config
    locale = user.locale if user.locale in config["LANGUAGES"] else config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        subject = _("Follow-up survey due: %(title)s", title=survey.title)
        body = _(
            "Dear %(name)s,\n\nsome time has passed since you completed the training "
            '"%(course)s" (%(cohort)s). Please take a few minutes to answer the follow-up '
            "survey: how have you used what you learned, and what support do you need?\n\n"
            "%(url)s\n\nThis message was sent automatically; please do not reply to it.",
            name=user.name,
            course=cohort.course.title,
            cohort=cohort.name,
            url=_survey_url(cohort.id, survey.key),
        )
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = formataddr((user.name, user.email))
    message["Message-ID"] = make_msgid(domain="lms")
    message.set_content(body)
    return message


def send_reminders(now: datetime) -> ReminderReport:
    """E-mail every trainee whose follow-up survey is due, once. Commits as it goes.

    :raises RuntimeError: when no mail server is configured.
    """
    if not current_app.config.get("MAIL_SERVER"):
        raise RuntimeError("no mail server configured (LMS_MAIL_SERVER)")
    report = ReminderReport()
    mailer = Mailer(current_app.config)
    try:
        for due in due_follow_ups(now):
            user = db.session.get(User, due.user_id)
            if not user.email or not user.is_active_account:
                report.no_email += 1
                continue
            try:
                with write_transaction():
                    db.session.add(
                        SentReminder(
                            user_id=due.user_id,
                            cohort_id=due.cohort_id,
                            survey_id=due.survey_id,
                            kind=FOLLOW_UP_DUE,
                            sent_at=now,
                        )
                    )
            except IntegrityError:
                continue  # another run claimed it
            user = db.session.get(User, due.user_id)
            message = _message(user, db.session.get(Cohort, due.cohort_id), db.session.get(Survey, due.survey_id))
            try:
                mailer.send(message)
            except (OSError, smtplib.SMTPException) as error:
                log.warning("reminder to user %s failed: %s", due.user_id, error)
                report.failed += 1
                with write_transaction():
                    db.session.execute(
                        delete(SentReminder).where(
                            SentReminder.user_id == due.user_id,
                            SentReminder.cohort_id == due.cohort_id,
                            SentReminder.survey_id == due.survey_id,
                            SentReminder.kind == FOLLOW_UP_DUE,
                        )
                    )
                mailer.close()
                mailer = Mailer(current_app.config)
                continue
            report.sent += 1
    finally:
        mailer.close()
    return report
