"""A trainee takes the pre-test, a module quiz and the timed final exam of the real course,
losing the connection mid-exam without losing an answer; the exam holds no short answer, so it is
graded at once (a trainer grading a short answer is test_grading_journey.py).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms import ROOT
from lms.assessment.models import (
    Attempt,
    AttemptItem,
    AttemptState,
    QuestionVersion,
)
from lms.auth.models import Role
from lms.auth.service import Profile, create_user
from lms.cohorts.models import Enrolment
from lms.cohorts.service import CohortData, create_cohort
from lms.content.loader import load_courses
from lms.db import write_transaction
from lms.extensions import db
from lms.learning.models import Course
from tests.assessment_helpers import assert_no_draw_includes_a_short_answer
from tests.dates import site_today
from tests.e2e.conftest import assert_fits_the_screen, log_in, open_menu_item

COURSE = "edu-assistance-policy"
TRAINEE = ("13800001111", "trainee-pass-1")
TRAINER = ("13800002222", "trainer-pass-1")


@pytest.fixture
def course_world(live_app):
    """The real course loaded, a cohort with a trainer, and an enrolled trainee."""
    with live_app.app.app_context():
        with write_transaction():
            load_courses(ROOT / "courses")
        course = db.session.scalar(select(Course).where(Course.key == COURSE))
        organizer = create_user(
            Profile(name="组织者乙", phone="13800003333", province="云南省", work_unit="教育局"),
            "organizer-pass-1",
            {Role.ORGANIZER},
        )
        trainer = create_user(
            Profile(name="讲师丙", phone=TRAINER[0], province="云南省", work_unit="教师进修学校"),
            TRAINER[1],
            {Role.TRAINER},
        )
        trainee = create_user(
            Profile(name="学员丁", phone=TRAINEE[0], province="云南省", work_unit="芒市第一中学"),
            TRAINEE[1],
            {Role.TRAINEE},
        )
        today = site_today()
        cohort = create_cohort(
            organizer,
            CohortData(
                course_id=course.id,
                name="测验浏览器测试班",
                starts_on=today,
                ends_on=today + timedelta(days=30),
                enrol_until=today + timedelta(days=30),
                capacity=None,
                trainer_ids=(trainer.id,),
            ),
        )
        db.session.add(Enrolment(cohort_id=cohort.id, user_id=trainee.id))
        # this journey is about attempts, not the course's order (test_sequence_journey is)
        course.settings = {**course.settings, "sequence": "free"}
        db.session.commit()
        return {"url": live_app.url, "app": live_app.app, "trainee_id": trainee.id}


def _items(app, attempt_id):
    with app.app_context():
        return db.session.execute(
            select(AttemptItem.id, QuestionVersion.data)
            .join(QuestionVersion, QuestionVersion.id == AttemptItem.question_version_id)
            .where(AttemptItem.attempt_id == attempt_id)
            .order_by(AttemptItem.position)
        ).all()


def _responses(app, attempt_id):
    with app.app_context():
        return dict(
            db.session.execute(
                select(AttemptItem.id, AttemptItem.response).where(AttemptItem.attempt_id == attempt_id)
            ).all()
        )


def _attempt(app, attempt_id):
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        db.session.expunge(attempt)
        return attempt


def _answer(page, item_id, data, right=True):
    """Answer one question on the page; return the response the server should store."""
    qtype, key = data["type"], data["answer"]
    letters = [chr(65 + i) for i in range(len(data["options"]))]
    field = f'[name="item-{item_id}"]'
    if qtype == "single":
        value = key if right else next(x for x in letters if x != key)
        page.locator(f'{field}[value="{value}"]').check()
        return value
    if qtype == "multiple":
        wanted = key if right else [x for x in letters if x not in key][:1]
        for letter in letters:
            box = page.locator(f'{field}[value="{letter}"]')
            box.check() if letter in wanted else box.uncheck()
        return sorted(wanted)
    if qtype == "true_false":
        value = key if right else not key
        page.locator(f'{field}[value="{"true" if value else "false"}"]').check()
        return value
    text = (
        key[0]
        if qtype == "fill_blank" and right
        else ("不知道" if qtype == "fill_blank" else "教育扶贫通过提升知识和技能阻断贫困代际传递。")
    )
    page.locator(field).fill(text)
    return text


def _submit(page):
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="交卷").click()
    page.wait_for_url(re.compile(r"/attempts/\d+/result$"))


def _start(page, quiz_title):
    """From the menu: 首页 -> the course -> the quiz, and start an attempt (a timed quiz asks
    first, with its time limit and attempts left)."""
    open_menu_item(page, "首页")
    page.get_by_role("link", name="教育帮扶政策培训").first.click()
    page.get_by_role("link", name=quiz_title, exact=True).first.click()
    page.get_by_role("heading", name=quiz_title).wait_for()
    timed = page.get_by_role("link", name="开始作答")
    if timed.count():
        timed.click()
        page.get_by_text("剩余次数").wait_for()
        page.get_by_role("button", name="确认开始作答").click()
    else:
        page.get_by_role("button", name="开始作答").click()
    page.wait_for_url(re.compile(r"/attempts/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def test_pre_test_module_quiz_and_final_exam_with_a_dropped_connection(page, course_world):
    base, app = course_world["url"], course_world["app"]
    log_in(page, base, *TRAINEE)

    # Pre-test: answered and submitted; no answers are shown afterwards (review: never).
    attempt_id = _start(page, "前测")
    for item_id, data in _items(app, attempt_id):
        _answer(page, item_id, data, right=item_id % 2 == 0)
    _submit(page)
    page.get_by_text("本测验不公布答案解析").wait_for()
    assert "前测" in page.content() and "通过" not in page.locator(".result-summary").inner_text()

    # Module quiz: practice with right/wrong and explanations at once, never the key (retakes).
    attempt_id = _start(page, "专题一测验")
    items = _items(app, attempt_id)
    for n, (item_id, data) in enumerate(items):
        _answer(page, item_id, data, right=n != 0)
    _submit(page)
    page.get_by_text("暂不公布标准答案").wait_for()
    assert "正确答案" not in page.content()
    first_explanation = items[0][1]["explanation"].split("。")[0]
    assert first_explanation in page.content()
    assert _attempt(app, attempt_id).percent == pytest.approx(100 * 5 / 6, abs=0.01)
    page.get_by_role("link", name="返回测验").click()
    page.get_by_role("button", name="再次作答").wait_for()  # unlimited practice

    # Final exam: a server-side timer, answers saved as the trainee goes.
    # Its pool holds no short answer (kept out so the result is known at once), in any draw.
    assert_no_draw_includes_a_short_answer(app, "final-exam")
    attempt_id = _start(page, "结业考试")
    exam = _attempt(app, attempt_id)
    assert exam.deadline_at - exam.started_at == timedelta(minutes=45)
    timer = page.locator("#attempt-timer")
    first_reading = timer.inner_text()
    assert re.fullmatch(r"4[45]:\d\d", first_reading), first_reading
    page.wait_for_function("start => document.getElementById('attempt-timer').textContent !== start", arg=first_reading)
    items = _items(app, attempt_id)
    assert len(items) == 30 and not any(data["type"] == "short_answer" for _, data in items)
    half = len(items) // 2
    expected = {}
    for item_id, data in items[:half]:
        expected[item_id] = _answer(page, item_id, data, right=False)
    page.get_by_text("答案已全部保存").wait_for()
    assert {k: v for k, v in _responses(app, attempt_id).items() if k in expected} == expected

    # The connection drops: saving fails, the page says so and keeps the answers locally.
    page.context.set_offline(True)
    for item_id, data in items[half:]:
        expected[item_id] = _answer(page, item_id, data, right=True)
    for item_id, data in items[:half]:  # correct the answers that were already saved, too
        expected[item_id] = _answer(page, item_id, data, right=True)
    page.get_by_text("未保存，正在重试…").wait_for()
    assert page.evaluate(f"localStorage.getItem('lms-attempt-{attempt_id}')") is not None
    saved_while_offline = _responses(app, attempt_id)
    assert saved_while_offline[items[-1][0]] is None  # nothing reached the server

    # Back online: the page saves on its own.
    page.context.set_offline(False)
    page.get_by_text("答案已全部保存").wait_for(timeout=20_000)
    assert _responses(app, attempt_id) == expected
    assert page.evaluate(f"localStorage.getItem('lms-attempt-{attempt_id}')") is None

    _submit(page)
    finished = _attempt(app, attempt_id)
    assert finished.closed_by == "trainee"
    assert _responses(app, attempt_id) == expected  # nothing lost
    # Graded automatically, so the result shows at once; a retake is still possible and the
    # cohort is open, so the review shows the score only, not the key.
    assert finished.state == AttemptState.GRADED and finished.percent == 100.0 and finished.passed is True
    assert "待批阅" not in page.content()
    page.get_by_text("100%").first.wait_for()
    assert "正确答案" not in page.content() and "测验结束后公布" in page.content()
    assert_fits_the_screen(page)
