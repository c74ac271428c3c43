"""Reaction (Kirkpatrick level 1): satisfaction as evaluation practice reports it.

Every figure is a mean over people, never over a pool of answers:

- **the headline** is the course feedback's overall item, its first 1-5 (likert) item that is
  not about a module (e.g. "您对本次培训的总体满意程度"): one answer per respondent;
- **a dimension** is a matrix item (e.g. 培训内容 with its five statements): each respondent's
  score is the mean of the statements they rated, and the dimension's score is the mean of
  those scores, n = respondents;
- **a module** is rated from two sources kept apart, since anonymous forms cannot be joined to
  one person: the module-feedback form answered after the module (``SurveyResponse.module_id``,
  each respondent's mean of its 1-5 items) and the course feedback's items about the module
  (``SurveyItem.module_id``). The module form is the module's satisfaction where it has
  answers in scope; the course feedback's rating is shown beside it (and used where it has none).
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
from .survey_results import is_suppressed, respondent_count, survey_items

FEEDBACK_KINDS = (SurveyKind.FEEDBACK, SurveyKind.MODULE_FEEDBACK)


def _module_of_answer():
    """The module an answer is about: its item's module, else the response's (module form)."""
    return func.coalesce(SurveyItem.module_id, SurveyResponse.module_id)


# -- Modules ---------------------------------------------------------------------------------


@dataclass
class Rating:
    """One source's rating of a module: the mean over respondents of each one's mean."""

    respondents: int
    score: stats.MeanCI  #: n = respondents
    counts: list[int]  #: the individual answers 1..5 (a respondent may give several)
    suppressed: bool  #: anonymous answers from fewer than SURVEY_MIN_GROUP people


@dataclass
class Satisfaction:
    module_id: int
    title: str
    form: Rating | None  #: the module-feedback form about this module
    course_item: Rating | None  #: the course feedback's items about this module

    @property
    def main(self) -> Rating:
        """The module form where it can be shown, else the course feedback's rating."""
        shown = [r for r in (self.form, self.course_item) if r is not None and not r.suppressed]
        return (shown or [r for r in (self.form, self.course_item) if r is not None])[0]

    @property
    def from_form(self) -> bool:
        return self.main is self.form

    @property
    def respondents(self) -> int:
        return self.main.respondents

    @property
    def score(self) -> stats.MeanCI:
        return self.main.score

    @property
    def counts(self) -> list[int]:
        return self.main.counts

    @property
    def suppressed(self) -> bool:
        return self.main.suppressed

    @property
    def low(self) -> bool:
        mean = self.score.mean
        return not self.suppressed and mean is not None and mean < setting("REPORTS_SATISFACTION_LOW")


def module_satisfaction(scope: Scope, module_ids=None) -> list[Satisfaction]:
    """Per module in course order: each source's per-respondent mean with CI, respondents and
    answer counts. Two grouped queries, whatever the number of modules."""
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
    source = Survey.kind.label("source")
    counts = db.session.execute(
        joined.add_columns(source, module, SurveyAnswer.value_num, func.count().label("n")).group_by(
            Survey.kind, module, SurveyAnswer.value_num
        )
    ).all()
    person = joined.add_columns(
        source,
        module,
        func.avg(SurveyAnswer.value_num).label("score"),
        cast(Survey.is_anonymous, Integer).label("anonymous"),
    ).group_by(Survey.kind, module, SurveyResponse.id, Survey.is_anonymous)
    person = person.subquery()
    people = db.session.execute(
        select(
            person.c.source,
            person.c.module_id,
            func.count().label("respondents"),
            func.sum(person.c.score).label("s1"),
            func.sum(person.c.score * person.c.score).label("s2"),
            func.max(person.c.anonymous).label("anonymous"),
        ).group_by(person.c.source, person.c.module_id)
    ).all()
    cells: dict[tuple, dict[float, int]] = {}
    for r in counts:
        cells.setdefault((SurveyKind(r.source), r.module_id), {})[r.value_num] = r.n
    minimum = setting("SURVEY_MIN_GROUP")
    ratings: dict[int, dict[SurveyKind, Rating]] = {}
    for r in people:
        suppressed = bool(r.anonymous) and r.respondents < minimum
        kind = SurveyKind(r.source)
        c = cells.get((kind, r.module_id), {})
        score = stats.mean_ci(r.respondents, r.s1, r.s2)
        if suppressed:
            score, c = stats.MeanCI(r.respondents, None, None, None, None), {}
        ratings.setdefault(r.module_id, {})[kind] = Rating(
            r.respondents, score, [c.get(float(v), 0) for v in range(1, 6)], suppressed
        )
    modules = db.session.execute(
        select(Module.id, Module.title).where(Module.id.in_(list(ratings))).order_by(Module.position)
    ).all()
    return [
        Satisfaction(
            m.id,
            m.title,
            ratings[m.id].get(SurveyKind.MODULE_FEEDBACK),
            ratings[m.id].get(SurveyKind.FEEDBACK),
        )
        for m in modules
    ]


