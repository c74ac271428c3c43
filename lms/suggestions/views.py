"""Suggestion-box pages: anyone signed in writes; organizers triage and reply."""

from __future__ import annotations

import hashlib
import hmac

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from lms.auth.models import Role
from lms.db import utcnow, write_transaction
from lms.extensions import db, limiter
from lms.input_guard import bounded_int
from lms.learning.models import Course, Module
from lms.security import role_required

from . import service
from .forms import SuggestionForm, TriageForm
from .models import STATUS_LABELS, Suggestion, SuggestionStatus
from .service import SuggestionData, SuggestionError

bp = Blueprint("suggestions", __name__)


def _writer_key() -> str:
    """Rate-limit key: a keyed hash of the user id, so the counters (in Redis) neither name
    the user nor, for an anonymous suggestion, tie it to them."""
    secret = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(secret, f"suggestion:{current_user.id}".encode(), hashlib.sha256)
    return "suggest:" + digest.hexdigest()[:32]


@bp.route("/suggestions/new", methods=["GET", "POST"])
@login_required
@limiter.limit(
    lambda: current_app.config["SUGGESTION_LIMITS"],
    methods=["POST"],
    key_func=_writer_key,
    deduct_when=lambda response: response.status_code == 302,
    scope="suggestion",
)
def new_suggestion():
    form = SuggestionForm(about=request.args.get("about", ""))
    form.about.choices = [SelectChoice(v, label) for v, label in service.about_choices(current_user)]
    if form.validate_on_submit():
        data = SuggestionData(
            subject=form.subject.data,
            body=form.body.data,
            anonymous=form.anonymous.data,
            about=form.about.data or "",
        )
        try:
            with write_transaction():
                service.create_suggestion(current_user, data, utcnow())
        except SuggestionError as error:
            form.about.errors.append(str(error))
        else:
            if data.anonymous:
                flash(_("Thank you. Your anonymous suggestion has been received."), "success")
                return redirect(url_for("suggestions.new_suggestion"))
            flash(_("Thank you. Your suggestion has been received; replies appear here."), "success")
            return redirect(url_for("suggestions.my_suggestions"))
    return render_template("suggestions/new.html", form=form)


@bp.route("/suggestions/mine")
@login_required
def my_suggestions():
    return render_template(
        "suggestions/mine.html",
        suggestions=service.my_suggestions(current_user),
        labels=STATUS_LABELS,
    )


@bp.route("/admin/suggestions")
@role_required(Role.ORGANIZER)
def list_suggestions():
    status = request.args.get("status", "")
    who = request.args.get("who", "")
    course_id = request.args.get("course", type=bounded_int)
    page = db.paginate(service.suggestions_query(status, course_id, who), per_page=30, error_out=False)
    courses = db.session.scalars(db.select(Course).order_by(Course.title)).all()
    titles = {c.id: c.title for c in courses}
    module_ids = {s.module_id for s in page.items if s.module_id}
    modules = {}
    if module_ids:
        modules = {m.id: m.title for m in db.session.scalars(db.select(Module).where(Module.id.in_(module_ids)))}
    return render_template(
        "suggestions/admin_list.html",
        page=page,
        labels=STATUS_LABELS,
        courses=courses,
        titles=titles,
        modules=modules,
        status=status,
        who=who,
        course_id=course_id,
    )


@bp.route("/admin/suggestions/<int:suggestion_id>", methods=["GET", "POST"])
@role_required(Role.ORGANIZER)
def show_suggestion(suggestion_id: int):
    suggestion = service.get_with_replies(suggestion_id)
    if suggestion is None:
        abort(404)
    form = TriageForm(status=suggestion.status.value)
    if form.validate_on_submit():
        with write_transaction():
            changed = service.triage(
                current_user,
                db.session.get(Suggestion, suggestion_id),
                SuggestionStatus(form.status.data),
                form.reply.data or "",
                utcnow(),
            )
        flash(_("Saved.") if changed else _("Nothing changed."), "success" if changed else "info")
        return redirect(url_for("suggestions.show_suggestion", suggestion_id=suggestion_id))
    course = db.session.get(Course, suggestion.course_id) if suggestion.course_id else None
    module = db.session.get(Module, suggestion.module_id) if suggestion.module_id else None
    return render_template(
        "suggestions/admin_show.html",
        s=suggestion,
        form=form,
        labels=STATUS_LABELS,
        course=course,
        module=module,
    )
