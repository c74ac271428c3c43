"""The real course's lesson figures on a phone: every SVG figure loads, fits a 360 px screen
without horizontal scrolling, carries alt text and a caption, and axe-core finds no serious
violation on the lesson page."""

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
from lms.learning.models import Course, Lesson
from tests.dates import site_today
from tests.e2e.test_learning_journey import check_accessibility

ROOT = Path(__file__).resolve().parents[2]
COURSE = ROOT / "courses" / "edu-assistance-policy"
PASSWORD = "trainee-pass-1"
SHOTS = None  # set to a folder (e.g. "/tmp/shots") to keep a picture of each figure


def _figure_lessons() -> list[str]:
    """Lesson keys of the course files whose Markdown links an image."""
    keys = []
    for path in sorted(COURSE.glob("modules/*/*.md")):
        text = path.read_text(encoding="utf-8")
        if re.search(r"!\[[^\]]+\]\(images/", text):
            keys.append(re.search(r"^key: (\S+)$", text, re.M).group(1))
    return keys


@pytest.fixture
def course_world(live_app):
    app = live_app.app
    with app.app_context():
        with write_transaction():
            load_courses(COURSE)
        with write_transaction():
            course = db.session.scalar(select(Course).where(Course.key == "edu-assistance-policy"))
            organizer = create_user(Profile(name="组织者", phone="13700000019"), "organizer-pass-1", {Role.ORGANIZER})
            trainee = create_user(Profile(name="王老师", phone="13600000019"), PASSWORD, {Role.TRAINEE})
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
            # Module 1 waits for the pre-test; record it as taken.
            quiz = db.session.scalar(select(Quiz).where(Quiz.key == "pre-test"))
            db.session.add(
                Attempt(
                    quiz_id=quiz.id,
                    user_id=trainee.id,
                    state=AttemptState.GRADED,
                    finished_at=utcnow(),
                    score=5,
                    max_score=10,
                    percent=50,
                    passed=None,
                )
            )
        with app.app_context():
            titles = {
                key: db.session.scalar(select(Lesson.title).where(Lesson.key == key)) for key in _figure_lessons()
            }
    return {"url": live_app.url, "titles": titles}


def test_every_figure_fits_a_phone_and_is_described(page, course_world):
    base, titles = course_world["url"], course_world["titles"]
    assert len(titles) >= 5  # the second edition draws at least five figures in modules 01-05
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(base + "/login")
    page.get_by_label("手机号码或电子邮箱").fill("13600000019")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base + "/")
    for key, title in titles.items():
        page.goto(f"{base}/courses/edu-assistance-policy/lessons/{key}")
        page.get_by_role("heading", name=title).first.wait_for()
        figures = page.locator("main img[src^='/media/course/']")
        assert figures.count() >= 1, key
        for i in range(figures.count()):
            img = figures.nth(i)
            img.scroll_into_view_if_needed()
            page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())
            box = img.bounding_box()
            assert box and 200 <= box["width"] <= 360 and box["height"] > 100, (key, box)
            if SHOTS:
                img.screenshot(path=str(Path(SHOTS) / f"fig-{key}-{i}.png"))
            assert (img.get_attribute("alt") or "").strip(), key
            caption = img.locator("xpath=ancestor::p[1]/following-sibling::p[1]").inner_text()
            assert caption.startswith("图"), (key, caption)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, key
        check_accessibility(page)
