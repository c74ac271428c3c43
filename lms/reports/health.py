"""A module's health card: completion, satisfaction, learning gain, item quality and need.

Each figure comes from the same functions as the full reports, narrowed to one module, so the
card and the report pages always agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lms.assessment.models import QuizKind
from lms.cohorts.models import Cohort
from lms.learning.models import Module

from .items import ItemStats, item_analysis, quizzes_of_course
from .learning import Gain, gain_overall, pre_post_quizzes
from .needs import ModuleNeed, module_needs, needs_surveys
from .progress import ModuleProgress, module_progress
from .reaction import Satisfaction, module_satisfaction
from .scope import Scope


@dataclass
class QuizItemStats:
    quiz_id: int
    quiz_title: str
    item: ItemStats


@dataclass
class ModuleHealth:
    module: Module
    progress: ModuleProgress | None
    satisfaction: Satisfaction | None
    gain: Gain | None
    need: ModuleNeed | None
    items: list[QuizItemStats] = field(default_factory=list)

    @property
    def flagged(self) -> list[QuizItemStats]:
        return [entry for entry in self.items if entry.item.flags]

    @property
    def signals(self) -> list[str]:
        """What needs attention: low_satisfaction, flagged_items, high_need, no_gain."""
        found = []
        if self.satisfaction is not None and self.satisfaction.low:
            found.append("low_satisfaction")
        if self.flagged:
            found.append("flagged_items")
        if self.need is not None and self.need.high_demand:
            found.append("high_need")
        if self.gain is not None and self.gain.gain.high is not None and self.gain.gain.high <= 0:
            found.append("no_gain")
        return found


def module_health(cohort: Cohort, scope: Scope, module: Module, members: int) -> ModuleHealth:
    progress = next((p for p in module_progress(cohort, members) if p.module_id == module.id), None)
    satisfaction = next(iter(module_satisfaction(scope, [module.id])), None)
    pre, post = pre_post_quizzes(module.course_id)
    gain = gain_overall(scope, pre, post, module_ids=[module.id]) if pre and post else None
    need = next(
        (n for n in module_needs(scope, needs_surveys(module.course_id)) if n.module_id == module.id),
        None,
    )
    health = ModuleHealth(module, progress, satisfaction, gain, need)
    for quiz in quizzes_of_course(module.course_id):
        if quiz.kind == QuizKind.MODULE_QUIZ and quiz.module_id != module.id:
            continue
        analysis = item_analysis(scope, quiz)
        health.items.extend(
            QuizItemStats(quiz.id, quiz.title, item) for item in analysis.items if item.module_id == module.id
        )
    return health
