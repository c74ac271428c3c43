"""Survey pages: trainees fill in forms; trainers and organizers read results and set windows."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from lms.auth.models import Role
from lms.cohorts import exports
from lms.cohorts.models import Cohort
from lms.cohorts.service import can_manage_cohort, can_view_cohort
from lms.db import utcnow, write_transaction
from lms.extensions import db
from lms.learning.models import Lesson, Module
from lms.security import role_required

from . import results as results_mod
from . import service
from .answers import SurveyInputError, values_from_rows
from .forms import WindowForm, build_survey_form, field_name
from .models import Survey, SurveyKind, SurveyParticipation, SurveyWindow
from .needs import recommended_modules
from .service import AlreadySubmitted, NotAMember, SurveyClosed, SurveyError, SurveyLocked
from .windows import WindowError, effective_windows, set_window

bp = Blueprint("surveys", __name__)


def _cohort_or_404(cohort_id: int) -> Cohort:
    return db.get_or_404(Cohort, cohort_id)


def _survey_or_404(cohort: Cohort, key: str) -> Survey:
    survey = service.get_survey(cohort.course_id, key)
    if survey is None:
        abort(404)
    return survey


def _viewer(cohort: Cohort) -> str:
    """ "member" (an active trainee of the cohort) or "staff" (may see it); 404 otherwise,
    so a cohort's surveys are not even hinted at to outsiders."""
    if service.is_member(current_user.id, cohort.id):
        return "member"
    if can_view_cohort(current_user, cohort):
        return "staff"
    abort(404)


def _staff_cohort(cohort_id: int, manage: bool = False) -> Cohort:
    cohort = _cohort_or_404(cohort_id)
    allowed = can_manage_cohort if manage else can_view_cohort
    if not allowed(current_user, cohort):
        abort(403)
    return cohort


def _first_lessons(modules: list[Module]) -> dict[int, str]:
    """Each module's first lesson key (to link a recommended module), in one query."""
    if not modules:
        return {}
    rows = db.session.execute(
        select(Lesson.module_id, Lesson.key)
        .where(Lesson.module_id.in_([m.id for m in modules]), Lesson.is_retired.is_(False))
        .order_by(Lesson.module_id, Lesson.position)
    ).all()
    first: dict[int, str] = {}
    for module_id, key in rows:
        first.setdefault(module_id, key)
    return first


# -- trainees ------------------------------------------------------------------------------


@bp.route("/cohorts/<int:cohort_id>/surveys")
@login_required
def list_surveys(cohort_id: int):
    cohort = _cohort_or_404(cohort_id)
    viewer = _viewer(cohort)
    surveys = service.course_surveys(cohort.course_id)
    now = utcnow()
    if viewer == "member":
        statuses = {s.id: service.status_for(current_user.id, cohort, s, now) for s in surveys}
        modules = service.course_modules(cohort.course_id)
        rated = {
            row.module_id
            for row in db.session.execute(
                select(SurveyParticipation.module_id).where(
                    SurveyParticipation.user_id == current_user.id,
                    SurveyParticipation.cohort_id == cohort.id,
                    SurveyParticipation.module_id.is_not(None),
                )
            )
        }
        return render_template(
            "surveys/mine.html",
            cohort=cohort,
            surveys=surveys,
            statuses=statuses,
            modules=modules,
            rated=rated,
            kind_labels=service.KIND_LABELS,
        )
    windows = effective_windows(cohort, surveys)
    counts = dict(
        db.session.execute(
            select(SurveyParticipation.survey_id, func.count(SurveyParticipation.id))
            .where(SurveyParticipation.cohort_id == cohort.id)
            .group_by(SurveyParticipation.survey_id)
        ).all()
    )
    manage = can_manage_cohort(current_user, cohort)
    forms = {}
    if manage:
        tz = get_timezone()

        def local(value: datetime | None) -> datetime | None:
            return value.astimezone(tz).replace(tzinfo=None) if value else None

        rows = {
            row.survey_id: row
            for row in db.session.scalars(select(SurveyWindow).where(SurveyWindow.cohort_id == cohort.id))
        }
        for s in surveys:
            row = rows.get(s.id)
            forms[s.id] = WindowForm(
                formdata=None,
                prefix=f"w{s.id}",
                opens_at=local(row.opens_at) if row else None,
                closes_at=local(row.closes_at) if row else None,
            )
    return render_template(
        "surveys/list.html",
        cohort=cohort,
        surveys=surveys,
        windows=windows,
        counts=counts,
        members=results_mod.member_count(cohort),
        manage=manage,
        forms=forms,
        now=now,
        kind_labels=service.KIND_LABELS,
    )


