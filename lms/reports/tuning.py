"""Planner settings for the big report statements on PostgreSQL.

A report groups hundreds of thousands of answers into a few thousand cells. PostgreSQL cannot
estimate that from expression keys, so with the default ``work_mem`` (4 MB) it sorts on disk
instead of hashing, and its JIT compiler spends half a second compiling a query that runs
once. Both are changed with ``SET LOCAL``, i.e. for the current (read) transaction only.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import text

from lms.extensions import db

DEFAULT_WORK_MEM = "64MB"


def tune_for_reports() -> None:
    """On PostgreSQL: no JIT and a larger ``work_mem`` until the transaction ends."""
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        return
    work_mem = current_app.config.get("REPORTS_PG_WORK_MEM", DEFAULT_WORK_MEM)
    connection.execute(text("SET LOCAL jit = off"))
    connection.execute(text("SELECT set_config('work_mem', :value, true)"), {"value": work_mem})
