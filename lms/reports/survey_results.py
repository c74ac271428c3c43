"""Survey results item by item, from counts grouped by (item, matrix row, value).

One grouped query gives every distribution; means, SDs and NPS are computed from those counts.
Anonymous surveys are shown only when at least ``SURVEY_MIN_GROUP`` people answered in the
scope (a small group's anonymous answers could be traced back to someone), and never broken
down by region, work unit or position: their responses carry no user.

Answers (see ``lms.surveys.models.SurveyAnswer``): likert and matrix rows 1-5, rating10 0-10,
number the number, single/multiple the option's 0-based index (one row per chosen option),
text ``value_text``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, case, func, literal, select

from lms.extensions import db
from lms.surveys.models import (
    ItemType,
    Survey,
    SurveyAnswer,
    SurveyItem,
    SurveyResponse,
)

from . import stats
from .scope import Scope
from .settings import setting

NUMERIC = (ItemType.LIKERT, ItemType.RATING10, ItemType.NUMBER, ItemType.MATRIX)


@dataclass
class Bar:
    label: str
    count: int
    share: float | None  #: 0-1 of the item's respondents


@dataclass
class Distribution:
    """Answers to one item (or one matrix row)."""

    label: str
    n: int
    mean: stats.MeanCI | None  #: numeric items only
    bars: list[Bar]
    row_key: str = ""


@dataclass
class ItemResult:
    item_id: int
    key: str
    prompt: str
    itype: str
    section: str
    module_id: int | None
    measure: str | None
    respondents: int  #: responses that answered this item
    parts: list[Distribution] = field(default_factory=list)  #: one, or one per matrix row
    texts: int = 0  #: text answers given
    nps: stats.NPS | None = None  #: rating10 items


@dataclass
class SurveyResults:
    survey: Survey
    respondents: int
    suppressed: bool  #: anonymous and fewer than SURVEY_MIN_GROUP respondents
    items: list[ItemResult]


def survey_items(survey_id: int) -> list[SurveyItem]:
    return db.session.scalars(
        select(SurveyItem)
        .where(SurveyItem.survey_id == survey_id, SurveyItem.is_retired.is_(False))
        .order_by(SurveyItem.position)
    ).all()


def respondent_count(scope: Scope, survey_id: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(SurveyResponse)
        .where(SurveyResponse.survey_id == survey_id, *scope.response_filter())
    )


def is_suppressed(survey: Survey, respondents: int, scope: Scope | None = None) -> bool:
    """Whether an anonymous survey's results in ``scope`` must not be shown: fewer than
    ``SURVEY_MIN_GROUP`` respondents, or a difference with another scope shown would be a
    smaller group (see :func:`reveals_small_group`)."""
    if not survey.is_anonymous:
        return False
    k = setting("SURVEY_MIN_GROUP")
    return respondents < k or (scope is not None and reveals_small_group(scope, survey.id, k))


def reveals_small_group(scope: Scope, survey_id: int, k: int) -> bool:
    """True when this scope minus a scope that can be shown on its own leaves 1..k-1 people.

    - several cohorts: the scope minus the other cohorts' reports is one cohort, so every
      cohort inside must have no respondents or at least k;
    - a date range: the same cohorts without dates minus this report is the rest, so the
      respondents outside the dates must be none or at least k as well.
    One grouped query: per cohort, respondents in total and inside the date range.
    """
    date_clauses = scope.response_filter()[1:]  # the first clause is the cohorts
    inside = case((and_(*date_clauses), 1), else_=0) if date_clauses else literal(1)
    rows = db.session.execute(
        select(func.count(), func.sum(inside))
        .select_from(SurveyResponse)
        .where(SurveyResponse.survey_id == survey_id, SurveyResponse.cohort_id.in_(scope.cohort_ids))
        .group_by(SurveyResponse.cohort_id)
    ).all()
    several = len(scope.cohort_ids) > 1
    for total, within in rows:
        within = int(within or 0)
        if several and 0 < within < k:
            return True
        if date_clauses and 0 < total - within < k:
            return True
    return False


def _labels(item: SurveyItem) -> list[tuple[float, str]]:
    """The possible values of a closed item and their labels, in order."""
    spec = item.spec or {}
    if item.itype in (ItemType.LIKERT, ItemType.MATRIX):
        labels = spec.get("labels") or []
        return [(v, f"{v} {labels[v - 1]}" if len(labels) == 5 else str(v)) for v in range(1, 6)]
    if item.itype == ItemType.RATING10:
        return [(v, str(v)) for v in range(11)]
    if item.itype in (ItemType.SINGLE, ItemType.MULTIPLE):
        return list(enumerate(spec.get("options") or []))
    return []


def _distribution(item: SurveyItem, label: str, counts: dict, answered: int, row_key="") -> Distribution:
    values = _labels(item)
    n = sum(counts.values())
    if values:
        bars = [
            Bar(text, counts.get(value, 0), counts.get(value, 0) / answered if answered else None)
            for value, text in values
        ]
    else:
        bars = []
    mean = None
    if item.itype in NUMERIC:
        s1 = sum(v * c for v, c in counts.items())
        s2 = sum(v * v * c for v, c in counts.items())
        mean = stats.mean_ci(n, s1, s2)
    return Distribution(label=label, n=n, mean=mean, bars=bars, row_key=row_key)


def survey_results(scope: Scope, survey: Survey) -> SurveyResults:
    """Every current item's distribution (and mean, NPS) over the responses in scope."""
    respondents = respondent_count(scope, survey.id)
    if is_suppressed(survey, respondents, scope):
        return SurveyResults(survey, respondents, True, [])
    in_scope = (
        select(SurveyResponse.id).where(SurveyResponse.survey_id == survey.id, *scope.response_filter())
    ).subquery()
    base = select().select_from(SurveyAnswer).join(in_scope, in_scope.c.id == SurveyAnswer.response_id)
    counts = db.session.execute(
        base.add_columns(
            SurveyAnswer.item_id,
            SurveyAnswer.row_key,
            SurveyAnswer.value_num,
            func.count().label("n"),
        )
        .where(SurveyAnswer.value_num.is_not(None))
        .group_by(SurveyAnswer.item_id, SurveyAnswer.row_key, SurveyAnswer.value_num)
    ).all()
    answered = dict(
        db.session.execute(
            base.add_columns(SurveyAnswer.item_id, func.count(func.distinct(SurveyAnswer.response_id))).group_by(
                SurveyAnswer.item_id
            )
        ).all()
    )
    texts = dict(
        db.session.execute(
            base.add_columns(SurveyAnswer.item_id, func.count())
            .where(SurveyAnswer.value_text.is_not(None), SurveyAnswer.value_text != "")
            .group_by(SurveyAnswer.item_id)
        ).all()
    )
    by_item: dict[int, dict[str, dict[float, int]]] = {}
    for row in counts:
        by_item.setdefault(row.item_id, {}).setdefault(row.row_key or "", {})[row.value_num] = row.n
    results = []
    for item in survey_items(survey.id):
        cells = by_item.get(item.id, {})
        n_item = answered.get(item.id, 0)
        result = ItemResult(
            item_id=item.id,
            key=item.key,
            prompt=item.prompt,
            itype=str(item.itype),
            section=item.section,
            module_id=item.module_id,
            measure=item.measure,
            respondents=n_item,
        )
        if item.itype == ItemType.MATRIX:
            for row in (item.spec or {}).get("rows") or []:
                row_counts = cells.get(row["id"], {})
                result.parts.append(_distribution(item, row["label"], row_counts, sum(row_counts.values()), row["id"]))
        elif item.itype == ItemType.TEXT:
            result.texts = texts.get(item.id, 0)
        else:
            flat: dict[float, int] = {}
            for part in cells.values():
                for value, c in part.items():
                    flat[value] = flat.get(value, 0) + c
            result.parts.append(_distribution(item, item.prompt, flat, n_item))
            if item.itype == ItemType.RATING10:
                total = sum(flat.values())
                promoters = sum(c for v, c in flat.items() if v >= 9)
                detractors = sum(c for v, c in flat.items() if v <= 6)
                result.nps = stats.nps(total, promoters, detractors)
        results.append(result)
    return SurveyResults(survey, respondents, False, results)


