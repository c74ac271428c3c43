"""The course's order, enforced on the server: every out-of-order start or answer is refused
with the reason, and the pages say why something is locked."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.assessment.models import Attempt, AttemptState
from lms.db import utcnow
from lms.extensions import db
from lms.learning.models import Lesson, Module
from tests.assessment_helpers import form_data, items_of, make_world, quiz_id, right_answer, start
from tests.conftest import login
from tests.content_helpers import edit, load
from tests.survey_helpers import feedback_answers


@pytest.fixture
def world(app, make_user, make_cohort, tmp_path):
    return make_world(app, make_user, make_cohort, tmp_path, sequence="strict")


@pytest.fixture
def trainee(app, world):
    client = app.test_client()
    login(client, world.trainee)
    return client


def _start(client, world, key):
    return client.post(f"/courses/{world.course_key}/quizzes/{key}/start", data={"confirmed": "1"})


def _attempts(app, user_id, key) -> int:
    with app.app_context():
        return len(
            db.session.scalars(
                select(Attempt).where(Attempt.user_id == user_id, Attempt.quiz_id == quiz_id(app, key))
            ).all()
        )


def _finish(client, app, attempt_id):
    items = items_of(app, attempt_id)
    client.post(f"/attempts/{attempt_id}/finish", data=form_data(items, {i["id"]: right_answer(i) for i in items}, 1))


def _pass_quiz(app, world, key):
    """A graded, passed attempt, as if the trainee had sat the quiz (its grading is tested elsewhere)."""
    with app.app_context():
        now = utcnow()
        db.session.add(
            Attempt(
                quiz_id=quiz_id(app, key),
                user_id=world.trainee.id,
                cohort_id=world.cohort_id,
                number=99,
                state=AttemptState.GRADED,
                started_at=now,
                finished_at=now,
                score=1,
                max_score=1,
                percent=100,
                passed=True,
            )
        )
        db.session.commit()


def _complete_module(client, app, world, module_key):
    with app.app_context():
        module_id = db.session.scalar(select(Module.id).where(Module.key == module_key))
        keys = db.session.scalars(
            select(Lesson.key).where(Lesson.module_id == module_id, Lesson.is_retired.is_(False))
        ).all()
    for key in keys:
        response = client.post(f"/courses/{world.course_key}/lessons/{key}/complete")
        assert response.status_code == 302


def test_a_fresh_trainee_can_only_start_the_pre_test(app, world, trainee):
    for key in ("m01-quiz", "post-test", "final-exam"):
        response = _start(trainee, world, key)
        assert response.status_code == 403, key
        assert "请先完成前测" in response.get_data(as_text=True), key
        assert _attempts(app, world.trainee.id, key) == 0
    page = trainee.get(f"/courses/{world.course_key}/quizzes/final-exam").get_data(as_text=True)
    assert "暂未开放" in page and "请先完成前测" in page
    assert "/quizzes/final-exam/start" not in page
    course = trainee.get(f"/courses/{world.course_key}").get_data(as_text=True)
    assert "请先完成前测" in course


def test_module_quiz_waits_for_its_lessons_and_exams_for_every_module(app, world, trainee):
    _finish(trainee, app, start(trainee, world, "pre-test"))
    response = _start(trainee, world, "m01-quiz")
    assert response.status_code == 403
    assert "请先学完本专题的课程" in response.get_data(as_text=True)
    _complete_module(trainee, app, world, "getting-started")
    start(trainee, world, "m01-quiz")  # now open
    for key in ("post-test", "final-exam"):
        response = _start(trainee, world, key)
        assert response.status_code == 403
        assert "请先完成全部专题" in response.get_data(as_text=True)
    _pass_quiz(app, world, "m01-quiz")
    _complete_module(trainee, app, world, "practice")
    _pass_quiz(app, world, "m02-quiz")
    start(trainee, world, "post-test")
    start(trainee, world, "final-exam")


def test_the_pre_test_is_refused_once_studying_began(app, world, trainee):
    module = world.folder / "modules/01-getting-started/module.yaml"
    edit(module, "prerequisites: [pre-test]\n", "")
    with app.app_context():
        load(world.folder.parent)
    _complete_module(trainee, app, world, "getting-started")
    response = _start(trainee, world, "pre-test")
    assert response.status_code == 403
    assert "前测只能在开始学习之前参加" in response.get_data(as_text=True)
    assert _attempts(app, world.trainee.id, "pre-test") == 0


def test_feedback_opens_after_the_final_exam(app, world, trainee):
    url = f"/cohorts/{world.cohort_id}/surveys/feedback"
    page = trainee.get(url).get_data(as_text=True)
    assert "完成结业考试后才能填写课程评价" in page
    response = trainee.post(url, data=feedback_answers())
    assert response.status_code == 409
    assert "完成结业考试后才能填写课程评价" in response.get_data(as_text=True)
    with app.app_context():
        from lms.surveys.models import SurveyParticipation

        assert db.session.scalar(select(SurveyParticipation.id)) is None
    # once a final exam attempt is finished, it opens
    with app.app_context():
        now = utcnow()
        db.session.add(
            Attempt(
                quiz_id=quiz_id(app, "final-exam"),
                user_id=world.trainee.id,
                cohort_id=world.cohort_id,
                state=AttemptState.GRADED,
                started_at=now,
                finished_at=now,
                score=0,
                max_score=1,
                percent=0,
                passed=False,
            )
        )
        db.session.commit()
    response = trainee.post(url, data=feedback_answers())
    assert response.status_code == 302


def test_a_timed_exam_asks_before_its_clock_starts(app, world, trainee):
    _finish(trainee, app, start(trainee, world, "pre-test"))
    for module, quiz in (("getting-started", "m01-quiz"), ("practice", "m02-quiz")):
        _complete_module(trainee, app, world, module)
        _pass_quiz(app, world, quiz)
    base = f"/courses/{world.course_key}/quizzes/final-exam"
    quiz_page = trainee.get(base).get_data(as_text=True)
    assert f'href="{base}/start"' in quiz_page  # a link to the confirmation, not a form
    # a POST without the confirmation starts nothing
    response = trainee.post(f"{base}/start")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"{base}/start")
    assert _attempts(app, world.trainee.id, "final-exam") == 0
    confirm = trainee.get(f"{base}/start").get_data(as_text=True)
    assert "30 分钟" in confirm and "剩余 2 次" in confirm
    assert 'name="confirmed"' in confirm and 'method="post"' in confirm
    assert _attempts(app, world.trainee.id, "final-exam") == 0
    start(trainee, world, "final-exam")
    assert _attempts(app, world.trainee.id, "final-exam") == 1


def test_a_save_to_an_attempt_of_a_quiz_now_locked_is_refused(app, world, trainee):
    _finish(trainee, app, start(trainee, world, "pre-test"))
    _complete_module(trainee, app, world, "getting-started")
    attempt_id = start(trainee, world, "m01-quiz")
    # the course changes: module 1 now waits for a module nobody finished (its quiz locks)
    with app.app_context():
        module = db.session.scalar(select(Module).where(Module.key == "getting-started"))
        module.prerequisites = ["pre-test", "practice"]
        db.session.commit()
    response = trainee.post(f"/attempts/{attempt_id}/save", json={"seq": 1, "answers": {}})
    assert response.status_code == 409
    assert response.get_json()["reason"] == "locked"
