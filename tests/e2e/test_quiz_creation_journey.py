"""A trainer creates a module quiz in the browser: a draft the trainee does not see, a question
added, published, the running cohort moved onto it on the structure page; then the trainee
finds the quiz on the course page. Through the menus, at both widths.
"""

from __future__ import annotations

import shutil
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.auth.models import Role
from lms.auth.service import Profile, create_user
from lms.authoring.models import CourseAuthor
from lms.cohorts.models import Enrolment
from lms.cohorts.service import CohortData, create_cohort
from lms.content.loader import load_courses
from lms.db import write_transaction
from lms.extensions import db
from lms.learning.models import Course
from tests.content_helpers import EXAMPLE
from tests.dates import site_today
from tests.e2e.conftest import assert_fits_the_screen, log_in, open_menu_item

TRAINEE = ("13800011111", "trainee-pass-3")
TRAINER = ("13800012222", "trainer-pass-3")
NEW_TITLE = "专题二小测"


@pytest.fixture
def world(live_app, tmp_path):
    """The example course without a quiz in its second module, its author, and a running cohort."""
    folder = tmp_path / "courses" / "example-course"
    shutil.copytree(EXAMPLE, folder)
    (folder / "modules" / "02-practice" / "quiz.yaml").unlink()
    with live_app.app.app_context():
        with write_transaction():
            load_courses(folder.parent)
        course = db.session.scalar(select(Course).where(Course.key == "example-course"))
        organizer = create_user(Profile(name="组织者辛", phone="13800013333"), "organizer-pass-3", {Role.ORGANIZER})
        trainer = create_user(Profile(name="讲师壬", phone=TRAINER[0]), TRAINER[1], {Role.TRAINER})
        trainee = create_user(Profile(name="学员癸", phone=TRAINEE[0]), TRAINEE[1], {Role.TRAINEE})
        db.session.add(CourseAuthor(course_id=course.id, user_id=trainer.id))
        today = site_today()
        cohort = create_cohort(
            organizer,
            CohortData(
                course_id=course.id,
                name="测验创建测试班",
                starts_on=today - timedelta(days=1),
                ends_on=today + timedelta(days=30),
                enrol_until=today + timedelta(days=30),
                capacity=None,
            ),
        )
        db.session.add(Enrolment(cohort_id=cohort.id, user_id=trainee.id))
        db.session.commit()
        return {"url": live_app.url, "course_title": course.title, "cohort_name": cohort.name}


def _trainee_course_page(page, course_title):
    open_menu_item(page, "首页")
    page.get_by_role("link", name=course_title).first.click()
    page.get_by_role("heading", name=course_title).first.wait_for()
    return page.content()


def test_a_trainer_creates_publishes_and_hands_out_a_module_quiz(page, another_person, world):
    base = world["url"]
    trainer = another_person()
    log_in(trainer, base, *TRAINER)
    open_menu_item(trainer, "课程编写")
    trainer.get_by_role("link", name=world["course_title"]).first.click()
    trainer.get_by_role("link", name="新建测验").click()
    trainer.get_by_label("类型与位置").select_option(label="专题测验：实践")
    trainer.get_by_label("标题").fill(NEW_TITLE)
    trainer.get_by_label("固定题目：每位学员作答相同的题目").check()
    assert_fits_the_screen(trainer)
    trainer.get_by_role("button", name="创建草稿").click()
    trainer.get_by_text("测验草稿已创建").wait_for()
    trainer.get_by_text("草稿：学员还看不到此测验").wait_for()

    # the trainee does not see the draft
    log_in(page, base, *TRAINEE)
    assert NEW_TITLE not in _trainee_course_page(page, world["course_title"])

    # an empty draft cannot be published; one question added, then it can
    trainer.get_by_role("button", name="发布测验").click()
    trainer.get_by_text("测验至少需要一道试题。").wait_for()
    trainer.get_by_label("添加试题").select_option(index=0)
    trainer.get_by_role("button", name="加入测验").click()
    trainer.get_by_text("测验已保存为第 2 版").wait_for()
    trainer.get_by_role("button", name="发布测验").click()
    trainer.get_by_text("测验已发布，学员现在可以看到。").wait_for()

    # the cohort is running: the trainer chooses to give it the new quiz
    trainer.get_by_role("heading", name="课程结构").wait_for()
    trainer.get_by_label(world["cohort_name"]).check()
    trainer.get_by_role("button", name="应用到勾选的班级").click()
    trainer.get_by_text("1 个进行中的班级已改用新的课程结构。").wait_for()
    assert_fits_the_screen(trainer)

    assert NEW_TITLE in _trainee_course_page(page, world["course_title"])
    assert_fits_the_screen(page)
