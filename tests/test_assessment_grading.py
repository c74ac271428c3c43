"""Grading short answers, regrading after a corrected key, results and what is due."""

from __future__ import annotations

import random
from datetime import date

import pytest
from flask import url_for
from sqlalchemy import event, select

from lms.assessment import results, service
from lms.assessment.grading import regrade_question
from lms.assessment.models import AttemptItem, AttemptState, Question, QuestionVersion
from lms.auth.models import User
from lms.cohorts.models import Cohort
from lms.db import utcnow, write_transaction
from lms.extensions import db
from tests.assessment_helpers import (
    attempt_row,
    enrol,
    form_data,
    items_of,
    make_world,
    quiz_id,
    right_answer,
    seed_drawing_a_short_answer,
    start,
    wrong_answer,
)
from tests.conftest import login
from tests.content_helpers import edit, load


@pytest.fixture
def world(app, make_user, make_cohort, tmp_path):
    return make_world(app, make_user, make_cohort, tmp_path)


@pytest.fixture
def trainee(app, world):
    client = app.test_client()
    login(client, world.trainee)
    return client


@pytest.fixture
def trainer(app, world):
    client = app.test_client()
    login(client, world.trainer)
    return client


def _finish(client, app, attempt_id, answer=right_answer, only=None):
    items = items_of(app, attempt_id)
    answers = {i["id"]: answer(i) for i in items if only is None or i["type"] in only}
    response = client.post(f"/attempts/{attempt_id}/finish", data=form_data(items, answers, 1))
    assert response.status_code == 302
    return items


def _final_exam_with_short_answer(app, client, world):
    """Start a final exam whose draw includes a short answer; return its id and items."""
    random.seed(seed_drawing_a_short_answer(app, "final-exam"))
    attempt_id = start(client, world, "final-exam")
    items = items_of(app, attempt_id)
    assert any(i["type"] == "short_answer" for i in items)
    return attempt_id, items


# -- the grading queue ----------------------------------------------------------------------


def test_short_answers_wait_in_the_queue_until_graded(app, world, trainee, trainer, make_user):
    attempt_id = start(trainee, world, "m01-quiz")
    items = _finish(trainee, app, attempt_id)
    short = next(i for i in items if i["type"] == "short_answer")
    assert "待批阅" in trainee.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)

    queue = trainer.get("/grading").get_data(as_text=True)
    assert "1 道简答题待批阅" in queue and "我的回答" in queue
    assert short["data"]["answer"] in queue  # the reference answer is the rubric
    # a trainer of another cohort has nothing to grade here and cannot grade it
    other = app.test_client()
    login(other, make_user("trainer"))
    assert "暂无待批阅" in other.get("/grading").get_data(as_text=True)
    assert other.post(f"/grading/{short['id']}", data={"score": "1"}).status_code == 404
    # the trainee cannot grade themself
    assert trainee.post(f"/grading/{short['id']}", data={"score": "1"}).status_code == 403

    # out of range: refused, nothing stored
    page = trainer.post(f"/grading/{short['id']}", data={"score": "3"}, follow_redirects=True)
    assert "请输入 0 到 1 之间的分数" in page.get_data(as_text=True)
    assert items_of(app, attempt_id)[2]["score"] is None

    graded = []
    service.on_attempt_graded.append(lambda attempt: graded.append((attempt.id, attempt.passed)))
    try:
        page = trainer.post(
            f"/grading/{short['id']}",
            data={"score": "0.5", "note": "要点不全"},
            follow_redirects=True,
        ).get_data(as_text=True)
    finally:
        service.on_attempt_graded.clear()
    assert "全部批阅完毕" in page and "暂无待批阅" in page
    attempt = attempt_row(app, attempt_id)
    assert attempt.state == AttemptState.GRADED
    assert attempt.score == 2.5 and attempt.percent == pytest.approx(83.33) and attempt.passed is True
    assert graded == [(attempt_id, True)]  # the hook ran once, when the attempt became graded
    result = trainee.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "待批阅" not in result and "要点不全" in result and "通过" in result


def test_a_blank_short_answer_scores_zero_without_a_trainer(app, world, trainee):
    attempt_id = start(trainee, world, "m01-quiz")
    _finish(trainee, app, attempt_id, only=("multiple", "fill_blank"))
    attempt = attempt_row(app, attempt_id)
    assert attempt.state == AttemptState.GRADED and attempt.score == 2.0


def test_final_exam_result_is_hidden_until_graded_then_reviewed(app, world, trainee, trainer):
    attempt_id, items = _final_exam_with_short_answer(app, trainee, world)
    answers = {i["id"]: right_answer(i) for i in items}
    trainee.post(f"/attempts/{attempt_id}/finish", data=form_data(items, answers, 1))
    page = trainee.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    # review: after_close -> the score only until the quiz closes (the cohort's last day)
    assert "待批阅" in page and "本测验的答案和解析在测验结束后公布" in page
    assert "正确答案" not in page
    for item in items:
        if item["type"] == "short_answer":
            trainer.post(f"/grading/{item['id']}", data={"score": "1"})
    attempt = attempt_row(app, attempt_id)
    assert attempt.state == AttemptState.GRADED and attempt.percent == 100.0 and attempt.passed
    page = trainee.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "正确答案" not in page and "待批阅" not in page  # graded, but the cohort is still open
    with app.app_context():
        cohort = db.session.get(Cohort, world.cohort_id)
        cohort.starts_on, cohort.ends_on = date(2020, 1, 1), date(2020, 2, 1)
        db.session.commit()
    page = trainee.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "正确答案" in page


