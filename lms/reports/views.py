"""Report pages for organizers (every cohort) and trainers (their cohorts); trainees get 403."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from lms.assessment.access import load_question_for
from lms.assessment.models import (
    Attempt,
    AttemptItem,
    AttemptState,
    QuestionVersion,
)
from lms.auth.models import Role
from lms.cohorts.models import Cohort
from lms.cohorts.service import can_view_cohort, visible_cohorts
from lms.extensions import db
from lms.improvement.forms import STATUS_LABELS
from lms.improvement.service import actions_for_target
from lms.input_guard import parse_id
from lms.learning.models import Course, Lesson, Module
from lms.security import role_required

from . import pages, tables
from .breakdown import dimension
from .forms import CommentFilterForm, CompareForm, InactiveForm, ReportFilterForm
from .pages import PAGE_ROWS, ReportContext
from .scope import Scope, course_cohort_ids
from .settings import setting
from .tuning import tune_for_reports

bp = Blueprint("reports", __name__, url_prefix="/reports")
STAFF = (Role.ORGANIZER, Role.TRAINER)
PAGES = ("overview", "needs", "learning", "items", "reaction", "module")
FORMATS = "any(csv, xlsx)"


@bp.app_template_filter("report_cell")
def report_cell(value, kind: str = "text") -> str:
    return tables.format_cell(value, kind)


def _cohort(cohort_id: int) -> Cohort:
    """The cohort if the current user may see its reports: 404 unknown, 403 not theirs."""
    cohort = db.get_or_404(Cohort, cohort_id)
    if not can_view_cohort(current_user, cohort):
        abort(403)
    return cohort


def _context(cohort: Cohort) -> tuple[ReportContext, ReportFilterForm]:
    """The scope the filters describe; invalid filters are shown as errors and ignored."""
    tune_for_reports()
    form = ReportFilterForm(request.args)
    form.validate()
    dated = not (form.date_from.errors or form.date_to.errors)
    date_from = form.date_from.data if dated else None
    date_to = form.date_to.data if dated else None
    wide = form.cohorts.data == "course"
    cohort_ids = course_cohort_ids(current_user, cohort.course_id) if wide else (cohort.id,)
    scope = Scope(
        course_id=cohort.course_id,
        cohort_ids=cohort_ids or (cohort.id,),
        date_from=date_from,
        date_to=date_to,
        all_attempts=form.attempts.data == "all",
    )
    inactive = InactiveForm(request.args)
    days = inactive.days.data if inactive.validate() and inactive.days.data else None
    args = {
        k: v
        for k, v in {
            "date_from": date_from.isoformat() if date_from else None,
            "date_to": date_to.isoformat() if date_to else None,
            "cohorts": "course" if wide else None,
            "attempts": "all" if scope.all_attempts else None,
            "dim": form.dim.data if form.dim.data and form.dim.data != "province" else None,
            "days": days,
        }.items()
        if v
    }
    ctx = ReportContext(
        cohort=cohort,
        scope=scope,
        viewer=current_user,
        dimension=dimension(form.dim.data),
        inactive_days=days or setting("REPORTS_INACTIVE_DAYS"),
        args=args,
    )
    return ctx, form


def _render(template: str, ctx: ReportContext, form, page: str, data: dict, **extra):
    def export_url(name: str, fmt: str, **more) -> str:
        return url_for(
            "reports.export_table",
            cohort_id=ctx.cohort.id,
            page=page,
            name=name,
            fmt=fmt,
            **ctx.args,
            **extra.get("export_args", {}),
            **more,
        )

    return render_template(
        template,
        cohort=ctx.cohort,
        ctx=ctx,
        form=form,
        page=page,
        export_url=export_url,
        page_rows=PAGE_ROWS,
        **data,
        **extra,
    )


@bp.route("/")
@role_required(*STAFF)
def index():
    cohorts = db.session.scalars(visible_cohorts(current_user).limit(200)).all()
    form = CompareForm(request.args)
    form.cohort.choices = [(c.id, c.name) for c in cohorts]
    return render_template("reports/index.html", cohorts=cohorts, form=form)


def _compared() -> list[Cohort]:
    ids = []
    for raw in request.args.getlist("cohort"):
        number = parse_id(raw)
        if number is not None and number not in ids:
            ids.append(number)
    return pages.cohorts_for(current_user, ids[:12])


@bp.route("/compare")
@role_required(*STAFF)
def compare():
    cohorts = _compared()
    data = pages.compare(cohorts) if cohorts else {"figures": [], "tables": {}, "chart": None}
    ids = [c.id for c in cohorts]
    return render_template(
        "reports/compare.html",
        cohorts=cohorts,
        ids=ids,
        page_rows=PAGE_ROWS,
        **data,
        export_url=lambda name, fmt: url_for("reports.export_compare", fmt=fmt, cohort=ids),
    )


@bp.route("/compare.<any(csv, xlsx):fmt>")
@role_required(*STAFF)
def export_compare(fmt: str):
    cohorts = _compared()
    if not cohorts:
        abort(404)
    return _download(pages.compare(cohorts)["tables"]["compare"], fmt, "compare")


@bp.route("/cohorts/<int:cohort_id>")
@role_required(*STAFF)
def overview(cohort_id: int):
    ctx, form = _context(_cohort(cohort_id))
    return _render(
        "reports/overview.html",
        ctx,
        form,
        "overview",
        pages.overview(ctx),
        inactive_form=InactiveForm(request.args),
    )


@bp.route("/cohorts/<int:cohort_id>/needs")
@role_required(*STAFF)
def needs(cohort_id: int):
    ctx, form = _context(_cohort(cohort_id))
    return _render("reports/needs.html", ctx, form, "needs", pages.needs(ctx))


@bp.route("/cohorts/<int:cohort_id>/learning")
@role_required(*STAFF)
def learning(cohort_id: int):
    ctx, form = _context(_cohort(cohort_id))
    return _render("reports/learning.html", ctx, form, "learning", pages.learning(ctx))


@bp.route("/cohorts/<int:cohort_id>/quizzes/<int:quiz_id>/items")
@role_required(*STAFF)
def item_analysis(cohort_id: int, quiz_id: int):
    ctx, form = _context(_cohort(cohort_id))
    thresholds = {
        "high": tables.format_cell(setting("REPORTS_FACILITY_HIGH"), "pct"),
        "low": tables.format_cell(setting("REPORTS_FACILITY_LOW"), "pct"),
        "disc": tables.format_cell(setting("REPORTS_DISCRIMINATION_LOW"), "pct"),
        "n": setting("REPORTS_FLAG_MIN_N"),
    }
    return _render(
        "reports/items.html",
        ctx,
        form,
        "items",
        pages.items(ctx, quiz_id),
        export_args={"quiz": quiz_id},
        flag_labels=tables.FLAG_LABELS,
        thresholds=thresholds,
    )


def _comment_filters(ctx: ReportContext):
    form = CommentFilterForm(request.args)
    surveys = pages.course_surveys(ctx.cohort.course_id, (*pages.FEEDBACK_KINDS, "follow_up"))
    form.survey.choices = [(0, "—")] + [(s.id, s.title) for s in surveys]
    form.validate()
    survey_id = form.survey.data if not form.survey.errors else None
    return (
        form,
        survey_id or None,
        (form.q.data or "")[:100],
        parse_id(request.args.get("page", "")) or 1,
    )


@bp.route("/cohorts/<int:cohort_id>/reaction")
@role_required(*STAFF)
def reaction(cohort_id: int):
    ctx, form = _context(_cohort(cohort_id))
    comment_form, survey_id, search, page = _comment_filters(ctx)
    data = pages.reaction(ctx, survey_id, search, page)
    comment_args = {k: v for k, v in {"survey": survey_id, "q": search}.items() if v}
    return _render(
        "reports/reaction.html",
        ctx,
        form,
        "reaction",
        data,
        comment_form=comment_form,
        pager_args={**ctx.args, **comment_args},
        export_args=comment_args,
    )


@bp.route("/cohorts/<int:cohort_id>/modules/<int:module_id>")
@role_required(*STAFF)
def module_health(cohort_id: int, module_id: int):
    ctx, form = _context(_cohort(cohort_id))
    return _render(
        "reports/module.html",
        ctx,
        form,
        "module",
        pages.module(ctx, module_id),
        export_args={"module": module_id},
        signal_labels=tables.SIGNAL_LABELS,
        status_labels=STATUS_LABELS,
        actions=actions_for_target(current_user, "module", module_id),
    )


def _download(table: tables.Table, fmt: str, stem: str):
    body, mime = tables.export(table, fmt)
    return (
        body,
        200,
        {
            "Content-Type": mime,
            "Content-Disposition": f"attachment; filename={stem}-{table.name}.{fmt}",
        },
    )


def _int_arg(name: str) -> int:
    number = parse_id(request.args.get(name, ""))
    if number is None:
        abort(404)
    return number


@bp.route(f"/cohorts/<int:cohort_id>/export/<any({', '.join(PAGES)}):page>/<name>.<{FORMATS}:fmt>")
@role_required(*STAFF)
def export_table(cohort_id: int, page: str, name: str, fmt: str):
    ctx, _form = _context(_cohort(cohort_id))
    if page == "items":
        data = pages.items(ctx, _int_arg("quiz"))
    elif page == "module":
        data = pages.module(ctx, _int_arg("module"))
    elif page == "reaction":
        _cf, survey_id, search, _page = _comment_filters(ctx)
        data = pages.reaction(ctx, survey_id, search, 1)
        if name == "comments":  # every matching comment, not one page of them
            _total, answers = pages.text_answers(
                ctx.scope,
                [s for s in data["surveys"] if not survey_id or s.id == survey_id],
                search=search,
            )
            data["tables"]["comments"] = tables.text_table(answers, "comments", "comments")
    else:
        data = getattr(pages, page)(ctx)
    table = data["tables"].get(name)
    if table is None:
        abort(404)
    return _download(table, fmt, f"cohort-{cohort_id}")


@bp.route("/questions/<int:question_id>")
@role_required(*STAFF)
def show_question(question_id: int):
    question = load_question_for(current_user, question_id, "review")
    course = db.session.get(Course, question.course_id)
    module = db.session.get(Module, question.module_id)
    lesson = db.session.get(Lesson, question.lesson_id) if question.lesson_id else None
    versions = db.session.scalars(
        select(QuestionVersion)
        .where(QuestionVersion.question_id == question.id)
        .order_by(QuestionVersion.version.desc())
    ).all()
    cohort_ids = course_cohort_ids(current_user, question.course_id)
    score = func.coalesce(AttemptItem.score, 0.0)
    rows = (
        db.session.execute(
            select(
                AttemptItem.question_version_id,
                func.count().label("n"),
                func.sum(score).label("s"),
                func.sum(AttemptItem.points).label("p"),
            )
            .join(Attempt, Attempt.id == AttemptItem.attempt_id)
            .where(
                AttemptItem.question_id == question.id,
                Attempt.state == AttemptState.GRADED,
                Attempt.cohort_id.in_(cohort_ids),
            )
            .group_by(AttemptItem.question_version_id)
        ).all()
        if cohort_ids
        else []
    )
    by_version = {r.question_version_id: (r.n, r.s / r.p if r.p else None) for r in rows}
    back = parse_id(request.args.get("cohort", ""))
    back_cohort = db.session.get(Cohort, back) if back is not None else None
    if back_cohort is not None and not can_view_cohort(current_user, back_cohort):
        back_cohort = None
    answer = question.answer
    correct = {str(a) for a in answer} if isinstance(answer, list) else {str(answer)}
    return render_template(
        "reports/question.html",
        question=question,
        course=course,
        module=module,
        lesson=lesson,
        versions=versions,
        by_version=by_version,
        back_cohort=back_cohort,
        correct=correct,
        actions=actions_for_target(current_user, "question", question.id),
    )
