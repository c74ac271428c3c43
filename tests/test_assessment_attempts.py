"""Attempts on the server: start, save (JSON and form), finish, deadlines, versions, secrecy."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from lms.assessment import service
from lms.assessment.models import Attempt, AttemptState, Question
from lms.assessment.scoring import clean_response
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


def _json(answers: dict) -> dict:
    return {str(k): v for k, v in answers.items()}


def _backdate(app, attempt_id: int, seconds_past_deadline: int) -> None:
    """Move an attempt's clock: its deadline passed ``seconds_past_deadline`` ago."""
    with app.app_context():
        deadline = utcnow() - timedelta(seconds=seconds_past_deadline)
        db.session.execute(
            update(Attempt)
            .where(Attempt.id == attempt_id)
            .values(deadline_at=deadline, started_at=deadline - timedelta(minutes=30))
        )
        db.session.commit()


# -- taking a quiz ------------------------------------------------------------------------


def test_module_quiz_start_save_finish_and_feedback(app, world, trainee):
    page = trainee.get(f"/courses/{world.course_key}/quizzes/m01-quiz").get_data(as_text=True)
    assert "专题一测验" in page and "不限" in page  # unlimited attempts
    attempt_id = start(trainee, world, "m01-quiz")
    items = items_of(app, attempt_id)
    assert [i["key"] for i in items] == ["m01-q03", "m01-q04", "m01-q05"]
    answers = {i["id"]: right_answer(i) for i in items}
    answers[items[1]["id"]] = "不 缩 小"  # half-width spaces are normalised away
    reply = trainee.post(f"/attempts/{attempt_id}/save", json={"seq": 1, "answers": _json(answers)})
    assert reply.status_code == 200 and reply.get_json()["ok"] is True
    assert [i["response"] for i in items_of(app, attempt_id)][:2] == [["A", "B", "D"], "不 缩 小"]

    response = trainee.post(f"/attempts/{attempt_id}/finish", data=form_data(items, answers, 2))
    assert response.headers["Location"].endswith(f"/attempts/{attempt_id}/result")
    attempt = attempt_row(app, attempt_id)
    assert attempt.state == AttemptState.AWAITING_GRADING  # the short answer waits for a trainer
    assert attempt.closed_by == "trainee" and attempt.score is None and attempt.passed is None
    result = trainee.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    # review: immediately -> explanations right away, the short answer pending; the right
    # answers stay hidden while the trainee may try again (unlimited practice)
    assert "见《第一步》一节。" in result and "待批阅" in result and "正确答案" not in result
    # practice: unlimited, another attempt may start at once
    assert start(trainee, world, "m01-quiz") != attempt_id


def test_starting_again_resumes_the_attempt_in_progress(app, world, trainee):
    first = start(trainee, world, "final-exam")
    assert start(trainee, world, "final-exam") == first
    attempt = attempt_row(app, first)
    assert attempt.deadline_at - attempt.started_at == timedelta(minutes=30)
    assert attempt.cohort_id == world.cohort_id and attempt.number == 1


def test_final_exam_draws_per_module_and_shuffles(app, world, trainee):
    drawn_sets = set()
    for _ in range(2):
        attempt_id = start(trainee, world, "final-exam")
        items = items_of(app, attempt_id)
        keys = [i["key"] for i in items]
        assert sum(k.startswith("m01") for k in keys) == 3 and sum(k.startswith("m02") for k in keys) == 2
        assert not {"m01-q01", "m01-q02", "m02-q01", "m02-q02"} & set(keys)  # excluded tags
        for item in items:
            assert sorted(item["option_order"]) == list(range(len(item["data"]["options"])))
        drawn_sets.add(tuple(keys))
        trainee.post(f"/attempts/{attempt_id}/finish", data=form_data(items, {}, 1))
    # two attempts allowed, then no more
    response = trainee.post(f"/courses/{world.course_key}/quizzes/final-exam/start", follow_redirects=True)
    assert "已用完" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(db.func.count(Attempt.id))) == 2


def test_pre_test_counts_no_pass_and_shows_no_review(app, world, trainee):
    attempt_id = start(trainee, world, "pre-test")
    items = items_of(app, attempt_id)
    answers = {i["id"]: right_answer(i) for i in items}
    trainee.post(f"/attempts/{attempt_id}/finish", data=form_data(items, answers, 1))
    attempt = attempt_row(app, attempt_id)
    assert attempt.state == AttemptState.GRADED and attempt.percent == 100.0
    assert attempt.passed is None  # the pre-test measures; it is not passed or failed
    page = trainee.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "100%" in page and "不公布答案解析" in page
    assert items[0]["data"]["explanation"] not in page


