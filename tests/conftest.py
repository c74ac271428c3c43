"""Fixtures: an app on a fresh database per test, a client, user factories and login.

The suite runs on SQLite by default. With LMS_TEST_DATABASE_URL pointing at a PostgreSQL
server, it creates its own database there for the session, empties it after each test and
drops it at the end. With LMS_REDIS_URL set, the rate limiter keeps its counters in Redis.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import secrets
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from lms import create_app
from lms.auth.models import Role, User
from lms.auth.service import Profile, create_user
from lms.cohorts.service import CohortData, create_cohort
from lms.extensions import db, limiter
from lms.learning.models import Course
from tests.dates import site_today

pytest_plugins = ["tests.mail_helpers"]  # the smtp_server fixture

PASSWORD = "correct-horse-9"
FAST_PASSWORD_HASH = "pbkdf2:sha256:1000"


def pytest_addoption(parser):
    parser.addoption(
        "--utc-clock",
        metavar="HH:MM",
        help="run the whole session with the process clock moved to this UTC time of today "
        "(20:30 is already tomorrow in Asia/Shanghai); CI runs the suite at two such hours",
    )


def pytest_configure(config):
    """Move the clock for the whole session when --utc-clock is given (time-machine)."""
    when = config.getoption("--utc-clock")
    if not when:
        return
    import time_machine

    hours, minutes = (int(part) for part in when.split(":"))
    moment = datetime.combine(datetime.now(UTC).date(), time(hours, minutes), tzinfo=UTC)
    traveller = time_machine.travel(moment, tick=True)
    traveller.start()
    config.add_cleanup(traveller.stop)


def pytest_report_header(config):
    when = config.getoption("--utc-clock")
    return f"clock moved to {when} UTC (time-machine)" if when else None


@pytest.fixture(scope="session")
def postgres_url():
    """A PostgreSQL database made for this test session, or None to use SQLite."""
    server = os.environ.get("LMS_TEST_DATABASE_URL")
    if not server:
        yield None
        return
    admin_url = make_url(server.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"lms_test_{secrets.token_hex(4)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


_pg_schema_ready = False


@pytest.fixture
def app(tmp_path, postgres_url, request):
    global _pg_schema_ready
    url = postgres_url or f"sqlite:///{tmp_path / 'test.sqlite3'}"
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "LMS_STORAGE_PATH": str(tmp_path / "storage"),
        "SERVER_NAME": "localhost",
        "LOGIN_LIMITS_PER_ADDRESS": "10000 per minute",  # tests log in many times from 127.0.0.1
        "PASSWORD_HASH_METHOD": FAST_PASSWORD_HASH,  # scrypt costs ~50 ms a hash; production keeps it
        # lessons need no minimum of active time unless a test sets a credit rule
        # (tests/test_credit_rule.py does, with heartbeats at set times)
        "CREDIT_MIN_ACTIVE_FRACTION": 0.0,
    }
    config.update(getattr(request, "param", None) or {})
    os.environ.setdefault("LMS_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(config)
    with app.app_context():
        with contextlib.suppress(Exception):  # a test of an unreachable store has none to reset
            limiter.reset()  # counters start at zero (in Redis they would outlive the app)
        if postgres_url is None:
            db.create_all()
        elif not _pg_schema_ready:
            db.drop_all()
            db.create_all()
            _pg_schema_ready = True
    yield app
    with app.app_context():
        db.session.remove()
        if postgres_url is not None:
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def ctx(app):
    """An application context for calling services directly."""
    with app.app_context():
        yield


_counter = itertools.count(1)


@pytest.fixture
def make_user(app):
    """Create a user with the given roles; returns the user's id, phone and password."""

    def make(*roles: str, name: str | None = None, **fields):
        n = next(_counter)
        profile = Profile(
            name=name or f"测试用户{n}",
            phone=fields.pop("phone", f"139{n:08d}"),
            email=fields.pop("email", None),
            province=fields.pop("province", "云南省"),
            work_unit=fields.pop("work_unit", "测试单位"),
            **fields,
        )
        with app.app_context():
            user = create_user(profile, PASSWORD, {Role(r) for r in (roles or ("trainee",))})
            db.session.commit()
            return UserRef(user.id, user.phone, user.email, user.name)

    return make


class UserRef:
    """What a test needs to know about a user, usable outside the app context."""

    def __init__(self, id, phone, email, name):
        self.id, self.phone, self.email, self.name = id, phone, email, name


def login(client, user: UserRef, password: str = PASSWORD):
    response = client.post("/login", data={"identifier": user.phone or user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response


@pytest.fixture
def make_course(app):
    def make(key: str = "test-course", title: str = "测试课程"):
        with app.app_context():
            course = Course(key=key, code="TEST", title=title, summary="", content_hash="x")
            db.session.add(course)
            db.session.commit()
            return course.id

    return make


@pytest.fixture
def make_cohort(app, make_course, make_user):
    def make(organizer_id=None, course_id=None, **overrides):
        organizer_id = organizer_id or make_user("organizer").id
        course_id = course_id or make_course(key=f"course-{next(_counter)}")
        today = site_today()
        data = CohortData(
            course_id=course_id,
            name=overrides.pop("name", "测试培训班"),
            starts_on=overrides.pop("starts_on", today),
            ends_on=overrides.pop("ends_on", today + timedelta(days=30)),
            enrol_until=overrides.pop("enrol_until", today + timedelta(days=30)),
            capacity=overrides.pop("capacity", None),
            trainer_ids=overrides.pop("trainer_ids", ()),
        )
        with app.app_context():
            cohort = create_cohort(db.session.get(User, organizer_id), data)
            db.session.commit()
            return cohort.id, cohort.enrol_code, cohort.invite_token

    return make