@bp.route("/cohorts/<int:cohort_id>/surveys/<survey_key>", methods=["GET", "POST"])
@login_required
def fill_survey(cohort_id: int, survey_key: str):
    cohort = _cohort_or_404(cohort_id)
    viewer = _viewer(cohort)
    survey = _survey_or_404(cohort, survey_key)
    if survey.kind == SurveyKind.MODULE_FEEDBACK:
        if request.method == "POST":
            abort(404)
        return _choose_module(cohort, survey, viewer)
    return _fill(cohort, survey, None, viewer)


@bp.route("/cohorts/<int:cohort_id>/surveys/<survey_key>/modules/<module_key>", methods=["GET", "POST"])
@login_required
def fill_module_survey(cohort_id: int, survey_key: str, module_key: str):
    cohort = _cohort_or_404(cohort_id)
    viewer = _viewer(cohort)
    survey = _survey_or_404(cohort, survey_key)
    module = service.get_module(cohort.course_id, module_key)
    if survey.kind != SurveyKind.MODULE_FEEDBACK or module is None:
        abort(404)
    return _fill(cohort, survey, module, viewer)


def _choose_module(cohort: Cohort, survey: Survey, viewer: str):
    modules = service.course_modules(cohort.course_id)
    rated = set()
    if viewer == "member":
        rated = {
            m
            for (m,) in db.session.execute(
                select(SurveyParticipation.module_id).where(
                    SurveyParticipation.user_id == current_user.id,
                    SurveyParticipation.cohort_id == cohort.id,
                    SurveyParticipation.survey_id == survey.id,
                )
            )
        }
    return render_template("surveys/modules.html", cohort=cohort, survey=survey, modules=modules, rated=rated)


def _fill(cohort: Cohort, survey: Survey, module: Module | None, viewer: str):
    items = service.current_items(survey)
    module_id = module.id if module is not None else None
    here = request.path
    if viewer == "staff":
        if request.method == "POST":
            abort(403)
        form = build_survey_form(items)
        return _render_fill(cohort, survey, module, items, form, None, preview=True)

    now = utcnow()
    status = service.status_for(current_user.id, cohort, survey, now, module_id)
    if request.method == "GET":
        values = None
        if status.response is not None:
            values = values_from_rows(items, service.response_answers(status.response))
        form = build_survey_form(items, values)
        form.mode.data = "edit" if status.submitted else "new"
        return _render_fill(cohort, survey, module, items, form, status)

    form = build_survey_form(items)
    error, code = None, 200
    if form.validate():
        cohort_id, survey_id = cohort.id, survey.id
        try:
            with write_transaction():
                result = service.submit_response(
                    current_user,
                    db.session.get(Cohort, cohort_id),
                    db.session.get(Survey, survey_id),
                    form.values(),
                    now,
                    module=module and db.session.get(Module, module_id),
                    editing=form.mode.data == "edit",
                )
        except SurveyInputError as failure:
            form.item_errors.update(failure.errors)
        except AlreadySubmitted as failure:
            error, code = str(failure.message), 409
            if failure.editable:
                form.mode.data = "edit"
        except (SurveyClosed, SurveyLocked) as failure:
            error, code = str(failure.message), 409
        except NotAMember:
            abort(404)
        except SurveyError as failure:
            error, code = str(failure.message), 400
        else:
            if result.created:
                flash(_("Thank you. Your answers have been submitted."), "success")
            else:
                flash(_("Your changes have been saved."), "success")
            return redirect(here)
        cohort, survey = db.session.get(Cohort, cohort_id), db.session.get(Survey, survey_id)
        module = module and db.session.get(Module, module_id)
    status = service.status_for(current_user.id, cohort, survey, now, module_id)
    return _render_fill(cohort, survey, module, items, form, status, error=error), code


