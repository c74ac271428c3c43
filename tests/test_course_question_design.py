"""The real course's question design, as loaded: the post-test is a parallel form of the pre-test,
practice quizzes draw from a pool larger than one attempt, and nothing graded automatically holds
a short-answer item or an item of the pre/post-tests."""

from __future__ import annotations

from sqlalchemy import select

from lms import ROOT
from lms.assessment.models import Question, QuestionType, Quiz, QuizItem, QuizKind
from lms.extensions import db
from lms.learning.models import Course, Module
from tests.content_helpers import load


def _course():
    load(ROOT / "courses")
    return db.session.scalar(select(Course).where(Course.key == "edu-assistance-policy"))


def _listed(quiz: Quiz) -> list[Question]:
    rows = db.session.execute(
        select(Question)
        .join(QuizItem, QuizItem.question_id == Question.id)
        .where(QuizItem.quiz_id == quiz.id)
        .order_by(QuizItem.position)
    )
    return list(rows.scalars())


def _pool(course_id: int, rule: dict) -> list[Question]:
    module = db.session.scalar(select(Module).where(Module.course_id == course_id, Module.key == rule["module"]))
    questions = db.session.scalars(select(Question).where(Question.module_id == module.id)).all()
    excluded = set(rule.get("exclude_tags") or [])
    return [q for q in questions if not excluded & set(q.tags or [])]


def test_post_test_pairs_each_pre_test_item_with_one_of_the_same_module_and_type(ctx):
    course = _course()
    quizzes = {q.kind.value: q for q in db.session.scalars(select(Quiz).where(Quiz.course_id == course.id))}
    pre, post = _listed(quizzes["pre_test"]), _listed(quizzes["post_test"])
    assert len(pre) == len(post) >= 10
    for before, after in zip(pre, post, strict=True):
        assert (before.module_id, before.qtype) == (after.module_id, after.qtype), (before.key, after.key)
        assert before.key != after.key
        pair_tags = [{t for t in q.tags or [] if t.startswith("pair-")} for q in (before, after)]
        assert pair_tags[0] == pair_tags[1], (before.key, after.key)  # the files name each pair once
    assert not {q.qtype for q in pre + post} & {QuestionType.SHORT_ANSWER}
    assert quizzes["pre_test"].settings["shuffle_options"] and quizzes["post_test"].settings["shuffle_options"]


def test_practice_quizzes_draw_new_items_on_a_retake_and_never_short_answers(ctx):
    course = _course()
    tested: set[int] = set()
    for kind in (QuizKind.PRE_TEST, QuizKind.POST_TEST):
        for quiz in db.session.scalars(select(Quiz).where(Quiz.course_id == course.id, Quiz.kind == kind)):
            tested |= {q.id for q in _listed(quiz)}
    drawn = db.session.scalars(select(Quiz).where(Quiz.course_id == course.id, Quiz.kind == QuizKind.MODULE_QUIZ)).all()
    drawing = [quiz for quiz in drawn if quiz.settings.get("draw")]
    assert len(drawing) >= 5  # modules 01-05 at least
    for quiz in drawing:
        [rule] = quiz.settings["draw"]
        pool = _pool(course.id, rule)
        assert len(pool) > rule["count"], quiz.key  # a retake can show items the last attempt did not
        assert not [q.key for q in pool if q.qtype == QuestionType.SHORT_ANSWER], quiz.key
        assert not [q.key for q in pool if q.id in tested], quiz.key
        assert quiz.settings["shuffle_options"], quiz.key
