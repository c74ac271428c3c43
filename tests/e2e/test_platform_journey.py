"""A new trainee registers, joins a cohort with its code, logs out and in, switches language."""

from __future__ import annotations

import re

from tests.e2e.conftest import assert_fits_the_screen, log_out


def test_register_join_login_and_switch_language(page, seeded):
    base = seeded["url"]
    page.goto(base + "/register")
    page.get_by_label("真实姓名").fill("周学员")
    page.get_by_label("手机号码").fill("13612345678")
    page.get_by_label("省").fill("云南省")
    page.get_by_label("市", exact=True).fill("德宏州")
    page.get_by_label("县", exact=True).fill("芒市")
    page.get_by_label("工作单位").fill("芒市第二小学")
    page.get_by_label("密码", exact=True).fill("weak")
    page.get_by_label("确认密码").fill("weak")
    page.get_by_role("button", name="创建账号").click()
    # A too-short password: the form comes back with the message and the typed data kept.
    page.get_by_text(re.compile("8.*128")).first.wait_for()
    assert page.get_by_label("工作单位").input_value() == "芒市第二小学"
    page.get_by_label("密码", exact=True).fill("a-good-password")
    page.get_by_label("确认密码").fill("a-good-password")
    page.get_by_role("button", name="创建账号").click()

    page.wait_for_url(re.compile(r"/join$"))
    page.get_by_label("报名码").fill("WRONG123")
    page.get_by_role("button", name="加入").click()
    page.get_by_text("没有培训班使用这个报名码").wait_for()
    page.get_by_label("报名码").fill(seeded["code"].lower())
    page.get_by_role("button", name="加入").click()
    page.wait_for_url(base + "/")
    page.get_by_text("浏览器测试班").first.wait_for()

    # Log out (from the folded menu on a phone, the bar on a desktop) and log in with the phone number.
    log_out(page)
    page.wait_for_url(re.compile("/login"))
    page.get_by_label("手机号码或电子邮箱").fill("136 1234 5678")
    page.get_by_label("密码").fill("a-good-password")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base + "/")
    assert "周学员" in page.content()

    page.get_by_role("button", name="English").click()
    page.get_by_role("heading", name=re.compile("Hello")).wait_for()
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("button", name="简体中文").click()
    page.get_by_role("heading", name=re.compile("您好")).wait_for()


def test_page_fits_the_screen(page, seeded):
    page.goto(seeded["url"] + "/register")
    assert_fits_the_screen(page)
