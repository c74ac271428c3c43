"""Demo accounts and a demo cohort, created once for `make run` (never in production)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from lms.auth.models import Role, User
from lms.auth.service import Profile, create_user
from lms.authoring.models import CourseAuthor
from lms.cohorts.models import Cohort
from lms.cohorts.service import CohortData, add_members, create_cohort, today_local
from lms.db import utcnow
from lms.extensions import db
from lms.learning.models import Course

DEMO_PASSWORD = "demo-pass-2026"
DEMO_COHORT = "演示培训班"
ACCOUNTS = {
    Role.TRAINEE: Profile(
        name="李学员",
        phone="13900000001",
        email="trainee@demo.lms",
        province="云南省",
        city="德宏州",
        county="芒市",
        work_unit="芒市第一小学",
        position="教师",
    ),
    Role.TRAINER: Profile(
        name="王讲师",
        phone="13900000002",
        email="trainer@demo.lms",
        province="北京市",
        work_unit="教育帮扶培训中心",
        position="讲师",
    ),
    Role.ORGANIZER: Profile(
        name="张组织",
        phone="13900000003",
        email="organizer@demo.lms",
        province="北京市",
        work_unit="教育帮扶培训中心",
        position="培训管理员",
    ),
}


def ensure_demo_data() -> dict:
    """Create what is missing of the demo data; leave everything that exists alone."""
    users = {}
    for role, profile in ACCOUNTS.items():
        user = db.session.scalar(select(User).where(User.email == profile.email))
        users[role] = user or create_user(profile, DEMO_PASSWORD, {role})
    info = {
        "password": DEMO_PASSWORD,
        "accounts": {str(role): f"{p.phone} / {p.email}" for role, p in ACCOUNTS.items()},
    }
    course = db.session.scalar(select(Course).where(Course.is_retired.is_(False)).order_by(Course.id))
    if course is None:
        return info
    cohort = db.session.scalar(select(Cohort).where(Cohort.name == DEMO_COHORT))
    if cohort is None:
        today = today_local(utcnow())
        cohort = create_cohort(
            users[Role.ORGANIZER],
            CohortData(
                course_id=course.id,
                name=DEMO_COHORT,
                starts_on=today,
                ends_on=today + timedelta(days=365),
                enrol_until=today + timedelta(days=365),
                capacity=None,
                trainer_ids=(users[Role.TRAINER].id,),
            ),
        )
    # the demo trainee is enrolled, so the dashboard has something to show at once
    add_members(users[Role.ORGANIZER], cohort, [users[Role.TRAINEE]])
    trainer = users[Role.TRAINER]
    if db.session.get(CourseAuthor, (course.id, trainer.id)) is None:
        db.session.add(CourseAuthor(course_id=course.id, user_id=trainer.id))  # may edit it
        db.session.flush()
    info.update(cohort_name=cohort.name, cohort_code=cohort.enrol_code)
    return info
