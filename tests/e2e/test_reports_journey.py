"""An organizer reads a cohort's reports on a phone, follows a flagged question, records an
improvement action and downloads the item analysis as XLSX."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from lms.auth.models import Role
from lms.auth.service import Profile, create_user
from lms.cohorts.service import CohortData, create_cohort
from lms.content.loader import load_courses
from lms.db import write_transaction
from lms.extensions import db
from lms.improvement.models import ImprovementAction
from lms.learning.models import Course
from tests.dates import site_today
from tests.report_helpers import simulate_cohort

COURSE = Path(__file__).resolve().parents[2] / "courses" / "edu-assistance-policy"


@pytest.fixture
def reported(live_app):
    """The real course, a cohort of thirty simulated trainees, and an organizer."""
    with live_app.app.app_context():
        with write_transaction():
            load_courses(COURSE)
        course = db.session.scalar(select(Course).where(Course.key == "edu-assistance-policy"))
        organizer = create_user(
            Profile(name="组织者乙", phone="13700000002", province="北京市", work_unit="培训中心"),
            "organizer-pass-2",
            {Role.ORGANIZER},
        )
        today = site_today()
        cohort = create_cohort(
            organizer,
            CohortData(
                course_id=course.id,
                name="2026年春季班",
                starts_on=today - timedelta(days=30),
                ends_on=today + timedelta(days=30),
                enrol_until=today,
                capacity=None,
            ),
        )
        simulate_cohort(course.id, cohort.id, trainees=30)
        db.session.commit()
    return live_app


def test_organizer_follows_a_flagged_question_to_an_action_and_downloads_xlsx(page, reported, tmp_path):
    base = reported.url
    page.goto(base + "/login")
    page.get_by_label("手机号码或电子邮箱").fill("13700000002")
    page.get_by_label("密码").fill("organizer-pass-2")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base + "/")

    page.goto(base + "/reports/")
    page.get_by_role("link", name="2026年春季班").click()
    page.get_by_role("heading", name="学习进程漏斗").wait_for()
    assert page.locator("svg.chart[role=img]").count() >= 3
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.get_by_role("link", name="学习效果").click()
    page.get_by_role("heading", name="前后测增益", exact=True).wait_for()
    page.get_by_role("link", name="前测", exact=True).first.click()
    page.get_by_role("heading", name=re.compile("试题分析")).first.wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    flagged = page.locator(".attention-list li").first
    question_key = flagged.locator("a").first.inner_text()
    items_url = page.url
    flagged.locator("a").first.click()
    page.get_by_role("heading", name=f"题目 {question_key}").wait_for()
    assert page.get_by_text("v1").first.is_visible()

    page.get_by_role("link", name="登记改进措施").click()
    page.get_by_role("heading", name="登记改进措施").wait_for()
    assert page.get_by_label("该试题、小节或专题的标识").input_value() == question_key
    page.get_by_label("改进措施", exact=True).fill("重写干扰项，使其贴近基层常见误解")
    page.get_by_label("预期成效").fill("下一期该题得分率回到40%—80%之间")
    page.get_by_role("button", name="登记").click()
    page.get_by_text("改进措施已登记到持续改进台账。").wait_for()
    page.get_by_text("该内容尚无新版本").wait_for()
    with reported.app.app_context():
        action = db.session.scalar(select(ImprovementAction))
        assert action.planned_change == "重写干扰项，使其贴近基层常见误解"
        assert action.finding_kind == "item" and action.cohort_id is not None

    page.goto(items_url)
    table = page.locator(".report-table", has=page.locator("#table-items"))
    with page.expect_download() as info:
        table.get_by_role("link", name="XLSX").click()
    download = info.value
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    assert target.suffix == ".xlsx"
    sheet = load_workbook(target).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "题目" and rows[0][4] == "难度（得分率） (%)"
    assert any(row[0] == question_key for row in rows[1:])
    assert len(rows) == 21  # heading and the pre-test's twenty questions
