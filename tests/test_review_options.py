"""Review options as Moodle's: what a trainee sees of a finished attempt, by time; a quiz that
may still be retaken never shows its answer key."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import update

from lms.assessment.models import QuizKind
from lms.assessment.rules import review_options
from lms.cohorts.models import Cohort
from lms.extensions import db
from tests.assessment_helpers import form_data, items_of, make_world, right_answer, start, wrong_answer
from tests.conftest import login


@pytest.fixture
def world(app, make_user, make_cohort, tmp_path):
    return make_world(app, make_user, make_cohort, tmp_path)


@pytest.fixture
def trainee(app, world):
    client = app.test_client()
    login(client, world.trainee)
    return client


def _keys_in(text: str, items: list[dict]) -> list[str]:
    """Which answer-key markers of the attempt's questions appear in the text."""
    found = []
    for item in items:
        data = item["data"]
        if data.get("explanation") and data["explanation"] in text:
            found.append("explanation")
        if data["type"] == "fill_blank" and any(str(a) in text for a in data["answer"]):
            found.append("accepted answer")
    if "正确答案" in text or "参考答案" in text:
        found.append("right answer marker")
    return found


def _close_cohort(app, world):
    with app.app_context():
        db.session.execute(
            update(Cohort)
            .where(Cohort.id == world.cohort_id)
            .values(starts_on=date(2020, 1, 1), ends_on=date(2020, 2, 1), enrol_until=date(2020, 1, 1))
        )
        db.session.commit()


def test_old_words_map_to_review_options():
    assert review_options(QuizKind.FINAL_EXAM, "after_close")["immediately"] == {"score"}
    assert review_options(QuizKind.FINAL_EXAM, "after_close")["closed"] == {
        "score",
        "correctness",
        "answer",
        "explanation",
    }
    assert review_options(QuizKind.PRE_TEST, None)["closed"] == {"score"}
    assert review_options(QuizKind.MODULE_QUIZ, None)["open"] == {"score", "correctness", "explanation"}
    custom = review_options(QuizKind.POST_TEST, {"immediately": ["correctness"], "closed": ["answer"]})
    assert custom == {"during": set(), "immediately": {"correctness"}, "open": set(), "closed": {"answer"}}


def test_a_failed_final_exam_with_a_retake_left_shows_only_the_score(app, world, trainee):
    attempt_id = start(trainee, world, "final-exam")
    items = items_of(app, attempt_id)
    answers = {i["id"]: wrong_answer(i) for i in items}
    reply = trainee.post(
        f"/attempts/{attempt_id}/save", json={"seq": 1, "answers": {str(k): v for k, v in answers.items()}}
    )
    assert _keys_in(reply.get_data(as_text=True), items) == []
    trainee.post(f"/attempts/{attempt_id}/finish", data=form_data(items, answers, 2))
    result = trainee.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "未通过" in result or "待批阅" in result  # the outcome is shown
    assert _keys_in(result, items) == []
    assert "测验结束后公布" in result
    # later while open, still nothing
    assert _keys_in(trainee.get(f"/attempts/{attempt_id}/result").get_data(as_text=True), items) == []
    # after the cohort's last day the quiz is closed: the options for "closed" apply
    _close_cohort(app, world)
    closed = trainee.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "right answer marker" in _keys_in(closed, items)


def test_module_quiz_shows_right_or_wrong_and_explanations_but_never_the_key(app, world, trainee):
    attempt_id = start(trainee, world, "m01-quiz")
    items = items_of(app, attempt_id)
    answers = {i["id"]: wrong_answer(i) for i in items}
    trainee.post(f"/attempts/{attempt_id}/finish", data=form_data(items, answers, 1))
    result = trainee.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert _keys_in(result, items) == ["explanation"] * sum(1 for i in items if i["data"].get("explanation"))
    assert "is-wrong" in result  # right or wrong is shown
    assert "暂不公布标准答案" in result


def test_the_quiz_page_lists_the_review_options(app, world, trainee):
    page = trainee.get(f"/courses/{world.course_key}/quizzes/final-exam").get_data(as_text=True)
    assert "交卷后立即：成绩" in page and "测验结束后（培训班结束日之后）：成绩、对错、正确答案、解析" in page


def test_staff_see_everything(app, world, trainee):
    attempt_id = start(trainee, world, "final-exam")
    items = items_of(app, attempt_id)
    trainee.post(f"/attempts/{attempt_id}/finish", data=form_data(items, {}, 1))
    trainer = app.test_client()
    login(trainer, world.trainer)
    page = trainer.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "right answer marker" in _keys_in(page, items)


def test_after_the_post_test_the_trainee_sees_their_change_per_module(app, world, trainee):
    pre = start(trainee, world, "pre-test")
    items = items_of(app, pre)
    trainee.post(f"/attempts/{pre}/finish", data=form_data(items, {i["id"]: wrong_answer(i) for i in items}, 1))
    post = start(trainee, world, "post-test")
    items = items_of(app, post)
    trainee.post(f"/attempts/{post}/finish", data=form_data(items, {i["id"]: right_answer(i) for i in items}, 1))
    page = trainee.get(f"/attempts/{post}/result").get_data(as_text=True)
    assert "与前测相比，各专题的变化" in page
    assert "<td>0%</td><td>100%</td>" in page and "+100" in page