# -- regrading ------------------------------------------------------------------------------


def test_regrade_after_correcting_a_key(app, world, trainee, trainer, make_user):
    # Two trainees take the module quiz; one answers the (wrong) key, one the corrected key.
    attempt_a = start(trainee, world, "m01-quiz")
    items = _finish(trainee, app, attempt_a, only=("multiple", "fill_blank"))
    other = make_user()
    enrol(app, world.cohort_id, other.id)
    second = app.test_client()
    login(second, other)
    attempt_b = start(second, world, "m01-quiz")
    b_items = items_of(app, attempt_b)
    second.post(
        f"/attempts/{attempt_b}/finish",
        data=form_data(b_items, {b_items[0]["id"]: ["A", "B", "C", "D"], b_items[1]["id"]: "不缩小"}, 1),
    )
    assert attempt_row(app, attempt_a).score == 2.0 and attempt_row(app, attempt_b).score == 1.0

    # The key was wrong: 资金不摘 (C) belongs to the answer. Correct the file, reload.
    edit(
        world.folder / "modules/01-getting-started/questions.yaml",
        "answer: [A, B, D]",
        "answer: [A, B, C, D]",
    )
    with app.app_context():
        load(world.folder.parent)
        question = db.session.scalar(select(Question).where(Question.key == "m01-q03"))
        version_2 = db.session.scalar(
            select(QuestionVersion.id).where(QuestionVersion.question_id == question.id, QuestionVersion.version == 2)
        )
        question_id = question.id
    # Nothing changes until a trainer regrades.
    assert attempt_row(app, attempt_a).score == 2.0

    page = trainer.get(f"/questions/{question_id}/regrade").get_data(as_text=True)
    assert "第 2 版" in page and "已交卷 2 份" in page
    page = trainer.post(
        f"/questions/{question_id}/regrade", data={"version_id": version_2}, follow_redirects=True
    ).get_data(as_text=True)
    assert "已重新评分 2 份作答，其中 2 份成绩有变化" in page
    a, b = attempt_row(app, attempt_a), attempt_row(app, attempt_b)
    assert (a.score, b.score) == (1.0, 2.0)
    assert a.regraded_at is not None and b.regraded_at is not None
    # items keep the version they were answered on, and record the key that graded them
    with app.app_context():
        item = db.session.get(AttemptItem, items[0]["id"])
        assert item.question_version_id != version_2 and item.graded_version_id == version_2

    # The trainee is told on the dashboard until they open the result.
    with app.test_request_context():
        cohort = db.session.get(Cohort, world.cohort_id)
        due = results.due_items(world.trainee.id, cohort)
        assert [d.note for d in due if d.kind == "result"] == ["重新评分后成绩有变化"]
    page = trainee.get(f"/attempts/{attempt_a}/result").get_data(as_text=True)
    assert "您的成绩已重新计算" in page and "已按更正后的答案评分" in page
    assert attempt_row(app, attempt_a).regraded_at is None
    with app.test_request_context():
        cohort = db.session.get(Cohort, world.cohort_id)
        assert not [d for d in results.due_items(world.trainee.id, cohort) if d.kind == "result"]

    # Regrading back on version 1 restores the first scores.
    with app.app_context():
        version_1 = db.session.scalar(
            select(QuestionVersion.id).where(QuestionVersion.question_id == question_id, QuestionVersion.version == 1)
        )
    trainer.post(f"/questions/{question_id}/regrade", data={"version_id": version_1})
    assert (attempt_row(app, attempt_a).score, attempt_row(app, attempt_b).score) == (2.0, 1.0)


def test_regrade_applies_to_attempts_in_progress_when_they_finish(app, world, trainee):
    attempt_id = start(trainee, world, "m01-quiz")
    items = items_of(app, attempt_id)
    edit(
        world.folder / "modules/01-getting-started/questions.yaml",
        "answer: [不缩小, 不缩减]",
        "answer: [不缩减]",
    )
    with app.app_context():
        load(world.folder.parent)
        question = db.session.scalar(select(Question).where(Question.key == "m01-q04"))
        version = db.session.scalar(
            select(QuestionVersion).where(QuestionVersion.question_id == question.id, QuestionVersion.version == 2)
        )
        organizer = db.session.get(User, world.organizer.id)
        with write_transaction():
            summary = regrade_question(organizer, question, version, utcnow())
        assert summary.attempts == 0  # nothing finished yet
    trainee.post(f"/attempts/{attempt_id}/finish", data=form_data(items, {items[1]["id"]: "不缩小"}, 1))
    assert items_of(app, attempt_id)[1]["score"] == 0.0  # graded on the correction