def course_surveys(course_id: int, kinds) -> list[Survey]:
    return db.session.scalars(
        select(Survey)
        .where(
            Survey.course_id == course_id,
            Survey.kind.in_(list(kinds)),
            Survey.is_retired.is_(False),
        )
        .order_by(Survey.id)
    ).all()


@dataclass
class TextAnswer:
    answer_id: int
    survey_title: str
    prompt: str
    text: str


def text_answers(
    scope: Scope,
    surveys: list[Survey],
    item_id: int | None = None,
    search: str = "",
    limit: int | None = None,
    offset: int = 0,
) -> tuple[int, list[TextAnswer]]:
    """Text answers (comments, open answers) in scope, filtered by item and a search word.

    Suppressed anonymous surveys contribute nothing. Answers are listed without names or days.
    :returns: how many match, and the requested page of them.
    """
    visible = [s.id for s in surveys if not is_suppressed(s, respondent_count(scope, s.id), scope)]
    if not visible:
        return 0, []
    where = [
        SurveyResponse.survey_id.in_(visible),
        *scope.response_filter(),
        SurveyItem.itype == ItemType.TEXT,
        SurveyAnswer.value_text.is_not(None),
        SurveyAnswer.value_text != "",
    ]
    if item_id:
        where.append(SurveyAnswer.item_id == item_id)
    if search:
        escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(SurveyAnswer.value_text.ilike(f"%{escaped}%", escape="\\"))
    joined = (
        select()
        .select_from(SurveyAnswer)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .join(SurveyItem, SurveyItem.id == SurveyAnswer.item_id)
        .join(Survey, Survey.id == SurveyResponse.survey_id)
        .where(*where)
    )
    total = db.session.scalar(joined.add_columns(func.count()))
    query = (
        joined.add_columns(SurveyAnswer.id, Survey.title, SurveyItem.prompt, SurveyAnswer.value_text)
        .order_by(Survey.id, SurveyItem.position, SurveyAnswer.id)
        .offset(offset)
    )
    if limit:
        query = query.limit(limit)
    return total, [TextAnswer(r.id, r.title, r.prompt, r.value_text) for r in db.session.execute(query)]