# -- The course ------------------------------------------------------------------------------


@dataclass
class Dimension:
    """A matrix item of the course feedback, scored per respondent."""

    item_id: int
    prompt: str
    statements: int  #: the matrix's rows
    score: stats.MeanCI  #: mean of each respondent's mean of the rows; n = respondents


@dataclass
class CourseSatisfaction:
    survey: Survey
    respondents: int  #: responses to the course feedback in scope
    overall_prompt: str | None  #: the overall item's question, None if the survey has none
    overall: stats.MeanCI | None  #: n = respondents who answered it
    dimensions: list[Dimension]


def course_satisfaction(scope: Scope) -> CourseSatisfaction | None:
    """The headline and the dimensions from the course feedback survey (the first one that can
    be shown in scope), or None when there is none or its anonymous answers are hidden."""
    surveys = db.session.scalars(
        select(Survey)
        .where(Survey.course_id == scope.course_id, Survey.kind == SurveyKind.FEEDBACK)
        .order_by(Survey.id)
    ).all()
    for survey in surveys:
        respondents = respondent_count(scope, survey.id)
        if respondents and not is_suppressed(survey, respondents, scope):
            return _course_figures(scope, survey, respondents)
    return None


def _course_figures(scope: Scope, survey: Survey, respondents: int) -> CourseSatisfaction:
    items = survey_items(survey.id)
    overall = next((i for i in items if i.itype == ItemType.LIKERT and i.module_id is None), None)
    matrices = [i for i in items if i.itype == ItemType.MATRIX]
    wanted = [i.id for i in matrices] + ([overall.id] if overall else [])
    scores: dict[int, stats.MeanCI] = {}
    if wanted:
        person = (
            select(SurveyAnswer.item_id, func.avg(SurveyAnswer.value_num).label("score"))
            .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
            .where(
                SurveyResponse.survey_id == survey.id,
                *scope.response_filter(),
                SurveyAnswer.item_id.in_(wanted),
                SurveyAnswer.value_num.is_not(None),
            )
            .group_by(SurveyAnswer.item_id, SurveyAnswer.response_id)
            .subquery()
        )
        rows = db.session.execute(
            select(
                person.c.item_id,
                func.count(),
                func.sum(person.c.score),
                func.sum(person.c.score * person.c.score),
            ).group_by(person.c.item_id)
        ).all()
        scores = {item_id: stats.mean_ci(n, s1, s2) for item_id, n, s1, s2 in rows}
    empty = stats.MeanCI(0, None, None, None, None)
    return CourseSatisfaction(
        survey=survey,
        respondents=respondents,
        overall_prompt=overall.prompt if overall else None,
        overall=scores.get(overall.id, empty) if overall else None,
        dimensions=[
            Dimension(i.id, i.prompt, len((i.spec or {}).get("rows") or []), scores.get(i.id, empty)) for i in matrices
        ],
    )


def overall_satisfaction(scope: Scope) -> stats.MeanCI | None:
    """The course feedback's overall item over its respondents (None when hidden or absent)."""
    found = course_satisfaction(scope)
    return found.overall if found else None


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
