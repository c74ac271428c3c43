"""A trainee who forgot the password resets it from the login page with the mailed link."""

from __future__ import annotations

import re

from lms.auth.models import Role
from lms.auth.service import Profile, create_user
from lms.extensions import db
from tests.e2e.conftest import assert_fits_the_screen, log_in
from tests.mail_helpers import wait_for_mail


def test_a_forgotten_password_is_reset_from_the_login_page(page, live_app, smtp_server):
    port, messages = smtp_server
    base = live_app.url
    live_app.app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, LMS_BASE_URL=base)
    with live_app.app.app_context():
        create_user(
            Profile(
                name="张老师", phone="13800000042", email="zhang@example.org", province="贵州省", work_unit="某小学"
            ),
            "forgotten-pass-1",
            {Role.TRAINEE},
        )
        db.session.commit()

    page.goto(base + "/login")
    page.get_by_role("link", name="忘记密码？").click()
    page.get_by_role("heading", name="忘记密码").wait_for()
    assert_fits_the_screen(page)
    page.get_by_label("手机号码或电子邮箱").fill("138 0000 0042")
    page.get_by_role("button", name="发送链接").click()
    page.wait_for_url(re.compile("/login$"))
    page.get_by_text("如该账户登记了电子邮箱，重置密码的链接已发出").wait_for()

    (message,) = wait_for_mail(messages)
    (link,) = re.findall(rf"{re.escape(base)}/password/reset/\S+", message.get_body().get_content())
    page.goto(link)
    page.get_by_text("为张老师的账户设置新密码").wait_for()
    assert_fits_the_screen(page)
    page.get_by_label("新密码", exact=True).fill("remembered-pass-2")
    page.get_by_label("确认新密码").fill("remembered-pass-2")
    page.get_by_role("button", name="保存新密码").click()
    page.wait_for_url(re.compile("/login$"))
    page.get_by_text("密码已重置，请用新密码登录").wait_for()

    log_in(page, base, "13800000042", "remembered-pass-2")
    page.goto(link)  # the link worked once
    page.get_by_text("链接无效").wait_for()
