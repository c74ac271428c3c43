"""A trainer revises a lesson of the real course in the browser (live preview, an image),
adds a question and publishes; a trainee then reads the new version."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image

from lms.auth.models import Role
from lms.auth.service import Profile, create_user
from lms.authoring.models import CourseAuthor
from lms.cohorts.service import CohortData, create_cohort
from lms.content.loader import load_courses
from lms.db import utcnow, write_transaction
from lms.extensions import db
from tests.dates import site_today
from tests.e2e.conftest import assert_fits_the_screen, log_in, open_menu_item

REAL_COURSE = Path(__file__).resolve().parents[2] / "courses" / "edu-assistance-policy"
LESSON_TITLE = "政策背景：“五个一批”、十年纲要与多部门协同"


@pytest.fixture
def course_world(live_app):
    """The real course, a trainer who authors it, and a trainee in a cohort of it."""
    with live_app.app.app_context():
        with write_transaction():
            load_courses(REAL_COURSE)
        from lms.learning.models import Course

        course = db.session.query(Course).filter_by(key="edu-assistance-policy").one()
        organizer = create_user(
            Profile(name="组织者乙", phone="13700000011", work_unit="培训中心"), "organizer-pass-1", {Role.ORGANIZER}
        )
        trainer = create_user(
            Profile(name="王讲师", phone="13700000012", work_unit="培训中心"), "trainer-pass-1", {Role.TRAINER}
        )
        trainee = create_user(
            Profile(name="李学员", phone="13700000013", work_unit="芒市一小"), "trainee-pass-1", {Role.TRAINEE}
        )
        db.session.flush()
        # module 1 opens after the pre-test: the trainee has taken it
        from lms.assessment.models import Attempt, AttemptState, Quiz

        pre_test = db.session.query(Quiz).filter_by(key="pre-test").one()
        db.session.add(
            Attempt(
                quiz_id=pre_test.id,
                user_id=trainee.id,
                state=AttemptState.GRADED,
                finished_at=utcnow(),
                score=5,
                max_score=10,
                percent=50,
            )
        )
        db.session.add(CourseAuthor(course_id=course.id, user_id=trainer.id))
        today = site_today()
        cohort = create_cohort(
            organizer,
            CohortData(
                course_id=course.id,
                name="编写测试班",
                starts_on=today,
                ends_on=today + timedelta(days=30),
                enrol_until=today + timedelta(days=30),
                capacity=None,
            ),
        )
        db.session.commit()
        return {"url": live_app.url, "token": cohort.invite_token}


def _png(tmp_path: Path) -> Path:
    path = tmp_path / "chart.png"
    buffer = io.BytesIO()
    Image.new("RGB", (40, 24), (160, 20, 20)).save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    return path


def test_a_trainer_revises_a_lesson_and_a_trainee_reads_it(page, another_person, course_world, tmp_path):
    base = course_world["url"]
    log_in(page, base, "13700000012", "trainer-pass-1")
    open_menu_item(page, "课程编写")
    page.get_by_role("link", name="教育帮扶政策培训").click()
    page.get_by_role("heading", name="教育帮扶政策培训").wait_for()
    assert_fits_the_screen(page)  # the outline fits
    page.get_by_role("link", name=f"编辑小节：{LESSON_TITLE}").click()
    page.get_by_role("heading", name="编辑小节").wait_for()
    assert_fits_the_screen(page)

    # Live preview: typing renders on the server, without pressing a button.
    editor = page.get_by_label("小节正文（Markdown）")
    editor.press("Control+End")
    editor.type("\n\n## 编辑器新增\n本段由讲师在浏览器中**修订**。\n")
    preview = page.locator("#preview-body")
    preview.locator("h2", has_text="编辑器新增").wait_for()
    assert preview.locator("strong", has_text="修订").count() == 1

    # An image: uploaded, then its Markdown inserted at the cursor and shown in the preview.
    page.get_by_label("图片文件（PNG、JPEG、GIF 或 WebP，不超过 2 MB）").set_input_files(_png(tmp_path))
    page.get_by_label("图片说明").fill("修订示意图")
    page.get_by_role("button", name="上传图片").click()
    page.get_by_text("图片已插入正文光标处").wait_for()
    assert re.search(r"!\[修订示意图\]\(images/[0-9a-f]{64}\.png\)", editor.input_value())
    preview.locator('img[alt="修订示意图"]').wait_for()

    page.get_by_role("button", name="保存并发布").click()
    page.get_by_text("已发布：学员现在看到的是第 2 版").wait_for()

    # A new question in the first module.
    page.get_by_role("link", name="新建试题").first.click()
    assert_fits_the_screen(page)
    page.get_by_label("题型").select_option("single")
    page.get_by_label("题干").fill("“五个一批”中与教育直接相关的是哪一批？")
    page.get_by_label("选项 A").fill("发展教育脱贫一批")
    page.get_by_label("选项 B").fill("易地搬迁脱贫一批")
    assert page.get_by_label("选项 C").is_visible()
    assert not page.get_by_label("正确答案").is_visible()  # the true/false answer is hidden
    page.get_by_label("正确选项", exact=True).select_option("A")
    page.get_by_role("button", name="添加试题").click()
    page.get_by_text("已加入题库").wait_for()

    # The trainee, in another browser session, follows the invite link they were sent and reads
    # the published version.
    trainee = another_person()
    log_in(trainee, base, "13700000013", "trainee-pass-1")
    trainee.goto(base + f"/join/{course_world['token']}")
    trainee.get_by_role("button", name="加入").click()
    trainee.wait_for_url(base + "/")  # joined (the dashboard) before opening the lesson
    trainee.get_by_role("link", name="教育帮扶政策培训").first.click()
    trainee.get_by_role("link", name=LESSON_TITLE).click()
    trainee.get_by_role("heading", name="编辑器新增").wait_for()
    assert trainee.get_by_text("本段由讲师在浏览器中").is_visible()
    image = trainee.locator('img[alt="修订示意图"]')
    assert image.evaluate("img => img.complete && img.naturalWidth") == 40
