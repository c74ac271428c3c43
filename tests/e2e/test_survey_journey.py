"""A trainee answers the needs survey (and sees recommended modules), rates a module, gives
course feedback and writes to the suggestion box; an organizer reads the results and replies.

Runs on the real course (courses/edu-assistance-policy), at a phone and a desktop width.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from lms import ROOT
from lms.assessment.models import Attempt, AttemptState, Quiz
from lms.auth.models import Role, User
from lms.auth.service import Profile, create_user
from lms.cohorts.models import Cohort, Enrolment
from lms.cohorts.service import CohortData, create_cohort
from lms.content.loader import load_courses
from lms.db import utcnow, write_transaction
from lms.extensions import db
from lms.learning.models import Course
from lms.surveys import service
from lms.surveys.models import Survey
from tests.dates import site_today
from tests.e2e import conftest
from tests.e2e.conftest import assert_fits_the_screen, log_out, open_menu_item

PASSWORD = "journey-pass-1"
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"


def _feedback_values(items, score: int) -> dict:
    """A complete answer to the real feedback survey, every rating ``score``."""
    values: dict = {}
    for item in items:
        if item.itype == "matrix":
            values[item.key] = {row["id"]: str(score) for row in item.spec["rows"]}
        elif item.itype == "likert":
            values[item.key] = str(score)
        elif item.itype == "rating10":
            values[item.key] = str(score * 2)
        elif item.itype == "single":
            values[item.key] = "2"  # the middle option (e.g. 大致相当 for the workload item)
    return values


@pytest.fixture
def journey(live_app):
    """The real course, a running cohort with our trainee, and six classmates who have
    already answered the anonymous feedback survey (so its results can be shown)."""
    app = live_app.app
    with app.app_context():
        with write_transaction():
            load_courses(ROOT / "courses" / "edu-assistance-policy")
        course = db.session.query(Course).filter_by(key="edu-assistance-policy").one()
        organizer = create_user(
            Profile(name="张组织", phone="13700000011", province="北京市", work_unit="培训中心"),
            PASSWORD,
            {Role.ORGANIZER},
        )
        today = site_today()
        cohort = create_cohort(
            organizer,
            CohortData(
                course_id=course.id,
                name="2026年芒市第一期",
                starts_on=today - timedelta(days=1),
                ends_on=today + timedelta(days=30),
                enrol_until=today + timedelta(days=30),
                capacity=None,
            ),
        )
        trainee = create_user(
            Profile(name="周学员", phone="13700000012", province="云南省", work_unit="芒市第二小学"),
            PASSWORD,
            {Role.TRAINEE},
        )
        classmates = [
            create_user(
                Profile(name=f"同学{i}", phone=f"1370000010{i}", province="云南省", work_unit="芒市"),
                PASSWORD,
                {Role.TRAINEE},
            )
            for i in range(6)
        ]
        final_exam = db.session.scalar(select(Quiz).where(Quiz.course_id == course.id, Quiz.kind == "final_exam"))
        for user in [trainee, *classmates]:
            db.session.add(Enrolment(cohort_id=cohort.id, user_id=user.id))
            # everyone has sat the final exam: the course feedback opens after it
            db.session.add(
                Attempt(
                    quiz_id=final_exam.id,
                    user_id=user.id,
                    cohort_id=cohort.id,
                    state=AttemptState.GRADED,
                    started_at=utcnow(),
                    finished_at=utcnow(),
                    score=20,
                    max_score=30,
                    percent=66.7,
                    passed=True,
                )
            )
        db.session.commit()
        cohort_id, classmate_ids = cohort.id, [u.id for u in classmates]
        feedback_id = db.session.query(Survey).filter_by(course_id=course.id, key="feedback").one().id
        for n, user_id in enumerate(classmate_ids):
            with write_transaction():
                survey = db.session.get(Survey, feedback_id)
                service.submit_response(
                    db.session.get(User, user_id),
                    db.session.get(Cohort, cohort_id),
                    survey,
                    _feedback_values(service.current_items(survey), 4 + n % 2),
                    utcnow(),
                )
    return {"url": live_app.url, "cohort": cohort_id}


def log_in(page, base: str, phone: str) -> None:
    conftest.log_in(page, base, phone, PASSWORD)


def open_my_surveys(page) -> None:
    """A trainee's way to the cohort's surveys: 首页, then the course card's 问卷."""
    open_menu_item(page, "首页")
    page.get_by_role("link", name="问卷", exact=True).click()


