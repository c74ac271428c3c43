"""Trainee pages: the home page, course outlines, lessons and the glossary."""
from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from lms.auth.models import Role
from lms.cohorts.service import cohorts_for_user, visible_cohorts
from lms.extensions import db

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


@bp.route("/courses/<key>/glossary")
@login_required
def glossary(key: str):
    course = _course_or_404(key)
    return render_template("learning/glossary.html", course=course, terms=service.glossary(course))
