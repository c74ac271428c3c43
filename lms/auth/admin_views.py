"""Organizers' user management: search, roles, activation, password resets, bulk import."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from lms.db import write_transaction
from lms.extensions import db
from lms.input_guard import bounded_int
from lms.security import role_required
from lms.storage import discard_pending, load_pending, save_pending

from . import importing, service
from .admin_forms import ConfirmForm, UserImportForm, UserRolesForm, UserSearchForm
from .models import Role, User
from .service import AccountError

bp = Blueprint("users", __name__, url_prefix="/admin/users")


def _get_user(user_id: int) -> User:
    return db.get_or_404(User, user_id)


@bp.route("/")
@role_required(Role.ORGANIZER)
def list_users():
    form = UserSearchForm(request.args)
    role = Role(form.role.data) if form.role.data in {r.value for r in Role} else None
    page = db.paginate(service.search_users(form.q.data or "", role), per_page=50, error_out=False)
    return render_template("users/list.html", form=form, page=page)


@bp.route("/<int:user_id>")
@role_required(Role.ORGANIZER)
def show_user(user_id: int):
    user = _get_user(user_id)
    roles_form = UserRolesForm(**{r.value: True for r in user.roles})
    return render_template("users/show.html", user=user, roles_form=roles_form, confirm=ConfirmForm())


@bp.route("/<int:user_id>/roles", methods=["POST"])
@role_required(Role.ORGANIZER)
def set_roles(user_id: int):
    form = UserRolesForm()
    if form.validate_on_submit():
        try:
            with write_transaction():
                service.set_roles(current_user, _get_user(user_id), {Role(r) for r in form.selected()})
        except AccountError as error:
            flash(str(error), "error")
        else:
            flash(_("Roles saved."), "success")
    return redirect(url_for("users.show_user", user_id=user_id))


@bp.route("/<int:user_id>/active", methods=["POST"])
@role_required(Role.ORGANIZER)
def set_active(user_id: int):
    active = request.form.get("active") == "1"
    if ConfirmForm().validate_on_submit():
        try:
            with write_transaction():
                service.set_active(current_user, _get_user(user_id), active)
        except AccountError as error:
            flash(str(error), "error")
        else:
            flash(_("Account activated.") if active else _("Account deactivated."), "success")
    return redirect(url_for("users.show_user", user_id=user_id))


@bp.route("/<int:user_id>/reset-password", methods=["POST"])
@role_required(Role.ORGANIZER)
def reset_password(user_id: int):
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("users.show_user", user_id=user_id))
    with write_transaction():
        user = _get_user(user_id)
        password = service.reset_password(current_user, user)
    # Shown once, on this response only; it is not stored anywhere in plain text.
    return render_template("users/password_reset.html", user=user, password=password)


def _cohort_choices():
    from lms.cohorts.service import visible_cohorts

    cohorts = db.session.scalars(visible_cohorts(current_user)).all()
    return [SelectChoice(0, _("(none)"))] + [SelectChoice(c.id, f"{c.name} · {c.course.title}") for c in cohorts]


@bp.route("/import", methods=["GET", "POST"])
@role_required(Role.ORGANIZER)
def import_users():
    form = UserImportForm()
    form.cohort_id.choices = _cohort_choices()
    if request.method == "GET" and request.args.get("cohort", type=bounded_int):
        form.cohort_id.data = request.args.get("cohort", type=bounded_int)
    if form.validate_on_submit():
        upload = form.file.data
        try:
            rows = importing.parse_rows(importing.read_table(upload.filename, upload.read()))
        except importing.ImportFileError as error:
            form.file.errors.append(str(error))
        else:
            token = save_pending(
                "user-import",
                {
                    "actor_id": current_user.id,
                    "cohort_id": form.cohort_id.data or None,
                    "filename": upload.filename,
                    "rows": importing.rows_to_json(rows),
                },
            )
            return redirect(url_for("users.preview_import", token=token))
    return render_template("users/import.html", form=form)


@bp.route("/import/<token>", methods=["GET", "POST"])
@role_required(Role.ORGANIZER)
def preview_import(token: str):
    pending = load_pending("user-import", token)
    if pending is None or pending["actor_id"] != current_user.id:
        flash(_("This import preview has expired or was already imported."), "error")
        return redirect(url_for("users.import_users"))
    rows = importing.rows_from_json(pending["rows"])
    form = ConfirmForm()
    if form.validate_on_submit():
        with write_transaction():
            result = importing.apply_import(current_user, rows)
            cohort = _enrol_imported(pending.get("cohort_id"), result)
        discard_pending("user-import", token)
        return render_template("users/import_done.html", result=result, cohort=cohort)
    return render_template(
        "users/import_preview.html",
        rows=rows,
        pending=pending,
        form=form,
        new=sum(r.is_new for r in rows),
        matched=sum(r.existing_user_id is not None and not r.problems for r in rows),
        with_problems=sum(bool(r.problems) for r in rows),
    )


def _enrol_imported(cohort_id, result):
    if not cohort_id:
        return None
    from lms.cohorts.models import Cohort
    from lms.cohorts.service import add_members

    cohort = db.session.get(Cohort, cohort_id)
    if cohort is not None:
        add_members(current_user, cohort, [u for u, _ in result.created] + result.matched)
    return cohort


@bp.route("/import/template.csv")
@role_required(Role.ORGANIZER)
def import_template():
    return (
        importing.template_csv(),
        200,
        {
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": "attachment; filename=trainees-template.csv",
        },
    )
