"""What is due (dashboard items), the follow-up rule and the reminder e-mails."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header

import pytest
from sqlalchemy import func, select, update

from lms.auth.models import User
from lms.cohorts.models import Cohort
from lms.db import utcnow, write_transaction
from lms.extensions import db
from lms.surveys import service
from lms.surveys.models import SentReminder, Survey
from lms.surveys.windows import set_window, start_of_day
from tests.dates import site_today
from tests.mail_helpers import free_port
from tests.survey_helpers import SurveyWorld, client_for, enrol, make_survey_world


@pytest.fixture
def sw(app, make_user, make_cohort) -> SurveyWorld:
    return make_survey_world(app, make_user, make_cohort)


def submit(app, cohort_id: int, survey_id: int, user_id: int, values: dict, now: datetime, module=None):
    with app.app_context(), write_transaction():
        service.submit_response(
            db.session.get(User, user_id),
            db.session.get(Cohort, cohort_id),
            db.session.get(Survey, survey_id),
            values,
            now,
            module=module,
        )


FEEDBACK = {"overall": "4", "aspects": {"systematic": "4", "relevant": "4"}, "useful-modules": ["0"], "recommend": "8"}
NEEDS = {
    "background-years": "0",
    "years-in-post": "3",
    "need-getting-started": "4",
    "confidence-practice": "3",
    "formats": {"case-discussion": "4", "field-visit": "4"},
    "problems": "x",
}
FOLLOW_UP = {"applied-topics": ["0"], "applied-extent": "4", "recommend": "9"}


def due(app, sw, user, now=None, cohort_id=None):
    with app.test_request_context():
        cohort = db.session.get(Cohort, cohort_id or sw.cohort_id)
        return service.due_items(user.id, cohort, now=now)


def test_due_items_list_the_needs_survey_and_feedback_until_answered(app, sw):
    trainee = sw.trainees[0]
    items = due(app, sw, trainee)
    assert [i.title for i in items] == ["培训需求调研", "培训评估问卷"]
    assert items[0].url == f"/cohorts/{sw.cohort_id}/surveys/needs" and items[0].kind == "survey"
    assert items[1].due_at is not None and "前可填写" in items[1].note
    submit(app, sw.cohort_id, sw.surveys["needs"], trainee.id, NEEDS, utcnow())
    assert [i.title for i in due(app, sw, trainee)] == ["培训评估问卷"]
    assert due(app, sw, sw.outsider) == []


def test_needs_survey_is_due_before_training_starts(app, sw, make_cohort):
    today = site_today()
    cohort_id, _, _ = make_cohort(
        course_id=sw.course_id, starts_on=today + timedelta(days=7), ends_on=today + timedelta(days=30)
    )
    enrol(app, cohort_id, [sw.trainees[0]])
    items = due(app, sw, sw.trainees[0], cohort_id=cohort_id)
    assert [(i.title, i.note) for i in items] == [("培训需求调研", "请在培训开始前填写")]


def test_module_feedback_is_due_for_completed_modules_not_yet_rated(app, sw):
    trainee = sw.trainees[0]
    m1, m2 = sw.modules["getting-started"], sw.modules["practice"]
    with app.test_request_context():
        cohort = db.session.get(Cohort, sw.cohort_id)
        assert service.module_feedback_due(trainee.id, cohort, []) == []
        items = service.module_feedback_due(trainee.id, cohort, [m1, m2])
        assert [i.url for i in items] == [
            f"/cohorts/{sw.cohort_id}/surveys/module-feedback/modules/getting-started",
            f"/cohorts/{sw.cohort_id}/surveys/module-feedback/modules/practice",
        ]
        assert items[0].title == "专题满意度评价 · 入门"
    with app.app_context():
        module = db.session.get(service.Module, m1)
        submit(app, sw.cohort_id, sw.surveys["module-feedback"], trainee.id, {"content": "5"}, utcnow(), module)
    with app.test_request_context():
        cohort = db.session.get(Cohort, sw.cohort_id)
        assert [i.url.rsplit("/", 1)[1] for i in service.module_feedback_due(trainee.id, cohort, [m1, m2])] == [
            "practice"
        ]


def test_follow_up_due_day_follows_the_documented_rule(app, sw):
    trainee = sw.trainees[0]
    with app.app_context():
        cohort = db.session.get(Cohort, sw.cohort_id)
        assert service.follow_up_due_on(trainee.id, cohort) is None  # no feedback yet
        assert service.follow_up_due_on(trainee.id, cohort, completed_on=date(2030, 1, 1)) == date(2030, 4, 1)
        ends_on = cohort.ends_on
    submit(app, sw.cohort_id, sw.surveys["feedback"], trainee.id, FEEDBACK, utcnow())
    with app.app_context():
        cohort = db.session.get(Cohort, sw.cohort_id)
        # anonymous feedback: its day is not recorded; the last day it was open stands in
        assert service.follow_up_due_on(trainee.id, cohort) == ends_on + timedelta(days=90)
        with write_transaction():
            set_window(
                db.session.get(User, sw.organizer.id),
                db.session.get(Cohort, sw.cohort_id),
                db.session.get(Survey, sw.surveys["feedback"]),
                None,
                start_of_day(ends_on + timedelta(days=10)),
            )
        cohort = db.session.get(Cohort, sw.cohort_id)
        assert service.follow_up_due_on(trainee.id, cohort) == ends_on + timedelta(days=99)

    # a named feedback survey: the day the trainee submitted it
    with app.app_context():
        db.session.execute(update(Survey).where(Survey.id == sw.surveys["feedback"]).values(is_anonymous=False))
        db.session.commit()
    other = sw.trainees[1]
    submitted = datetime(2030, 5, 10, 2, 0, tzinfo=UTC)
    with app.app_context(), write_transaction():
        set_window(
            db.session.get(User, sw.organizer.id),
            db.session.get(Cohort, sw.cohort_id),
            db.session.get(Survey, sw.surveys["feedback"]),
            None,
            None,
        )
    with app.app_context():
        db.session.execute(update(Cohort).where(Cohort.id == sw.cohort_id).values(ends_on=date(2030, 6, 1)))
        db.session.commit()
    submit(app, sw.cohort_id, sw.surveys["feedback"], other.id, FEEDBACK, submitted)
    with app.app_context():
        cohort = db.session.get(Cohort, sw.cohort_id)
        assert service.follow_up_due_on(other.id, cohort) == date(2030, 8, 8)  # 2030-05-10 + 90


def test_follow_up_opens_on_the_due_day(app, sw):
    trainee = sw.trainees[0]
    client = client_for(app, trainee)
    follow_up = f"/cohorts/{sw.cohort_id}/surveys/follow-up"
    assert "尚未到填写时间" in client.get(follow_up).get_data(as_text=True)
    data = {"mode": "new", "q-applied-topics": "0", "q-applied-extent": "4", "q-recommend": "9"}
    assert client.post(follow_up, data=data).status_code == 409

    submit(app, sw.cohort_id, sw.surveys["feedback"], trainee.id, FEEDBACK, utcnow())
    with app.app_context():
        due_day = service.follow_up_due_on(trainee.id, db.session.get(Cohort, sw.cohort_id))
        later = start_of_day(due_day) + timedelta(hours=1)
    assert [i.title for i in due(app, sw, trainee)] == ["培训需求调研"]
    assert [i.title for i in due(app, sw, trainee, now=later)] == ["跟踪回访"]
    submit(app, sw.cohort_id, sw.surveys["follow-up"], trainee.id, FOLLOW_UP, later)
    assert due(app, sw, trainee, now=later) == []


# -- reminder e-mails ----------------------------------------------------------------------


@pytest.fixture
def past_cohort(app, sw, make_cohort, make_user):
    """A cohort that ended 100 days ago: its trainees' follow-up was due 10 days ago."""
    today = site_today()
    cohort_id, _, _ = make_cohort(
        course_id=sw.course_id,
        starts_on=today - timedelta(days=130),
        ends_on=today - timedelta(days=100),
        enrol_until=today - timedelta(days=130),
    )
    with_mail = make_user(name="王老师", email="wang@example.org")
    answered = make_user(email="li@example.org")
    no_mail = make_user()
    not_done = make_user(email="zhao@example.org")
    enrol(app, cohort_id, [with_mail, answered, no_mail, not_done])
    then = datetime.combine(today - timedelta(days=110), datetime.min.time(), tzinfo=UTC)
    for user in (with_mail, answered, no_mail):
        submit(app, cohort_id, sw.surveys["feedback"], user.id, FEEDBACK, then)
    submit(app, cohort_id, sw.surveys["follow-up"], answered.id, FOLLOW_UP, utcnow())
    return cohort_id, with_mail


