"""Shared pieces of the certificate tests: a course with certificate rules, requirement
checks registered in-test, and PDF inspection with pypdf."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from lms.auth.models import User
from lms.certificates import eligibility
from lms.certificates.eligibility import RequirementStatus
from lms.certificates.models import Certificate
from lms.cohorts.models import Cohort
from lms.cohorts.service import CohortData, add_members, create_cohort
from lms.extensions import db
from lms.learning.models import Course

RULES = ("required_modules", "final_exam", "feedback", "min_credit_hours")
CERT_SETTINGS = {
    "certificate": {
        "required_modules": "all",
        "final_exam": True,
        "feedback": True,
        "min_credit_hours": 16,
        "issuer": "教育帮扶政策培训项目组",
    }
}


@pytest.fixture
def requirements():
    """Register requirement checks for this test only; the registry is restored afterwards.

    ``requirements(met=True)`` registers every rule as met; ``requirements(rule=fn)`` one
    rule with a real check function ``fn(user_id, cohort) -> RequirementStatus``.
    """
    saved = eligibility.registered_checks()
    saved_source = eligibility._credit_hours_source
    # with stand-in checks, 学时 are the course's total (no lesson progress exists here)
    eligibility.register_credit_hours_source(None)

    def register(met: bool | None = None, **checks):
        if met is not None:
            for name in RULES:
                eligibility.register_check(name, constant(name, met))
        for name, check in checks.items():
            eligibility.register_check(name, check)

    yield register
    eligibility.restore_checks(saved)
    eligibility.register_credit_hours_source(saved_source)


def constant(name: str, met: bool):
    def check(user_id: int, cohort: Cohort) -> RequirementStatus:
        return RequirementStatus(name, name, met, "test")

    return check


def position_set(name: str):
    """A check backed by a real row: met once the trainee has filled in their position (职务)."""

    def check(user_id: int, cohort: Cohort) -> RequirementStatus:
        position = db.session.scalar(select(User.position).where(User.id == user_id))
        return RequirementStatus(name, "职务已填写", bool(position), position or "")

    return check


@dataclass
class CertWorld:
    course_id: int
    cohort_id: int
    organizer: object
    trainees: list


@pytest.fixture
def cert_world(app, make_user):
    """A course JYBF (16 学时, all four rules), a cohort, an organizer and enrolled trainees."""

    def make(trainees: int = 1, names: list[str] | None = None, code: str = "JYBF", **course_fields):
        organizer = make_user("organizer", name="组织者甲")
        people = [
            make_user("trainee", name=(names or [])[i] if names and i < len(names) else None) for i in range(trainees)
        ]
        with app.app_context():
            course = Course(
                key=f"course-{code.lower()}-{organizer.id}",
                code=code,
                title=course_fields.pop("title", "教育帮扶政策培训"),
                content_hash="x",
                credit_hours=course_fields.pop("credit_hours", 16),
                settings=CERT_SETTINGS,
            )
            db.session.add(course)
            db.session.flush()
            actor = db.session.get(User, organizer.id)
            cohort = create_cohort(
                actor,
                CohortData(
                    course_id=course.id,
                    name="2026年秋季第一期",
                    starts_on=date(2026, 11, 2),
                    ends_on=date(2026, 11, 20),
                    enrol_until=date(2026, 11, 20),
                    capacity=None,
                ),
            )
            add_members(actor, cohort, [db.session.get(User, p.id) for p in people])
            db.session.commit()
            return CertWorld(course.id, cohort.id, organizer, people)

    return make


def pdf_text(data: bytes) -> str:
    """All text of a PDF with whitespace removed (line breaks fall anywhere)."""
    reader = PdfReader(io.BytesIO(data))
    return "".join("".join(page.extract_text().split()) for page in reader.pages)


def pdf_pages(data: bytes) -> int:
    return len(PdfReader(io.BytesIO(data)).pages)


def certificates(app, **filters) -> list[Certificate]:
    with app.app_context():
        query = select(Certificate).order_by(Certificate.id)
        for name, value in filters.items():
            query = query.where(getattr(Certificate, name) == value)
        certs = db.session.scalars(query).all()
        db.session.expunge_all()
        return certs


def png(size=(200, 200), color=(200, 30, 30, 255), fmt="PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGBA" if fmt == "PNG" else "RGB", size, color[: 4 if fmt == "PNG" else 3]).save(out, fmt)
    return out.getvalue()
