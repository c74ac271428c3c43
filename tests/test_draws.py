"""Draws that test learning, not memory: module quiz retakes from the module's pool, shuffled
options, and a final exam drawing from its own pool (draw rules with ``tags``)."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import select

from lms.assessment import service
from lms.assessment.models import Quiz
from lms.assessment.rules import quiz_rules
from lms.auth.models import User
from lms.cohorts.models import Cohort
from lms.db import utcnow, write_transaction
from lms.extensions import db
from lms.learning.models import Course
from tests.assessment_helpers import items_of, make_world
from tests.content_helpers import edit, load

POOL = {"m01-q03", "m01-q04", "m01-q05", "m01-q06"}  # module 1 without pre/post-test questions


@pytest.fixture
def world(app, make_user, make_cohort, tmp_path):
    return make_world(app, make_user, make_cohort, tmp_path)


def _attempt(app, world, key, seed):
    with app.app_context():
        quiz = db.session.scalar(select(Quiz).where(Quiz.key == key))
        with write_transaction():
            attempt, _ = service.start_attempt(
                db.session.get(User, world.trainee.id),
                quiz,
                db.session.get(Cohort, world.cohort_id),
                utcnow(),
                rng=random.Random(seed),
            )
            attempt_id = attempt.id
        with write_transaction():
            service.finish_attempt(attempt_id, utcnow())
    return [i["key"] for i in items_of(app, attempt_id)]


def test_module_quiz_retakes_draw_from_the_module_pool(app, world):
    first = _attempt(app, world, "m01-quiz", 1)
    assert first == ["m01-q03", "m01-q04", "m01-q05"]  # the quiz as written
    seen = set()
    for seed in range(2, 12):
        keys = _attempt(app, world, "m01-quiz", seed)
        assert len(keys) == 3 and set(keys) <= POOL
        seen |= set(keys)
    assert "m01-q06" in seen  # retakes reach beyond the fixed list


def test_options_are_shuffled_in_module_quizzes_and_pre_post_tests(app, world):
    with app.app_context():
        course = db.session.get(Course, world.course_id)
        for quiz in db.session.scalars(select(Quiz)):
            assert quiz_rules(quiz, course).shuffle_options, quiz.key


def test_final_exam_draws_from_its_own_pool_that_module_quizzes_never_show(app, world):
    questions = world.folder / "modules/01-getting-started/questions.yaml"
    text = questions.read_text(encoding="utf-8")
    assert text.count("    answer: B\n    lesson: welcome\n") == 1  # m01-q06
    questions.write_text(
        text.replace(
            "    answer: B\n    lesson: welcome\n", "    answer: B\n    lesson: welcome\n    tags: [final-exam]\n"
        ),
        encoding="utf-8",
    )
    exam = world.folder / "quizzes/final-exam.yaml"
    edit(
        exam,
        "  - module: getting-started\n    count: 3\n",
        "  - module: getting-started\n    count: 1\n    tags: [final-exam]\n",
    )
    with app.app_context():
        load(world.folder.parent)
    keys = _attempt(app, world, "final-exam", 3)
    assert "m01-q06" in keys and not {"m01-q03", "m01-q04", "m01-q05"} & set(keys)
    for seed in range(5, 10):  # the final exam's question never comes up in module quiz retakes
        assert "m01-q06" not in _attempt(app, world, "m01-quiz", seed)
