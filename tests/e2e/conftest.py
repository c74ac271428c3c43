"""Browser tests: the app served on a local port, driven by Debian's Chromium via Playwright.

Skipped when /usr/bin/chromium is missing, except under CI (CI=true), where they must run.
Playwright never downloads a browser here: it launches the system's Chromium.
"""

from __future__ import annotations

import os
import secrets
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from lms import create_app
from lms.auth.models import Role
from lms.auth.service import Profile, create_user
from lms.cohorts.service import CohortData, create_cohort
from lms.extensions import db, limiter
from lms.learning.models import Course
from tests.conftest import FAST_PASSWORD_HASH
from tests.dates import site_today

CHROMIUM = Path(os.environ.get("LMS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def chromium_path():
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is required under CI (apt-get install chromium)")
        pytest.skip("Debian's chromium is not installed")
    return str(CHROMIUM)


class LiveServer:
    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()


@pytest.fixture
def live_app(tmp_path, postgres_url):
    """A served app on its own SQLite file (the browser journey does not need PostgreSQL)."""
    os.environ.setdefault("LMS_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(
        {
            "SECRET_KEY": secrets.token_hex(16),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'e2e.sqlite3'}",
            "LMS_STORAGE_PATH": str(tmp_path / "storage"),
            "PASSWORD_HASH_METHOD": FAST_PASSWORD_HASH,
            # the journeys click through lessons in seconds: no active-time minimum here
            # (tests/test_credit_rule.py proves the minimum with heartbeats at set times)
            "CREDIT_MIN_ACTIVE_FRACTION": 0.0,
        }
    )
    with app.app_context():
        limiter.reset()
        db.create_all()
    with LiveServer(app) as server:
        yield server
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def seeded(live_app):
    """A course and a cohort with a known enrolment code, plus an organizer."""
    with live_app.app.app_context():
        course = Course(key="demo-course", code="DEMO", title="教育帮扶政策培训", content_hash="x")
        db.session.add(course)
        db.session.flush()
        organizer = create_user(
            Profile(name="组织者甲", phone="13700000001", province="北京市", work_unit="培训中心"),
            "organizer-pass-1",
            {Role.ORGANIZER},
        )
        today = site_today()
        cohort = create_cohort(
            organizer,
            CohortData(
                course_id=course.id,
                name="浏览器测试班",
                starts_on=today,
                ends_on=today + timedelta(days=30),
                enrol_until=today + timedelta(days=30),
                capacity=None,
            ),
        )
        db.session.commit()
        return {"code": cohort.enrol_code, "url": live_app.url}


#: every journey runs on a phone and on a desktop screen (ids "phone" and "desktop")
VIEWPORTS = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 800}}
DESKTOP_MIN_WIDTH = 768  # 48rem in static/css/app.css: wider screens show the desktop bar


@pytest.fixture(scope="session")
def browser(chromium_path):
    """One Chromium for the whole run; each test gets its own context (cookies, storage)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request):
    """The screen size; a test may pin one with @pytest.mark.parametrize("viewport", ["desktop"], indirect=True)."""
    return VIEWPORTS[request.param]


def new_person(browser, viewport) -> tuple:
    """A fresh browser session (another person) at ``viewport``; returns (page, external requests)."""
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    context.set_default_timeout(10_000)
    external: list[str] = []
    context.on(
        "request", lambda r: external.append(r.url) if not r.url.startswith(("http://127.0.0.1", "data:")) else None
    )
    return context.new_page(), external


@pytest.fixture
def page(browser, viewport):
    page, external = new_person(browser, viewport)
    yield page
    page.context.close()
    assert external == [], f"requests left the server: {external}"


@pytest.fixture
def another_person(browser, viewport):
    """Call to get a second person's page on the same screen size (e.g. the trainer who grades)."""
    opened = []

    def open_page():
        person = new_person(browser, viewport)
        opened.append(person)
        return person[0]

    yield open_page
    for person, external in opened:
        person.context.close()
        assert external == [], f"requests left the server: {external}"


# -- what a person does: helpers shared by the journeys ----------------------------------------


def is_phone(page) -> bool:
    return page.viewport_size["width"] < DESKTOP_MIN_WIDTH


def open_menu_item(page, label: str) -> None:
    """Follow a main-menu entry by its visible text, as a person would: on a phone the menu is
    folded, so open it first; on a desktop the entry is on the bar. Waits for the new page."""
    if is_phone(page):
        menu = page.locator("details.menu")
        if not menu.evaluate("menu => menu.open"):
            menu.locator("summary").click()
        nav = menu.locator("nav")
    else:  # the groups' bar, or 个人信息 / 退出登录 beside the language switch
        nav = page.locator("nav.desktop-nav, nav.desktop-account")
    item = nav.get_by_role("link", name=label, exact=True).or_(nav.get_by_role("button", name=label, exact=True))
    with page.expect_navigation():
        item.click()


def log_in(page, base: str, phone: str, password: str) -> None:
    """Open the login page (the first page a person types) and log in; lands on the dashboard."""
    page.goto(base + "/login")
    page.get_by_label("手机号码或电子邮箱").fill(phone)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base + "/")


def log_out(page) -> None:
    open_menu_item(page, "退出登录")


def assert_fits_the_screen(page) -> None:
    """No sideways scrolling at the page's width (360 px on a phone)."""
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
