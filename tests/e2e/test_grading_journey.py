"""A trainer lets a module quiz of the real course draw its short answers (quiz editor), a
trainee's attempt then waits for grading, the trainer grades it from the queue, and the trainee
sees the score and the trainer's note. Everything through the menus, at both widths.
"""

from __future__ import annotations

import random
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms import ROOT
from lms.assessment.models import Attempt, AttemptItem, AttemptState, QuestionVersion, Quiz
from lms.auth.models import Role
from lms.auth.service import Profile, create_user
from lms.authoring.models import CourseAuthor
from lms.cohorts.models import Enrolment
from lms.cohorts.service import CohortData, create_cohort
from lms.content.loader import load_courses
from lms.db import write_transaction
from lms.extensions import db
from lms.learning.models import Course, Module
from tests.assessment_helpers import seed_drawing_a_short_answer
from tests.dates import site_today
from tests.e2e.conftest import assert_fits_the_screen, log_in, open_menu_item

COURSE_TITLE = "教育帮扶政策培训"
QUIZ_TITLE = "专题一测验"
TRAINEE = ("13800004444", "trainee-pass-2")
TRAINER = ("13800005555", "trainer-pass-2")
NOTE = "回答切题，要点完整。"


@pytest.fixture
def world(live_app):
    with live_app.app.app_context():
        with write_transaction():
            load_courses(ROOT / "courses")
        course = db.session.scalar(select(Course).where(Course.key == "edu-assistance-policy"))
        organizer = create_user(
            Profile(name="组织者戊", phone="13800006666", province="云南省", work_unit="教育局"),
            "organizer-pass-2",
            {Role.ORGANIZER},
        )
        trainer = create_user(
            Profile(name="讲师己", phone=TRAINER[0], province="云南省", work_unit="教师进修学校"),
            TRAINER[1],
            {Role.TRAINER},
        )
        trainee = create_user(
            Profile(name="学员庚", phone=TRAINEE[0], province="云南省", work_unit="芒市第二中学"),
            TRAINEE[1],
            {Role.TRAINEE},
        )
        today = site_today()
        cohort = create_cohort(
            organizer,
            CohortData(
                course_id=course.id,
                name="阅卷浏览器测试班",
                starts_on=today,
                ends_on=today + timedelta(days=30),
                enrol_until=today + timedelta(days=30),
                capacity=None,
                trainer_ids=(trainer.id,),
            ),
        )
        db.session.add(Enrolment(cohort_id=cohort.id, user_id=trainee.id))
        db.session.add(CourseAuthor(course_id=course.id, user_id=trainer.id))  # edits the course's quizzes
        # this journey is about grading, not the course's order (test_sequence_journey is)
        course.settings = {**course.settings, "sequence": "free"}
        quiz = db.session.scalar(select(Quiz).where(Quiz.course_id == course.id, Quiz.title == QUIZ_TITLE))
        module = db.session.get(Module, quiz.module_id)
        db.session.commit()
        return {"url": live_app.url, "app": live_app.app, "module_title": module.title, "quiz_key": quiz.key}


def _drawn(app, attempt_id):
    with app.app_context():
        return db.session.execute(
            select(AttemptItem.id, QuestionVersion.data)
            .join(QuestionVersion, QuestionVersion.id == AttemptItem.question_version_id)
            .where(AttemptItem.attempt_id == attempt_id)
            .order_by(AttemptItem.position)
        ).all()


def _state(app, attempt_id):
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        return attempt.state, attempt.percent


def test_a_trainer_grades_a_short_answer_the_trainee_then_sees_it(page, another_person, world):
    base, app = world["url"], world["app"]

    # The trainer lets the module quiz draw short answers: 课程编写 -> the course -> the quiz.
    trainer = another_person()
    log_in(trainer, base, *TRAINER)
    open_menu_item(trainer, "课程编写")
    trainer.get_by_role("link", name=COURSE_TITLE).first.click()
    trainer.get_by_role("link", name=QUIZ_TITLE, exact=True).click()
    tags = trainer.get_by_label(f"“{world['module_title']}”中排除的标签")
    assert "short-answer" in tags.input_value()
    tags.fill("pre-test, post-test, final-exam")
    trainer.get_by_role("button", name="保存设置").click()
    trainer.get_by_text(re.compile(r"测验已保存为第 ?\d+ ?版")).wait_for()
    assert_fits_the_screen(trainer)

    # The trainee takes it; the server's draw is seeded to include a short answer.
    log_in(page, base, *TRAINEE)
    open_menu_item(page, "首页")
    page.get_by_role("link", name=COURSE_TITLE).first.click()
    page.get_by_role("link", name=QUIZ_TITLE, exact=True).first.click()
    page.get_by_role("heading", name=QUIZ_TITLE).wait_for()
    random.seed(seed_drawing_a_short_answer(app, world["quiz_key"]))
    page.get_by_role("button", name="开始作答").click()
    page.wait_for_url(re.compile(r"/attempts/\d+$"))
    attempt_id = int(page.url.rsplit("/", 1)[1])
    items = _drawn(app, attempt_id)
    shorts = [item_id for item_id, data in items if data["type"] == "short_answer"]
    assert shorts
    for item_id, data in items:
        field = f'[name="item-{item_id}"]'
        if data["type"] == "short_answer":
            page.locator(field).fill("教育帮扶通过提升知识和技能阻断贫困代际传递。")
        elif data["type"] == "single":
            page.locator(f'{field}[value="{data["answer"]}"]').check()
        elif data["type"] == "multiple":
            for letter in data["answer"]:
                page.locator(f'{field}[value="{letter}"]').check()
        elif data["type"] == "true_false":
            page.locator(f'{field}[value="{"true" if data["answer"] else "false"}"]').check()
        else:
            page.locator(field).fill(data["answer"][0])
    page.get_by_text("答案已全部保存").wait_for()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="交卷").click()
    page.wait_for_url(re.compile(r"/attempts/\d+/result$"))
    page.get_by_text("待批阅").first.wait_for()
    assert _state(app, attempt_id)[0] == AttemptState.AWAITING_GRADING

    # The trainer grades from the queue: 阅卷 in the menu.
    open_menu_item(trainer, "阅卷")
    for item_id in shorts:
        trainer.locator(f"#score-{item_id}").fill("1")
        trainer.locator(f"#note-{item_id}").fill(NOTE)
        trainer.locator(f"#score-{item_id}").locator("xpath=ancestor::form").get_by_role(
            "button", name="保存评分"
        ).click()
        trainer.get_by_text("评分已保存").wait_for()
    assert_fits_the_screen(trainer)

    # The trainee's result: graded, full marks, the trainer's note beside the answer.
    page.reload()
    state, percent = _state(app, attempt_id)
    assert state == AttemptState.GRADED and percent == 100.0
    assert "待批阅" not in page.content()
    page.get_by_text("100%").first.wait_for()
    page.get_by_text(NOTE).first.wait_for()
    assert_fits_the_screen(page)