def _render_fill(cohort, survey, module, items, form, status, preview=False, error=None):
    recommended, first_lessons = [], {}
    if survey.kind == SurveyKind.NEEDS and status is not None and status.submitted:
        recommended = recommended_modules(current_user.id, cohort.course_id)
        first_lessons = _first_lessons(recommended)
    sections: list[tuple[str, list]] = []
    for item in items:
        if not sections or sections[-1][0] != item.section:
            sections.append((item.section, []))
        sections[-1][1].append(item)
    can_post = status is not None and (status.can_submit or status.can_edit)
    # After a refused submission the form comes back with everything typed, even when it can
    # no longer be sent (closed, or already submitted anonymously), so nothing is lost.
    show_form = preview or can_post or error is not None
    return render_template(
        "surveys/fill.html",
        cohort=cohort,
        survey=survey,
        module=module,
        sections=sections,
        form=form,
        status=status,
        preview=preview,
        error=error,
        show_form=show_form,
        can_post=can_post,
        field_name=field_name,
        recommended=recommended,
        first_lessons=first_lessons,
        closed_message=(
            service.closed_message(survey, status.window, utcnow())
            if status is not None and status.state != "open"
            else None
        ),
        has_errors=bool(form.item_errors or form.errors),
    )


# -- organizers and trainers ---------------------------------------------------------------


@bp.route("/cohorts/<int:cohort_id>/surveys/<survey_key>/window", methods=["POST"])
@role_required(Role.ORGANIZER)
def set_survey_window(cohort_id: int, survey_key: str):
    cohort = _staff_cohort(cohort_id, manage=True)
    survey = _survey_or_404(cohort, survey_key)
    form = WindowForm(prefix=f"w{survey.id}")
    back = redirect(url_for("surveys.list_surveys", cohort_id=cohort_id) + f"#survey-{survey.id}")
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(f"{survey.title}: {message}", "error")
        return back
    tz = get_timezone()

    def to_utc(value: datetime | None) -> datetime | None:
        return tz.localize(value) if value is not None else None

    try:
        with write_transaction():
            set_window(
                current_user,
                db.session.get(Cohort, cohort_id),
                db.session.get(Survey, survey.id),
                to_utc(form.opens_at.data),
                to_utc(form.closes_at.data),
            )
    except WindowError:
        flash(_("The survey must close after it opens."), "error")
        return back
    flash(_("The dates of %(title)s have been saved.", title=survey.title), "success")
    return back


def _results_for(cohort_id: int, survey_key: str):
    cohort = _staff_cohort(cohort_id)
    survey = _survey_or_404(cohort, survey_key)
    module = None
    module_key = request.args.get("module")
    if module_key:
        module = service.get_module(cohort.course_id, module_key)
        if module is None or survey.kind != SurveyKind.MODULE_FEEDBACK:
            abort(404)
    return cohort, survey, module, results_mod.survey_results(survey, cohort, module)


@bp.route("/cohorts/<int:cohort_id>/surveys/<survey_key>/results")
@role_required(Role.ORGANIZER, Role.TRAINER)
def show_results(cohort_id: int, survey_key: str):
    cohort, survey, module, res = _results_for(cohort_id, survey_key)
    scale_items = (
        [i for i in service.current_items(survey) if i.itype in ("likert", "rating10")]
        if survey.kind == SurveyKind.MODULE_FEEDBACK
        else []
    )
    return render_template(
        "surveys/results.html",
        cohort=cohort,
        survey=survey,
        module=module,
        res=res,
        scale_items=scale_items,
        kind_labels=service.KIND_LABELS,
    )


@bp.route("/cohorts/<int:cohort_id>/surveys/<survey_key>/results.<any(csv, xlsx):fmt>")
@role_required(Role.ORGANIZER, Role.TRAINER)
def export_results(cohort_id: int, survey_key: str, fmt: str):
    cohort, survey, module, res = _results_for(cohort_id, survey_key)
    if res.hidden:
        flash(
            _(
                "Fewer than %(n)d respondents: the results of this anonymous survey are not shown or exported.",
                n=res.min_group,
            ),
            "error",
        )
        return redirect(url_for("surveys.show_results", cohort_id=cohort_id, survey_key=survey_key))
    headings, rows = results_mod.export_headings(), results_mod.export_rows(res)
    name = f"survey-{survey.key}-cohort-{cohort.id}" + (f"-{module.key}" if module else "")
    if fmt == "csv":
        body, mime = exports.to_csv(headings, rows), "text/csv; charset=utf-8"
    else:
        body = exports.to_xlsx(survey.key, headings, rows)
        mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return (
        body,
        200,
        {
            "Content-Type": mime,
            "Content-Disposition": f"attachment; filename={name}.{fmt}",
        },
    )
