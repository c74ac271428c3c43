"""Pages for one question of the bank: edit it (a new version on every change) or add one.

Bulk import and export of questions (GIFT, Moodle XML, Excel) live on the question bank's
own pages (/courses/<key>/bank/import).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from lms.assessment.models import Question
from lms.db import write_transaction
from lms.extensions import db
from lms.input_guard import bounded_int, parse_id
from lms.learning.models import Course, Lesson, Module
from lms.security import role_required

from . import history, questions
from .forms import QuestionForm, choices, words
from .improvement_hook import link_published_version, open_actions
from .questions import QuestionConflict, QuestionData, QuestionProblems
from .views import STAFF, bp, course_or_404, outline_url, question_or_404

#: where the service's problem about a field is shown in the form
_FIELD_OF = {
    "options": "option_a",
    "lesson": "lesson",
    "tags": "tags",
    "stem": "stem",
    "qtype": "qtype",
    "difficulty": "difficulty",
    "key": "key",
    "module": "module",
}
_ANSWER_FIELD = {"single": "answer_single", "multiple": "answer_multiple", "true_false": "answer_true_false"}


def _modules(course: Course) -> list[Module]:
    return db.session.scalars(
        select(Module)
        .where(Module.course_id == course.id, Module.is_retired.is_(False))
        .order_by(Module.position, Module.id)
    ).all()


def _lesson_choices(course: Course, module: Module | None) -> list[tuple[str, str]]:
    query = (
        select(Lesson.key, Lesson.title, Module.title.label("module_title"))
        .join(Module, Module.id == Lesson.module_id)
        .where(Lesson.course_id == course.id, Lesson.is_retired.is_(False), Module.is_retired.is_(False))
        .order_by(Module.position, Lesson.position)
    )
    if module is not None:
        query = query.where(Lesson.module_id == module.id)
    rows = db.session.execute(query).all()
    return [("", "—")] + [(r.key, r.title if module is not None else f"{r.module_title} · {r.title}") for r in rows]


def _data(form: QuestionForm) -> tuple[QuestionData, dict[str, str]]:
    """The question typed in the form, and the problems only the form can see."""
    problems = {}
    options, in_order = form.options()
    if form.qtype.data in questions.CHOICE_TYPES and not in_order:
        problems["options"] = _("Fill in the options from A without leaving gaps.")
    if form.qtype.data not in questions.CHOICE_TYPES:
        options = []  # a question changed to another type keeps no options
    data = QuestionData(
        qtype=form.qtype.data,
        stem=(form.stem.data or "").strip(),
        options=options,
        answer=form.answer(),
        explanation=(form.explanation.data or "").strip(),
        lesson_key=form.lesson.data or None,
        difficulty=form.difficulty.data,
        tags=words(form.tags.data),
        ready=bool(form.ready.data),
    )
    return data, problems


def _show_problems(form: QuestionForm, problems: dict[str, str]) -> None:
    for name, message in problems.items():
        field_name = _FIELD_OF.get(name) or _ANSWER_FIELD.get(form.qtype.data, "answer_text")
        getattr(form, field_name).errors.append(message)


def _fill(form: QuestionForm, data: QuestionData) -> None:
    form.qtype.data = data.qtype
    form.stem.data = data.stem
    for name, text in zip(form.OPTION_FIELDS, data.options + [""] * 6, strict=False):
        getattr(form, name).data = text
    form.set_answer(data.qtype, data.answer)
    form.explanation.data = data.explanation
    form.lesson.data = data.lesson_key or ""
    form.difficulty.data = data.difficulty
    form.tags.data = ", ".join(data.tags)
    form.ready.data = bool(data.ready)


def _conflict(question: Question, mine: QuestionData) -> dict:
    theirs = questions.data_of(question)
    return {
        "version": question.version,
        "diff": history.diff_lines(history.version_text(vars(theirs)), history.version_text(vars(mine))),
    }


def _render(course, form, question=None, module=None, conflict=None, status=200):
    return render_template(
        "authoring/question_form.html",
        course=course,
        form=form,
        question=question,
        module=module,
        conflict=conflict,
        has_actions=bool(form.improvement_choices),
    ), status


def _actions(form: QuestionForm, course: Course) -> None:
    form.improvement_choices = [(str(i), label) for i, label in open_actions(course)]


def _action_id() -> int | None:
    value = request.form.get("improvement_action", "")
    return parse_id(value)


@bp.route("/questions/<int:question_id>/edit", methods=["GET", "POST"])
@role_required(*STAFF)
def edit_question(question_id: int):
    question, course = question_or_404(question_id)
    module = db.session.get(Module, question.module_id)
    form = QuestionForm()
    _actions(form, course)
    form.lesson.choices = choices(_lesson_choices(course, module))
    form.module.choices = choices([(str(module.id), module.title)])  # fixed once created
    if request.method == "GET":
        _fill(form, questions.data_of(question))
        form.version.data = str(question.version)
    conflict = None
    if form.validate_on_submit():
        data, problems = _data(form)
        try:
            version = int(form.version.data or 0)
        except ValueError:
            version = -1
        if not problems:
            try:
                with write_transaction():
                    row = questions.update_question(current_user, question.id, version, data)
                    if row is not None:
                        link_published_version(_action_id(), "question", row.id, current_user)
            except QuestionConflict as error:
                conflict = _conflict(error.question, data)
                form.version.data = str(error.question.version)
                return _render(course, form, question, module, conflict, 409)
            except QuestionProblems as error:
                problems = error.problems
            else:
                if row is None:
                    flash(_("Nothing had changed: the question stays at version %(v)d.", v=version), "info")
                else:
                    flash(_("Question saved as version %(v)d.", v=row.version), "success")
                return redirect(outline_url(course, f"question-{question.id}"))
        _show_problems(form, problems)
    return _render(course, form, question, module, conflict)


def suggest_key(course: Course, module: Module) -> str:
    """A free id in the style of the course files, e.g. ``m03-q12``."""
    count = db.session.scalar(select(func.count(Question.id)).where(Question.module_id == module.id)) or 0
    taken = set(db.session.scalars(select(Question.key).where(Question.course_id == course.id)))
    number = count + 1
    while f"m{module.position + 1:02d}-q{number:02d}" in taken:
        number += 1
    return f"m{module.position + 1:02d}-q{number:02d}"


@bp.route("/courses/<key>/questions/new", methods=["GET", "POST"])
@role_required(*STAFF)
def new_question(key: str):
    course = course_or_404(key)
    modules = _modules(course)
    if not modules:
        abort(404)
    form = QuestionForm()
    _actions(form, course)
    form.module.choices = choices([(str(m.id), m.title) for m in modules])
    form.lesson.choices = choices(_lesson_choices(course, None))
    if request.method == "GET":
        wanted = request.args.get("module", type=bounded_int)
        module = next((m for m in modules if m.id == wanted), modules[0])
        form.module.data = str(module.id)
        form.key.data = suggest_key(course, module)
        form.qtype.data = "single"
    if form.validate_on_submit():
        module = next((m for m in modules if str(m.id) == form.module.data), None)
        data, problems = _data(form)
        if module is None:
            problems["module"] = _("Choose the module.")
        if not problems:
            try:
                with write_transaction():
                    question, row = questions.create_question(
                        current_user,
                        db.session.get(Course, course.id),
                        db.session.get(Module, module.id),
                        (form.key.data or "").strip(),
                        data,
                    )
                    link_published_version(_action_id(), "question", row.id, current_user)
            except QuestionProblems as error:
                problems = error.problems
            else:
                flash(_("Question %(key)s added to the bank.", key=question.key), "success")
                return redirect(outline_url(course, f"question-{question.id}"))
        _show_problems(form, problems)
    return _render(course, form)
