"""Results of a survey in a cohort: response rate, distributions, means and open answers.

Every figure is a SQL aggregate (GROUP BY) over the answer rows; Python only arranges the
aggregated rows for the page. Anonymous surveys: a group (the cohort, or one module of the
module-feedback survey) with fewer than ``SURVEY_MIN_GROUP`` respondents shows nothing but
its count, and open answers are listed in the order of the responses' random ids.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Float, cast, func, select

from lms.auth.models import User
from lms.cohorts.models import Cohort, Enrolment, EnrolmentStatus
from lms.extensions import db
from lms.learning.models import Module

from .answers import format_number, matrix_rows, options, scale
from .models import (
    ItemType,
    Survey,
    SurveyAnswer,
    SurveyItem,
    SurveyKind,
    SurveyParticipation,
    SurveyResponse,
)
from .service import course_modules, current_items

SCALE_TYPES = (ItemType.LIKERT, ItemType.RATING10, ItemType.MATRIX)
CHOICE_TYPES = (ItemType.SINGLE, ItemType.MULTIPLE)


@dataclass
class Bar:
    label: str
    count: int
    percent: float  #: of the item's (or row's) respondents


@dataclass
class Stats:
    """One item, or one row of a matrix."""

    label: str
    n: int = 0  #: respondents who answered it
    mean: float | None = None
    low: float | None = None
    high: float | None = None
    bars: list[Bar] = field(default_factory=list)


@dataclass
class ItemResult:
    item: SurveyItem
    stats: Stats  #: the item as a whole (for a matrix: respondents who rated any row)
    rows: list[Stats] = field(default_factory=list)  #: matrix rows
    nps: float | None = None  #: rating10: % promoters (9-10) - % detractors (0-6)
    texts: list[tuple[str, str]] = field(default_factory=list)  #: (respondent or "", text)


@dataclass
class ModuleRow:
    """The module-feedback survey, one module: respondents and each scale item's mean."""

    module: Module
    n: int
    hidden: bool
    means: dict[int, float | None] = field(default_factory=dict)  #: item id -> mean


@dataclass
class Results:
    survey: Survey
    cohort: Cohort
    module: Module | None  #: module feedback: one module, or None for all modules
    members: int  #: active members of the cohort
    participants: int  #: trainees who submitted (participation rows)
    respondents: int  #: responses in this group
    min_group: int
    hidden: bool  #: anonymous and too few respondents: only the counts are shown
    items: list[ItemResult] = field(default_factory=list)
    modules: list[ModuleRow] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        return round(100 * self.participants / self.members, 1) if self.members else None

    def sections(self) -> list[tuple[str, list[ItemResult]]]:
        grouped: list[tuple[str, list[ItemResult]]] = []
        for result in self.items:
            if not grouped or grouped[-1][0] != result.item.section:
                grouped.append((result.item.section, []))
            grouped[-1][1].append(result)
        return grouped


def _scope(query, survey: Survey, cohort: Cohort, module: Module | None):
    query = query.where(SurveyResponse.survey_id == survey.id, SurveyResponse.cohort_id == cohort.id)
    if module is not None:
        query = query.where(SurveyResponse.module_id == module.id)
    return query


def _round(value, digits: int = 2) -> float | None:
    return None if value is None else round(float(value), digits)


def member_count(cohort: Cohort) -> int:
    return db.session.scalar(
        select(func.count(Enrolment.id)).where(
            Enrolment.cohort_id == cohort.id, Enrolment.status == EnrolmentStatus.ACTIVE
        )
    )


def _participant_count(survey: Survey, cohort: Cohort, module: Module | None) -> int:
    query = select(func.count(SurveyParticipation.id)).where(
        SurveyParticipation.survey_id == survey.id, SurveyParticipation.cohort_id == cohort.id
    )
    if module is not None:
        query = query.where(SurveyParticipation.module_id == module.id)
    return db.session.scalar(query)