def test_send_reminders_mails_each_due_trainee_once(app, sw, past_cohort, smtp_server):
    port, messages = smtp_server
    cohort_id, _with_mail = past_cohort
    app.config.update(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=port,
        LMS_BASE_URL="https://lms.example.org",
        MAIL_DEFAULT_SENDER="培训平台 <noreply@example.org>",
    )
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lms", "send-reminders"])
    assert result.exit_code == 0, result.output
    assert "1 reminder(s) sent, 0 failed, 1 without an e-mail address" in result.output
    assert len(messages) == 1
    envelope = messages[0]
    assert envelope.rcpt_tos == ["wang@example.org"]
    mail = message_from_bytes(envelope.content)
    assert str(make_header(decode_header(mail["Subject"]))) == "请填写跟踪回访问卷：跟踪回访"
    body = mail.get_payload(decode=True).decode("utf-8")
    assert "王老师，您好" in body
    assert f"https://lms.example.org/cohorts/{cohort_id}/surveys/follow-up" in body

    result = runner.invoke(args=["lms", "send-reminders"])  # the next day's run: nothing new
    assert "0 reminder(s) sent" in result.output and len(messages) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count(SentReminder.id))) == 1


def test_send_reminders_without_a_mail_server_sends_nothing(app, sw, past_cohort):
    result = app.test_cli_runner().invoke(args=["lms", "send-reminders"])
    assert result.exit_code == 0 and "No mail server configured" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(SentReminder.id))) == 0


def test_a_failed_send_is_retried_next_time(app, sw, past_cohort, smtp_server):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())  # nobody listens there
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lms", "send-reminders"])
    assert "0 reminder(s) sent, 1 failed" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(SentReminder.id))) == 0

    # The next run, with the mail server back, sends the reminder that failed.
    port, messages = smtp_server
    app.config.update(MAIL_PORT=port)
    result = runner.invoke(args=["lms", "send-reminders"])
    assert "1 reminder(s) sent, 0 failed" in result.output, result.output
    assert [m.rcpt_tos for m in messages] == [["wang@example.org"]]
    with app.app_context():
        assert db.session.scalar(select(func.count(SentReminder.id))) == 1
