"""Helpers for the authoring tests: a loaded course, assigned authors, form data, lookups."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from lms.assessment.models import Question
from lms.authoring.models import ContentDraft, CourseAuthor
from lms.extensions import db
from lms.learning.models import Course, Lesson, Module
from tests.conftest import login
from tests.content_helpers import EXAMPLE, load

REAL_COURSE = Path(__file__).resolve().parent.parent / "courses" / "edu-assistance-policy"


def load_course(app, path: Path = EXAMPLE) -> None:
    with app.app_context():
        load(path)


def assign_author(app, course_key: str, user_id: int) -> None:
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.key == course_key))
        db.session.add(CourseAuthor(course_id=course.id, user_id=user_id))
        db.session.commit()


def author_client(app, make_user, course_key: str = "example-course"):
    """A logged-in client of a trainer assigned to ``course_key``; returns (client, user)."""
    user = make_user("trainer")
    assign_author(app, course_key, user.id)
    client = app.test_client()
    login(client, user)
    return client, user


def lesson(app, key: str) -> Lesson:
    with app.app_context():
        row = db.session.scalar(select(Lesson).where(Lesson.key == key))
        db.session.expunge(row)
        return row


def module(app, key: str) -> Module:
    with app.app_context():
        row = db.session.scalar(select(Module).where(Module.key == key))
        db.session.expunge(row)
        return row


def question(app, key: str) -> Question:
    with app.app_context():
        row = db.session.scalar(select(Question).where(Question.key == key))
        db.session.expunge(row)
        return row


def draft_of(app, kind: str, target_id: int) -> ContentDraft | None:
    with app.app_context():
        row = db.session.scalar(
            select(ContentDraft).where(ContentDraft.target_kind == kind, ContentDraft.target_id == target_id)
        )
        if row is not None:
            db.session.expunge(row)
        return row


def lesson_form(row: Lesson | None = None, **overrides) -> dict:
    """The lesson editor's fields, from a published lesson, with overrides."""
    data = {
        "title": "",
        "kind": "reading",
        "minutes": "10",
        "body_markdown": "",
        "revision": "0",
        "base_version": "0",
        "action": "save",
    }
    if row is not None:
        data.update(
            title=row.title,
            kind=str(row.kind),
            minutes=str(row.minutes),
            body_markdown=row.body_markdown,
            base_version=str(row.version),
        )
    data.update({k: str(v) for k, v in overrides.items()})
    return data


def text(response) -> str:
    return response.get_data(as_text=True)


def pre_test_taken(app, user_id: int) -> None:
    """The example course's first module waits for the pre-test: record it as taken."""
    from lms.assessment.models import Attempt, AttemptState, Quiz
    from lms.db import utcnow, write_transaction

    with app.app_context(), write_transaction():
        quiz = db.session.scalar(select(Quiz).where(Quiz.key == "pre-test"))
        db.session.add(
            Attempt(
                quiz_id=quiz.id,
                user_id=user_id,
                state=AttemptState.GRADED,
                finished_at=utcnow(),
                score=1,
                max_score=2,
                percent=50,
            )
        )


def open_every_module(app, client, user_id: int) -> None:
    """Meet the example course's prerequisites: the pre-test, then module 1 done (its two
    lessons completed and its quiz passed), so module 2 opens too."""
    from lms.assessment.models import Attempt, AttemptState, Quiz
    from lms.db import utcnow, write_transaction

    pre_test_taken(app, user_id)
    for key in ("welcome", "first-steps"):
        client.post(f"/courses/example-course/lessons/{key}/complete")
    with app.app_context(), write_transaction():
        quiz = db.session.scalar(select(Quiz).where(Quiz.key == "m01-quiz"))
        db.session.add(
            Attempt(
                quiz_id=quiz.id,
                user_id=user_id,
                state=AttemptState.GRADED,
                finished_at=utcnow(),
                score=3,
                max_score=3,
                percent=100,
                passed=True,
            )
        )