def test_form_save_and_finish_work_without_javascript(app, world, trainee):
    attempt_id = start(trainee, world, "m01-quiz")
    items = items_of(app, attempt_id)
    multiple, blank, short = items
    answers = {multiple["id"]: ["A", "B"], blank["id"]: "不缩减", short["id"]: "简答"}
    response = trainee.post(f"/attempts/{attempt_id}/save", data=form_data(items, answers, 1), follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "答案已保存" in page and 'value="不缩减"' in page
    assert re.search(r'<input id="seq"[^>]*type="hidden" value="2"', page)
    # untick everything: a listed item without a field is cleared
    answers[multiple["id"]] = None
    trainee.post(f"/attempts/{attempt_id}/save", data=form_data(items, answers, 2))
    assert items_of(app, attempt_id)[0]["response"] is None
    trainee.post(f"/attempts/{attempt_id}/finish", data=form_data(items, answers, 3))
    assert attempt_row(app, attempt_id).state == AttemptState.AWAITING_GRADING


# -- saves: sequence numbers and deadlines --------------------------------------------------


def test_stale_save_is_refused_with_a_clear_message(app, world, trainee):
    attempt_id = start(trainee, world, "m01-quiz")
    items = items_of(app, attempt_id)
    blank = items[1]["id"]
    ok = trainee.post(f"/attempts/{attempt_id}/save", json={"seq": 1, "answers": {str(blank): "新的"}})
    assert ok.status_code == 200 and ok.get_json()["seq"] == 1
    # the same save again (its reply was lost) is accepted and changes nothing
    again = trainee.post(f"/attempts/{attempt_id}/save", json={"seq": 1, "answers": {str(blank): "新的"}})
    assert again.status_code == 200
    assert (
        trainee.post(f"/attempts/{attempt_id}/save", json={"seq": 2, "answers": {str(blank): "更新的"}}).status_code
        == 200
    )
    # an older tab sends its lower number: refused, nothing overwritten
    stale = trainee.post(f"/attempts/{attempt_id}/save", json={"seq": 1, "answers": {str(blank): "旧的"}})
    assert stale.status_code == 409
    body = stale.get_json()
    assert body["reason"] == "stale" and "另一个窗口或设备" in body["message"]
    # the same number with other answers is another tab too, and so is a number not issued yet
    clash = trainee.post(f"/attempts/{attempt_id}/save", json={"seq": 2, "answers": {str(blank): "别的"}})
    assert clash.status_code == 409
    ahead = trainee.post(f"/attempts/{attempt_id}/save", json={"seq": 5, "answers": {str(blank): "别的"}})
    assert ahead.status_code == 409
    assert items_of(app, attempt_id)[1]["response"] == "更新的"
    # the form path tells the trainee too
    page = trainee.post(
        f"/attempts/{attempt_id}/save",
        data=form_data(items, {blank: "旧的"}, 2),
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "另一个窗口或设备" in page


def test_malformed_save_is_a_400_not_a_500(app, world, trainee):
    attempt_id = start(trainee, world, "m01-quiz")
    for payload in (
        {"seq": "x", "answers": {}},
        {"seq": 1, "answers": []},
        {"seq": True, "answers": {}},
        {"seq": 1, "answers": {"abc": 1}},
    ):
        assert trainee.post(f"/attempts/{attempt_id}/save", json=payload).status_code == 400
    assert trainee.post(f"/attempts/{attempt_id}/save", json={"seq": 0, "answers": {}}).status_code == 409
    assert trainee.post(f"/attempts/{attempt_id}/save", json={"seq": 2**40, "answers": {}}).status_code == 409


def test_save_within_grace_is_accepted_and_after_it_refused(app, world, trainee):
    attempt_id = start(trainee, world, "final-exam")
    items = items_of(app, attempt_id)
    answers = {i["id"]: right_answer(i) for i in items}
    _backdate(app, attempt_id, 10)  # 10 s late: inside the 30 s grace period
    reply = trainee.post(f"/attempts/{attempt_id}/save", json={"seq": 1, "answers": _json(answers)})
    assert reply.status_code == 200 and reply.get_json()["remaining"] == 0

    _backdate(app, attempt_id, 31)
    late = {i["id"]: wrong_answer(i) for i in items}
    reply = trainee.post(f"/attempts/{attempt_id}/save", json={"seq": 2, "answers": _json(late)})
    assert reply.status_code == 409
    body = reply.get_json()
    assert body["reason"] == "closed" and "时间已到" in body["message"]
    assert body["result_url"].endswith(f"/attempts/{attempt_id}/result")
    # closed on the server with what was saved in time
    attempt = attempt_row(app, attempt_id)
    assert attempt.state != AttemptState.IN_PROGRESS and attempt.closed_by == "deadline"
    assert attempt.finished_at == attempt.deadline_at
    assert [i["response"] for i in items_of(app, attempt_id)] == [
        clean_response(i["type"], len(i["data"]["options"]), answers[i["id"]]) for i in items
    ]


def test_grace_period_is_configurable(app, world, trainee):
    app.config["ATTEMPT_GRACE_SECONDS"] = 120
    attempt_id = start(trainee, world, "final-exam")
    _backdate(app, attempt_id, 90)
    assert trainee.post(f"/attempts/{attempt_id}/save", json={"seq": 1, "answers": {}}).status_code == 200


def test_overdue_attempts_close_lazily_on_the_next_read(app, world, trainee):
    attempt_id = start(trainee, world, "final-exam")
    items = items_of(app, attempt_id)
    answers = {i["id"]: right_answer(i) for i in items}
    trainee.post(f"/attempts/{attempt_id}/save", json={"seq": 1, "answers": _json(answers)})
    _backdate(app, attempt_id, 60)
    # the trainee never comes back to the attempt; opening the quiz page closes it
    page = trainee.get(f"/courses/{world.course_key}/quizzes/final-exam").get_data(as_text=True)
    attempt = attempt_row(app, attempt_id)
    assert attempt.state != AttemptState.IN_PROGRESS and attempt.closed_by == "deadline"
    assert "继续作答" not in page
    # opening the attempt now leads to the result
    assert trainee.get(f"/attempts/{attempt_id}").headers["Location"].endswith("/result")


def test_close_overdue_attempts_function_and_cli(app, world, trainee, make_user):
    other = make_user()
    enrol(app, world.cohort_id, other.id)
    second = app.test_client()
    login(second, other)
    overdue = start(trainee, world, "final-exam")
    running = start(second, world, "final-exam")
    untimed = start(trainee, world, "m01-quiz")
    _backdate(app, overdue, 45)
    with app.app_context():
        assert service.has_overdue_attempts(utcnow())
    result = app.test_cli_runner().invoke(args=["lms", "close-attempts"])
    assert "Closed 1 overdue attempt(s)." in result.output
    assert attempt_row(app, overdue).closed_by == "deadline"
    assert attempt_row(app, running).state == AttemptState.IN_PROGRESS
    assert attempt_row(app, untimed).state == AttemptState.IN_PROGRESS
    with app.app_context():  # once closed, nothing left to do
        with write_transaction():
            assert service.close_overdue_attempts(utcnow() + timedelta(minutes=29)) == 0
        with write_transaction():
            assert service.close_overdue_attempts(utcnow() + timedelta(hours=1)) == 1
    assert attempt_row(app, running).closed_by == "deadline"


def test_finished_attempt_refuses_saves(app, world, trainee):
    attempt_id = start(trainee, world, "m01-quiz")
    items = items_of(app, attempt_id)
    trainee.post(f"/attempts/{attempt_id}/finish", data=form_data(items, {}, 1))
    reply = trainee.post(f"/attempts/{attempt_id}/save", json={"seq": 2, "answers": {}})
    assert reply.status_code == 409 and "已交卷" in reply.get_json()["message"]
    again = trainee.post(f"/attempts/{attempt_id}/finish", data=form_data(items, {}, 3), follow_redirects=True)
    assert "已交卷" in again.get_data(as_text=True)


# -- versions ----------------------------------------------------------------------------


def test_grading_uses_the_version_the_attempt_was_answered_on(app, world, trainee):
    attempt_id = start(trainee, world, "m01-quiz")
    items = items_of(app, attempt_id)
    answers = {i["id"]: right_answer(i) for i in items}
    trainee.post(f"/attempts/{attempt_id}/save", json={"seq": 1, "answers": _json(answers)})
    # the trainer changes the key while the attempt is open: a new version of the question
    questions = world.folder / "modules/01-getting-started/questions.yaml"
    edit(questions, "answer: [不缩小, 不缩减]", "answer: [不变]")
    edit(questions, "answer: [A, B, D]", "answer: [A, B]")
    with app.app_context():
        load(world.folder.parent)
        assert db.session.scalar(select(Question.version).where(Question.key == "m01-q04")) == 2
    trainee.post(f"/attempts/{attempt_id}/finish", data=form_data(items, answers, 2))
    graded = items_of(app, attempt_id)
    assert [i["score"] for i in graded[:2]] == [1.0, 1.0]  # right on the version answered
    # a new attempt gets the new version (a retake draws from the module's pool: look it up)
    new_attempt = start(trainee, world, "m01-quiz")
    for item in items_of(app, new_attempt):
        if item["key"] == "m01-q04":
            assert item["data"]["answer"] == ["不变"]
    with app.app_context():
        assert db.session.scalar(select(Question.answer).where(Question.key == "m01-q04")) == ["不变"]


# -- what the attempt page never shows --------------------------------------------------------


SECRET_MARKERS = (
    "正确答案",
    "right answer",
    "is-right",
    "is-wrong",
    "is-key",
    "tag-key",
    "explanation",
    "答案解析：",
)


def _assert_no_key(text: str, items: list[dict]) -> None:
    for item in items:
        data = item["data"]
        shown = data["stem"] + "".join(data.get("options") or [])
        if data.get("explanation"):
            assert data["explanation"] not in text
        if data["type"] in ("fill_blank", "short_answer"):
            keys = data["answer"] if isinstance(data["answer"], list) else [data["answer"]]
            for key in keys:
                if key not in shown:
                    assert key not in text, key
        if data["type"] in ("single", "multiple"):
            assert "data-answer" not in text and "data-key" not in text
    for marker in SECRET_MARKERS:
        assert marker not in text, marker


@pytest.mark.parametrize("quiz_key", ["m01-quiz", "final-exam", "pre-test", "m02-quiz"])
def test_answer_key_is_absent_from_attempt_pages_and_save_replies(app, world, trainee, quiz_key):
    attempt_id = start(trainee, world, quiz_key)
    items = items_of(app, attempt_id)
    pages = [trainee.get(f"/attempts/{attempt_id}").get_data(as_text=True)]
    # right choices (a checked box reveals nothing), and text that is not the key (the
    # trainee's own text is shown back to them)
    answers = {
        i["id"]: wrong_answer(i) if i["type"] in ("fill_blank", "short_answer") else right_answer(i) for i in items
    }
    reply = trainee.post(f"/attempts/{attempt_id}/save", json={"seq": 1, "answers": _json(answers)})
    assert set(reply.get_json()) == {"ok", "seq", "remaining"}
    pages.append(reply.get_data(as_text=True))
    form = trainee.post(f"/attempts/{attempt_id}/save", data=form_data(items, answers, 2), follow_redirects=True)
    pages.append(form.get_data(as_text=True))
    for text in pages:
        _assert_no_key(text, items)
    if any(i["type"] in ("single", "multiple", "true_false") for i in items):
        assert " checked" in pages[2]  # the saved choices are shown back


def test_english_attempt_page_has_no_correct_markers(app, world, trainee):
    trainee.post("/language", data={"lang": "en"})
    attempt_id = start(trainee, world, "m01-quiz")
    text = trainee.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "Question 1" in text
    assert "correct" not in text.lower().replace("x-csrftoken", "")


# -- who may take and see attempts ------------------------------------------------------------


def test_only_enrolled_trainees_take_quizzes(app, world, make_user):
    outsider = app.test_client()
    login(outsider, make_user())
    assert outsider.get(f"/courses/{world.course_key}/quizzes/m01-quiz").status_code == 403
    assert outsider.post(f"/courses/{world.course_key}/quizzes/m01-quiz/start").status_code == 403
    trainer = app.test_client()
    login(trainer, world.trainer)
    page = trainer.get(f"/courses/{world.course_key}/quizzes/m01-quiz").get_data(as_text=True)
    assert "只有" in page  # staff read the rules; only enrolled trainees start
    assert trainer.post(f"/courses/{world.course_key}/quizzes/m01-quiz/start").status_code == 403
    assert trainer.get(f"/courses/{world.course_key}/quizzes/nope").status_code == 404


def test_removed_trainee_can_no_longer_start_or_answer(app, world, trainee):
    from lms.cohorts.models import Enrolment, EnrolmentStatus

    attempt_id = start(trainee, world, "m01-quiz")
    with app.app_context():
        db.session.execute(update(Enrolment).values(status=EnrolmentStatus.REMOVED))
        db.session.commit()
    assert trainee.post(f"/courses/{world.course_key}/quizzes/m01-quiz/start").status_code == 403
    assert trainee.get(f"/attempts/{attempt_id}").status_code == 403
    save = trainee.post(f"/attempts/{attempt_id}/save", json={"seq": 1, "answers": {}})
    assert save.status_code == 403


def test_other_peoples_attempts_are_404(app, world, trainee, make_user):
    attempt_id = start(trainee, world, "m01-quiz")
    classmate = make_user()
    enrol(app, world.cohort_id, classmate.id)
    other = app.test_client()
    login(other, classmate)
    for url in (f"/attempts/{attempt_id}", f"/attempts/{attempt_id}/result"):
        assert other.get(url).status_code == 404
    for url in (f"/attempts/{attempt_id}/save", f"/attempts/{attempt_id}/finish"):
        assert other.post(url, json={"seq": 1, "answers": {}}).status_code == 404
    assert other.get("/attempts/99999").status_code == 404
    # a trainer of another cohort does not see it either
    stranger = app.test_client()
    login(stranger, make_user("trainer"))
    assert stranger.get(f"/attempts/{attempt_id}/result").status_code == 404
    # the cohort's trainer sees it but cannot answer for the trainee
    trainer = app.test_client()
    login(trainer, world.trainer)
    assert trainer.get(f"/attempts/{attempt_id}/result").status_code == 200
    assert trainer.post(f"/attempts/{attempt_id}/save", json={"seq": 1, "answers": {}}).status_code == 403


def test_quiz_page_lists_previous_attempts(app, world, trainee):
    attempt_id = start(trainee, world, "pre-test")
    items = items_of(app, attempt_id)
    trainee.post(f"/attempts/{attempt_id}/finish", data=form_data(items, {}, 1))
    page = trainee.get(f"/courses/{world.course_key}/quizzes/pre-test").get_data(as_text=True)
    assert f"/attempts/{attempt_id}/result" in page and "0%" in page
    assert "已用完" in page  # the pre-test allows one attempt
    assert quiz_id(app, "pre-test") is not None


# -- multiple-choice scoring rule -------------------------------------------------------------


def test_partial_credit_per_quiz_overrides_the_course_default(app, make_user, make_cohort, tmp_path):
    from tests.content_helpers import copy_example

    folder = copy_example(tmp_path)
    edit(
        folder / "modules/01-getting-started/quiz.yaml",
        "review: immediately",
        "review: immediately\nmultiple_choice_scoring: partial",
    )
    world = make_world(app, make_user, make_cohort, tmp_path, folder=folder)
    client = app.test_client()
    login(client, world.trainee)
    assert "按比例得分" in client.get(f"/courses/{world.course_key}/quizzes/m01-quiz").get_data(as_text=True)
    attempt_id = start(client, world, "m01-quiz")
    items = items_of(app, attempt_id)
    client.post(f"/attempts/{attempt_id}/finish", data=form_data(items, {items[0]["id"]: ["A", "B"]}, 1))
    assert items_of(app, attempt_id)[0]["score"] == pytest.approx(2 / 3, abs=1e-3)
    # the final exam keeps the course's all-or-nothing rule
    assert "全部选对才得分" in client.get(f"/courses/{world.course_key}/quizzes/final-exam").get_data(as_text=True)


def test_loader_rejects_an_unknown_scoring_rule(app, tmp_path):
    from lms.content.loader import CourseValidationError, validate_courses
    from tests.content_helpers import copy_example

    folder = copy_example(tmp_path)
    edit(
        folder / "modules/01-getting-started/quiz.yaml",
        "review: immediately",
        "review: immediately\nmultiple_choice_scoring: half",
    )
    with pytest.raises(CourseValidationError) as error:
        validate_courses(folder.parent)
    assert any("multiple_choice_scoring" in str(p) for p in error.value.problems)
