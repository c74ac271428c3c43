"""Ledger pages: the list, recording an action from a finding, and an action's page (update,
link the content version that carried it out, and the before/after comparison)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms.auth.models import Role
from lms.db import write_transaction
from lms.extensions import db
from lms.i18n import local_datetime_text
from lms.input_guard import parse_id
from lms.learning.models import Course
from lms.learning.service import active_courses
from lms.reports import tables
from lms.security import role_required

from . import service
from .compare import compare_before_after
from .forms import (
    FINDING_LABELS,
    MEASURE_LABELS,
    STATUS_LABELS,
    TARGET_LABELS,
    ActionFilterForm,
    ActionForm,
    LinkVersionForm,
    NewActionForm,
)
from .models import ImprovementAction
from .service import ActionData, ImprovementError

bp = Blueprint("improvement", __name__, url_prefix="/improvements")
STAFF = (Role.ORGANIZER, Role.TRAINER)


def _courses() -> list[Course]:
    courses = active_courses()
    if current_user.has_role(Role.ORGANIZER):
        return courses
    taught = service.taught_course_ids(current_user)
    return [c for c in courses if c.id in taught]


def _owner_choices(form: ActionForm) -> None:
    form.owner_id.choices = [(0, "—")] + [
        (u.id, f"{u.name} · {u.work_unit}" if u.work_unit else u.name) for u in service.staff_users()
    ]


def _data(form: ActionForm, course_id: int) -> ActionData:
    new = isinstance(form, NewActionForm)
    return ActionData(
        course_id=course_id,
        finding_kind=form.finding_kind.data if new else "other",
        finding_ref=(form.finding_ref.data or "") if new else "",
        finding_summary=form.finding_summary.data.strip(),
        planned_change=form.planned_change.data.strip(),
        expected_effect=(form.expected_effect.data or "").strip(),
        measure=form.measure.data,
        status=form.status.data,
        target_kind=form.target_kind.data or None,
        target_key=(form.target_key.data or "").strip(),
        owner_id=form.owner_id.data or None,
    )


def _action(action_id: int) -> ImprovementAction:
    """The action if the current user may see it; 404 otherwise (it is not theirs to know)."""
    action = db.session.get(ImprovementAction, action_id)
    if action is None or not service.can_view_action(current_user, action):
        abort(404)
    return action


def _labels() -> dict:
    return {
        "finding_labels": FINDING_LABELS,
        "status_labels": STATUS_LABELS,
        "measure_labels": MEASURE_LABELS,
        "target_labels": TARGET_LABELS,
    }


def _filtered(form: ActionFilterForm):
    query = service.visible_actions(current_user)
    if form.status.data:
        query = query.where(ImprovementAction.status == form.status.data)
    if form.measure.data:
        query = query.where(ImprovementAction.measure == form.measure.data)
    if form.finding.data:
        query = query.where(ImprovementAction.finding_kind == form.finding.data)
    if form.course.data:
        query = query.where(ImprovementAction.course_id == form.course.data)
    if form.mine.data:
        query = query.where(ImprovementAction.owner_id == current_user.id)
    return query


def _filter_form() -> ActionFilterForm:
    form = ActionFilterForm(request.args)
    form.course.choices = [(0, _("Any"))] + [(c.id, c.title) for c in _courses()]
    if not form.validate():
        form = ActionFilterForm(formdata=None)
        form.course.choices = [(0, _("Any"))] + [(c.id, c.title) for c in _courses()]
    return form


@bp.route("/")
@role_required(*STAFF)
def list_actions():
    form = _filter_form()
    page = db.paginate(_filtered(form), per_page=30, error_out=False)
    courses = {c.id: c.title for c in db.session.scalars(select(Course))}
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("improvement/list.html", form=form, page=page, courses=courses, args=args, **_labels())


@bp.route("/actions.<any(csv, xlsx):fmt>")
@role_required(*STAFF)
def export_actions(fmt: str):
    actions = db.session.scalars(_filtered(_filter_form())).all()
    courses = {c.id: c.title for c in db.session.scalars(select(Course))}
    table = tables.Table(
        "improvements",
        _("Improvement ledger"),
        [
            tables.Column(_("Recorded")),
            tables.Column(_("Course")),
            tables.Column(_("Kind of finding")),
            tables.Column(_("Finding (what the report showed)")),
            tables.Column(_("Content to change")),
            tables.Column(_("Planned change")),
            tables.Column(_("Expected effect")),
            tables.Column(_("Measure of the effect")),
            tables.Column(_("Status")),
            tables.Column(_("Owner")),
            tables.Column(_("Linked versions"), "int"),
        ],
    )
    for a in actions:
        table.rows.append(
            [
                local_datetime_text(a.created_at),
                courses.get(a.course_id, ""),
                str(FINDING_LABELS[a.finding_kind]),
                a.finding_summary,
                service.target_label(a),
                a.planned_change,
                a.expected_effect,
                str(MEASURE_LABELS[a.measure]),
                str(STATUS_LABELS[a.status]),
                a.owner.name if a.owner else "",
                len(a.links),
            ]
        )
    body, mime = tables.export(table, fmt)
    return (
        body,
        200,
        {"Content-Type": mime, "Content-Disposition": f"attachment; filename=improvements.{fmt}"},
    )


@bp.route("/new", methods=["GET", "POST"])
@role_required(*STAFF)
def new_action():
    form = NewActionForm()
    courses = _courses()
    form.course_id.choices = [(c.id, c.title) for c in courses]
    _owner_choices(form)
    if request.method == "GET":
        kind, _sep, ref = request.args.get("finding", "").partition(":")
        finding = service.describe_finding(kind, ref)
        form.finding_kind.data = finding.kind
        form.finding_ref.data = finding.ref
        form.finding_summary.data = finding.summary or request.args.get("summary", "")[:2000]
        form.target_kind.data = finding.target_kind or ""
        form.target_key.data = finding.target_key
        form.measure.data = finding.measure
        form.owner_id.data = current_user.id
        cohort = request.args.get("cohort", "")
        form.cohort_id.data = cohort if parse_id(cohort) is not None else ""
        if finding.course_id:
            form.course_id.data = finding.course_id
    if not courses:
        flash(_("You can record actions only for the courses you teach."), "error")
    if form.validate_on_submit():
        data = _data(form, form.course_id.data)
        cohort = form.cohort_id.data or ""
        data.cohort_id = parse_id(cohort)
        try:
            with write_transaction():
                action = service.create_action(current_user, data)
        except ImprovementError as error:
            getattr(form, error.field or "finding_summary").errors.append(str(error))
        else:
            flash(_("Action recorded in the improvement ledger."), "success")
            return redirect(url_for("improvement.show_action", action_id=action.id))
    return render_template("improvement/new.html", form=form, **_labels())


def _when(moment) -> str:
    return local_datetime_text(moment)


def _link_form(action: ImprovementAction) -> LinkVersionForm:
    form = LinkVersionForm()
    form.version.choices = [
        (
            f"{v.kind}:{v.row_id}",
            f"{TARGET_LABELS[v.kind]} {v.item_key} v{v.version} · {_when(v.created_at)}",
        )
        for v in service.version_choices(action)
    ]
    return form


def _show(action: ImprovementAction, form: ActionForm | None = None, status: int = 200):
    if form is None:
        form = ActionForm(obj=action)
        item = service.target_item(action)
        form.target_key.data = item.key if item is not None else ""
        form.target_kind.data = str(action.target_kind or "")
        form.measure.data = str(action.measure)
        form.status.data = str(action.status)
        form.owner_id.data = action.owner_id or 0
    _owner_choices(form)
    course = db.session.get(Course, action.course_id)
    return render_template(
        "improvement/show.html",
        action=action,
        form=form,
        link_form=_link_form(action),
        course=course,
        target=service.target_label(action),
        linked=service.linked_versions(action),
        detected=service.detected_versions(action),
        comparison=compare_before_after(action, current_user),
        **_labels(),
    ), status


@bp.route("/<int:action_id>")
@role_required(*STAFF)
def show_action(action_id: int):
    return _show(_action(action_id))


@bp.route("/<int:action_id>/edit", methods=["POST"])
@role_required(*STAFF)
def edit_action(action_id: int):
    _action(action_id)  # 404 unless the user may see it
    form = ActionForm()
    _owner_choices(form)
    if form.validate_on_submit():
        try:
            with write_transaction():
                locked = db.session.scalar(
                    select(ImprovementAction)
                    .where(ImprovementAction.id == action_id)
                    .with_for_update(of=ImprovementAction)
                )
                service.update_action(current_user, locked, _data(form, locked.course_id))
        except ImprovementError as error:
            getattr(form, error.field or "finding_summary").errors.append(str(error))
        else:
            flash(_("Action saved."), "success")
            return redirect(url_for("improvement.show_action", action_id=action_id))
    return _show(db.session.get(ImprovementAction, action_id), form)


@bp.route("/<int:action_id>/versions", methods=["POST"])
@role_required(*STAFF)
def link_version(action_id: int):
    action = _action(action_id)
    form = _link_form(action)
    if not form.validate_on_submit():
        flash(_("Choose a version of the content to link."), "error")
        return redirect(url_for("improvement.show_action", action_id=action_id))
    kind, _sep, row_id = form.version.data.partition(":")
    try:
        with write_transaction():
            service.link_version(action_id, kind, int(row_id), current_user)
    except (ImprovementError, ValueError) as error:
        flash(str(error), "error")
    else:
        flash(_("Version linked: the comparison now splits at this change."), "success")
    return redirect(url_for("improvement.show_action", action_id=action_id))
