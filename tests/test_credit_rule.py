"""学时 from real study: a lesson counts only after its minimum of active time; clicking through
earns no 学时 and no certificate; the daily cap; organizers set and preview the rule."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.assessment.models import Attempt, AttemptState
from lms.certificates.eligibility import evaluate
from lms.cohorts.models import Cohort
from lms.db import utcnow, write_transaction
from lms.extensions import db
from lms.learning import credit, progress
from lms.learning.models import Course, Lesson
from lms.learning.standing import cohort_standings, course_standing
from tests.assessment_helpers import make_world, quiz_id
from tests.conftest import login

LESSONS = ["welcome", "first-steps", "village-school", "discussion"]


@pytest.fixture
def world(app, make_user, make_cohort, tmp_path):
    return make_world(app, make_user, make_cohort, tmp_path)


@pytest.fixture
def trainee(app, world):
    client = app.test_client()
    login(client, world.trainee)
    return client


@pytest.fixture
def organizer(app, world):
    client = app.test_client()
    login(client, world.organizer)
    return client


def _set_rule(organizer, world, **values):
    data = {"action": "save", "min_active_percent": "50", **values}
    response = organizer.post(f"/courses/{world.course_key}/credit-rule", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:400]


def _lesson_keys(app):
    with app.app_context():
        return db.session.scalars(select(Lesson.key).order_by(Lesson.module_id, Lesson.position)).all()


def _pass_everything_but_lessons(app, world):
    """The trainee passes every quiz (as if by guessing), so only the lessons stand between them
    and the certificate."""
    with app.app_context():
        now = utcnow()
        for n, key in enumerate(["pre-test", "m01-quiz", "m02-quiz", "final-exam", "post-test"]):
            db.session.add(
                Attempt(
                    quiz_id=quiz_id(app, key),
                    user_id=world.trainee.id,
                    cohort_id=world.cohort_id,
                    number=1,
                    state=AttemptState.GRADED,
                    started_at=now,
                    finished_at=now,
                    score=1,
                    max_score=1,
                    percent=100,
                    passed=n != 0 or None,
                )
            )
        db.session.commit()


def _study(app, world, lesson_key: str, minutes: int, start):
    """Heartbeats of one page view every 30 s of a set clock, as lesson.js sends them."""
    with app.app_context():
        lesson = db.session.scalar(select(Lesson).where(Lesson.key == lesson_key))
        with write_transaction():
            progress.record_view(world.trainee.id, lesson)
        for beat in range(1, minutes * 2 + 1):
            with write_transaction():
                progress.record_heartbeat(
                    world.trainee.id,
                    lesson,
                    f"view-{int(start.timestamp())}",
                    beat,
                    30,
                    "",
                    now=start + timedelta(seconds=30 * beat),
                )


def test_clicking_through_earns_no_hours_and_no_certificate(app, world, trainee, organizer):
    _set_rule(organizer, world)
    _pass_everything_but_lessons(app, world)
    for key in LESSONS[:2]:
        trainee.get(f"/courses/{world.course_key}/lessons/{key}")
        response = trainee.post(f"/courses/{world.course_key}/lessons/{key}/complete", follow_redirects=True)
        assert "分钟的有效学习后才能计入" in response.get_data(as_text=True)
    for key in LESSONS[2:]:  # the next module stays locked: its first module is not done
        assert trainee.post(f"/courses/{world.course_key}/lessons/{key}/complete").status_code == 403
    json_reply = trainee.post(
        f"/courses/{world.course_key}/lessons/{_lesson_keys(app)[0]}/complete", headers={"Accept": "application/json"}
    )
    assert json_reply.status_code == 409 and json_reply.get_json()["completed"] is False
    with app.app_context():
        course = db.session.get(Course, world.course_id)
        standing = course_standing(world.trainee.id, course)
        assert standing.lessons_done == 0 and standing.credited_hours == 0
        eligibility = evaluate(world.trainee.id, db.session.get(Cohort, world.cohort_id))
        assert not eligibility.met
        assert {s.key for s in eligibility.statuses if not s.met} >= {"required_modules", "min_credit_hours"}
    page = trainee.get(f"/courses/{world.course_key}").get_data(as_text=True)
    assert "获得学时：0 / 3" in page or "0 / 3" in page


def test_real_study_meets_the_minimum_and_earns_the_hours(app, world, trainee, organizer):
    _set_rule(organizer, world)
    _pass_everything_but_lessons(app, world)
    start = utcnow()
    # welcome is 10 minutes: 50% is 5 minutes of active time; 4 minutes is not enough
    _study(app, world, "welcome", 4, start)
    response = trainee.post(f"/courses/{world.course_key}/lessons/welcome/complete", follow_redirects=True)
    assert "约 1 分钟" in response.get_data(as_text=True) or "分钟的有效学习后才能计入" in response.get_data(
        as_text=True
    )
    _study(app, world, "welcome", 2, start + timedelta(minutes=5))
    assert trainee.post(f"/courses/{world.course_key}/lessons/welcome/complete").status_code == 302
    # the rest, each with its half of the stated minutes
    clock = start + timedelta(minutes=10)
    for key, minutes in (("first-steps", 8), ("village-school", 10), ("discussion", 8)):
        _study(app, world, key, minutes, clock)
        clock += timedelta(minutes=minutes + 1)
        assert trainee.post(f"/courses/{world.course_key}/lessons/{key}/complete").status_code == 302
    with app.app_context():
        standing = course_standing(world.trainee.id, db.session.get(Course, world.course_id))
        assert standing.credited_hours == 3.0
        table = cohort_standings(db.session.get(Course, world.course_id), world.cohort_id)
        assert table[world.trainee.id].credited_hours == 3.0  # the cohort's grouped path agrees


def test_idle_time_does_not_count(app, world):
    """A beat can add no more than the time since the previous one: a page left open for an
    hour with one forged beat adds at most a minute."""
    with app.app_context():
        lesson = db.session.scalar(select(Lesson).where(Lesson.key == "welcome"))
        with write_transaction():
            progress.record_view(world.trainee.id, lesson)
        with write_transaction():
            progress.record_heartbeat(
                world.trainee.id, lesson, "view-idle", 1, 3600, "", now=utcnow() + timedelta(hours=1)
            )
        assert progress.lesson_progress(world.trainee.id, lesson.id).active_seconds <= 60


def test_daily_cap_limits_the_hours_of_one_day(app, world, organizer):
    _set_rule(organizer, world, min_active_percent="0", daily_cap_hours="1")
    _pass_everything_but_lessons(app, world)
    with app.app_context():
        for key in LESSONS:
            lesson = db.session.scalar(select(Lesson).where(Lesson.key == key))
            with write_transaction():
                progress.complete_lesson(world.trainee.id, lesson)
        standing = course_standing(world.trainee.id, db.session.get(Course, world.course_id))
        assert standing.credited_hours == 1.0  # 3 学时 studied in one day, 1 credited


def test_cohort_rule_overrides_the_course_and_quizzes_gate_hours(app, world, organizer):
    _set_rule(organizer, world, min_active_percent="0")
    response = organizer.post(
        f"/cohorts/{world.cohort_id}/credit-rule", data={"action": "save", "earn": "none", "min_active_percent": "0"}
    )
    assert response.status_code == 302
    with app.app_context():
        course = db.session.get(Course, world.course_id)
        assert credit.rule_for(course, world.cohort_id).earn == ()
        assert credit.rule_for(course, None).earn == ("quizzes",)
        for key in LESSONS:
            lesson = db.session.scalar(select(Lesson).where(Lesson.key == key))
            with write_transaction():
                progress.complete_lesson(world.trainee.id, lesson)
        # no quiz passed, but this cohort's rule does not ask for it
        assert course_standing(world.trainee.id, course).credited_hours == 3.0


def test_organizer_previews_without_saving_and_trainee_sees_the_rule(app, world, organizer, trainee):
    page = organizer.post(
        f"/courses/{world.course_key}/credit-rule", data={"action": "preview", "min_active_percent": "80"}
    ).get_data(as_text=True)
    assert "预览（未保存）" in page and "80%" in page
    assert "<td>10</td><td>8</td>" in page  # welcome: 10 stated minutes, 8 minimum
    with app.app_context():
        assert credit.setting(world.course_id, None) is None
    bad = organizer.post(
        f"/courses/{world.course_key}/credit-rule", data={"action": "save", "min_active_percent": "150"}
    )
    assert bad.status_code == 400
    _set_rule(organizer, world, daily_cap_hours="2")
    course_page = trainee.get(f"/courses/{world.course_key}").get_data(as_text=True)
    assert "50%" in course_page and "每天最多计 2 学时" in course_page
    assert trainee.get(f"/courses/{world.course_key}/credit-rule").status_code == 403
