"""Authoring pages: the courses a user may edit, outlines, authors, export, images, history.

Drafts of lessons and modules have their pages in :mod:`.draft_views`, questions in
:mod:`.question_views`; all are on this one blueprint, under ``/authoring``.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms.assessment.models import Question
from lms.audit.service import record
from lms.auth.models import Role
from lms.content import structure
from lms.content.export import CourseExportError, export_course_zip
from lms.db import write_transaction
from lms.extensions import db
from lms.input_guard import bounded_int
from lms.learning.models import Course, Lesson, Module
from lms.security import role_required, safe_next_url

from . import history, service
from .drafts import known_images
from .forms import AuthorsForm, ImageUploadForm, MoveForm, PreviewForm, StructureForm, choices
from .images import MAX_UPLOAD_BYTES, ImageRejected, store_upload
from .models import ContentDraft
from .rendering import render_lesson

bp = Blueprint("authoring", __name__, url_prefix="/authoring")
STAFF = (Role.TRAINER, Role.ORGANIZER)


# -- access -------------------------------------------------------------------------------


def course_or_404(key: str) -> Course:
    """The course, if it exists (404) and the current user may edit it (403)."""
    course = service.get_course(key)
    if course is None:
        abort(404)
    if not service.can_edit_course(current_user, course):
        abort(403)
    return course


def _editable(course_id: int) -> Course:
    course = db.session.get(Course, course_id)
    if course is None or course.is_retired:
        abort(404)
    if not service.can_edit_course(current_user, course):
        abort(403)
    return course


def lesson_or_404(lesson_id: int) -> tuple[Lesson, Course]:
    lesson = db.session.get(Lesson, lesson_id)
    if lesson is None or lesson.is_retired:
        abort(404)
    return lesson, _editable(lesson.course_id)


def module_or_404(module_id: int) -> tuple[Module, Course]:
    module = db.session.get(Module, module_id)
    if module is None or module.is_retired:
        abort(404)
    return module, _editable(module.course_id)


def question_or_404(question_id: int) -> tuple[Question, Course]:
    question = db.session.get(Question, question_id)
    if question is None or question.is_retired:
        abort(404)
    return question, _editable(question.course_id)


def draft_or_404(draft_id: int) -> tuple[ContentDraft, Course]:
    draft = db.session.get(ContentDraft, draft_id)
    if draft is None:
        abort(404)
    return draft, _editable(draft.course_id)


def outline_url(course: Course, anchor: str | None = None) -> str:
    return url_for("authoring.show_course", key=course.key, _anchor=anchor)


# -- courses ------------------------------------------------------------------------------


@bp.route("/")
@role_required(*STAFF)
def list_courses():
    return render_template("authoring/index.html", courses=service.editable_courses(current_user))


@bp.route("/courses/<key>")
@role_required(*STAFF)
def show_course(key: str):
    course = course_or_404(key)
    return render_template(
        "authoring/course.html",
        course=course,
        outline=service.outline(course),
        move_form=MoveForm(),
        can_manage_authors=service.can_manage_authors(current_user),
        quizzes=service.quizzes(course),
        surveys=service.surveys(course),
    )


@bp.route("/courses/<key>/authors", methods=["GET", "POST"])
@role_required(Role.ORGANIZER)
def edit_authors(key: str):
    course = service.get_course(key)
    if course is None:
        abort(404)
    form = AuthorsForm()
    form.trainer_ids.choices = choices(
        [(u.id, f"{u.name} · {u.work_unit}" if u.work_unit else u.name) for u in service.trainers()]
    )
    if request.method == "GET":
        form.trainer_ids.data = sorted(service.author_ids(course))
    if form.validate_on_submit():
        with write_transaction():
            added, removed = service.set_authors(
                current_user, db.session.get(Course, course.id), set(form.trainer_ids.data or [])
            )
        flash(_("Authors saved: %(added)d added, %(removed)d removed.", added=added, removed=removed), "success")
        return redirect(url_for("authoring.edit_authors", key=key))
    return render_template("authoring/authors.html", course=course, form=form)


@bp.route("/courses/<key>/structure", methods=["GET", "POST"])
@role_required(*STAFF)
def course_structure(key: str):
    """After a structural change: which running cohorts get it (none unless ticked here)."""
    course = course_or_404(key)
    latest, found = structure.impacts(course)
    form = StructureForm()
    form.cohort_ids.choices = choices([(i.cohort.id, i.cohort.name) for i in found])
    if form.validate_on_submit():
        chosen = set(form.cohort_ids.data or [])
        with write_transaction():
            moved = structure.move_cohorts(db.session.get(Course, course.id), chosen)
            for cohort in moved:
                record(current_user, "authoring.move_cohort_structure", cohort, structure=latest.number)
        flash(_("%(n)d running cohorts now follow the new structure.", n=len(moved)), "success")
        return redirect(url_for("authoring.show_course", key=key))
    return render_template("authoring/structure.html", course=course, latest=latest, impacts=found, form=form)


@bp.route("/courses/<key>/export.zip")
@role_required(*STAFF)
def export_course(key: str):
    """The course as course files (a ZIP), to keep in version control or load elsewhere."""
    course = course_or_404(key)
    try:
        body = export_course_zip(course)
    except CourseExportError as error:
        flash(
            _("The course cannot be exported as valid files: %(problems)s", problems="; ".join(error.problems[:10])),
            "error",
        )
        return redirect(outline_url(course))
    return (
        body,
        200,
        {
            "Content-Type": "application/zip",
            "Content-Disposition": f"attachment; filename={course.key}.zip",
            "Cache-Control": "no-store",
        },
    )


# -- moving modules and lessons -----------------------------------------------------------


def _direction(form: MoveForm) -> int:
    return -1 if form.direction.data == "up" else 1


@bp.route("/modules/<int:module_id>/move", methods=["POST"])
@role_required(*STAFF)
def move_module(module_id: int):
    module, course = module_or_404(module_id)
    form = MoveForm()
    if form.validate_on_submit():
        try:
            with write_transaction():
                service.move_module(current_user, db.session.get(Course, course.id), module.id, _direction(form))
        except service.AuthoringError as error:
            flash(str(error), "error")
    return redirect(outline_url(course, f"module-{module_id}"))


@bp.route("/lessons/<int:lesson_id>/move", methods=["POST"])
@role_required(*STAFF)
def move_lesson(lesson_id: int):
    lesson, course = lesson_or_404(lesson_id)
    form = MoveForm()
    if form.validate_on_submit():
        with write_transaction():
            service.move_lesson(current_user, db.session.get(Lesson, lesson.id), _direction(form))
    return redirect(outline_url(course, f"lesson-{lesson_id}"))


# -- preview and images -------------------------------------------------------------------


@bp.route("/preview", methods=["POST"])
@role_required(*STAFF)
def preview():
    """Markdown in, the sanitised HTML trainees would see out (for the live preview)."""
    form = PreviewForm()
    if not form.validate_on_submit():
        abort(400)
    course = course_or_404(form.course.data)
    known = {}
    if form.lesson_id.data:
        lesson = db.session.get(Lesson, form.lesson_id.data)
        if lesson is None or lesson.course_id != course.id:
            abort(404)
        known = known_images(lesson)
    result = render_lesson(course.key, form.body_markdown.data or "", known, form.kind.data)
    response = render_template("authoring/_preview.html", preview=result)
    return response, 200, {"Cache-Control": "no-store"}


@bp.route("/courses/<key>/images", methods=["POST"])
@role_required(*STAFF)
def upload_image(key: str):
    """Store an uploaded image; answer with its Markdown (JSON for the editor's script)."""
    course = course_or_404(key)
    form = ImageUploadForm()
    wants_json = request.accept_mimetypes.best == "application/json"
    back = safe_next_url(form.next.data) or outline_url(course)
    upload = request.files.get("image")
    data = upload.stream.read(MAX_UPLOAD_BYTES + 1) if upload else b""
    try:
        result = store_upload(course.key, data, form.alt.data or "")
    except ImageRejected as error:
        if wants_json:
            return jsonify(error=str(error)), 400
        flash(str(error), "error")
        return redirect(back)
    with write_transaction():
        record(current_user, "authoring.upload_image", db.session.get(Course, course.id), url=result["url"])
    if wants_json:
        return jsonify(result)
    flash(
        _(
            "Image uploaded. Copy this line into the lesson text where the image belongs: %(markdown)s",
            markdown=result["markdown"],
        ),
        "success",
    )
    return redirect(back)


# -- history ------------------------------------------------------------------------------


@bp.route('/<any(lessons, modules, questions, "survey-items"):kind>/<int:item_id>/history')
@role_required(*STAFF)
def show_history(kind: str, item_id: int):
    model = history.KINDS[kind][0]
    item = db.session.get(model, item_id)
    if item is None:
        abort(404)
    course = _editable(history.course_id_of(item))
    rows = history.versions(kind, item_id)
    chosen = request.args.get("v", type=bounded_int) or (rows[0].version if rows else None)
    current = next((r for r in rows if r.version == chosen), None)
    if rows and current is None:
        abort(404)
    previous = next((r for r in rows if current and r.version < current.version), None)
    changes = []
    if current is not None:
        changes = history.diff_lines(
            history.version_text(previous.data if previous else None), history.version_text(current.data)
        )
    return render_template(
        "authoring/history.html",
        course=course,
        item=item,
        kind=kind,
        rows=rows,
        current=current,
        previous=previous,
        changes=changes,
    )


def module_title(module_id: int | None) -> str:
    if module_id is None:
        return ""
    return db.session.scalar(select(Module.title).where(Module.id == module_id)) or ""


from . import (  # noqa: E402, F401  (imported last: their routes are on ``bp``)
    draft_views,
    question_views,
    quiz_views,
    survey_views,
)
