"""What each report page shows, computed once for the page and for its table downloads.

A page function takes a :class:`ReportContext` (the cohort, the scope the filters give, the
viewer) and returns the template's variables, with every table under ``tables``; the export
route calls the same function and downloads one of those tables, so a download always matches
what the page showed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import abort
from flask_babel import gettext as _
from sqlalchemy import select

from lms.assessment.models import Quiz, QuizKind
from lms.auth.models import User
from lms.cohorts.models import Cohort
from lms.extensions import db
from lms.learning.models import Module
from lms.surveys.models import SurveyKind

from . import svg, tables
from .breakdown import Dimension
from .funnel import funnel
from .health import module_health
from .hours import hours_by_user
from .items import item_analysis, lesson_keys, quizzes_of_course
from .learning import (
    gain_by_group,
    gain_by_module,
    gain_by_trainee,
    gain_histogram,
    gain_overall,
    pre_post_quizzes,
    quiz_scores,
)
from .needs import module_needs, needs_by_group, needs_surveys
from .progress import inactive_trainees, module_progress, trainee_progress
from .reaction import (
    FEEDBACK_KINDS,
    course_nps,
    course_satisfaction,
    module_satisfaction,
    overall_satisfaction,
)
from .scope import Scope
from .survey_results import course_surveys, survey_results, text_answers
from .tables import CohortFigures

#: rows a page shows of a long table (the download has them all)
PAGE_ROWS = 100


@dataclass
class ReportContext:
    cohort: Cohort
    scope: Scope
    viewer: User
    dimension: Dimension
    inactive_days: int
    #: the filters as query arguments, carried over to links and downloads
    args: dict = field(default_factory=dict)


def _pct(value) -> str:
    return tables.format_cell(value, "pct")


def overview(ctx: ReportContext) -> dict:
    cohort = ctx.cohort
    stages = funnel(cohort)
    members = stages[0].count if stages else 0
    modules = module_progress(cohort, members)
    hours = hours_by_user(cohort)
    trainees = trainee_progress(cohort, hours)
    inactive = inactive_trainees(cohort, ctx.inactive_days)
    bins = tables.hours_bins([t.hours or 0.0 for t in trainees], cohort.course.credit_hours or 0)
    charts = {
        "funnel": svg.funnel(
            "chart-funnel",
            _("Funnel"),
            _("Trainees at each stage, from enrolment on; the table below has the figures."),
            [(str(s.label), s.count, _pct(s.share)) for s in stages],
        ),
        "modules": svg.bar_chart(
            "chart-modules",
            _("Completion rate by module"),
            _("Share of enrolled trainees who completed every lesson of each module."),
            [svg.Bar(m.title, m.completion, _pct(m.completion)) for m in modules],
            max_value=1,
        ),
        "hours": svg.histogram(
            "chart-hours",
            _("Credit hours distribution"),
            _("How many trainees have earned how many credit hours."),
            bins,
        ),
    }
    return {
        "stages": stages,
        "members": members,
        "inactive_count": len(inactive),
        "charts": charts,
        "tables": {
            "funnel": tables.funnel_table(stages),
            "modules": tables.module_progress_table(modules, cohort.id),
            "hours": tables.hours_table(bins),
            "inactive": tables.inactive_table(inactive, ctx.inactive_days),
            "trainees": tables.trainees_table(trainees),
        },
    }


def needs(ctx: ReportContext) -> dict:
    surveys = needs_surveys(ctx.cohort.course_id)
    modules = module_needs(ctx.scope, surveys)
    groups = needs_by_group(ctx.scope, surveys, ctx.dimension)
    results = [survey_results(ctx.scope, s) for s in surveys]
    _total, answers = text_answers(ctx.scope, surveys)
    result_tables = {
        "needs": tables.needs_table(modules),
        "needs-groups": tables.needs_groups_table(groups, modules, ctx.dimension.label),
    }
    for r in results:
        if not r.suppressed:
            table = tables.survey_table(r)
            table.name = f"survey-{r.survey.id}"
            result_tables[table.name] = table
    result_tables["open-answers"] = tables.text_table(answers, "open-answers", _("Open answers"))
    chart = svg.bar_chart(
        "chart-needs",
        _("Need and confidence by module"),
        _("Mean self-rated need (first bar) and confidence (second bar), 1 to 5, per module."),
        [
            bar
            for m in modules
            for bar in (
                svg.Bar(
                    _("%(module)s: need", module=m.title),
                    m.need.mean,
                    tables.format_cell(m.need.mean, "num"),
                    m.high_demand,
                ),
                svg.Bar(
                    _("%(module)s: confidence", module=m.title),
                    m.confidence.mean,
                    tables.format_cell(m.confidence.mean, "num"),
                ),
            )
        ],
        max_value=5,
    )
    return {
        "modules": modules,
        "results": results,
        "named": any(not s.is_anonymous for s in surveys),
        "surveys": surveys,
        "chart": chart,
        "tables": result_tables,
    }


def learning(ctx: ReportContext) -> dict:
    quizzes = quizzes_of_course(ctx.cohort.course_id)
    scores = quiz_scores(ctx.scope, quizzes)
    pre, post = pre_post_quizzes(ctx.cohort.course_id)
    data: dict = {"scores": scores, "pre": pre, "post": post, "charts": {}}
    result_tables = {"quizzes": tables.quiz_scores_table(scores, ctx.cohort.id)}
    data["charts"]["scores"] = [
        (
            q,
            svg.histogram(
                f"chart-scores-{q.quiz.id}",
                _("Score distribution: %(quiz)s", quiz=q.quiz.title),
                _("Attempts per score band (percent)."),
                tables.score_bins(q),
            ),
        )
        for q in scores
        if q.n
    ]
    if pre and post:
        overall = gain_overall(ctx.scope, pre, post)
        by_module = gain_by_module(ctx.scope, pre, post)
        by_group = gain_by_group(ctx.scope, pre, post, ctx.dimension)
        by_trainee = gain_by_trainee(ctx.scope, pre, post)
        data.update(overall=overall, by_module=by_module)
        data["charts"]["gain"] = svg.bar_chart(
            "chart-gain",
            _("Normalised gain by module"),
            _("Mean normalised gain (post − pre) / (1 − pre) of the trainees who took both tests."),
            [
                svg.Bar(
                    g.label,
                    max(g.gain.mean or 0, 0),
                    tables.format_cell(g.gain.mean, "num"),
                    g.gain.mean is not None and g.gain.mean <= 0,
                )
                for g in by_module
            ],
            max_value=1,
        )
        data["charts"]["gain_hist"] = svg.histogram(
            "chart-gain-hist",
            _("Normalised gain of the trainees"),
            _("Trainees per band of normalised gain; below 0 means the post-test went worse."),
            tables.gain_bins(gain_histogram(ctx.scope, pre, post)),
        )
        overall.label = _("Whole test")
        result_tables["gain-modules"] = tables.gain_table(
            [overall, *by_module], "gain-modules", _("Pre/post gain by module"), _("Module")
        )
        result_tables["gain-groups"] = tables.gain_table(
            by_group, "gain-groups", _("Pre/post gain by group"), str(ctx.dimension.label)
        )
        result_tables["gain-trainees"] = tables.trainee_gain_table(by_trainee)
    data["tables"] = result_tables
    return data


def items(ctx: ReportContext, quiz_id: int) -> dict:
    quiz = db.session.get(Quiz, quiz_id)
    if quiz is None or quiz.course_id != ctx.cohort.course_id:
        abort(404)
    analysis = item_analysis(ctx.scope, quiz)
    lessons = lesson_keys(item.lesson_id for item in analysis.items)
    chart = svg.bar_chart(
        "chart-facility",
        _("Facility index by question"),
        _("Share of the marks earned on each question; flagged questions are highlighted."),
        [svg.Bar(f"{i.key} {i.stem}", i.facility, _pct(i.facility), bool(i.flags)) for i in analysis.items],
        max_value=1,
    )
    return {
        "quiz": quiz,
        "analysis": analysis,
        "chart": chart,
        "lessons": lessons,
        "tables": {
            "items": tables.items_table(analysis, lessons, ctx.cohort.course.key),
            "options": tables.options_table(analysis),
        },
    }


def reaction(ctx: ReportContext, survey_id: int | None = None, search: str = "", page: int = 1) -> dict:
    surveys = course_surveys(ctx.cohort.course_id, (*FEEDBACK_KINDS, SurveyKind.FOLLOW_UP))
    satisfaction = module_satisfaction(ctx.scope)
    results = [survey_results(ctx.scope, s) for s in surveys]
    chosen = [s for s in surveys if s.id == survey_id] or surveys
    total, comments = text_answers(
        ctx.scope, chosen, search=search.strip(), limit=PAGE_ROWS, offset=(page - 1) * PAGE_ROWS
    )
    course = course_satisfaction(ctx.scope)
    result_tables = {
        "satisfaction-course": tables.course_satisfaction_table(course),
        "satisfaction": tables.satisfaction_table(satisfaction, ctx.cohort.id),
    }
    for r in results:
        if not r.suppressed:
            table = tables.survey_table(r)
            table.name = f"survey-{r.survey.id}"
            result_tables[table.name] = table
    result_tables["comments"] = tables.text_table(comments, "comments", _("Comments"), cohort_id=ctx.cohort.id)
    chart = svg.bar_chart(
        "chart-satisfaction",
        _("Satisfaction by module"),
        _(
            "Each respondent's mean of the 1-5 items about the module, then the mean over respondents "
            "(the module rating form where answered, else the course feedback); low scores are highlighted."
        ),
        [svg.Bar(s.title, s.score.mean, tables.format_cell(s.score.mean, "num"), s.low) for s in satisfaction],
        max_value=5,
    )
    return {
        "satisfaction": satisfaction,
        "results": results,
        "nps": course_nps(ctx.scope),
        "course": course,
        "surveys": surveys,
        "chart": chart,
        "comment_total": total,
        "comment_page": page,
        "tables": result_tables,
    }


def module(ctx: ReportContext, module_id: int) -> dict:
    row = db.session.get(Module, module_id)
    if row is None or row.course_id != ctx.cohort.course_id:
        abort(404)
    members = funnel(ctx.cohort)[0].count
    health = module_health(ctx.cohort, ctx.scope, row, members)
    return {
        "module": row,
        "health": health,
        "tables": {"module-items": tables.module_items_table(health)},
    }


def cohort_figures(cohort: Cohort, scope: Scope) -> CohortFigures:
    """One cohort's headline figures for the side-by-side comparison."""
    pre, post = pre_post_quizzes(cohort.course_id)
    overall = gain_overall(scope, pre, post) if pre and post else None
    finals = [q for q in quizzes_of_course(cohort.course_id) if q.kind == QuizKind.FINAL_EXAM]
    final = quiz_scores(scope, finals)
    nps = course_nps(scope)
    return CohortFigures(
        cohort_id=cohort.id,
        name=cohort.name,
        starts_on=cohort.starts_on,
        stages=funnel(cohort),
        pre=overall.pre if overall else None,
        post=overall.post if overall else None,
        gain=overall.gain if overall else None,
        final_pass_rate=final[0].pass_rate if final else None,
        satisfaction=overall_satisfaction(scope),
        nps=nps.score if nps else None,
    )


def compare(cohorts: list[Cohort]) -> dict:
    figures = [cohort_figures(c, Scope(course_id=c.course_id, cohort_ids=(c.id,))) for c in cohorts]
    completion = svg.bar_chart(
        "chart-compare",
        _("Completion rate by cohort"),
        _("Share of enrolled trainees who completed every lesson, per cohort."),
        [
            svg.Bar(
                f.name,
                next((s.share for s in f.stages if s.key == "completed"), None),
                _pct(next((s.share for s in f.stages if s.key == "completed"), None)),
            )
            for f in figures
        ],
        max_value=1,
    )
    return {
        "figures": figures,
        "chart": completion,
        "tables": {"compare": tables.compare_table(figures)},
    }


def cohorts_for(user: User, ids) -> list[Cohort]:
    from .scope import visible_cohort_ids

    allowed = visible_cohort_ids(user, ids)
    if not allowed:
        return []
    rows = {c.id: c for c in db.session.scalars(select(Cohort).where(Cohort.id.in_(allowed)))}
    return [rows[i] for i in allowed]
