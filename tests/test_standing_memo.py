"""A request computes a trainee's standing once, and forgets it on any write."""

from __future__ import annotations

from sqlalchemy import select, update

from lms.db import utcnow
from lms.extensions import db
from lms.learning.models import Course, Lesson
from lms.learning.progress_models import LessonProgress
from lms.learning.standing import course_standing
from tests.authoring_helpers import load_course


def test_the_standing_is_shared_within_a_request_until_something_is_written(app, make_user):
    load_course(app)
    trainee = make_user("trainee")
    with app.test_request_context():
        course = db.session.scalar(select(Course).where(Course.key == "example-course"))
        lesson = db.session.scalar(select(Lesson).where(Lesson.key == "welcome"))
        first = course_standing(trainee.id, course)
        assert course_standing(trainee.id, course) is first  # no second computation
        assert first.lessons_done == 0

        # an ORM write (a flush) forgets it
        db.session.add(LessonProgress(user_id=trainee.id, lesson_id=lesson.id, course_id=course.id))
        db.session.flush()
        started = course_standing(trainee.id, course)
        assert started is not first and started.started and started.lessons_done == 0

        # so does a bulk UPDATE through the session
        db.session.execute(update(LessonProgress).values(completed_at=utcnow()))
        assert course_standing(trainee.id, course).lessons_done == 1
        db.session.rollback()

    with app.test_request_context():  # a new request starts afresh
        course = db.session.scalar(select(Course).where(Course.key == "example-course"))
        assert course_standing(trainee.id, course).lessons_done == 0
