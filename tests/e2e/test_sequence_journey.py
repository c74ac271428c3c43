"""A new trainee meets the course's order in the browser, at phone and desktop widths: the
final exam, the post-test and the feedback are locked with their reasons; the pre-test comes
first; then module 1's quiz waits for its lessons; the timed exam asks before it starts."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from lms import ROOT
from lms.auth.models import Role
from lms.auth.service import Profile, create_user
from lms.cohorts.models import Enrolment
from lms.cohorts.service import CohortData, create_cohort
from lms.content.loader import load_courses
from lms.db import write_transaction
from lms.extensions import db
from lms.learning.models import Course

COURSE = "edu-assistance-policy"
TRAINEE = ("13800004444", "trainee-pass-4")


@pytest.fixture
def course_world(live_app):
    with live_app.app.app_context():
        with write_transaction():
            load_courses(ROOT / "courses")
        course = db.session.scalar(select(Course).where(Course.key == COURSE))
        organizer = create_user(
            Profile(name="组织者戊", phone="13800005555", province="云南省", work_unit="教育局"),
            "organizer-pass-5",
            {Role.ORGANIZER},
        )
        trainee = create_user(
            Profile(name="学员己", phone=TRAINEE[0], province="云南省", work_unit="芒市第二中学"),
            TRAINEE[1],
            {Role.TRAINEE},
        )
        today = date.today()
        cohort = create_cohort(
            organizer,
            CohortData(
                course_id=course.id,
                name="顺序浏览器测试班",
                starts_on=today - timedelta(days=1),
                ends_on=today + timedelta(days=30),
                enrol_until=today + timedelta(days=30),
                capacity=None,
            ),
        )
        db.session.add(Enrolment(cohort_id=cohort.id, user_id=trainee.id))
        db.session.commit()
        return {"url": live_app.url, "cohort_id": cohort.id}


def _login(page, base):
    page.goto(base + "/login")
    page.get_by_label("手机号码或电子邮箱").fill(TRAINEE[0])
    page.get_by_label("密码").fill(TRAINEE[1])
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base + "/")


@pytest.mark.parametrize("width", [360, 1280])
def test_a_new_trainee_meets_the_locked_order(page, course_world, width):
    base = course_world["url"]
    page.set_viewport_size({"width": width, "height": 800})
    _login(page, base)
    for quiz in ("final-exam", "post-test", "m01-quiz"):
        page.goto(f"{base}/courses/{COURSE}/quizzes/{quiz}")
        page.get_by_text("暂未开放").wait_for()
        assert "请先完成前测" in page.content()
        assert page.get_by_role("button", name="开始作答").count() == 0
        assert page.get_by_role("link", name="开始作答").count() == 0
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.goto(f"{base}/cohorts/{course_world['cohort_id']}/surveys/feedback")
    page.get_by_text("完成结业考试后才能填写课程评价").first.wait_for()
    assert page.get_by_role("button", name="提交").count() == 0
    page.goto(f"{base}/courses/{COURSE}")
    assert "请先完成前测" in page.locator(".quiz-links").inner_text()
    # the pre-test is open; after it, module 1's quiz waits for its lessons
    page.goto(f"{base}/courses/{COURSE}/quizzes/pre-test")
    page.get_by_role("button", name="开始作答").click()
    page.wait_for_url(re.compile(r"/attempts/\d+$"))
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="交卷").click()
    page.wait_for_url(re.compile(r"/attempts/\d+/result$"))
    page.goto(f"{base}/courses/{COURSE}/quizzes/m01-quiz")
    page.get_by_text("请先学完本专题的课程").wait_for()
    page.goto(f"{base}/courses/{COURSE}/quizzes/final-exam")
    page.get_by_text("请先完成全部专题").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
