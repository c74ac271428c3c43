"""Helpers for the assessment tests: a loaded course with a cohort, a trainee and a trainer."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from lms.assessment.draw import draw_questions
from lms.assessment.models import Attempt, AttemptItem, Question, QuestionVersion, Quiz
from lms.assessment.rules import quiz_rules
from lms.cohorts.models import Enrolment
from lms.extensions import db
from lms.learning.models import Course
from tests.content_helpers import copy_example, load


@dataclass
class World:
    course_id: int
    course_key: str
    cohort_id: int
    trainee: object
    trainer: object
    organizer: object
    folder: Path


def make_world(app, make_user, make_cohort, tmp_path, folder: Path | None = None, sequence: str = "free") -> World:
    """Load the example course (or ``folder``), make a cohort with a trainer and a trainee.

    The course is taken in any order (``sequence: free``) unless ``sequence="strict"``: these
    tests are about attempts, not the order (tests/test_sequence.py is).
    """
    folder = folder or copy_example(tmp_path)
    course_file = folder / "course.yaml"
    text = course_file.read_text(encoding="utf-8")
    if sequence != "strict" and "\nsequence:" not in text:
        course_file.write_text(text.rstrip("\n") + f"\nsequence: {sequence}\n", encoding="utf-8")
    with app.app_context():
        load(folder.parent)
        course = db.session.scalar(select(Course))
        course_id, course_key = course.id, course.key
    trainer = make_user("trainer")
    organizer = make_user("organizer")
    trainee = make_user("trainee")
    cohort_id, _, _ = make_cohort(organizer_id=organizer.id, course_id=course_id, trainer_ids=(trainer.id,))
    enrol(app, cohort_id, trainee.id)
    return World(course_id, course_key, cohort_id, trainee, trainer, organizer, folder)


def enrol(app, cohort_id: int, user_id: int) -> None:
    with app.app_context():
        db.session.add(Enrolment(cohort_id=cohort_id, user_id=user_id))
        db.session.commit()


def quiz_id(app, key: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Quiz.id).where(Quiz.key == key))


def start(client, world: World, quiz_key: str) -> int:
    """Start (or resume) an attempt through the page; return its id."""
    response = client.post(f"/courses/{world.course_key}/quizzes/{quiz_key}/start", data={"confirmed": "1"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    match = re.search(r"/attempts/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def items_of(app, attempt_id: int) -> list[dict]:
    """The attempt's items with their question's key, type and the answered version's data."""
    with app.app_context():
        rows = db.session.execute(
            select(AttemptItem, Question.key, QuestionVersion.data)
            .join(Question, Question.id == AttemptItem.question_id)
            .join(QuestionVersion, QuestionVersion.id == AttemptItem.question_version_id)
            .where(AttemptItem.attempt_id == attempt_id)
            .order_by(AttemptItem.position)
        ).all()
        return [
            {
                "id": item.id,
                "key": key,
                "type": data["type"],
                "data": data,
                "option_order": item.option_order,
                "response": item.response,
                "score": item.score,
                "is_correct": item.is_correct,
                "points": item.points,
            }
            for item, key, data in rows
        ]


def right_answer(item: dict) -> object:
    """A fully right answer for an item, as the page would send it."""
    data = item["data"]
    if data["type"] == "true_false":
        return "true" if data["answer"] else "false"
    if data["type"] == "fill_blank":
        return data["answer"][0]
    if data["type"] == "short_answer":
        return "我的回答：" + data["answer"][:20]
    return data["answer"]


def wrong_answer(item: dict) -> object:
    data = item["data"]
    letters = [chr(65 + i) for i in range(len(data.get("options") or []))]
    if data["type"] == "single":
        return next(letter for letter in letters if letter != data["answer"])
    if data["type"] == "multiple":
        return [letter for letter in letters if letter not in data["answer"]][:1]
    if data["type"] == "true_false":
        return "false" if data["answer"] else "true"
    return "完全不对的答案"


def form_data(items: list[dict], answers: dict[int, object], seq: int) -> dict:
    """The attempt form as the browser posts it: seq, the item list and ``item-<id>`` fields."""
    data: dict = {"seq": str(seq), "items": ",".join(str(i["id"]) for i in items)}
    for item_id, value in answers.items():
        if value is not None:
            data[f"item-{item_id}"] = value
    return data


def attempt_row(app, attempt_id: int) -> Attempt:
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        db.session.expunge(attempt)
        return attempt


def seed_drawing_a_short_answer(app, quiz_key: str) -> int:
    """A seed for ``random.seed`` whose draw of ``quiz_key`` includes a short answer.

    The server draws with the ``random`` module's shared generator, so seeding it just before
    a start makes that start's draw this one (no other code in between uses ``random``).
    """
    with app.app_context():
        quiz = db.session.scalar(select(Quiz).where(Quiz.key == quiz_key))
        rules = quiz_rules(quiz, db.session.get(Course, quiz.course_id))
        for seed in range(200):
            drawn = draw_questions(quiz, rules, random.Random(seed))
            types = db.session.scalars(
                select(QuestionVersion.data).where(QuestionVersion.id.in_([d.version_id for d in drawn]))
            )
            if any(data["type"] == "short_answer" for data in types):
                return seed
    raise AssertionError(f"no draw of {quiz_key} includes a short answer")


def assert_no_draw_includes_a_short_answer(app, quiz_key: str, seeds: int = 200) -> None:
    """Over ``seeds`` draws of ``quiz_key``, none includes a short answer."""
    with app.app_context():
        quiz = db.session.scalar(select(Quiz).where(Quiz.key == quiz_key))
        rules = quiz_rules(quiz, db.session.get(Course, quiz.course_id))
        for seed in range(seeds):
            drawn = draw_questions(quiz, rules, random.Random(seed))
            types = db.session.scalars(
                select(QuestionVersion.data).where(QuestionVersion.id.in_([d.version_id for d in drawn]))
            )
            assert all(data["type"] != "short_answer" for data in types), f"seed {seed} draws a short answer"
