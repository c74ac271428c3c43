"""Trainee learning: module status and prerequisites, completion, active time, 学时, records."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from lms import todo
from lms.assessment.models import Attempt, AttemptState, Quiz
from lms.cohorts.models import Cohort, Enrolment
from lms.db import utcnow, write_transaction
from lms.extensions import db
from lms.learning.models import Course, Lesson
from lms.learning.progress_models import LessonProgress
from lms.todo import DueItem
from tests.conftest import login
from tests.content_helpers import EXAMPLE, load

COURSE = "/courses/example-course"


@pytest.fixture
def world(app, make_user, make_cohort):
    """The example course (pre-test before module 1, module 1 before module 2), a cohort with
    a trainee and a trainer, and an organizer."""
    with app.app_context():
        load(EXAMPLE)
        course_id = db.session.scalar(select(Course.id).where(Course.key == "example-course"))
    trainee, trainer, organizer = make_user("trainee"), make_user("trainer"), make_user("organizer")
    cohort_id, _, token = make_cohort(organizer_id=organizer.id, course_id=course_id, trainer_ids=(trainer.id,))
    client = app.test_client()
    login(client, trainee)
    assert client.post(f"/join/{token}").status_code == 302
    return {
        "client": client,
        "trainee": trainee,
        "trainer": trainer,
        "organizer": organizer,
        "cohort_id": cohort_id,
        "course_id": course_id,
    }


def finish_quiz(app, user_id: int, quiz_key: str, percent: float, passed: bool | None) -> None:
    """A finished attempt, as the assessment engine leaves it."""
    with app.app_context(), write_transaction():
        quiz = db.session.scalar(select(Quiz).where(Quiz.key == quiz_key))
        number = 1 + len(
            db.session.scalars(select(Attempt.id).where(Attempt.quiz_id == quiz.id, Attempt.user_id == user_id)).all()
        )
        db.session.add(
            Attempt(
                quiz_id=quiz.id,
                user_id=user_id,
                number=number,
                state=AttemptState.GRADED,
                finished_at=utcnow(),
                score=percent,
                max_score=100,
                percent=percent,
                passed=passed,
            )
        )


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_module_locked_until_the_pre_test_then_open(app, world):
    client = world["client"]
    html = page(client, COURSE)
    assert "请先完成前测。" in html
    assert "请先完成专题“入门”。" in html
    locked = page(client, f"{COURSE}/lessons/welcome")
    assert "本专题尚未解锁" in locked and "请先完成前测。" in locked
    assert client.post(f"{COURSE}/lessons/welcome/complete").status_code == 403

    finish_quiz(app, world["trainee"].id, "pre-test", 40, None)
    html = page(client, COURSE)
    assert "请先完成前测。" not in html
    assert "请先完成专题“入门”。" in html  # module 2 still waits for module 1
    assert "欢迎" in page(client, f"{COURSE}/lessons/welcome")


def test_completing_lessons_and_passing_the_quiz_credits_the_module(app, world):
    client, trainee = world["client"], world["trainee"]
    finish_quiz(app, trainee.id, "pre-test", 40, None)
    assert "获得学时：0 / 3" in page(client, "/")

    response = client.post(f"{COURSE}/lessons/welcome/complete")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/lessons/first-steps")  # straight on
    client.post(f"{COURSE}/lessons/first-steps/complete")
    html = page(client, COURSE)
    assert "进行中" in html  # lessons done, quiz not passed: not done yet
    assert "获得学时：0 / 3" in html

    finish_quiz(app, trainee.id, "m01-quiz", 50, False)
    assert "获得学时：0 / 3" in page(client, COURSE)
    finish_quiz(app, trainee.id, "m01-quiz", 80, True)
    html = page(client, COURSE)
    assert "获得学时：1.5 / 3" in html
    assert "请先完成专题“入门”。" not in html  # module 2 opened
    assert "50%" in page(client, "/") and "获得学时：1.5 / 3" in page(client, "/")
    # completing twice changes nothing and says nothing
    with app.app_context():
        first = db.session.scalar(select(LessonProgress.completed_at).join(Lesson).where(Lesson.key == "welcome"))
    client.post(f"{COURSE}/lessons/welcome/complete")
    with app.app_context():
        again = db.session.scalar(select(LessonProgress.completed_at).join(Lesson).where(Lesson.key == "welcome"))
    assert first == again


def test_continue_learning_goes_to_the_next_step(app, world):
    client, trainee = world["client"], world["trainee"]
    home = page(client, "/")
    assert "前测" in home  # the pre-test comes first
    finish_quiz(app, trainee.id, "pre-test", 40, None)
    assert f'href="{COURSE}/lessons/welcome"' in page(client, "/")
    client.post(f"{COURSE}/lessons/welcome/complete")
    # the heartbeat remembered a heading: the link resumes there
    beat = {"view": "view-abcdefgh", "seq": 1, "seconds": 20, "position": "h-步骤"}
    client.get(f"{COURSE}/lessons/first-steps")
    assert client.post(f"{COURSE}/lessons/first-steps/beat", json=beat).status_code == 200
    assert f'href="{COURSE}/lessons/first-steps#h-步骤"' in page(client, "/")


def test_heartbeats_count_active_time_once(app, world):
    client, trainee = world["client"], world["trainee"]
    finish_quiz(app, trainee.id, "pre-test", 40, None)
    client.get(f"{COURSE}/lessons/welcome")
    url = f"{COURSE}/lessons/welcome/beat"
    with app.app_context(), write_transaction():  # the page was opened a minute ago
        row = db.session.scalar(select(LessonProgress))
        row.last_seen_at = utcnow() - timedelta(seconds=60)
    assert client.post(url, json={"view": "tab-one-1234", "seq": 1, "seconds": 30}).json == {"counted": True}
    assert client.post(url, json={"view": "tab-one-1234", "seq": 1, "seconds": 30}).json == {"counted": False}
    # a second tab beating at the same moment cannot add time that has not passed
    client.post(url, json={"view": "tab-two-1234", "seq": 1, "seconds": 30})
    # a forged beat is capped
    for bad in (
        {"view": "x", "seq": 1, "seconds": 5},
        {"view": "tab-one-1234", "seq": "2", "seconds": 5},
        {"view": "tab-one-1234", "seq": 2, "seconds": -5},
        {"view": "tab-one-1234", "seq": 2, "seconds": 9999},
        {"view": "tab-one-1234", "seq": 2, "seconds": 5, "position": "<script>"},
    ):
        assert client.post(url, json=bad).status_code == 400
    with app.app_context():
        seconds = db.session.scalar(select(LessonProgress.active_seconds))
    assert 30 <= seconds <= 30 + 5 + 1  # the second tab added at most the slack


def test_time_rule_credits_half_hours_up_to_the_module(app, world):
    """In time mode completed lessons earn their active time, up to each lesson's share of
    the module's hours, in half hours (lessons that were only opened earn nothing)."""
    client, trainee = world["client"], world["trainee"]
    finish_quiz(app, trainee.id, "pre-test", 40, None)
    finish_quiz(app, trainee.id, "m01-quiz", 100, True)
    with app.app_context(), write_transaction():
        course = db.session.get(Course, world["course_id"])
        course.settings = {**course.settings, "credit_rule": {"mode": "time", "minutes_per_hour": 45}}
    client.get(f"{COURSE}/lessons/welcome")
    with app.app_context(), write_transaction():
        db.session.scalar(select(LessonProgress)).active_seconds = 50 * 60
    assert "获得学时：0 / 3" in page(client, COURSE)  # opened, not completed: nothing
    for key in ("welcome", "first-steps"):
        client.post(f"{COURSE}/lessons/{key}/complete")
    with app.app_context(), write_transaction():
        for row in db.session.scalars(select(LessonProgress)):
            row.active_seconds = 25 * 60  # 50 min in all: 1.1 学时, two halves
    assert "获得学时：1 / 3" in page(client, COURSE)
    with app.app_context(), write_transaction():
        for row in db.session.scalars(select(LessonProgress)):
            row.active_seconds = 500 * 60
    assert "获得学时：1.5 / 3" in page(client, COURSE)  # never more than the module's 1.5


