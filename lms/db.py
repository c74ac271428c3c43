"""Database plumbing: SQLite pragmas, UTC datetimes and the write-transaction helper.

SQLite is opened in autocommit mode at the driver level so that SQLAlchemy emits the
``BEGIN`` itself; that lets :func:`write_transaction` ask for ``BEGIN IMMEDIATE``, which takes
the write lock up front instead of failing with "database is locked" when a read
transaction later tries to write.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import DateTime, Enum, event
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator

from .extensions import db

SQLITE_BUSY_TIMEOUT_MS = 10_000
_IMMEDIATE = "lms_begin_immediate"


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A datetime stored as naive UTC and always returned timezone-aware in UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN (see _begin_sqlite)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin_sqlite(conn) -> None:
    if conn.dialect.name != "sqlite":
        return
    immediate = conn.get_execution_options().get(_IMMEDIATE, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def write_transaction() -> Iterator[None]:
    """Run a read-then-write unit of work and commit it; roll back on any exception.

    On SQLite the transaction starts with ``BEGIN IMMEDIATE`` so concurrent writers queue
    on the busy timeout instead of failing. On PostgreSQL the block should lock what it
    reads (``with_for_update``) or rely on unique constraints. A read-only transaction
    already open in the session (loading the current user, say) is ended first, so the
    block reads fresh data under the lock.

    :raises RuntimeError: when the session holds unflushed changes from before the block.
    """
    session = db.session()  # the request's Session behind the scoped proxy
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("write_transaction() started with pending changes in the session")
    if session.in_transaction():
        session.commit()  # nothing pending: this only ends the read transaction
    session.connection(execution_options={_IMMEDIATE: True})
    try:
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise


def str_enum(enum_cls: type, length: int = 24) -> Enum:
    """A portable enum column storing the members' values (not their names) as text."""
    return Enum(
        enum_cls,
        native_enum=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def insert_ignore(model: type, **values) -> None:
    """INSERT a row unless it would break a unique constraint (ON CONFLICT DO NOTHING).

    For rows that many requests may try to create at once (the first view of a lesson):
    the loser of the race simply finds the winner's row.
    """
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    db.session.execute(insert(model).values(**values).on_conflict_do_nothing())
