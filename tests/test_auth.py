"""Registration, login, sessions, passwords and login rate limits."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lms.auth.models import User
from lms.extensions import db
from tests.conftest import PASSWORD, login

REGISTRATION = {
    "name": "王小明",
    "phone": "138 0013 8000",
    "email": "",
    "province": "云南省",
    "city": "德宏州",
    "county": "芒市",
    "work_unit": "芒市教育体育局",
    "position": "科员",
    "password": "a-long-password",
    "confirm": "a-long-password",
}


def user_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(User.id)))


def test_register_creates_trainee_and_signs_in(app, client):
    response = client.post("/register", data=REGISTRATION)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/join")
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.phone == "13800138000"  # normalised
        assert user.roles == {"trainee"}
        assert user.password_hash.startswith(app.config["PASSWORD_HASH_METHOD"] + "$")
    assert "王小明" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"phone": "12345"}, "请输入11位的中国大陆手机号码"),
        ({"phone": "", "email": ""}, "请填写手机号码或电子邮箱"),
        ({"email": "not-an-address"}, "请输入有效的电子邮箱地址"),
        ({"confirm": "something-else"}, "两次输入的密码不一致"),
        ({"password": "short", "confirm": "short"}, "8"),
        ({"name": "   "}, "此项为必填项"),
    ],
)
def test_register_errors_redisplay_in_chinese_and_keep_input(app, client, changes, message):
    response = client.post("/register", data={**REGISTRATION, **changes})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page
    assert "芒市教育体育局" in page  # what the user typed is still there
    assert user_count(app) == 0


def test_register_duplicate_phone_is_refused(app, client, make_user):
    make_user(phone="13800138000")
    page = client.post("/register", data=REGISTRATION).get_data(as_text=True)
    assert "该手机号码已注册" in page
    assert user_count(app) == 1


def test_login_by_phone_or_email(client, make_user):
    user = make_user(email="someone@example.org")
    assert client.post("/login", data={"identifier": user.phone, "password": PASSWORD}).status_code == 302
    client.post("/logout")
    response = client.post("/login", data={"identifier": "SomeOne@Example.org", "password": PASSWORD})
    assert response.status_code == 302


def test_wrong_password_gives_one_message_for_both_cases(client, make_user):
    user = make_user()
    wrong_password = client.post("/login", data={"identifier": user.phone, "password": "nope-nope"})
    unknown_user = client.post("/login", data={"identifier": "13000000000", "password": "nope-nope"})
    for response in (wrong_password, unknown_user):
        assert response.status_code == 200
        assert "账号或密码不正确" in response.get_data(as_text=True)


def test_login_renews_the_session(client, make_user):
    user = make_user()
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    login(client, user)
    with client.session_transaction() as session:
        assert "planted" not in session


def test_login_redirects_only_to_local_next(client, make_user):
    user = make_user()
    ok = client.post("/login", data={"identifier": user.phone, "password": PASSWORD, "next": "/profile"})
    assert ok.headers["Location"] == "/profile"
    client.post("/logout")
    evil = client.post("/login", data={"identifier": user.phone, "password": PASSWORD, "next": "//evil.example/x"})
    assert "evil" not in evil.headers["Location"]


def test_deactivated_account_is_signed_out_at_next_request(app, client, make_user):
    user = make_user()
    login(client, user)
    assert client.get("/profile").status_code == 200
    with app.app_context():
        db.session.get(User, user.id).is_active_account = False
        db.session.commit()
    response = client.get("/profile")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    again = client.post("/login", data={"identifier": user.phone, "password": PASSWORD})
    assert again.status_code == 200


def test_password_change_signs_out_other_devices(app, make_user):
    user = make_user()
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, user)
    login(phone, user)
    response = laptop.post(
        "/profile/password",
        data={"current_password": PASSWORD, "password": "new-password-1", "confirm": "new-password-1"},
    )
    assert response.status_code == 302
    assert laptop.get("/profile").status_code == 200  # this device stays signed in
    assert phone.get("/profile").status_code == 302  # the other one is signed out
    assert phone.post("/login", data={"identifier": user.phone, "password": "new-password-1"}).status_code == 302


def test_password_change_with_wrong_current_password(client, make_user):
    login(client, make_user())
    page = client.post(
        "/profile/password",
        data={"current_password": "wrong-one!", "password": "new-password-1", "confirm": "new-password-1"},
    ).get_data(as_text=True)
    assert "当前密码不正确" in page


def test_profile_update_and_duplicate_email(app, client, make_user):
    make_user(email="taken@example.org")
    user = make_user()
    login(client, user)
    data = {**REGISTRATION, "phone": user.phone, "email": "taken@example.org", "name": "新名字"}
    assert "该电子邮箱已注册" in client.post("/profile", data=data).get_data(as_text=True)
    data["email"] = "mine@example.org"
    assert client.post("/profile", data=data).status_code == 302
    with app.app_context():
        assert db.session.get(User, user.id).name == "新名字"


def test_logout_needs_post(client, make_user):
    login(client, make_user())
    assert client.get("/logout").status_code == 405
    client.post("/logout")
    assert client.get("/profile").status_code == 302


def test_login_attempts_are_rate_limited_per_account(client, make_user):
    user = make_user()
    for _ in range(6):  # 5 free failures, then one attempt per back-off slot (test_login_throttle)
        response = client.post("/login", data={"identifier": user.phone, "password": "wrong-pass"})
        assert response.status_code == 200
    blocked = client.post("/login", data={"identifier": user.phone, "password": PASSWORD})
    assert blocked.status_code == 429
    assert "尝试次数过多" in blocked.get_data(as_text=True)
    assert int(blocked.headers["Retry-After"]) > 0


def test_login_attempts_are_rate_limited_per_address(app, client):
    app.config["LOGIN_LIMITS_PER_ADDRESS"] = "3 per minute"
    for n in range(3):
        client.post("/login", data={"identifier": f"1390000{n:04d}", "password": "wrong-pass"})
    assert client.post("/login", data={"identifier": "13900009999", "password": "x"}).status_code == 429
