"""Trainee pages: the home page, course outlines, lessons and the glossary."""
from __future__ import annotations

import re

from flask import Blueprint, abort, render_template, send_from_directory
from flask_login import current_user, login_required

from lms.auth.models import Role
from lms.cohorts.service import cohorts_for_user, visible_cohorts
from lms.extensions import db
from lms.storage import storage_path

from . import service
from .models import Course

bp = Blueprint("learning", __name__)


def _course_or_404(key: str) -> Course:
    course = service.get_course(key)
    if course is None:
        abort(404)
    if not service.can_view_course(current_user, course):
        abort(403)
    return course


@bp.route("/")
@login_required
def home():
    staff_cohorts, courses = [], []
    if current_user.has_role(Role.ORGANIZER, Role.TRAINER):
        staff_cohorts = db.session.scalars(visible_cohorts(current_user).limit(10)).all()
        courses = service.active_courses()
    return render_template(
        "learning/home.html",
        my_cohorts=cohorts_for_user(current_user),
        staff_cohorts=staff_cohorts,
        courses=courses,
    )


@bp.route("/courses/<key>")
@login_required
def show_course(key: str):
    course = _course_or_404(key)
    return render_template(
        "learning/course.html", course=course, outline=service.course_outline(course)
    )


@bp.route("/courses/<key>/lessons/<lesson_key>")
@login_required
def show_lesson(key: str, lesson_key: str):
    course = _course_or_404(key)
    lesson = service.get_lesson(course, lesson_key)
    if lesson is None:
        abort(404)
    previous, following = service.neighbours(course, lesson)
    return render_template(
        "learning/lesson.html", course=course, lesson=lesson, module=lesson.module,
        previous=previous, following=following,
    )  # fmt: skip


#: images are stored under their SHA-256, so a name can only be one of these
_MEDIA_NAME = re.compile(r"^[0-9a-f]{64}\.(png|jpg|gif|svg|webp)$")


@bp.route("/media/course/<key>/<name>")
@login_required
def course_media(key: str, name: str):
    """An image of a lesson, copied to storage by the course loader."""
    course = _course_or_404(key)
    if not _MEDIA_NAME.match(name):
        abort(404)
    response = send_from_directory(
        storage_path("course-media", course.key), name, max_age=365 * 24 * 3600
    )
    response.cache_control.immutable = True  # the name changes when the bytes do
    if name.endswith(".svg"):  # an SVG opened on its own must not run anything
        response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


@bp.route("/courses/<key>/glossary")
@login_required
def glossary(key: str):
    course = _course_or_404(key)
    return render_template("learning/glossary.html", course=course, terms=service.glossary(course))
