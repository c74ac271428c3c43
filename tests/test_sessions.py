"""Login sessions: logout kills every copy, idle and absolute timeouts, remembered devices."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from lms.auth.login_sessions import LoginSession
from lms.extensions import db
from tests.assessment_helpers import make_world, start
from tests.conftest import PASSWORD, login

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # a fixed clock: 09:00 in Shanghai


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def _remember_login(client, user):
    response = client.post("/login", data={"identifier": user.phone, "password": PASSWORD, "remember": "y"})
    assert response.status_code == 302
    return response


def _copy_cookies(app, client, names=("session", "remember_token")):
    """A second browser holding copies of ``client``'s cookies (what a thief would have)."""
    thief = app.test_client()
    for name in names:
        cookie = client.get_cookie(name)
        if cookie is not None:
            thief.set_cookie(name, cookie.value)
    return thief


def _signed_in(client) -> bool:
    return client.get("/profile").status_code == 200


def test_logout_with_remember_me_deletes_the_cookie_and_kills_every_copy(app, client, make_user, clock):
    user = make_user("trainer")
    _remember_login(client, user)
    assert client.get_cookie("remember_token") is not None
    both = _copy_cookies(app, client)
    only_session = _copy_cookies(app, client, ("session",))
    only_remember = _copy_cookies(app, client, ("remember_token",))
    assert _signed_in(both) and _signed_in(only_session) and _signed_in(only_remember)

    response = client.post("/logout", follow_redirects=True)
    assert "您已退出登录" in response.get_data(as_text=True) or "退出" in response.get_data(as_text=True)
    assert client.get_cookie("remember_token") is None  # deleted by the response
    assert not _signed_in(client)
    home = client.get("/")
    assert home.status_code == 302 and "/login" in home.headers["Location"]
    for copy in (both, only_session, only_remember):
        assert not _signed_in(copy)


def test_logout_ends_only_this_device(app, make_user, clock):
    user = make_user()
    phone, laptop = app.test_client(), app.test_client()
    login(phone, user)
    login(laptop, user)
    phone.post("/logout")
    assert not _signed_in(phone)
    assert _signed_in(laptop)


def test_staff_idle_timeout_is_30_minutes(app, client, make_user, clock):
    user = make_user("trainer")
    login(client, user)
    clock.shift(timedelta(minutes=25))
    assert _signed_in(client)  # activity restarts the idle clock
    clock.shift(timedelta(minutes=29))
    assert _signed_in(client)
    clock.shift(timedelta(minutes=31))
    response = client.get("/profile", follow_redirects=True)
    assert "长时间未操作，已自动退出登录" in response.get_data(as_text=True)
    clock.shift(timedelta(minutes=1))
    assert not _signed_in(client)  # it does not come back


def test_idle_timeout_is_configurable(app, client, make_user, clock):
    app.config["SESSION_IDLE_MINUTES"] = 10
    login(client, make_user("organizer"))
    clock.shift(timedelta(minutes=11))
    assert not _signed_in(client)


def test_a_trainee_with_an_attempt_in_progress_keeps_a_longer_idle_limit(
    app, client, make_user, make_cohort, tmp_path, clock
):
    world = make_world(app, make_user, make_cohort, tmp_path)
    login(client, world.trainee)
    start(client, world, "m01-quiz")
    clock.shift(timedelta(minutes=90))
    assert _signed_in(client)
    clock.shift(timedelta(minutes=181))
    assert not _signed_in(client)


def test_absolute_lifetime_is_12_hours_even_when_active(app, client, make_user, clock):
    login(client, make_user("trainer"))
    for _ in range(35):  # active every 20 minutes for 11 h 40 min
        clock.shift(timedelta(minutes=20))
        assert _signed_in(client)
    clock.shift(timedelta(minutes=21))
    assert not _signed_in(client)


def test_remembered_device_lasts_14_days_not_a_year(app, client, make_user, clock):
    user = make_user()
    _remember_login(client, user)
    later = _copy_cookies(app, client, ("remember_token",))  # the browser was closed: no session cookie
    clock.shift(timedelta(days=3))
    assert _signed_in(later)  # no idle limit inside the 14 days
    clock.shift(timedelta(days=10, hours=23))
    assert _signed_in(_copy_cookies(app, client, ("remember_token",)))
    clock.shift(timedelta(hours=2))  # 14 days and 1 hour after signing in
    assert not _signed_in(_copy_cookies(app, client, ("remember_token",)))
    clock.shift(timedelta(days=350))
    assert not _signed_in(_copy_cookies(app, client, ("remember_token",)))


