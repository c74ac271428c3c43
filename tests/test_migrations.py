"""The Alembic migrations build exactly the models' schema, and upgrading keeps data."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from lms import create_app
from lms.auth.models import Role, User
from lms.auth.service import Profile, create_user
from lms.cohorts.models import Cohort, Enrolment
from lms.cohorts.service import CohortData, create_cohort
from lms.extensions import db
from lms.learning.models import Course
from lms.learning.search import is_modelled
from tests.content_helpers import EXAMPLE, load
from tests.dates import site_today


@pytest.fixture
def empty_database_url(tmp_path, postgres_url):
    """A brand-new empty database: a SQLite file, or a fresh PostgreSQL database."""
    if postgres_url is None:
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    server = make_url(postgres_url)
    name = f"lms_mig_{secrets.token_hex(4)}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield server.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_migrations_match_models_and_keep_data(empty_database_url, tmp_path):
    os.environ.setdefault("LMS_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": empty_database_url,
            "LMS_STORAGE_PATH": str(tmp_path / "storage"),
        }
    )
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={"compare_type": True, "render_as_batch": True, "include_object": is_modelled},
            )
            diff = compare_metadata(context, db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"

        # Upgrading an up-to-date database again changes nothing and keeps rows.
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (name, password_hash, province, city, county, work_unit, position, "
                    "is_active_account, session_token, created_at) VALUES "
                    "('留存', 'x', '', '', '', '', '', true, 't', '2026-01-01 00:00:00')"
                )
            )
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT name FROM users")).scalar_one() == "留存"
        assert "users" in inspect(db.engine).get_table_names()
        downgrade(revision="base")
        assert "users" not in inspect(db.engine).get_table_names()
        db.engine.dispose()


#: the revision before course structures (cohorts gained ``structure_id``, a table copy on SQLite)
BEFORE_STRUCTURES = "c3a1f0d2e9b7"


def test_upgrading_a_database_with_cohorts_and_enrolments_keeps_and_pins_them(empty_database_url, tmp_path):
    """A deployed database holds enrolments that point at cohorts: the migrations that copy
    the cohorts table (SQLite's batch mode) must work with them in place."""
    os.environ.setdefault("LMS_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": empty_database_url,
            "LMS_STORAGE_PATH": str(tmp_path / "storage"),
        }
    )
    with app.app_context():
        upgrade()
        load(EXAMPLE.parent)
        organizer = create_user(Profile(name="组织者", phone="13800007777"), "organizer-pass-3", {Role.ORGANIZER})
        trainee = create_user(Profile(name="学员", phone="13800008888"), "trainee-pass-3", {Role.TRAINEE})
        course = db.session.scalar(db.select(Course))
        today = site_today()
        cohort = create_cohort(
            organizer,
            CohortData(
                course_id=course.id,
                name="一期",
                starts_on=today - timedelta(days=3),
                ends_on=today + timedelta(days=30),
                enrol_until=today + timedelta(days=30),
                capacity=None,
            ),
        )
        db.session.add(Enrolment(cohort_id=cohort.id, user_id=trainee.id))
        db.session.commit()
        cohort_id, trainee_id = cohort.id, trainee.id
        db.session.remove()

        downgrade(revision=BEFORE_STRUCTURES)
        upgrade()

        assert db.session.get(User, trainee_id).name == "学员"
        assert db.session.scalar(db.select(Enrolment.cohort_id).where(Enrolment.user_id == trainee_id)) == cohort_id
        # the migration pins the running cohort to structure 1 of its course
        assert db.session.get(Cohort, cohort_id).structure_id is not None
        db.session.remove()
        db.engine.dispose()