def test_learning_record_page_and_exports(app, world):
    client, trainee = world["client"], world["trainee"]
    finish_quiz(app, trainee.id, "pre-test", 40, None)
    client.post(f"{COURSE}/lessons/welcome/complete")
    html = page(client, f"{COURSE}/record")
    assert "学习档案" in html and "1/2" in html and "入门" in html
    book = load_workbook(io.BytesIO(client.get(f"{COURSE}/record.xlsx").data))
    rows = list(book.active.values)
    assert rows[0][0] == "专题" and rows[1][0] == "入门" and rows[1][2] == "1/2"
    csv = client.get(f"{COURSE}/record.csv")
    assert csv.data.startswith("\ufeff".encode()) and "入门" in csv.get_data(as_text=True)


def test_cohort_progress_for_staff(app, world, make_user):
    finish_quiz(app, world["trainee"].id, "pre-test", 40, None)
    world["client"].post(f"{COURSE}/lessons/welcome/complete")
    trainer = app.test_client()
    login(trainer, world["trainer"])
    html = page(trainer, f"/cohorts/{world['cohort_id']}/progress")
    assert world["trainee"].name in html and "1/4" in html
    record = page(trainer, f"/cohorts/{world['cohort_id']}/members/{world['trainee'].id}/record")
    assert world["trainee"].name in record
    rows = list(
        load_workbook(io.BytesIO(trainer.get(f"/cohorts/{world['cohort_id']}/progress.xlsx").data)).active.values
    )
    assert rows[1][0] == world["trainee"].name and rows[1][3] == "1/4"
    # another trainer's cohort stays hidden
    other = app.test_client()
    login(other, make_user("trainer"))
    assert other.get(f"/cohorts/{world['cohort_id']}/progress").status_code == 404
    # an outsider's record is not reachable through this cohort
    stranger = make_user("trainee")
    url = f"/cohorts/{world['cohort_id']}/members/{stranger.id}/record"
    assert trainer.get(url).status_code == 404


def test_dashboard_lists_what_domains_say_is_due(app, world):
    def provider(user_id, cohort):
        return [DueItem("survey", "培训需求调研", "/somewhere", note="开课前填写")]

    todo.register(provider)
    try:
        html = page(world["client"], "/")
    finally:
        todo._providers.remove(provider)
    assert "待办" in html and "培训需求调研" in html and "开课前填写" in html


def test_removed_trainee_loses_access(app, world):
    with app.app_context(), write_transaction():
        enrolment = db.session.scalar(select(Enrolment).where(Enrolment.cohort_id == world["cohort_id"]))
        enrolment.status = "removed"
    assert world["client"].get(COURSE).status_code == 403
    with app.app_context():
        assert db.session.get(Cohort, world["cohort_id"]) is not None
