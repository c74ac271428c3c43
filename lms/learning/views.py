"""Trainee pages: home, course outline, lessons (with completion and heartbeats), search,
glossary and lesson images."""

from __future__ import annotations

import math
import re

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms import todo
from lms.assessment.bank import can_manage_bank
from lms.auth.models import Role
from lms.cohorts.service import cohorts_for_user, visible_cohorts
from lms.db import write_transaction
from lms.extensions import db
from lms.storage import storage_path
from lms.surveys.service import module_feedback_due

from . import progress, search, sequence, service
from .credit import learner_rule
from .models import Course, Lesson, Module
from .standing import ModuleStatus, course_standing
from .structure import placement_of, plan_lesson_ids, plans_for, trainee_plan

bp = Blueprint("learning", __name__)


def _course_or_404(key: str) -> Course:
    course = service.get_course(key)
    if course is None:
        abort(404)
    if not service.can_view_course(current_user, course):
        abort(403)
    return course


def _lesson_or_404(course: Course, key: str) -> Lesson:
    lesson = service.get_lesson(course, key)
    if lesson is None:
        # a lesson removed since the trainee's cohort started is still theirs to read
        lesson = service.get_lesson(course, key, retired=True)
        placement = placement_of(current_user.id, course)
        plan = trainee_plan(placement, plans_for(course, [placement])) if lesson is not None else []
        if lesson is None or lesson.id not in plan_lesson_ids(plan):
            abort(404)
    return lesson


def _is_staff() -> bool:
    return current_user.has_role(Role.ORGANIZER, Role.TRAINER)


@bp.route("/")
@login_required
def home():
    staff_cohorts, courses = [], []
    if _is_staff():
        staff_cohorts = db.session.scalars(visible_cohorts(current_user).limit(10)).all()
        courses = service.active_courses()
    cards = []
    for cohort in cohorts_for_user(current_user):
        standing = course_standing(current_user.id, cohort.course, cohort.id)
        done = {m.module.id for m in standing.modules if m.is_done}
        due = todo.due_items(current_user.id, cohort)
        due += module_feedback_due(current_user.id, cohort, done)  # needs the standing
        cards.append({"cohort": cohort, "standing": standing, "due": due})
    return render_template("learning/home.html", cards=cards, staff_cohorts=staff_cohorts, courses=courses)


@bp.route("/courses/<key>")
@login_required
def show_course(key: str):
    course = _course_or_404(key)
    standing = course_standing(current_user.id, course)
    cohort_id = service.learner_cohort_id(current_user.id, course)
    return render_template(
        "learning/course.html",
        course=course,
        standing=standing,
        quiz_locks=_quiz_locks(standing) if cohort_id else {},
        rule=learner_rule(current_user.id, course),
        recommended=set(service.recommended_module_ids(current_user.id, course)),
        can_manage_bank=_is_staff() and can_manage_bank(current_user, course),
        cohort_id=cohort_id,
    )


def _quiz_locks(standing) -> dict[int, list[str]]:
    """Why each of the course's quizzes is not open yet (quiz id -> reasons), from the standing."""
    quizzes = list(standing.quizzes.values()) + [m.quiz for m in standing.modules if m.quiz]
    locks = {q.id: sequence.quiz_lock_reasons(standing, q.kind, q.module_id) for q in quizzes}
    return {quiz_id: reasons for quiz_id, reasons in locks.items() if reasons}


@bp.route("/courses/<key>/lessons/<lesson_key>")
@login_required
def show_lesson(key: str, lesson_key: str):
    course = _course_or_404(key)
    lesson = _lesson_or_404(course, lesson_key)
    module = db.session.get(Module, lesson.module_id)
    locked = _locked_module(course, module)
    if locked is not None:
        return render_template("learning/locked.html", course=course, module=locked)
    record = progress.lesson_progress(current_user.id, lesson.id)
    if progress.view_is_news(record, lesson):  # a reload within minutes writes nothing
        with write_transaction():
            record = progress.record_view(current_user.id, lesson)
    previous, following = service.neighbours(course, lesson)
    rule = learner_rule(current_user.id, course)
    return render_template(
        "learning/lesson.html",
        rule=rule,
        minimum_minutes=math.ceil(rule.minimum_seconds(lesson.minutes) / 60),
        studied_minutes=record.active_seconds // 60,
        course=course,
        lesson=lesson,
        module=module,
        completed=record.completed_at is not None,
        position=record.position,
        previous=previous,
        following=following,
        completion=(course.settings or {}).get("completion", "button"),
        cohort_id=service.learner_cohort_id(current_user.id, course),
    )


