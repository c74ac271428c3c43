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


@pytest.fixture
def page(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
        context.set_default_timeout(10_000)
        page = context.new_page()
        external = []
        page.on(
            "request", lambda r: external.append(r.url) if not r.url.startswith(("http://127.0.0.1", "data:")) else None
        )
        yield page
        browser.close()
        assert external == [], f"requests left the server: {external}"
