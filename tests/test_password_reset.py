"""Self-service password reset: a mailed link that works once, for a while, and the same
answer whether or not the account exists."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from lms.auth.models import User
from lms.extensions import db
from tests.conftest import PASSWORD, login
from tests.mail_helpers import wait_for_mail

BASE = "https://peixun.example.cn"
NEW = "a-new-password-7"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def mail(app, smtp_server):
    port, messages = smtp_server
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, LMS_BASE_URL=BASE)
    return messages


def _ask(client, identifier):
    return client.post("/password/forgot", data={"identifier": identifier})


def _link(message) -> str:
    body = message.get_body().get_content()
    (url,) = re.findall(rf"{re.escape(BASE)}/password/reset/\S+", body)
    return url.removeprefix(BASE)


def test_a_forgotten_password_is_reset_by_a_link_that_works_once(app, client, mail, make_user):
    user = make_user(name="王老师", email="wang@example.org")
    elsewhere = app.test_client()
    login(elsewhere, user)
    assert "忘记密码？" in client.get("/login").get_data(as_text=True)

    spelled = f"{user.phone[:3]} {user.phone[3:7]} {user.phone[7:]}"  # any spelling login accepts
    response = _ask(client, spelled)
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert "如该账户登记了电子邮箱，重置密码的链接已发出" in client.get("/login").get_data(as_text=True)
    (message,) = wait_for_mail(mail)
    assert message["To"].addresses[0].addr_spec == "wang@example.org"
    assert message["Subject"] == "重置密码"
    assert "王老师" in message.get_body().get_content()
    link = _link(message)

    page = client.get(link).get_data(as_text=True)
    assert "为王老师的账户设置新密码" in page
    mismatch = client.post(link, data={"password": NEW, "confirm": NEW + "x"})
    assert mismatch.status_code == 200 and "两次输入的密码不一致" in mismatch.get_data(as_text=True)
    done = client.post(link, data={"password": NEW, "confirm": NEW})
    assert done.status_code == 302 and done.headers["Location"].endswith("/login")
    assert "密码已重置" in client.get("/login").get_data(as_text=True)

    assert elsewhere.get("/profile").status_code == 302  # every device was signed out
    assert client.post("/login", data={"identifier": user.phone, "password": PASSWORD}).status_code == 200
    login(app.test_client(), user, NEW)
    again = client.get(link)
    assert again.status_code == 400 and "链接无效" in again.get_data(as_text=True)  # used once


def test_the_answer_says_nothing_about_the_account(app, mail, make_user):
    with_mail = make_user(email="li@example.org")
    without_mail = make_user()
    answers = []
    for identifier in ("13999999999", without_mail.phone, "nobody@example.org", with_mail.email):
        client = app.test_client()
        response = _ask(client, identifier)
        answers.append((response.status_code, response.headers.get("Location"), _flash(client)))
    assert len(set(answers)) == 1, answers
    (message,) = wait_for_mail(mail)
    assert message["To"].addresses[0].addr_spec == "li@example.org"


def _flash(client) -> str:
    page = client.get("/login").get_data(as_text=True)
    return re.search(r'class="flash[^"]*"[^>]*>(.*?)<', page, re.S).group(1).strip()


def test_a_link_expires_and_a_tampered_one_is_refused(app, client, mail, make_user):
    user = make_user(email="zhao@example.org")
    with time_machine.travel(T0, tick=False) as clock:
        _ask(client, user.email)
        link = _link(wait_for_mail(mail)[0])
        assert client.get(link).status_code == 200
        tampered = link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb")
        assert client.get(tampered).status_code == 400
        clock.shift(timedelta(minutes=31))
        expired = client.post(link, data={"password": NEW, "confirm": NEW})
        assert expired.status_code == 400 and "已过期" in expired.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, user.id).check_password(PASSWORD)  # unchanged


def test_a_deactivated_account_gets_no_working_link(app, client, mail, make_user):
    user = make_user(email="sun@example.org")
    _ask(client, user.email)
    link = _link(wait_for_mail(mail)[0])
    with app.app_context():
        db.session.get(User, user.id).is_active_account = False
        db.session.commit()
    assert client.get(link).status_code == 400


def test_mails_per_account_and_requests_per_address_are_limited(app, mail, make_user):
    user = make_user(email="qian@example.org")
    for n in range(4):  # from four addresses: only the account's limit applies
        client = app.test_client()
        environ = {"REMOTE_ADDR": f"10.0.0.{n + 1}"}
        assert client.post("/password/forgot", data={"identifier": user.email}, environ_base=environ).status_code == 302
    wait_for_mail(mail, 3)
    assert len(mail) == 3  # PASSWORD_RESET_MAILS_PER_HOUR
    one_address = app.test_client()
    codes = [_ask(one_address, f"139000{n:05d}").status_code for n in range(6)]
    assert codes == [302] * 5 + [429]  # "5 per 15 minutes" from one address


def test_without_an_smtp_server_the_page_says_whom_to_ask(app, client, make_user):
    user = make_user(email="zhou@example.org")
    page = client.get("/password/forgot").get_data(as_text=True)
    assert "请联系培训组织者重置密码" in page and 'name="identifier"' not in page
    assert _ask(client, user.email).status_code == 200  # nothing is sent, nothing happens


def test_in_production_links_need_the_configured_address(app, client, mail, make_user):
    app.config.update(ENV_PRODUCTION=True, LMS_BASE_URL="")
    page = client.get("/password/forgot").get_data(as_text=True)
    assert 'name="identifier"' not in page  # a link built from the Host header could be forged
