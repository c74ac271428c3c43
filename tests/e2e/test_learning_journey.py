"""A trainee on a phone: dashboard → lessons of a module → progress and 学时 change → search →
a discussion post; axe-core finds no serious or critical accessibility violation on the way."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from lms.assessment.models import Attempt, AttemptState, Quiz
from lms.auth.models import Role
from lms.auth.service import Profile, create_user
from lms.cohorts.service import CohortData, add_members, create_cohort
from lms.content.loader import load_courses
from lms.db import utcnow, write_transaction
from lms.extensions import db
from lms.learning.models import Course
from tests.dates import site_today

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "tests" / "e2e" / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "trainee-pass-1"


@pytest.fixture
def course_world(live_app):
    app = live_app.app
    with app.app_context():
        with write_transaction():
            load_courses(ROOT / "courses")
        with write_transaction():
            course = db.session.scalar(select(Course).where(Course.key == "edu-assistance-policy"))
            organizer = create_user(Profile(name="组织者", phone="13700000009"), "organizer-pass-1", {Role.ORGANIZER})
            trainee = create_user(
                Profile(name="李老师", phone="13600000009", province="云南省", work_unit="芒市第一小学"),
                PASSWORD,
                {Role.TRAINEE},
            )
            today = site_today()
            cohort = create_cohort(
                organizer,
                CohortData(
                    course_id=course.id,
                    name="第一期培训班",
                    starts_on=today,
                    ends_on=today + timedelta(days=30),
                    enrol_until=today + timedelta(days=30),
                    capacity=None,
                ),
            )
            add_members(organizer, cohort, [trainee])
            trainee_id, course_id = trainee.id, course.id
    return {"url": live_app.url, "app": app, "trainee_id": trainee_id, "course_id": course_id}


def finish(app, user_id: int, quiz_key: str, passed: bool | None) -> None:
    """What the assessment engine records when a quiz is finished."""
    with app.app_context(), write_transaction():
        quiz = db.session.scalar(select(Quiz).where(Quiz.key == quiz_key))
        db.session.add(
            Attempt(
                quiz_id=quiz.id,
                user_id=user_id,
                state=AttemptState.GRADED,
                finished_at=utcnow(),
                score=9,
                max_score=10,
                percent=90,
                passed=passed,
            )
        )


def check_accessibility(page) -> None:
    """axe-core's WCAG 2 A/AA rules: no serious or critical violation on the page."""
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `make install-test` (npm install in tests/e2e)")
    page.evaluate(AXE.read_text(encoding="utf-8"))
    violations = page.evaluate(
        """async () => {
          const result = await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'best-practice']});
          return result.violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '));
        }"""
    )
    assert violations == [], f"{page.url}: {violations}"


def test_trainee_learns_a_module_searches_and_discusses(page, course_world):
    base, app = course_world["url"], course_world["app"]
    page.goto(base + "/login")
    page.get_by_label("手机号码或电子邮箱").fill("13600000009")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base + "/")
    page.get_by_text("获得学时：0 / 16").wait_for()
    check_accessibility(page)

    # The first module waits for the pre-test: the course page says why.
    page.get_by_role("link", name="教育帮扶政策培训").first.click()
    page.get_by_text("请先完成前测。").first.wait_for()
    check_accessibility(page)
    finish(app, course_world["trainee_id"], "pre-test", None)

    # "继续学习" goes straight to the first lesson; complete each lesson of module 1.
    page.goto(base + "/")
    page.get_by_role("link", name="继续学习").first.click()
    page.wait_for_url(re.compile(r"/lessons/"))
    check_accessibility(page)
    module_one = page.locator(".crumbs").inner_text()
    for _ in range(10):  # after the module's last lesson, the next step is its quiz
        if "/lessons/" not in page.url or page.locator(".crumbs").inner_text() != module_one:
            break
        page.get_by_role("button", name="标记为已完成").click()
        page.wait_for_load_state()
    page.get_by_text("本小节已完成。").wait_for()
    page.goto(base + "/")
    assert page.get_by_text("获得学时：0 / 16").count() == 1  # quiz not passed yet
    progress = page.locator("progress").first.get_attribute("value")
    assert int(progress) > 0

    finish(app, course_world["trainee_id"], "m01-quiz", True)
    page.reload()
    page.get_by_text(re.compile(r"获得学时：[1-9][\d.]* / 16")).wait_for()

    # Search a two-character word; the hit is highlighted and leads to the lesson.
    page.get_by_role("link", name="教育帮扶政策培训").first.click()
    page.get_by_label("搜索本课程").fill("控辍")
    page.get_by_role("button", name="搜索").click()
    page.locator("mark", has_text="控辍").first.wait_for()
    check_accessibility(page)
    page.locator(".search-hits a").first.click()
    page.wait_for_url(re.compile(r"/lessons/"))

    # Ask a question in the module's discussion.
    page.get_by_role("link", name="研讨与答疑").click()
    page.get_by_label("发帖内容").fill("“四个不摘”的过渡期到哪一年结束？")
    page.get_by_role("button", name="发布").click()
    page.get_by_text("发布成功。").wait_for()
    page.get_by_text("“四个不摘”的过渡期到哪一年结束？").wait_for()
    check_accessibility(page)

    page.goto(base + "/courses/edu-assistance-policy/record")
    page.get_by_role("heading", name="学习档案").wait_for()
    check_accessibility(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