def _locked_module(course: Course, module: Module):
    """The module's standing if it is locked for the current user, else None.

    Only modules with prerequisites need the trainee's standing; staff are never locked out.
    """
    if not module.prerequisites or _is_staff():
        return None
    standing = course_standing(current_user.id, course).module(module.id)
    return standing if standing is not None and standing.status is ModuleStatus.LOCKED else None


def _open_lesson_or_403(key: str, lesson_key: str, action: str = "view") -> tuple[Course, Lesson]:
    course, lesson = service.load_lesson_for(current_user, key, lesson_key, action)
    if _locked_module(course, db.session.get(Module, lesson.module_id)) is not None:
        abort(403)
    return course, lesson


@bp.route("/courses/<key>/lessons/<lesson_key>/complete", methods=["POST"])
@login_required
def complete_lesson(key: str, lesson_key: str):
    course, lesson = _open_lesson_or_403(key, lesson_key, "record")
    wants_json = request.accept_mimetypes.best == "application/json"
    try:
        with write_transaction():
            newly = progress.complete_lesson(current_user.id, lesson)
    except progress.NotStudiedEnough as refusal:
        if wants_json:
            return jsonify(completed=False, message=str(refusal)), 409
        flash(str(refusal), "error")
        return redirect(url_for(".show_lesson", key=course.key, lesson_key=lesson.key))
    if wants_json:
        return jsonify(completed=True, newly=newly)
    if newly:
        flash(_("Lesson completed."), "success")
    standing = course_standing(current_user.id, course)
    step = standing.next_step
    if step.kind == "lesson":
        return redirect(url_for(".show_lesson", key=course.key, lesson_key=step.lesson.key))
    return redirect(url_for(".show_course", key=course.key))


_VIEW_ID = re.compile(r"^[A-Za-z0-9_-]{8,40}$")
_POSITION = re.compile(r"^[^\s<>\"']{0,64}$")


@bp.route("/courses/<key>/lessons/<lesson_key>/beat", methods=["POST"])
@login_required
def lesson_heartbeat(key: str, lesson_key: str):
    """Active time from the lesson page (static/js/lesson.js): JSON {view, seq, seconds, position}."""
    lesson = _open_lesson_or_403(key, lesson_key, "record")[1]
    data = request.get_json(silent=True) or {}
    view, seq, seconds = data.get("view"), data.get("seq"), data.get("seconds")
    position = data.get("position") or ""
    if not (
        isinstance(view, str)
        and _VIEW_ID.match(view)
        and isinstance(seq, int)
        and 0 <= seq < 10**7
        and isinstance(seconds, int)
        and 0 <= seconds <= 3600
        and isinstance(position, str)
        and _POSITION.match(position)
    ):
        return jsonify(error=_("The request was not understood.")), 400
    with write_transaction():
        counted = progress.record_heartbeat(current_user.id, lesson, view, seq, seconds, position)
    return jsonify(counted=counted)


@bp.route("/courses/<key>/search")
@login_required
def search_course(key: str):
    course = _course_or_404(key)
    query = request.args.get("q", "").strip()[:200]
    return render_template(
        "learning/search.html",
        course=course,
        query=query,
        hits=search.search_lessons(course.id, query),
        terms=search.search_glossary(course.id, query),
    )


#: images are stored under their SHA-256, so a name can only be one of these
_MEDIA_NAME = re.compile(r"^[0-9a-f]{64}\.(png|jpg|gif|svg|webp)$")


@bp.route("/media/course/<key>/<name>")
@login_required
def course_media(key: str, name: str):
    """An image of a lesson, copied to storage by the course loader."""
    course = _course_or_404(key)
    if not _MEDIA_NAME.match(name):
        abort(404)
    response = send_from_directory(storage_path("course-media", course.key), name, max_age=365 * 24 * 3600)
    response.cache_control.immutable = True  # the name changes when the bytes do
    if name.endswith(".svg"):  # an SVG opened on its own must not run anything
        response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


@bp.route("/courses/<key>/glossary")
@login_required
def glossary(key: str):
    course = _course_or_404(key)
    return render_template("learning/glossary.html", course=course, terms=service.glossary(course))


def quiz_url(course: Course, quiz) -> str:
    """Where a quiz of the course is taken (the assessment pages)."""
    return url_for("assessment.show_quiz", course_key=course.key, quiz_key=quiz.key)


@bp.app_context_processor
def _learning_links() -> dict:
    return {"quiz_url": quiz_url}
