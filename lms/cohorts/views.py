"""Cohort pages: organizers create and manage cohorts; trainees join with a code or link."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from lms.auth.models import Role, User, UserRole
from lms.auth.service import find_user
from lms.db import utcnow, write_transaction
from lms.extensions import db, limiter
from lms.i18n import local_datetime_text
from lms.learning.models import Module
from lms.learning.service import active_courses
from lms.security import role_required

from . import exports, service
from .forms import AddMembersForm, CohortForm, ConfirmForm, JoinForm
from .models import Cohort
from .service import CohortData, EnrolmentError

bp = Blueprint("cohorts", __name__)


def _cohort_for_staff(cohort_id: int, manage: bool = False) -> Cohort:
    """The cohort, if the current user may see it (or manage it); 404 or 403 otherwise."""
    cohort = db.get_or_404(Cohort, cohort_id)
    allowed = service.can_manage_cohort if manage else service.can_view_cohort
    if not allowed(current_user, cohort):
        abort(403)
    return cohort


def _fill_choices(form: CohortForm) -> None:
    form.course_id.choices = [SelectChoice(c.id, c.title) for c in active_courses()]
    trainers = db.session.scalars(
        select(User).where(User.role_rows.any(UserRole.role == Role.TRAINER)).order_by(User.name)
    ).all()
    form.trainer_ids.choices = [SelectChoice(t.id, f"{t.name} · {t.work_unit}") for t in trainers]


def _data(form: CohortForm) -> CohortData:
    return CohortData(
        course_id=form.course_id.data,
        name=form.name.data.strip(),
        description=(form.description.data or "").strip(),
        starts_on=form.starts_on.data,
        ends_on=form.ends_on.data,
        enrol_until=form.enrol_until.data or form.ends_on.data,
        capacity=form.capacity.data,
        trainer_ids=tuple(form.trainer_ids.data or ()),
    )


@bp.route("/cohorts/")
@role_required(Role.ORGANIZER, Role.TRAINER)
def list_cohorts():
    page = db.paginate(service.visible_cohorts(current_user), per_page=30, error_out=False)
    counts = service.member_counts([c.id for c in page.items])
    return render_template("cohorts/list.html", page=page, counts=counts)


@bp.route("/cohorts/new", methods=["GET", "POST"])
@role_required(Role.ORGANIZER)
def create_cohort():
    form = CohortForm()
    _fill_choices(form)
    if not form.course_id.choices:
        flash(_("Load a course first (flask lms load-courses)."), "error")
    if form.validate_on_submit():
        with write_transaction():
            cohort = service.create_cohort(current_user, _data(form))
        flash(_("Cohort created. Its enrolment code is %(code)s.", code=cohort.enrol_code), "success")
        return redirect(url_for("cohorts.show_cohort", cohort_id=cohort.id))
    return render_template("cohorts/form.html", form=form, cohort=None)


@bp.route("/cohorts/<int:cohort_id>/edit", methods=["GET", "POST"])
@login_required
def edit_cohort(cohort_id: int):
    cohort = _cohort_for_staff(cohort_id, manage=True)
    form = CohortForm(obj=cohort)
    _fill_choices(form)
    if request.method == "GET":
        form.trainer_ids.data = [t.id for t in cohort.trainers]
    if form.validate_on_submit():
        with write_transaction():
            service.update_cohort(current_user, db.session.get(Cohort, cohort_id), _data(form))
        flash(_("Cohort saved."), "success")
        return redirect(url_for("cohorts.show_cohort", cohort_id=cohort_id))
    return render_template("cohorts/form.html", form=form, cohort=cohort)


@bp.route("/cohorts/<int:cohort_id>")
@login_required
def show_cohort(cohort_id: int):
    cohort = _cohort_for_staff(cohort_id)
    return render_template(
        "cohorts/show.html",
        cohort=cohort,
        members=service.roster(cohort),
        can_manage=service.can_manage_cohort(current_user, cohort),
        add_form=AddMembersForm(),
        confirm=ConfirmForm(),
        invite_url=url_for("cohorts.join_by_link", token=cohort.invite_token, _external=True),
        modules=db.session.execute(
            select(Module.key, Module.title)
            .where(Module.course_id == cohort.course_id, Module.is_retired.is_(False))
            .order_by(Module.position)
        ).all(),
    )


@bp.route("/cohorts/<int:cohort_id>/code", methods=["POST"])
@login_required
def regenerate_code(cohort_id: int):
    _cohort_for_staff(cohort_id, manage=True)
    if ConfirmForm().validate_on_submit():
        with write_transaction():
            cohort = db.session.get(Cohort, cohort_id)
            service.regenerate_code(current_user, cohort)
        flash(
            _("New enrolment code: %(code)s. The old code and link no longer work.", code=cohort.enrol_code), "success"
        )
    return redirect(url_for("cohorts.show_cohort", cohort_id=cohort_id))


@bp.route("/cohorts/<int:cohort_id>/members", methods=["POST"])
@login_required
def add_members(cohort_id: int):
    cohort = _cohort_for_staff(cohort_id, manage=True)
    form = AddMembersForm()
    if not form.validate_on_submit():
        flash(_("Enter at least one mobile number or e-mail address."), "error")
        return redirect(url_for("cohorts.show_cohort", cohort_id=cohort_id))
    lines = [line.strip() for line in form.identifiers.data.splitlines() if line.strip()]
    found = {line: find_user(line) for line in lines}
    users = [user for user in found.values() if user is not None]
    unknown = [line for line, user in found.items() if user is None]
    with write_transaction():
        added = service.add_members(current_user, db.session.get(Cohort, cohort.id), users)
    flash(_("%(n)d members added.", n=added), "success")
    if unknown:
        flash(_("No account found for: %(list)s. Import them first.", list=", ".join(unknown[:20])), "error")
    return redirect(url_for("cohorts.show_cohort", cohort_id=cohort_id))


@bp.route("/cohorts/<int:cohort_id>/members/<int:user_id>/remove", methods=["POST"])
@login_required
def remove_member(cohort_id: int, user_id: int):
    _cohort_for_staff(cohort_id, manage=True)
    if ConfirmForm().validate_on_submit():
        with write_transaction():
            removed = service.remove_member(current_user, db.session.get(Cohort, cohort_id), user_id)
        if removed:
            flash(_("Member removed. Their learning records are kept."), "success")
    return redirect(url_for("cohorts.show_cohort", cohort_id=cohort_id))


ROSTER_HEADINGS = ["姓名", "手机", "邮箱", "省", "市", "县", "工作单位", "职务", "加入时间"]


@bp.route("/cohorts/<int:cohort_id>/roster.<any(csv, xlsx):fmt>")
@login_required
def export_roster(cohort_id: int, fmt: str):
    cohort = _cohort_for_staff(cohort_id)
    rows = [
        [
            r.name,
            r.phone or "",
            r.email or "",
            r.province,
            r.city,
            r.county,
            r.work_unit,
            r.position,
            local_datetime_text(r.joined_at),
        ]
        for r in service.roster(cohort)
    ]
    filename = f"roster-{cohort.id}.{fmt}"
    if fmt == "csv":
        body, mime = exports.to_csv(ROSTER_HEADINGS, rows), "text/csv; charset=utf-8"
    else:
        body = exports.to_xlsx("roster", ROSTER_HEADINGS, rows)
        mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return body, 200, {"Content-Type": mime, "Content-Disposition": f"attachment; filename={filename}"}


def _join(cohort: Cohort | None):
    try:
        with write_transaction():
            _enrolment, created = service.join_cohort(current_user, cohort, service.today_local(utcnow()))
    except EnrolmentError as error:
        return str(error)
    if created:
        flash(_("You have joined %(name)s.", name=cohort.name), "success")
    else:
        flash(_("You are already a member of %(name)s.", name=cohort.name), "info")
    return None


@bp.route("/join", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["JOIN_CODE_LIMITS"], methods=["POST"], scope="join-code")
def join():
    form = JoinForm(code=request.args.get("code", ""))
    if form.validate_on_submit():
        error = _join(service.find_by_code(form.code.data))
        if error is None:
            return redirect(url_for("learning.home"))
        form.code.errors.append(error)
    return render_template("cohorts/join.html", form=form)


@bp.route("/join/<token>", methods=["GET", "POST"])
@login_required
@limiter.limit("30 per minute", scope="join-link")
def join_by_link(token: str):
    cohort = service.find_by_invite(token)
    if cohort is None:
        abort(404)
    form = ConfirmForm()
    error = None
    if form.validate_on_submit():
        error = _join(cohort)
        if error is None:
            return redirect(url_for("learning.home"))
    return render_template("cohorts/join_link.html", cohort=cohort, form=form, error=error)
