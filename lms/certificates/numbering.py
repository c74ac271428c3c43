"""证书编号: course code, year and a gap-free sequence per course and year.

The counter row is locked for the rest of the transaction (``FOR UPDATE`` on PostgreSQL;
``BEGIN IMMEDIATE`` already serialises writers on SQLite), so parallel issues queue on it
and each takes the next number. Because the counter and the certificate are written in
the same transaction, a rolled-back issue gives its number back: no gaps.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lms.extensions import db
from lms.learning.models import Course

from .models import CertificateCounter

SEQUENCE_DIGITS = 6


def format_number(code: str, year: int, sequence: int) -> str:
    """JYBF-2026-000123 (the sequence grows past six digits rather than wrapping)."""
    return f"{code}-{year}-{sequence:0{SEQUENCE_DIGITS}d}"


def _select_locked(course_id: int, year: int) -> CertificateCounter | None:
    return db.session.scalar(
        select(CertificateCounter)
        .where(CertificateCounter.course_id == course_id, CertificateCounter.year == year)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def lock_counter(course_id: int, year: int) -> CertificateCounter:
    """The course's counter row for ``year``, created if needed, locked until the commit.

    Issuing paths take this lock first, so on PostgreSQL two issues for the same course
    queue here and the second one sees the first one's certificate when it re-reads.
    """
    counter = _select_locked(course_id, year)
    if counter is None:
        # The first certificate of the year: create the row. A parallel transaction may
        # create it first; then our insert fails on the primary key and we lock theirs.
        try:
            with db.session.begin_nested():
                db.session.add(CertificateCounter(course_id=course_id, year=year, last_sequence=0))
        except IntegrityError:
            pass
        counter = _select_locked(course_id, year)
    return counter


def next_number(course: Course, year: int) -> tuple[int, str]:
    """Take the next sequence number of ``course`` in ``year``; return it and the 证书编号.

    Must run inside ``write_transaction()``; the counter stays locked until it commits.
    """
    counter = lock_counter(course.id, year)
    counter.last_sequence += 1
    db.session.flush()
    return counter.last_sequence, format_number(course.code, year, counter.last_sequence)