def check_radio(page, name: str, value: str) -> None:
    page.locator(f'input[name="{name}"][value="{value}"]').check()


def assert_accessible(page, selector: str) -> None:
    """axe-core on part of the page (evaluated through DevTools, so the CSP stays on)."""
    if not AXE.exists():
        return
    page.evaluate(AXE.read_text(encoding="utf-8"))
    violations = page.evaluate(
        "async (sel) => (await axe.run(sel, {resultTypes: ['violations']})).violations"
        ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))",
        selector,
    )
    assert violations == [], violations


def test_trainee_answers_surveys_and_organizer_reads_results(page, journey):
    base = journey["url"]
    log_in(page, base, "13700000012")

    # -- the needs survey -----------------------------------------------------------------
    open_my_surveys(page)
    page.get_by_role("link", name="培训需求调研").click()
    page.get_by_role("heading", name="培训需求调研").wait_for()
    assert_fits_the_screen(page)  # the matrix stacks on a phone
    assert_accessible(page, "form.survey")
    position = page.get_by_role("group", name=re.compile("您目前的岗位类型"))
    position.get_by_label("乡村教师").check()
    for key in ("background-years", "background-region", "background-prior-training"):
        check_radio(page, f"q-{key}", "1")
    check_radio(page, "q-knowledge-overall", "3")
    # the practice baseline (asked again, with the same ids, in the follow-up)
    page.locator('input[name="q-practice-tasks"]').first.check()
    for key, count in (("records-updated", "12"), ("home-visits", "3"), ("briefings", "20")):
        page.locator(f'input[name="q-practice-{key}"]').fill(count)
    for key in ("aid-check", "data-sharing"):
        check_radio(page, f"q-practice-{key}", "1")
    modules = [
        "policy-background",
        "effective-linkage",
        "principles-mechanisms",
        "school-stages",
        "teachers",
        "industry-digital",
        "cases",
        "monitoring-governance",
        "society-family",
        "risks-outlook",
    ]
    needs = {"teachers": "5", "cases": "4"}
    for key in modules:
        check_radio(page, f"q-need-{key}-task", needs.get(key, "3"))
    # one skill per confidence item, one or more per module; one low rating is enough to recommend
    confidence = page.eval_on_selector_all(
        "form.survey input[name^='q-confidence-']", "els => [...new Set(els.map(e => e.name))]"
    )
    assert len(confidence) == 20
    for name in confidence:
        check_radio(page, name, "1" if name == "q-confidence-monitoring-governance-monitoring" else "4")
    for row in ("case-discussion", "interaction", "field-visit", "online"):  # "offline" left out
        check_radio(page, f"q-formats.{row}", "4")
    page.get_by_label(re.compile("您对培训内容、方式或时间安排")).fill("希望安排周末线上学习")
    page.get_by_role("button", name="提交").click()

    # A matrix row and the required open question are missing: told so, nothing lost.
    page.get_by_text("请为每一行选择评分").wait_for()
    page.get_by_text("请回答此题").wait_for()
    assert page.get_by_label(re.compile("您对培训内容、方式或时间安排")).input_value() == "希望安排周末线上学习"
    assert page.locator('input[name="q-need-teachers-task"][value="5"]').is_checked()
    check_radio(page, "q-formats.offline", "2")
    page.get_by_label(re.compile("您最希望通过本次培训解决哪些问题")).fill("如何做好控辍保学和学生资助")
    page.get_by_role("button", name="提交").click()

    page.get_by_text("感谢填写，您的答卷已提交").wait_for()
    recommended = page.locator("ol.recommended li")
    assert recommended.all_inner_texts() == ["乡村教师队伍建设", "典型案例与协作机制", "动态监测、经费保障与督导评估"]
    # named and editable: the answers are there to change
    assert page.get_by_role("button", name="保存修改").is_visible()

    # -- rate a module --------------------------------------------------------------------
    open_my_surveys(page)
    page.get_by_role("link", name="专题满意度评价").click()
    page.get_by_role("link", name="乡村教师队伍建设").click()
    for key in ("content", "usefulness", "delivery"):
        check_radio(page, f"q-{key}", "5")
    page.get_by_label(re.compile("对本专题您还有什么意见")).fill("案例很实用")
    page.get_by_role("button", name="提交").click()
    page.get_by_text("感谢填写，您的答卷已提交").wait_for()
    page.get_by_text("不能查看或修改").wait_for()

    # -- course feedback (anonymous) ------------------------------------------------------
    open_my_surveys(page)
    page.get_by_role("link", name="培训评估问卷").click()
    names = page.eval_on_selector_all("form.survey input[type=radio]", "els => [...new Set(els.map(e => e.name))]")
    for name in names:
        check_radio(page, name, "8" if name == "q-recommend" else "4")
    page.get_by_label(re.compile("最有收获的内容")).fill("典型案例研讨")
    page.get_by_role("button", name="提交").click()
    page.get_by_text("感谢填写，您的答卷已提交").wait_for()

    # -- the suggestion box ---------------------------------------------------------------
    open_menu_item(page, "意见箱")
    page.get_by_label("涉及内容").select_option(label="教育帮扶政策培训 · 典型案例与协作机制")
    page.get_by_label("标题").fill("希望增加西部案例")
    page.get_by_label("意见或建议").fill("建议补充西部民族地区县的村校联合体案例。")
    page.get_by_role("button", name="提交意见").click()
    page.wait_for_url(re.compile("/suggestions/mine$"))
    page.get_by_text("希望增加西部案例").wait_for()
    log_out(page)

    # -- the organizer --------------------------------------------------------------------
    log_in(page, base, "13700000011")
    open_menu_item(page, "培训班")
    page.get_by_role("link", name="2026年芒市第一期").click()
    page.get_by_role("link", name="问卷", exact=True).click()
    page.get_by_role("heading", name="培训评估问卷").wait_for()
    page.locator(f"#survey-{_survey_id(page, '培训评估问卷')}").get_by_role("link", name="结果").click()
    page.get_by_text("回收率 100.0%").wait_for()  # 7 of 7 members
    assert "结果不予显示" not in page.content()
    page.get_by_text("典型案例研讨").wait_for()  # the open answer
    assert_fits_the_screen(page)

    open_menu_item(page, "意见处理")
    page.get_by_role("link", name="希望增加西部案例").click()
    page.get_by_label("状态").select_option(label="已受理")
    page.get_by_label("回复提出人").fill("感谢建议，第二期将补充相关案例。")
    page.get_by_role("button", name="保存").click()
    page.get_by_text("已保存").wait_for()
    log_out(page)

    log_in(page, base, "13700000012")
    open_menu_item(page, "意见箱")
    page.get_by_role("link", name="我的意见及回复").click()
    page.get_by_text("感谢建议，第二期将补充相关案例。").wait_for()


def _survey_id(page, title: str) -> str:
    """The id of the list page's section for a survey (its anchor is survey-<id>)."""
    section = page.locator("section.card", has=page.get_by_role("heading", name=title, exact=True))
    return section.get_attribute("id").removeprefix("survey-")
