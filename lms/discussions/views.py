"""Discussion pages: a thread per module and per case lesson of a cohort."""

from __future__ import annotations

import hashlib
import hmac

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from lms.cohorts.models import Cohort
from lms.db import write_transaction
from lms.extensions import db, limiter
from lms.input_guard import bounded_int, parse_id
from lms.learning.models import Lesson, Module

from . import service
from .forms import PostForm
from .models import Post
from .service import DiscussionError

bp = Blueprint("discussions", __name__)

ERRORS = {
    "empty": _l("Please write something first."),
    "too_long": _l("The post is too long."),
    "bad_parent": _l("The post you replied to is no longer available."),
}


def _thread_or_404(cohort_id: int, module_key: str, lesson_key: str | None):
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None or not service.can_take_part(current_user, cohort):
        abort(404)
    module = db.session.scalar(
        select(Module).where(
            Module.course_id == cohort.course_id,
            Module.key == module_key,
            Module.is_retired.is_(False),
        )
    )
    if module is None:
        abort(404)
    lesson = None
    if lesson_key is not None:
        lesson = db.session.scalar(
            select(Lesson).where(
                Lesson.module_id == module.id,
                Lesson.key == lesson_key,
                Lesson.is_retired.is_(False),
                Lesson.kind.in_(service.THREAD_KINDS),
            )
        )
        if lesson is None:
            abort(404)
    return cohort, module, lesson


def _user_key() -> str:
    """Rate-limit key: a keyed hash of the user id (never the session token) for the counters."""
    secret = current_app.config["SECRET_KEY"].encode()
    return "user:" + hmac.new(secret, f"discussion:{current_user.id}".encode(), hashlib.sha256).hexdigest()[:32]


@bp.route("/cohorts/<int:cohort_id>/discuss/<module_key>", methods=["GET", "POST"])
@bp.route("/cohorts/<int:cohort_id>/discuss/<module_key>/<lesson_key>", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per minute", methods=["POST"], key_func=_user_key, scope="discussion-post")
def show_thread(cohort_id: int, module_key: str, lesson_key: str | None = None):
    cohort, module, lesson = _thread_or_404(cohort_id, module_key, lesson_key)
    form = PostForm()
    here = url_for(
        ".show_thread", cohort_id=cohort.id, module_key=module.key, lesson_key=lesson.key if lesson else None
    )
    if form.validate_on_submit():
        try:
            with write_transaction():
                post = service.create_post(
                    current_user,
                    cohort,
                    module,
                    lesson,
                    form.body.data,
                    (parse_id(form.parent_id.data) or 0) if form.parent_id.data else None,  # 0: no such post
                )
        except DiscussionError as error:
            form.body.errors = [*form.body.errors, str(ERRORS[str(error)])]
        else:
            flash(_("Your post is published."), "success")
            return redirect(f"{here}#post-{post.parent_id or post.id}")
    page = request.args.get("page", 1, type=bounded_int)
    moderator = service.can_moderate(current_user, cohort)
    pagination, replies = service.thread_page(
        cohort, module, lesson, page, show_hidden=moderator, viewer_id=current_user.id
    )
    status = 400 if form.errors else 200
    return render_template(
        "discussions/thread.html",
        cohort=cohort,
        module=module,
        lesson=lesson,
        form=form,
        pagination=pagination,
        replies=replies,
        moderator=moderator,
    ), status


@bp.route("/discuss/posts/<int:post_id>/moderate", methods=["POST"])
@login_required
def moderate_post(post_id: int):
    post = db.session.get(Post, post_id)
    cohort = db.session.get(Cohort, post.cohort_id) if post else None
    if post is None or not service.can_take_part(current_user, cohort):
        abort(404)
    if not service.can_moderate(current_user, cohort):
        abort(403)
    action = request.form.get("action", "")
    try:
        with write_transaction():
            post = db.session.get(Post, post_id, with_for_update=True)
            service.moderate(current_user, post, action)
    except DiscussionError:
        abort(400)
    module = db.session.get(Module, post.module_id)
    lesson = db.session.get(Lesson, post.lesson_id) if post.lesson_id else None
    flash(_("The post is updated."), "success")
    return redirect(
        url_for(".show_thread", cohort_id=cohort.id, module_key=module.key, lesson_key=lesson.key if lesson else None)
    )
