"""Logging out with 记住我 ticked signs the browser out, and copied cookies stop working."""

from __future__ import annotations

import re

from tests.e2e.conftest import log_out, open_menu_item


def test_logout_with_remember_me_really_logs_out(page, seeded):
    base = seeded["url"]
    page.goto(base + "/login")
    page.get_by_label("手机号码或电子邮箱").fill("137 0000 0001")
    page.get_by_label("密码").fill("organizer-pass-1")
    page.get_by_label("在此设备上保持登录").check()
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base + "/")
    cookies = page.context.cookies()
    assert {"session", "remember_token"} <= {c["name"] for c in cookies}
    remember = next(c for c in cookies if c["name"] == "remember_token")
    assert remember["httpOnly"] and remember["sameSite"] == "Lax"

    # the profile lists this browser as a remembered device
    open_menu_item(page, "个人信息")
    page.get_by_text("已登录的设备").wait_for()
    page.get_by_text("已记住").first.wait_for()

    log_out(page)
    page.wait_for_url(re.compile("/login"))
    page.get_by_text("您已退出登录").or_(page.get_by_text("已退出")).first.wait_for()
    assert "remember_token" not in {c["name"] for c in page.context.cookies()}
    page.goto(base + "/")
    assert "/login" in page.url  # still signed out: the remember cookie did not sign us back in

    # a browser holding copies of the cookies taken before the logout is not signed in either
    thief = page.context.browser.new_context(locale="zh-CN")
    thief.add_cookies(cookies)
    other = thief.new_page()
    other.goto(base + "/profile")
    assert "/login" in other.url
    thief.close()
