"""Training needs (培训需求): per-module demand and self-rated confidence, and the open answers.

Needs-survey items that name a module and a measure (``need`` or ``confidence``, 1-5) are
averaged per module, overall and by region, work unit or position. A high mean need with low
confidence is where the training should put its weight.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from lms.auth.models import User
from lms.extensions import db
from lms.learning.models import Module
from lms.surveys.models import (
    Survey,
    SurveyAnswer,
    SurveyItem,
    SurveyKind,
    SurveyResponse,
)

from . import stats
from .breakdown import Dimension
from .scope import Scope
from .settings import setting
from .survey_results import is_suppressed, respondent_count


@dataclass
class ModuleNeed:
    module_id: int
    title: str
    need: stats.MeanCI
    confidence: stats.MeanCI
    need_counts: list[int]  #: answers 1..5
    confidence_counts: list[int]

    @property
    def gap(self) -> float | None:
        """Mean need minus mean confidence: how much more is wanted than is mastered."""
        if self.need.mean is None or self.confidence.mean is None:
            return None
        return self.need.mean - self.confidence.mean

    @property
    def high_demand(self) -> bool:
        return self.need.mean is not None and self.need.mean >= setting("REPORTS_NEED_HIGH")


def needs_surveys(course_id: int) -> list[Survey]:
    return db.session.scalars(
        select(Survey)
        .where(
            Survey.course_id == course_id,
            Survey.kind == SurveyKind.NEEDS,
            Survey.is_retired.is_(False),
        )
        .order_by(Survey.id)
    ).all()


def _answers(scope: Scope, survey_ids):
    return (
        select()
        .select_from(SurveyAnswer)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .join(SurveyItem, SurveyItem.id == SurveyAnswer.item_id)
        .where(
            SurveyResponse.survey_id.in_(list(survey_ids)),
            *scope.response_filter(),
            SurveyItem.module_id.is_not(None),
            SurveyItem.measure.in_(["need", "confidence"]),
            SurveyAnswer.value_num.is_not(None),
        )
    )


def module_needs(scope: Scope, surveys: list[Survey]) -> list[ModuleNeed]:
    """Per module in course order: mean need and confidence with CIs, and their 1-5 counts."""
    visible = [s.id for s in surveys if not is_suppressed(s, respondent_count(scope, s.id), scope)]
    if not visible:
        return []
    rows = db.session.execute(
        _answers(scope, visible)
        .add_columns(
            SurveyItem.module_id,
            SurveyItem.measure,
            SurveyAnswer.value_num,
            func.count().label("n"),
        )
        .group_by(SurveyItem.module_id, SurveyItem.measure, SurveyAnswer.value_num)
    ).all()
    cells: dict[int, dict[str, dict[float, int]]] = {}
    for r in rows:
        cells.setdefault(r.module_id, {}).setdefault(r.measure, {})[r.value_num] = r.n
    modules = db.session.execute(
        select(Module.id, Module.title).where(Module.id.in_(list(cells))).order_by(Module.position)
    ).all()
    result = []
    for m in modules:
        need, need_counts = _summary(cells[m.id].get("need", {}))
        confidence, confidence_counts = _summary(cells[m.id].get("confidence", {}))
        result.append(ModuleNeed(m.id, m.title, need, confidence, need_counts, confidence_counts))
    return result


def _summary(counts: dict[float, int]) -> tuple[stats.MeanCI, list[int]]:
    """Mean with CI from counts per answer 1-5, and the counts in order."""
    n = sum(counts.values())
    s1 = sum(v * c for v, c in counts.items())
    s2 = sum(v * v * c for v, c in counts.items())
    return stats.mean_ci(n, s1, s2), [counts.get(float(v), 0) for v in range(1, 6)]


@dataclass
class GroupNeeds:
    key: tuple
    label: str
    respondents: int
    #: module id -> (mean need, mean confidence), None where nobody in the group answered
    cells: dict[int, tuple[float | None, float | None]] = field(default_factory=dict)


def needs_by_group(scope: Scope, surveys: list[Survey], dimension: Dimension) -> list[GroupNeeds]:
    """Mean need and confidence per module for each region, work unit or position group.

    Only named surveys: anonymous responses have no user to break down by.
    """
    named = [s.id for s in surveys if not s.is_anonymous]
    if not named:
        return []
    columns = dimension.columns()
    rows = db.session.execute(
        _answers(scope, named)
        .add_columns(
            *columns,
            SurveyItem.module_id,
            SurveyItem.measure,
            func.count().label("n"),
            func.sum(SurveyAnswer.value_num).label("s1"),
        )
        .join(User, User.id == SurveyResponse.user_id)
        .group_by(*columns, SurveyItem.module_id, SurveyItem.measure)
    ).all()
    sizes = db.session.execute(
        select(*columns, func.count(SurveyResponse.id).label("n"))
        .join(User, User.id == SurveyResponse.user_id)
        .where(SurveyResponse.survey_id.in_(named), *scope.response_filter())
        .group_by(*columns)
    ).all()
    groups = {dimension.key_of(r): GroupNeeds(dimension.key_of(r), dimension.label_of(r), r.n) for r in sizes}
    for r in rows:
        group = groups.get(dimension.key_of(r))
        if group is None:
            continue
        need, confidence = group.cells.get(r.module_id, (None, None))
        value = r.s1 / r.n if r.n else None
        if r.measure == "need":
            need = value
        else:
            confidence = value
        group.cells[r.module_id] = (need, confidence)
    return sorted(groups.values(), key=lambda g: (-g.respondents, g.label))