def survey_results(survey: Survey, cohort: Cohort, module: Module | None = None) -> Results:
    """Everything the results page and the exports show, for one cohort (and module)."""
    min_group = current_app.config["SURVEY_MIN_GROUP"]
    respondents = db.session.scalar(_scope(select(func.count(SurveyResponse.id)), survey, cohort, module))
    results = Results(
        survey=survey,
        cohort=cohort,
        module=module,
        members=member_count(cohort),
        participants=_participant_count(survey, cohort, module),
        respondents=respondents,
        min_group=min_group,
        hidden=survey.is_anonymous and respondents < min_group,
    )
    if survey.kind == SurveyKind.MODULE_FEEDBACK and module is None:
        results.modules = _module_breakdown(survey, cohort, min_group)
        # The whole-survey figures minus the modules shown would reveal the hidden modules'
        # answers; show them only when those add up to nothing or to a large enough group.
        hidden_rest = sum(row.n for row in results.modules if row.hidden)
        if survey.is_anonymous and 0 < hidden_rest < min_group:
            results.hidden = True
    if not results.hidden:
        results.items = _item_results(survey, cohort, module)
    return results


def _item_results(survey: Survey, cohort: Cohort, module: Module | None) -> list[ItemResult]:
    items = current_items(survey)
    answers = SurveyAnswer.__table__

    def base(*columns):
        """SELECT columns FROM the group's answers (joined to their responses)."""
        query = select(*columns).select_from(answers)
        query = query.join(SurveyResponse, SurveyResponse.id == answers.c.response_id)
        return _scope(query, survey, cohort, module)

    # Distribution: one row per (item, matrix row, value) with its count.
    counts = db.session.execute(
        base(answers.c.item_id, answers.c.row_key, answers.c.value_num, func.count())
        .where(answers.c.value_num.is_not(None))
        .group_by(answers.c.item_id, answers.c.row_key, answers.c.value_num)
    ).all()
    # Per item and matrix row: respondents, mean, lowest and highest value.
    stats = db.session.execute(
        base(
            answers.c.item_id,
            answers.c.row_key,
            func.count(func.distinct(answers.c.response_id)),
            func.avg(cast(answers.c.value_num, Float)),
            func.min(answers.c.value_num),
            func.max(answers.c.value_num),
        ).group_by(answers.c.item_id, answers.c.row_key)
    ).all()
    # Per item: respondents who answered any part of it (matrix, multiple choice).
    per_item = dict(
        db.session.execute(
            base(answers.c.item_id, func.count(func.distinct(answers.c.response_id))).group_by(answers.c.item_id)
        ).all()
    )
    text_items = [i.id for i in items if i.itype == ItemType.TEXT]
    texts = []
    if text_items:
        texts = db.session.execute(
            base(answers.c.item_id, answers.c.value_text, User.name)
            .outerjoin(User, User.id == SurveyResponse.user_id)
            .where(answers.c.item_id.in_(text_items), answers.c.value_text != "")
            .order_by(SurveyResponse.id, answers.c.id)  # random ids: no submission order
        ).all()

    count_of: dict[tuple, int] = {(r[0], r[1], float(r[2])): r[3] for r in counts}
    stats_of = {(r[0], r[1]): r for r in stats}
    texts_of: dict[int, list] = defaultdict(list)
    for item_id, text, name in texts:
        texts_of[item_id].append(("" if survey.is_anonymous else (name or ""), text))

    def make_stats(item: SurveyItem, row_key: str, label: str, n_total: int) -> Stats:
        row = stats_of.get((item.id, row_key))
        result = Stats(label=label, n=n_total)
        if row is not None and item.itype not in CHOICE_TYPES:
            result.mean, result.low, result.high = _round(row[3]), row[4], row[5]
        if item.itype in SCALE_TYPES:
            labels = item.spec.get("labels") or []
            for value in scale(item):
                text = str(value)
                if labels and item.itype != ItemType.RATING10:
                    text = f"{value} {labels[value - 1]}"
                c = count_of.get((item.id, row_key, float(value)), 0)
                result.bars.append(Bar(text, c, _percent(c, n_total)))
        elif item.itype in CHOICE_TYPES:
            for index, option in enumerate(options(item)):
                c = count_of.get((item.id, row_key, float(index)), 0)
                result.bars.append(Bar(option, c, _percent(c, n_total)))
        return result

    results = []
    for item in items:
        n = per_item.get(item.id, 0)
        result = ItemResult(item=item, stats=make_stats(item, "", item.prompt, n))
        if item.itype == ItemType.MATRIX:
            result.stats = Stats(label=item.prompt, n=n)
            for row in matrix_rows(item):
                row_n = stats_of[(item.id, row["id"])][2] if (item.id, row["id"]) in stats_of else 0
                result.rows.append(make_stats(item, row["id"], row["label"], row_n))
        if item.itype == ItemType.RATING10 and n:
            promoters = sum(count_of.get((item.id, "", float(v)), 0) for v in (9, 10))
            detractors = sum(count_of.get((item.id, "", float(v)), 0) for v in range(7))
            result.nps = round(100 * (promoters - detractors) / n, 1)
        result.texts = texts_of.get(item.id, [])
        results.append(result)
    return results


