"""Trainee pages stay light and do a fixed number of queries, however big the course gets."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from lms.assessment.models import Quiz  # noqa: F401  (mapped before counting)
from lms.cohorts.models import Cohort
from lms.content.loader import load_courses
from lms.db import write_transaction
from lms.discussions.models import Post
from lms.extensions import db
from lms.learning.models import Course, Lesson, LessonKind, Module
from tests.conftest import login
from tests.content_helpers import EXAMPLE, load

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def counting(app):
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_lesson_page_weight_is_under_100_kb(app, make_user, make_cohort):
    """HTML + CSS + JS of the longest lesson of the real course, before compression."""
    with app.app_context():
        with write_transaction():
            load_courses(ROOT / "courses")
        course = db.session.scalar(select(Course).where(Course.key == "edu-assistance-policy"))
        longest = db.session.scalar(
            select(Lesson.key)
            .where(Lesson.course_id == course.id)
            .order_by(func.length(Lesson.body_html).desc())
            .limit(1)
        )
        course_id = course.id
    _, _, token = make_cohort(course_id=course_id)
    client = app.test_client()
    login(client, make_user("trainee"))
    client.post(f"/join/{token}")
    html = client.get(f"/courses/edu-assistance-policy/lessons/{longest}").data
    assert b"lesson-end" in html
    assets = sum(len(client.get(p).data) for p in ("/static/css/app.css", "/static/js/app.js", "/static/js/lesson.js"))
    assert len(html) + assets < 100 * 1024, (len(html), assets)


def _grow(app, modules: int, lessons: int, posts: int) -> None:
    with app.app_context(), write_transaction():
        course = db.session.scalar(select(Course).where(Course.key == "example-course"))
        cohort = db.session.scalar(select(Cohort))
        author = cohort.created_by_id
        practice = db.session.scalar(select(Module).where(Module.key == "practice"))
        for m in range(modules):
            n_modules = db.session.scalar(select(func.count(Module.id)))
            module = Module(
                course_id=course.id,
                key=f"extra-{n_modules}",
                title=f"附加专题{m}",
                position=10 + n_modules,
                credit_hours=0,
                content_hash="x",
            )
            db.session.add(module)
            db.session.flush()
            for n in range(lessons):
                db.session.add(
                    Lesson(
                        course_id=course.id,
                        module_id=module.id,
                        key=f"x{module.id}-{n}",
                        title=f"小节{n}",
                        position=n,
                        content_hash="x",
                        kind=LessonKind.READING,
                        search_text="正文",
                    )
                )
        for _ in range(posts):
            db.session.add(
                Post(
                    cohort_id=cohort.id,
                    module_id=practice.id,
                    author_id=author,
                    body_markdown="帖",
                    body_html="<p>帖</p>",
                )
            )


PAGES = (
    "/",
    "/courses/example-course",
    "/courses/example-course/lessons/welcome",
    "/courses/example-course/search?q=课程",
    "/courses/example-course/record",
    "/cohorts/{cohort}/discuss/practice",
)


@pytest.mark.parametrize("path", PAGES)
def test_queries_do_not_grow_with_modules_lessons_or_posts(app, make_user, make_cohort, path):
    with app.app_context():
        load(EXAMPLE)
        course_id = db.session.scalar(select(Course.id))
    cohort_id, _, token = make_cohort(course_id=course_id)
    client = app.test_client()
    login(client, make_user("trainee"))
    client.post(f"/join/{token}")
    url = path.format(cohort=cohort_id)

    def queries() -> int:
        client.get(url)  # warm: first-view rows exist in both runs
        with counting(app) as statements:
            assert client.get(url).status_code == 200
        return len(statements)

    _grow(app, modules=1, lessons=1, posts=25)  # more than a page of posts from the start
    small = queries()
    _grow(app, modules=6, lessons=5, posts=30)
    assert queries() == small