def test_remember_cookie_flags(app, client, make_user):
    response = _remember_login(client, make_user())
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token="))
    assert "HttpOnly" in header and "SameSite=Lax" in header
    assert "Max-Age=1209600" in header or "Expires=" in header


def test_profile_lists_devices_and_signs_out_one_or_everywhere(app, make_user, clock):
    user = make_user()
    phone, laptop, tablet = app.test_client(), app.test_client(), app.test_client()
    phone.environ_base["HTTP_USER_AGENT"] = "Mozilla/5.0 (Linux; Android 14) Chrome/120.0 Mobile Safari/537.36"
    laptop.environ_base["HTTP_USER_AGENT"] = "Mozilla/5.0 (Windows NT 10.0) Gecko/20100101 Firefox/128.0"
    login(phone, user)
    _remember_login(laptop, user)
    login(tablet, user)
    page = phone.get("/profile").get_data(as_text=True)
    assert "Chrome · Android" in page and "Firefox · Windows" in page
    assert "本设备" in page and "已记住" in page and "在所有设备上退出登录" in page

    with app.app_context():
        laptop_session = db.session.scalar(
            db.select(LoginSession.id).where(LoginSession.user_id == user.id, LoginSession.remember.is_(True))
        )
    response = phone.post(f"/profile/sessions/{laptop_session}/end", follow_redirects=True)
    assert "已让该设备退出登录" in response.get_data(as_text=True)
    assert not _signed_in(laptop) and _signed_in(phone) and _signed_in(tablet)

    response = phone.post("/profile/sessions/end-all", follow_redirects=True)
    assert "已在所有设备上退出登录" in response.get_data(as_text=True)
    assert not _signed_in(phone) and not _signed_in(tablet)


def test_a_user_cannot_end_someone_elses_session(app, make_user):
    owner, other = make_user(), make_user()
    owner_client, other_client = app.test_client(), app.test_client()
    login(owner_client, owner)
    login(other_client, other)
    with app.app_context():
        owner_session = db.session.scalar(db.select(LoginSession.id).where(LoginSession.user_id == owner.id))
    assert other_client.post(f"/profile/sessions/{owner_session}/end").status_code == 404
    assert _signed_in(owner_client)


def test_sign_out_everywhere_needs_a_csrf_token(app, client, make_user):
    login(client, make_user())
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/profile/sessions/end-all").status_code == 400
    assert _signed_in(client)


def test_password_change_ends_other_sessions_and_keeps_this_one(app, make_user):
    user = make_user()
    here, there = app.test_client(), app.test_client()
    login(here, user)
    login(there, user)
    response = here.post(
        "/profile/password",
        data={"current_password": PASSWORD, "password": "new-password-1", "confirm": "new-password-1"},
    )
    assert response.status_code == 302
    assert _signed_in(here) and not _signed_in(there)


def test_session_table_holds_no_token(app, client, make_user):
    login(client, make_user())
    cookie_value = client.get_cookie("session").value
    with app.app_context():
        row = db.session.scalar(db.select(LoginSession))
        assert len(row.token_hash) == 64 and row.token_hash not in cookie_value


def test_signed_in_pages_and_exports_are_not_stored(app, client, make_user, make_cohort):
    organizer = make_user("organizer")
    cohort_id, _, _ = make_cohort(organizer_id=organizer.id)
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")
    login(client, organizer)
    for url in ("/", "/profile", f"/cohorts/{cohort_id}/roster.csv"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store", url
    assert "no-store" not in client.get("/static/css/app.css").headers.get("Cache-Control", "")


def test_production_cookies_use_the_host_prefix(monkeypatch, tmp_path):
    from lms.config import build_config

    monkeypatch.setenv("LMS_ENV", "production")
    monkeypatch.setenv("LMS_SECRET_KEY", "x" * 32)
    config = build_config(str(tmp_path))
    assert config["SESSION_COOKIE_NAME"].startswith("__Host-") and config["SESSION_COOKIE_SECURE"]
    assert config["REMEMBER_COOKIE_NAME"].startswith("__Host-") and config["REMEMBER_COOKIE_SECURE"]
    assert config["REMEMBER_COOKIE_SAMESITE"] == "Lax" and config["REMEMBER_COOKIE_HTTPONLY"]