def _percent(count: int, total: int) -> float:
    return round(100 * count / total, 1) if total else 0.0


def _module_breakdown(survey: Survey, cohort: Cohort, min_group: int) -> list[ModuleRow]:
    """Respondents and scale means per module, in two GROUP BY queries."""
    n_of = dict(
        db.session.execute(
            select(SurveyResponse.module_id, func.count(SurveyResponse.id))
            .where(SurveyResponse.survey_id == survey.id, SurveyResponse.cohort_id == cohort.id)
            .group_by(SurveyResponse.module_id)
        ).all()
    )
    means = db.session.execute(
        select(SurveyResponse.module_id, SurveyAnswer.item_id, func.avg(cast(SurveyAnswer.value_num, Float)))
        .join(SurveyAnswer, SurveyAnswer.response_id == SurveyResponse.id)
        .join(SurveyItem, SurveyItem.id == SurveyAnswer.item_id)
        .where(
            SurveyResponse.survey_id == survey.id,
            SurveyResponse.cohort_id == cohort.id,
            SurveyItem.itype.in_([ItemType.LIKERT, ItemType.RATING10]),
        )
        .group_by(SurveyResponse.module_id, SurveyAnswer.item_id)
    ).all()
    mean_of: dict[int, dict[int, float | None]] = defaultdict(dict)
    for module_id, item_id, mean in means:
        mean_of[module_id][item_id] = _round(mean)
    rows = []
    for module in course_modules(cohort.course_id):
        n = n_of.get(module.id, 0)
        hidden = survey.is_anonymous and 0 < n < min_group
        rows.append(ModuleRow(module, n, hidden, {} if hidden else mean_of.get(module.id, {})))
    return rows


# -- exports -------------------------------------------------------------------------------


def export_headings() -> list[str]:
    return [
        _("Section"),
        _("Question"),
        _("Sub-item"),
        _("Answer"),
        _("Respondents"),
        _("Count"),
        _("Percent"),
        _("Mean"),
        _("Respondent"),
        _("Open answer"),
    ]


def export_rows(results: Results) -> list[list]:
    """The results as one table: a line per value counted, per mean, per open answer."""
    rows: list[list] = [
        ["", _("Members"), "", "", results.members, "", "", "", "", ""],
        ["", _("Submitted"), "", "", results.participants, "", results.rate, "", "", ""],
    ]
    for r in results.items:
        item = r.item
        parts = r.rows if item.itype == ItemType.MATRIX else [r.stats]
        for part in parts:
            row_label = part.label if item.itype == ItemType.MATRIX else ""
            mean = "" if part.mean is None else part.mean
            if item.itype in (ItemType.NUMBER,) or (item.itype in SCALE_TYPES):
                rows.append([item.section, item.prompt, row_label, _("Mean"), part.n, "", "", mean, "", ""])
            for bar in part.bars:
                rows.append(
                    [item.section, item.prompt, row_label, bar.label, part.n, bar.count, bar.percent, "", "", ""]
                )
        if r.nps is not None:
            rows.append([item.section, item.prompt, "", "NPS", r.stats.n, "", "", r.nps, "", ""])
        for name, text in r.texts:
            rows.append([item.section, item.prompt, "", "", "", "", "", "", name, text])
    return rows


def format_value(value) -> str:
    return "" if value is None else format_number(value)
