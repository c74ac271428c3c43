"""Helpers for the survey and suggestion tests: the example course with a cohort, answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from lms.cohorts.models import Enrolment
from lms.extensions import db
from lms.learning.models import Course, Module
from lms.surveys.models import Survey
from tests.conftest import UserRef, login
from tests.content_helpers import EXAMPLE, load
from tests.dates import site_today


@dataclass
class SurveyWorld:
    course_id: int
    course_key: str
    cohort_id: int
    organizer: UserRef
    trainer: UserRef
    trainees: list[UserRef]
    outsider: UserRef
    modules: dict[str, int] = field(default_factory=dict)
    surveys: dict[str, int] = field(default_factory=dict)


def enrol(app, cohort_id: int, users) -> None:
    with app.app_context():
        for user in users:
            db.session.add(Enrolment(cohort_id=cohort_id, user_id=user.id))
        db.session.commit()


def make_survey_world(app, make_user, make_cohort, sequence: str = "free") -> SurveyWorld:
    """The example course loaded, a cohort running today with three trainees and a trainer.

    The course is taken in any order unless ``sequence="strict"`` (these tests are about the
    surveys; tests/test_sequence.py checks the order). Each test module wraps it in its own
    ``sw`` fixture."""
    with app.app_context():
        load(EXAMPLE)
        course = db.session.scalar(select(Course).where(Course.key == "example-course"))
        if sequence != "strict":
            course.settings = {**(course.settings or {}), "sequence": sequence}
            db.session.commit()
        course_id = course.id
        modules = {m.key: m.id for m in db.session.scalars(select(Module).where(Module.course_id == course_id))}
        surveys = {s.key: s.id for s in db.session.scalars(select(Survey).where(Survey.course_id == course_id))}
    organizer, trainer = make_user("organizer"), make_user("trainer")
    today = site_today()
    cohort_id, _, _ = make_cohort(
        organizer_id=organizer.id,
        course_id=course_id,
        trainer_ids=(trainer.id,),
        starts_on=today - timedelta(days=1),
        ends_on=today + timedelta(days=20),
    )
    trainees = [make_user(email=f"trainee{i}-{cohort_id}@example.org") for i in range(3)]
    enrol(app, cohort_id, trainees)
    return SurveyWorld(
        course_id,
        "example-course",
        cohort_id,
        organizer,
        trainer,
        trainees,
        make_user(),
        modules,
        surveys,
    )


def client_for(app, user: UserRef):
    client = app.test_client()
    login(client, user)
    return client


def needs_answers(**overrides) -> dict:
    """A complete, valid submission of the example needs survey."""
    data = {
        "mode": "new",
        "q-background-years": "1",
        "q-years-in-post": "5",
        "q-need-getting-started": "5",
        "q-confidence-practice": "2",
        "q-formats.case-discussion": "4",
        "q-formats.field-visit": "3",
        "q-problems": "如何做好控辍保学",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def feedback_answers(**overrides) -> dict:
    """A complete, valid submission of the example (anonymous) feedback survey."""
    data = {
        "mode": "new",
        "q-overall": "4",
        "q-aspects.systematic": "5",
        "q-aspects.relevant": "4",
        "q-useful-modules": ["0", "1"],
        "q-recommend": "9",
        "q-improve": "多安排案例研讨",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def module_answers(content: str = "4", comment: str = "") -> dict:
    return {"mode": "new", "q-content": content, "q-comment": comment}


def follow_up_answers(**overrides) -> dict:
    data = {
        "mode": "new",
        "q-applied-topics": ["0"],
        "q-applied-extent": "4",
        "q-recommend": "8",
        "q-example": "组织了政策宣讲",
    }
    data.update(overrides)
    return data
