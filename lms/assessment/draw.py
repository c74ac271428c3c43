"""Choosing an attempt's questions: a quiz's fixed list or a random draw per module.

Each drawn question is pinned to its current version row, so later edits to the bank never
change what an attempt shows or how it is graded.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlalchemy import select

from lms.extensions import db
from lms.learning.models import Module

from .models import Question, QuestionStatus, QuestionType, QuestionVersion, Quiz, QuizItem, QuizKind
from .rules import RESERVED_TAGS, QuizRules

#: every item is worth the same: a short answer counts as much as a true/false question
ITEM_POINTS = 1.0

_SHUFFLED_TYPES = (QuestionType.SINGLE, QuestionType.MULTIPLE)


#: drafts (new in the browser, fresh imports) never enter an attempt until marked ready
_ready = Question.status == QuestionStatus.READY


@dataclass(frozen=True)
class DrawnItem:
    question_id: int
    version_id: int
    option_order: list[int]
    points: float


def _fixed_list(quiz: Quiz) -> list[Question]:
    return list(
        db.session.scalars(
            select(Question)
            .join(QuizItem, QuizItem.question_id == Question.id)
            .where(QuizItem.quiz_id == quiz.id, Question.is_retired.is_(False), _ready)
            .order_by(QuizItem.position)
        )
    )


def _drawn(quiz: Quiz, rules: QuizRules, rng: random.Random) -> list[Question]:
    """For each rule, ``count`` questions of its module with one of its ``tags`` (when it
    names any: a pool, e.g. the final exam's own ``final-exam`` questions), skipping the
    excluded tags.

    A rule asking for more than the module still has (the bank shrank after the quiz was
    written) takes what there is rather than failing the trainee's start.
    """
    module_ids = dict(db.session.execute(select(Module.key, Module.id).where(Module.course_id == quiz.course_id)).all())
    wanted = [module_ids[r["module"]] for r in rules.draw if r.get("module") in module_ids]
    bank: dict[int, list[Question]] = {}
    if wanted:
        for question in db.session.scalars(
            select(Question)
            .where(Question.module_id.in_(wanted), Question.is_retired.is_(False), _ready)
            .order_by(Question.key)
        ):
            bank.setdefault(question.module_id, []).append(question)
    picked: list[Question] = []
    for rule in rules.draw:
        module_id = module_ids.get(rule.get("module"))
        excluded = set(rule.get("exclude_tags") or ())
        pool = set(rule.get("tags") or ())
        candidates = [
            q
            for q in bank.get(module_id, [])
            if not excluded & set(q.tags or []) and (not pool or pool & set(q.tags or []))
        ]
        count = min(int(rule.get("count") or 0), len(candidates))
        chosen = {id(q) for q in rng.sample(candidates, count)}
        picked.extend(q for q in candidates if id(q) in chosen)  # keep the bank's order
    return picked


def _retake_draw(quiz: Quiz, fixed: list[Question], rng: random.Random) -> list[Question]:
    """A module quiz's retake: as many questions as its fixed list, drawn from the module's
    pool (its questions without a reserved tag) when the pool is larger than the list."""
    pool = [
        q
        for q in db.session.scalars(
            select(Question)
            .where(Question.module_id == quiz.module_id, Question.is_retired.is_(False))
            .order_by(Question.key)
        )
        if not set(RESERVED_TAGS) & set(q.tags or [])
    ]
    if len(pool) <= len(fixed):
        return fixed
    chosen = {id(q) for q in rng.sample(pool, len(fixed))}
    return [q for q in pool if id(q) in chosen]


def draw_questions(
    quiz: Quiz, rules: QuizRules, rng: random.Random | None = None, retake: bool = False
) -> list[DrawnItem]:
    """The questions of a new attempt, in the order shown, with their options' order.

    :param rng: the random source (the module-level generator by default).
    :param retake: not the trainee's first attempt (a module quiz then draws from its pool).
    """
    rng = rng or random  # the module's shared generator (random.seed makes draws repeatable)
    questions = _drawn(quiz, rules, rng) if rules.draw else _fixed_list(quiz)
    if retake and not rules.draw and quiz.kind == QuizKind.MODULE_QUIZ and quiz.module_id and questions:
        questions = _retake_draw(quiz, questions, rng)
    if rules.shuffle_questions:
        rng.shuffle(questions)
    if not questions:
        return []
    versions = _version_ids(questions)
    items = []
    for question in questions:
        order = list(range(len(question.options or [])))
        if rules.shuffle_options and question.qtype in _SHUFFLED_TYPES:
            rng.shuffle(order)
        items.append(DrawnItem(question.id, versions[question.id], order, ITEM_POINTS))
    return items


def _version_ids(questions: list[Question]) -> dict[int, int]:
    """The id of each question's current version row, in one query. Every writer of
    questions (the loader, the importers, the editor) writes that row in the same
    transaction, so a question without one is a bug, not something to patch here."""
    rows = db.session.execute(
        select(QuestionVersion.question_id, QuestionVersion.version, QuestionVersion.id).where(
            QuestionVersion.question_id.in_([q.id for q in questions])
        )
    ).all()
    current = {q.id: q.version for q in questions}
    found = {qid: vid for qid, version, vid in rows if current[qid] == version}
    missing = [q.key for q in questions if q.id not in found]
    if missing:
        raise LookupError(f"questions without their current version row: {missing}")
    return found
