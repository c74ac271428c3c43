"""Reaction (Kirkpatrick level 1): satisfaction per module and the would-recommend score.

A module's satisfaction is the mean of the 1-5 (likert) answers about it in the feedback
surveys: items tied to the module (``SurveyItem.module_id``, e.g. "module N helped my work")
and, where the surveys domain records which module a module-feedback form was about
(``SurveyResponse.module_id``), every likert item of that form.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Integer, case, cast, func, select

from lms.extensions import db
from lms.learning.models import Module
from lms.surveys.models import (
    ItemType,
    Survey,
    SurveyAnswer,
    SurveyItem,
    SurveyKind,
    SurveyResponse,
)

from . import stats
from .scope import Scope
from .settings import setting
from .survey_results import is_suppressed, respondent_count

FEEDBACK_KINDS = (SurveyKind.FEEDBACK, SurveyKind.MODULE_FEEDBACK)


def _module_of_answer():
    """The module an answer is about: its item's module, else the response's (if recorded)."""
    response_module = getattr(SurveyResponse, "module_id", None)
    if response_module is None:
        return SurveyItem.module_id
    return func.coalesce(SurveyItem.module_id, response_module)


@dataclass
class Satisfaction:
    module_id: int
    title: str
    respondents: int
    score: stats.MeanCI
    counts: list[int]  #: answers 1..5
    suppressed: bool  #: anonymous answers from fewer than SURVEY_MIN_GROUP people

    @property
    def low(self) -> bool:
        mean = self.score.mean
        return not self.suppressed and mean is not None and mean < setting("REPORTS_SATISFACTION_LOW")


def module_satisfaction(scope: Scope, module_ids=None) -> list[Satisfaction]:
    """Per module in course order: mean likert answer with CI, counts and respondents."""
    module = _module_of_answer().label("module_id")
    where = [
        Survey.course_id == scope.course_id,
        Survey.kind.in_(FEEDBACK_KINDS),
        *scope.response_filter(),
        SurveyItem.itype == ItemType.LIKERT,
        SurveyAnswer.value_num.is_not(None),
        module.is_not(None),
    ]
    if module_ids is not None:
        where.append(module.in_(list(module_ids)))
    joined = (
        select()
        .select_from(SurveyAnswer)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .join(Survey, Survey.id == SurveyResponse.survey_id)
        .join(SurveyItem, SurveyItem.id == SurveyAnswer.item_id)
        .where(*where)
    )
    counts = db.session.execute(
        joined.add_columns(module, SurveyAnswer.value_num, func.count().label("n")).group_by(
            module, SurveyAnswer.value_num
        )
    ).all()
    people = db.session.execute(
        joined.add_columns(
            module,
            func.count(func.distinct(SurveyResponse.id)).label("respondents"),
            func.max(cast(Survey.is_anonymous, Integer)).label("anonymous"),
        ).group_by(module)
    ).all()
    cells: dict[int, dict[float, int]] = {}
    for r in counts:
        cells.setdefault(r.module_id, {})[r.value_num] = r.n
    who = {r.module_id: r for r in people}
    modules = db.session.execute(
        select(Module.id, Module.title).where(Module.id.in_(list(cells))).order_by(Module.position)
    ).all()
    minimum = setting("SURVEY_MIN_GROUP")
    result = []
    for m in modules:
        c = cells[m.id]
        respondents = who[m.id].respondents
        suppressed = bool(who[m.id].anonymous) and respondents < minimum
        n = sum(c.values())
        score = stats.mean_ci(n, sum(v * k for v, k in c.items()), sum(v * v * k for v, k in c.items()))
        if suppressed:
            score, c = stats.MeanCI(n, None, None, None, None), {}
        result.append(
            Satisfaction(
                m.id,
                m.title,
                respondents,
                score,
                [c.get(float(v), 0) for v in range(1, 6)],
                suppressed,
            )
        )
    return result


def overall_satisfaction(scope: Scope) -> stats.MeanCI | None:
    """The mean of every 1-5 answer in the course feedback survey (None when suppressed)."""
    surveys = db.session.scalars(
        select(Survey).where(Survey.course_id == scope.course_id, Survey.kind == SurveyKind.FEEDBACK)
    ).all()
    if not surveys:
        return None
    visible = [s.id for s in surveys if not is_suppressed(s, respondent_count(scope, s.id), scope)]
    if not visible:
        return None
    value = SurveyAnswer.value_num
    row = db.session.execute(
        select(func.count(value), func.sum(value), func.sum(value * value))
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .join(SurveyItem, SurveyItem.id == SurveyAnswer.item_id)
        .where(
            SurveyResponse.survey_id.in_(visible),
            *scope.response_filter(),
            SurveyItem.itype.in_([ItemType.LIKERT, ItemType.MATRIX]),
            value.is_not(None),
        )
    ).one()
    return stats.mean_ci(row[0], row[1], row[2])


def course_nps(scope: Scope) -> stats.NPS | None:
    """Would-recommend score from the rating10 items of the course feedback (None if hidden)."""
    surveys = db.session.scalars(
        select(Survey).where(Survey.course_id == scope.course_id, Survey.kind == SurveyKind.FEEDBACK)
    ).all()
    visible = [s.id for s in surveys if not is_suppressed(s, respondent_count(scope, s.id), scope)]
    if not visible:
        return None
    value = SurveyAnswer.value_num
    row = db.session.execute(
        select(
            func.count(value),
            func.sum(case((value >= 9, 1), else_=0)),
            func.sum(case((value <= 6, 1), else_=0)),
        )
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .join(SurveyItem, SurveyItem.id == SurveyAnswer.item_id)
        .where(
            SurveyResponse.survey_id.in_(visible),
            *scope.response_filter(),
            SurveyItem.itype == ItemType.RATING10,
            value.is_not(None),
        )
    ).one()
    return stats.nps(row[0], row[1], row[2])
