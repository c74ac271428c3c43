"""Question status (issue 14, point 4): drafts and fresh imports never enter a draw until a
trainer marks them ready; questions from course files are ready."""

from __future__ import annotations

import random

from sqlalchemy import select

from lms.assessment import bank
from lms.assessment.draw import draw_questions
from lms.assessment.formats import read_upload
from lms.assessment.models import Question, QuestionStatus, Quiz
from lms.assessment.rules import quiz_rules
from lms.auth.models import User
from lms.authoring.questions import data_of, update_question
from lms.db import write_transaction
from lms.extensions import db
from lms.learning.models import Course
from tests.content_helpers import EXAMPLE, load


def _drawn_keys(course: Course) -> set[str]:
    """Every question some draw of the final exam can pick (many seeds)."""
    quiz = db.session.scalar(select(Quiz).where(Quiz.course_id == course.id, Quiz.key == "final-exam"))
    rules = quiz_rules(quiz, course)
    ids = {item.question_id for seed in range(60) for item in draw_questions(quiz, rules, random.Random(seed))}
    return set(db.session.scalars(select(Question.key).where(Question.id.in_(ids))))


def test_imported_questions_wait_as_drafts_until_marked_ready(app, ctx, make_user):
    load(EXAMPLE)
    organizer = db.session.get(User, make_user("organizer").id)
    course = db.session.scalar(select(Course).where(Course.key == "example-course"))
    files = set(db.session.scalars(select(Question.status).where(Question.course_id == course.id)))
    assert files == {QuestionStatus.READY}
    text = "$CATEGORY: 入门\n\n::fresh-1::导入的新判断题{T}\n"
    with write_transaction():
        bank.apply_import(organizer, course, read_upload("a.gift", text.encode()).drafts, None, set())
    fresh = db.session.scalar(select(Question).where(Question.key == "fresh-1"))
    assert fresh.status == QuestionStatus.DRAFT
    assert "fresh-1" not in _drawn_keys(course)

    with write_transaction():
        data = data_of(fresh)
        data.ready = True
        assert update_question(organizer, fresh.id, fresh.version, data) is None  # no new version
    assert db.session.get(Question, fresh.id).status == QuestionStatus.READY
    assert "fresh-1" in _drawn_keys(course)
