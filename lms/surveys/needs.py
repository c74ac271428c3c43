"""The needs survey (培训需求调研): recommended modules for a trainee, demand per module.

Needs items map to a module (``SurveyItem.module_id``) and measure either the trainee's
*need* for it (1 = not needed .. 5 = much needed) or their *confidence* in it (1 = none ..
5 = full).
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import Float, and_, case, cast, func, select

from lms.cohorts.models import Cohort
from lms.extensions import db
from lms.learning.models import Module

from .models import Survey, SurveyAnswer, SurveyItem, SurveyKind, SurveyResponse

#: the rule: a module is recommended when the need rating is at least this ...
NEED_AT_LEAST = 4
#: ... or the confidence rating at most this
CONFIDENCE_AT_MOST = 2


def recommended_module_ids(user_id: int, course_id: int) -> list[int]:
    """Modules to recommend from the trainee's latest needs-survey response in this course.

    Rule: a module is recommended when the trainee rated their *need* for it at least 4 (of
    5) or their *confidence* in it at most 2. Ordered by need, highest first (modules with
    only a confidence rating after those with a need rating), then by confidence, lowest
    first, then by the module's position. Only named needs surveys can recommend anything:
    an anonymous response is not linked to the trainee. Retired modules are left out.
    """
    latest = (
        select(SurveyResponse.id)
        .join(Survey, Survey.id == SurveyResponse.survey_id)
        .where(
            SurveyResponse.user_id == user_id,
            Survey.course_id == course_id,
            Survey.kind == SurveyKind.NEEDS,
        )
        .order_by(
            func.coalesce(SurveyResponse.updated_at, SurveyResponse.submitted_at).desc(),
            SurveyResponse.submitted_on.desc(),
        )
        .limit(1)
        .scalar_subquery()
    )
    need = func.max(case((SurveyItem.measure == "need", SurveyAnswer.value_num)))
    confidence = func.min(case((SurveyItem.measure == "confidence", SurveyAnswer.value_num)))
    rows = db.session.execute(
        select(SurveyItem.module_id)
        .join(SurveyAnswer, SurveyAnswer.item_id == SurveyItem.id)
        .join(Module, Module.id == SurveyItem.module_id)
        .where(
            SurveyAnswer.response_id == latest,
            SurveyItem.measure.is_not(None),
            Module.is_retired.is_(False),
        )
        .group_by(SurveyItem.module_id, Module.position)
        .having((need >= NEED_AT_LEAST) | (confidence <= CONFIDENCE_AT_MOST))
        .order_by(need.is_(None), need.desc(), confidence.asc(), Module.position)
    ).all()
    return [row.module_id for row in rows]


def recommended_modules(user_id: int, course_id: int) -> list[Module]:
    """The recommended modules themselves, in the same order."""
    ids = recommended_module_ids(user_id, course_id)
    if not ids:
        return []
    by_id = {m.id: m for m in db.session.scalars(select(Module).where(Module.id.in_(ids)))}
    return [by_id[i] for i in ids]


def module_demand(cohort_id: int) -> list[tuple[int, int, float | None, float | None]]:
    """Demand per module in a cohort from its needs survey, for reports: one SQL aggregate.

    :returns: ``(module_id, n, mean_need, mean_confidence)`` in module order, where ``n`` is
        the number of responses that rated the module at all. For an anonymous needs survey,
        modules rated by fewer than ``SURVEY_MIN_GROUP`` respondents are left out.
    """
    anonymous_min = current_app.config["SURVEY_MIN_GROUP"]
    n = func.count(func.distinct(SurveyResponse.id))
    rows = db.session.execute(
        select(
            SurveyItem.module_id,
            n.label("n"),
            func.avg(case((SurveyItem.measure == "need", cast(SurveyAnswer.value_num, Float)))),
            func.avg(case((SurveyItem.measure == "confidence", cast(SurveyAnswer.value_num, Float)))),
        )
        .select_from(SurveyAnswer)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .join(SurveyItem, SurveyItem.id == SurveyAnswer.item_id)
        .join(Survey, Survey.id == SurveyResponse.survey_id)
        .join(Cohort, and_(Cohort.id == SurveyResponse.cohort_id, Cohort.course_id == Survey.course_id))
        .join(Module, Module.id == SurveyItem.module_id)
        .where(
            SurveyResponse.cohort_id == cohort_id,
            Survey.kind == SurveyKind.NEEDS,
            SurveyItem.measure.is_not(None),
        )
        .group_by(SurveyItem.module_id, Module.position, Survey.is_anonymous)
        .having((Survey.is_anonymous.is_(False)) | (n >= anonymous_min))
        .order_by(Module.position)
    ).all()
    return [(r[0], r[1], _round(r[2]), _round(r[3])) for r in rows]


def _round(value) -> float | None:
    return None if value is None else round(float(value), 2)
