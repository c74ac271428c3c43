"""The main menu as each role sees it: on a desktop always visible, grouped 学习 / 教学 / 组织管理,
with the current section marked; on a phone folded into 菜单. Keyboard use and axe-core included."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lms.auth.models import Role
from lms.auth.service import Profile, create_user
from lms.extensions import db
from tests.e2e.conftest import is_phone, log_in, log_out, open_menu_item

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "menu-pass-1"
#: role -> (phone, groups shown, entries that must be visible, entries that must not exist)
PEOPLE = {
    Role.TRAINEE: ("13900000001", ["学习"], ["退出登录", "我的证书", "首页", "意见箱"], ["评估报告", "用户", "培训班"]),
    Role.TRAINER: (
        "13900000002",
        ["学习", "教学"],
        ["退出登录", "我的证书", "培训班", "阅卷", "课程编写", "评估报告", "持续改进台账"],
        ["用户", "操作日志"],
    ),
    Role.ORGANIZER: (
        "13900000003",
        ["学习", "教学", "组织管理"],
        ["退出登录", "我的证书", "评估报告", "用户", "持续改进台账", "操作日志", "意见处理"],
        [],
    ),
}
#: for each role, a page reached through the menu and the section it must mark
VISIT = {Role.TRAINEE: "我的证书", Role.TRAINER: "评估报告", Role.ORGANIZER: "持续改进台账"}


@pytest.fixture
def people(live_app):
    with live_app.app.app_context():
        for role, (phone, *_) in PEOPLE.items():
            create_user(Profile(name=f"{role.value}用户", phone=phone, work_unit="培训中心"), PASSWORD, {role})
        db.session.commit()
    return live_app.url


def check_accessibility(page, selector: str) -> None:
    """axe-core's WCAG 2 A/AA and best-practice rules on part of the page."""
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `make install-test` (npm install in tests/e2e)")
    page.evaluate(AXE.read_text(encoding="utf-8"))
    violations = page.evaluate(
        """async (sel) => (await axe.run(sel, {runOnly: ['wcag2a', 'wcag2aa', 'best-practice']})).violations
             .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))""",
        selector,
    )
    assert violations == [], f"{page.url}: {violations}"


def marked(page) -> list[str]:
    """The visible menu entries marked as the current page."""
    return page.locator('header nav a[aria-current="page"]:visible').all_inner_texts()


def background(page, label: str) -> str:
    link = page.locator("nav.desktop-nav").get_by_role("link", name=label, exact=True)
    return link.evaluate("a => getComputedStyle(a).backgroundColor")


@pytest.mark.parametrize("viewport", ["desktop"], indirect=True)
@pytest.mark.parametrize("role", list(PEOPLE), ids=[r.value for r in PEOPLE])
def test_at_1280_px_the_menu_is_visible_without_opening_anything(page, people, role):
    phone, groups, shown, absent = PEOPLE[role]
    log_in(page, people, phone, PASSWORD)
    assert page.viewport_size["width"] == 1280
    assert not page.get_by_text("菜单").is_visible()  # nothing to unfold
    bar = page.locator("nav.desktop-nav")
    assert bar.locator(".nav-group-label").all_inner_texts() == groups
    for label in shown:
        entry = page.get_by_role("link", name=label, exact=True).or_(page.get_by_role("button", name=label))
        assert entry.is_visible(), label
    for label in absent:
        assert page.get_by_role("link", name=label, exact=True).count() == 0, label

    # The current section: marked for assistive technology and visibly (a light chip).
    assert marked(page) == ["首页"]
    open_menu_item(page, VISIT[role])
    assert marked(page) == [VISIT[role]]
    assert background(page, VISIT[role]) != background(page, "首页")
    check_accessibility(page, "header")

    # Keyboard only: Tab reaches 退出登录 on the bar, Enter logs out.
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "退出登录":
            break
    else:
        pytest.fail("退出登录 is not reachable with the Tab key")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile("/login"))


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_on_a_phone_the_menu_folds_and_opens(page, people):
    phone, groups, shown, _ = PEOPLE[Role.ORGANIZER]
    log_in(page, people, phone, PASSWORD)
    assert is_phone(page)
    assert not page.get_by_role("link", name="用户", exact=True).is_visible()  # folded
    assert not page.locator("nav.desktop-nav").is_visible()
    page.get_by_text("菜单").click()
    assert page.locator("details.menu .nav-group-label").all_inner_texts() == groups
    for label in shown:
        assert page.get_by_role("link", name=label, exact=True).or_(page.get_by_role("button", name=label)).is_visible()
    assert marked(page) == ["首页"]
    check_accessibility(page, "header")
    page.get_by_role("link", name="用户", exact=True).click()
    page.get_by_role("heading", name="用户").wait_for()
    open_menu_item(page, "评估报告")  # the helper opens the folded menu again
    assert page.get_by_text("菜单").is_visible() and marked(page) == []  # folded again on the new page
    page.get_by_text("菜单").click()
    assert marked(page) == ["评估报告"]
    log_out(page)
    page.wait_for_url(re.compile("/login"))
