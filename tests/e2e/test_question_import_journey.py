"""An organizer imports an Excel file made the way trainers make it: the preview (phone and desktop)
shows each question with its key and what was converted, passes axe-core, and confirming
writes what it showed."""

from __future__ import annotations

from pathlib import Path

from lms.auth.models import Role
from lms.auth.service import Profile, create_user
from lms.content.loader import load_courses
from lms.db import write_transaction
from lms.extensions import db
from tests.e2e.conftest import assert_fits_the_screen
from tests.e2e.test_learning_journey import check_accessibility

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "tests" / "data" / "courses"
FILES = ROOT / "tests" / "data" / "question-files"


def test_an_organizer_previews_and_imports_an_excel_file(page, live_app):
    with live_app.app.app_context():
        with write_transaction():
            load_courses(EXAMPLE)
            create_user(
                Profile(name="组织者丙", phone="13700000021", work_unit="培训中心"),
                "organizer-pass-1",
                {Role.ORGANIZER},
            )
        db.session.commit()
    base = live_app.url
    page.goto(base + "/login")
    page.get_by_label("手机号码或电子邮箱").fill("13700000021")
    page.get_by_label("密码").fill("organizer-pass-1")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base + "/")
    page.goto(base + "/courses/example-course/bank/import")
    page.get_by_label("试题文件").set_input_files(str(FILES / "excel-habits.xlsx"))
    page.get_by_role("button", name="预览", exact=True).click()
    page.get_by_role("heading", name="导入预览").wait_for()
    first = page.locator("#item-1")
    assert "95%" in first.inner_text() and "✓ 正确答案" in first.inner_text()
    assert "Excel 把 1/4 变成了日期" in page.locator("#item-3").inner_text()
    assert_fits_the_screen(page)  # the table scrolls in its box
    check_accessibility(page)
    page.get_by_role("button", name="导入", exact=True).click()
    page.get_by_text("导入完成：新增 5 题").wait_for()
