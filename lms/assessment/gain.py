"""A trainee's own pre → post change per module: the share of points on each module's
questions in their first graded pre-test and first graded post-test (one grouped query)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from lms.extensions import db
from lms.learning.models import Module

from .models import Attempt, AttemptItem, AttemptState, Question, Quiz, QuizKind


@dataclass(frozen=True)
class ModuleChange:
    title: str
    pre: float | None  #: percent, None when the pre-test had no question of the module
    post: float | None

    @property
    def change(self) -> float | None:
        return None if self.pre is None or self.post is None else self.post - self.pre


def pre_post_by_module(user_id: int, course_id: int) -> list[ModuleChange]:
    """Per module in course order; empty until both tests are graded."""
    first = (
        select(Quiz.kind, func.min(Attempt.number).label("number"), Attempt.quiz_id)
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .where(
            Attempt.user_id == user_id,
            Attempt.state == AttemptState.GRADED,
            Quiz.course_id == course_id,
            Quiz.kind.in_([QuizKind.PRE_TEST, QuizKind.POST_TEST]),
        )
        .group_by(Quiz.kind, Attempt.quiz_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            first.c.kind,
            Module.id,
            Module.title,
            Module.position,
            func.sum(AttemptItem.score),
            func.sum(AttemptItem.points),
        )
        .select_from(first)
        .join(
            Attempt,
            (Attempt.quiz_id == first.c.quiz_id) & (Attempt.number == first.c.number) & (Attempt.user_id == user_id),
        )
        .join(AttemptItem, AttemptItem.attempt_id == Attempt.id)
        .join(Question, Question.id == AttemptItem.question_id)
        .join(Module, Module.id == Question.module_id)
        .group_by(first.c.kind, Module.id, Module.title, Module.position)
    ).all()
    kinds = {str(r[0]) for r in rows}
    if kinds != {QuizKind.PRE_TEST, QuizKind.POST_TEST}:
        return []
    by_module: dict[int, dict] = {}
    for kind, module_id, title, position, score, points in rows:
        entry = by_module.setdefault(module_id, {"title": title, "position": position})
        entry[str(kind)] = round(100 * (score or 0) / points, 1) if points else None
    return [
        ModuleChange(e["title"], e.get(QuizKind.PRE_TEST), e.get(QuizKind.POST_TEST))
        for e in sorted(by_module.values(), key=lambda e: e["position"])
    ]
