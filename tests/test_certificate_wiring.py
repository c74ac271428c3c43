"""The real requirement checks, wired in lms/wiring.py: a certificate is issued when the last
requirement is met, whichever it is, with the 学时 the trainee was credited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.assessment.models import Attempt, AttemptState, Quiz
from lms.certificates import eligibility
from lms.certificates.models import Certificate
from lms.cohorts.models import Cohort
from lms.db import utcnow, write_transaction
from lms.extensions import db
from lms.learning.models import Course
from lms.surveys.models import Survey, SurveyKind, SurveyParticipation
from tests.conftest import login
from tests.content_helpers import EXAMPLE, load

COURSE = "/courses/example-course"


@pytest.fixture
def world(app, make_user, make_cohort):
    app.config["PUBLIC_BASE_URL"] = "https://peixun.example.cn"
    with app.app_context():
        load(EXAMPLE)
        course_id = db.session.scalar(select(Course.id))
    trainee = make_user("trainee", name="赵学员")
    cohort_id, _, token = make_cohort(course_id=course_id)
    client = app.test_client()
    login(client, trainee)
    client.post(f"/join/{token}")
    return client, trainee, cohort_id


def passed(app, user_id: int, cohort_id: int, *quiz_keys: str) -> None:
    with app.app_context(), write_transaction():
        for key in quiz_keys:
            quiz = db.session.scalar(select(Quiz).where(Quiz.key == key))
            db.session.add(
                Attempt(
                    quiz_id=quiz.id,
                    user_id=user_id,
                    cohort_id=cohort_id,
                    state=AttemptState.GRADED,
                    finished_at=utcnow(),
                    score=9,
                    max_score=10,
                    percent=90,
                    passed=True,
                )
            )


def certificate(app, user_id: int):
    with app.app_context():
        return db.session.scalar(select(Certificate).where(Certificate.user_id == user_id))


def test_the_last_lesson_completed_issues_the_certificate(app, world):
    client, trainee, cohort_id = world
    passed(app, trainee.id, cohort_id, "pre-test", "m01-quiz", "m02-quiz", "final-exam")
    with app.app_context(), write_transaction():
        survey = db.session.scalar(select(Survey).where(Survey.kind == SurveyKind.FEEDBACK))
        db.session.add(SurveyParticipation(survey_id=survey.id, cohort_id=cohort_id, user_id=trainee.id))
    for lesson in ("welcome", "first-steps", "village-school"):
        client.post(f"{COURSE}/lessons/{lesson}/complete")
    assert certificate(app, trainee.id) is None  # one lesson to go
    with app.app_context():
        status = eligibility.evaluate(trainee.id, db.session.get(Cohort, cohort_id))
    assert {s.key: s.met for s in status.statuses} == {
        "required_modules": False,
        "final_exam": True,
        "feedback": True,
        "min_credit_hours": False,
    }
    client.post(f"{COURSE}/lessons/discussion/complete")
    cert = certificate(app, trainee.id)
    assert cert is not None and cert.credit_hours == 3
    assert "证书" in client.get("/").get_data(as_text=True)


def test_missing_requirements_are_explained(app, world):
    client, trainee, cohort_id = world
    passed(app, trainee.id, cohort_id, "pre-test")
    client.post(f"{COURSE}/lessons/welcome/complete")
    with app.app_context():
        status = eligibility.evaluate(trainee.id, db.session.get(Cohort, cohort_id))
    details = {s.key: s.detail for s in status.statuses}
    assert details["required_modules"] == "已完成 0 / 2 个专题"
    assert details["min_credit_hours"] == "已获 0 / 3 学时"
    assert certificate(app, trainee.id) is None