def test_short_answers_cannot_be_regraded_and_trainees_cannot_regrade(app, world, trainee, trainer):
    with app.app_context():
        question_id = db.session.scalar(select(Question.id).where(Question.key == "m01-q05"))
    page = trainer.get(f"/questions/{question_id}/regrade").get_data(as_text=True)
    assert "没有可用于重新评分的标准答案" in page
    assert trainee.get(f"/questions/{question_id}/regrade").status_code == 403
    assert trainer.get("/questions/99999/regrade").status_code == 404


# -- results for other domains -------------------------------------------------------------


def test_best_results_and_passed_quiz_ids(app, world, trainee):
    first = start(trainee, world, "final-exam")
    _finish(trainee, app, first, answer=wrong_answer)
    second = start(trainee, world, "final-exam")
    _finish(trainee, app, second, only=("single", "multiple", "true_false", "fill_blank"))
    practice = start(trainee, world, "m02-quiz")  # still in progress
    final_id, practice_id = quiz_id(app, "final-exam"), quiz_id(app, "m02-quiz")
    with app.app_context():
        best = results.best_results(world.trainee.id, world.course_id)
        assert best[practice_id].attempts == 1 and best[practice_id].percent is None
        final = best[final_id]
        assert final.attempts == 2 and final.percent == attempt_row(app, second).percent
        assert final.passed is (attempt_row(app, second).passed is True)
        passed = results.passed_quiz_ids(world.trainee.id, world.course_id)
        assert (final_id in passed) is final.passed
        assert practice_id not in passed
        assert results.best_results(world.trainer.id, world.course_id) == {}
    assert practice


def test_best_results_is_one_query(app, world, trainee):
    start(trainee, world, "pre-test")
    with app.app_context():
        statements = []

        def listener(*args):
            return statements.append(args[2])

        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            results.best_results(world.trainee.id, world.course_id)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1


def test_due_items(app, world, trainee):
    with app.test_request_context():
        cohort = db.session.get(Cohort, world.cohort_id)
        due = results.due_items(world.trainee.id, cohort)
        titles = {d.title: d for d in due}
        assert titles["前测"].note == "尚未参加"
        assert titles["结业考试"].note == "可参加，还剩 2 次机会"
        assert titles["后测"].note == "已开放：与前测对比学习成效"  # this course is taken in any order
        assert titles["前测"].url == url_for("assessment.show_quiz", course_key=world.course_key, quiz_key="pre-test")
    pre = start(trainee, world, "pre-test")
    exam = start(trainee, world, "final-exam")
    with app.test_request_context():
        cohort = db.session.get(Cohort, world.cohort_id)
        due = results.due_items(world.trainee.id, cohort)
        kinds = sorted((d.kind, d.title) for d in due)
        assert kinds == [("attempt", "前测"), ("attempt", "结业考试"), ("quiz", "后测")]
        exam_item = next(d for d in due if d.title == "结业考试")
        assert exam_item.due_at == attempt_row(app, exam).deadline_at
    _finish(trainee, app, pre)
    _finish(trainee, app, exam, answer=wrong_answer)
    with app.test_request_context():
        cohort = db.session.get(Cohort, world.cohort_id)
        due = results.due_items(world.trainee.id, cohort)
        exam_state = attempt_row(app, exam).state
        due = [d for d in due if d.title != "后测"]
        if exam_state == AttemptState.GRADED:  # failed: one more attempt is open
            assert [(d.title, d.note) for d in due] == [("结业考试", "可参加，还剩 1 次机会")]
        else:  # a short answer waits for a trainer before another try is suggested
            assert due == []


# -- trainers' lists ------------------------------------------------------------------------


def test_trainer_lists_cohort_attempts_and_exports_csv(app, world, trainee, trainer, make_user):
    attempt_id = start(trainee, world, "pre-test")
    _finish(trainee, app, attempt_id)
    start(trainee, world, "m01-quiz")
    page = trainer.get(f"/cohorts/{world.cohort_id}/attempts").get_data(as_text=True)
    assert "共 2 份作答" in page and "前测" in page and "作答中" in page
    pre_id = quiz_id(app, "pre-test")
    page = trainer.get(f"/cohorts/{world.cohort_id}/attempts?quiz={pre_id}").get_data(as_text=True)
    assert "共 1 份作答" in page and f"/attempts/{attempt_id}/result" in page
    detail = trainer.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert world.trainee.name in detail and "正确答案" in detail  # staff always see the review
    csv = trainer.get(f"/cohorts/{world.cohort_id}/attempts.csv?quiz={pre_id}")
    text = csv.get_data().decode("utf-8-sig")
    assert csv.headers["Content-Type"].startswith("text/csv")
    assert text.splitlines()[0].startswith("姓名,手机")
    assert world.trainee.name in text and "100" in text and len(text.splitlines()) == 2
    # a trainer of another cohort may not; trainees may not
    outsider = app.test_client()
    login(outsider, make_user("trainer"))
    assert outsider.get(f"/cohorts/{world.cohort_id}/attempts").status_code == 403
    assert trainee.get(f"/cohorts/{world.cohort_id}/attempts").status_code == 403
