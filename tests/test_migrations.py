"""The Alembic migrations build exactly the models' schema, and upgrading keeps data."""

from __future__ import annotations

import os
import secrets

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from lms import create_app
from lms.extensions import db
from lms.learning.search import is_modelled


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
