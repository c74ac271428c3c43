"""The quiz editor: settings, the fixed list (add, remove, reorder, replace), draw rules."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from lms.assessment.models import Question, Quiz, QuizKind
from lms.assessment.rules import (
    AFTER_CLOSING,
    ANSWER,
    CORRECTNESS,
    EXPLANATION,
    RIGHT_AFTER,
    SCORE,
    WHILE_OPEN,
    review_options,
)
from lms.content.structure import running_cohorts
from lms.db import write_transaction
from lms.extensions import db
from lms.learning.models import Module
from lms.security import role_required

from . import quizzes
from .forms import NewQuizForm, QuizItemsForm, QuizSettingsForm, QuizVersionForm, choices, words
from .quizzes import QuizConflict, QuizProblems, QuizSettings
from .views import STAFF, _editable, bp, course_or_404


def _quiz_or_404(quiz_id: int):
    quiz = db.session.get(Quiz, quiz_id)
    if quiz is None or quiz.is_retired:
        abort(404)
    return quiz, _editable(quiz.course_id)


def _draw_modules(quiz: Quiz) -> list[Module]:
    """The modules a draw may take from: its own for a module quiz, else all of them."""
    query = select(Module).where(Module.course_id == quiz.course_id, Module.is_retired.is_(False))
    if quiz.module_id is not None:
        query = query.where(Module.id == quiz.module_id)
    return db.session.scalars(query.order_by(Module.position, Module.id)).all()


def _posted_draw(quiz: Quiz) -> tuple[list[dict], dict[str, tuple[str, str]]]:
    """The draw rules typed in the form (modules with a count above 0), and the raw inputs."""
    rules, raw = [], {}
    for module in _draw_modules(quiz):
        count = (request.form.get(f"count-{module.key}") or "").strip()
        tags = request.form.get(f"exclude-{module.key}") or ""
        raw[module.key] = (count, tags)
        number = int(count) if count.isdigit() else (0 if not count else -1)
        if number:
            rules.append({"module": module.key, "count": number, "exclude_tags": words(tags)})
    return rules, raw


#: the review grid's rows and columns (Moodle's review options), as the attempt pages apply them
REVIEW_TIMES = (
    (RIGHT_AFTER, _l("Right after the attempt")),
    (WHILE_OPEN, _l("Later, while the quiz is open")),
    (AFTER_CLOSING, _l("After the cohort's last day")),
)
REVIEW_PARTS_SHOWN = (
    (SCORE, _l("Score")),
    (CORRECTNESS, _l("Right or wrong")),
    (ANSWER, _l("Right answer")),
    (EXPLANATION, _l("Explanation")),
)


def _posted_review() -> dict:
    """The review grid as ticked: time -> the parts shown then."""
    return {
        when: [part for part, _label in REVIEW_PARTS_SHOWN if part in request.form.getlist(f"review-{when}")]
        for when, _label in REVIEW_TIMES
    }


def _render(quiz, course, form, problems=(), raw_draw=None, status=200, review=None):
    settings = quizzes.settings_of(quiz)
    keys = quizzes.item_keys(quiz)
    questions = {
        q.key: q
        for q in db.session.scalars(
            select(Question)
            .where(Question.course_id == course.id, Question.is_retired.is_(False))
            .order_by(Question.id)
        )
    }
    eligible = [
        q for q in questions.values() if q.key not in keys and (quiz.module_id is None or q.module_id == quiz.module_id)
    ]
    modules = {m.id: m for m in db.session.scalars(select(Module).where(Module.course_id == course.id))}
    if raw_draw is None:
        raw_draw = {r["module"]: (str(r["count"]), ", ".join(r.get("exclude_tags") or [])) for r in settings.draw or []}
    return render_template(
        "authoring/quiz.html",
        course=course,
        quiz=quiz,
        form=form,
        problems=problems,
        items=[questions.get(k) for k in keys],
        keys=keys,
        eligible=eligible,
        modules=modules,
        draw_modules=_draw_modules(quiz) if settings.draw is not None else [],
        raw_draw=raw_draw,
        items_form=QuizItemsForm(),
        version_form=QuizVersionForm(),
        # the stored setting, not settings_of's word: absent means the kind's defaults
        review=review_options(quiz.kind, (quiz.settings or {}).get("review") if review is None else review),
        review_times=REVIEW_TIMES,
        review_parts=REVIEW_PARTS_SHOWN,
    ), status


@bp.route("/quizzes/<int:quiz_id>/edit", methods=["GET", "POST"])
@role_required(*STAFF)
def edit_quiz(quiz_id: int):
    quiz, course = _quiz_or_404(quiz_id)
    form = QuizSettingsForm()
    pre = db.session.scalar(
        select(Quiz.key).where(Quiz.course_id == course.id, Quiz.kind == QuizKind.PRE_TEST, Quiz.is_retired.is_(False))
    )
    form.parallel_to.choices = choices([("", "—")] + ([(pre, pre)] if pre else []))
    if request.method == "GET":
        s = quizzes.settings_of(quiz)
        form.version.data = str(quiz.version)
        for name in (
            "title",
            "time_limit_minutes",
            "max_attempts",
            "pass_mark",
            "shuffle_questions",
            "shuffle_options",
        ):
            getattr(form, name).data = getattr(s, name)
        form.parallel_to.data = s.parallel_to or ""
        return _render(quiz, course, form)
    raw_draw = None
    if form.validate_on_submit():
        draw = None
        if quizzes.settings_of(quiz).draw is not None:
            draw, raw_draw = _posted_draw(quiz)
        settings = QuizSettings(
            title=form.title.data.strip(),
            time_limit_minutes=form.time_limit_minutes.data,
            max_attempts=form.max_attempts.data,
            pass_mark=form.pass_mark.data,
            shuffle_questions=form.shuffle_questions.data,
            shuffle_options=form.shuffle_options.data,
            review=_posted_review(),
            parallel_to=form.parallel_to.data or None,
            draw=draw,
        )
        try:
            with write_transaction():
                changed = quizzes.save_quiz(current_user, quiz.id, _int(form.version.data), settings)
        except QuizConflict as error:
            form.version.data = str(error.quiz.version)
            return _render(quiz, course, form, [str(error)], raw_draw, 409, settings.review)
        except QuizProblems as error:
            return _render(quiz, course, form, error.problems, raw_draw, review=settings.review)
        if changed:
            flash(_("Quiz saved as version %(v)d.", v=db.session.get(Quiz, quiz.id).version), "success")
        else:
            flash(_("Nothing had changed."), "info")
        return redirect(url_for("authoring.edit_quiz", quiz_id=quiz.id))
    return _render(quiz, course, form, raw_draw=raw_draw, review=_posted_review())


def _int(value) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return -1


@bp.route("/quizzes/<int:quiz_id>/items", methods=["POST"])
@role_required(*STAFF)
def change_quiz_items(quiz_id: int):
    """Add, remove, move or replace one question of a quiz's fixed list."""
    quiz, _course = _quiz_or_404(quiz_id)
    form = QuizItemsForm()
    back = redirect(url_for("authoring.edit_quiz", quiz_id=quiz.id, _anchor="items"))
    if not form.validate_on_submit():
        return back
    keys = quizzes.changed_list(quizzes.item_keys(quiz), form.op.data, form.question.data, form.other.data)
    try:
        with write_transaction():
            changed = quizzes.save_quiz(
                current_user, quiz.id, _int(form.version.data), quizzes.settings_of(db.session.get(Quiz, quiz.id)), keys
            )
    except (QuizConflict, QuizProblems) as error:
        problems = error.problems if isinstance(error, QuizProblems) else [str(error)]
        for problem in problems:
            flash(problem, "error")
        return back
    if changed:
        flash(_("Quiz saved as version %(v)d.", v=db.session.get(Quiz, quiz.id).version), "success")
    return back


# -- a new quiz: a draft until published -----------------------------------------------------

PLACE_LABELS = {
    QuizKind.PRE_TEST: _l("Pre-test"),
    QuizKind.POST_TEST: _l("Post-test"),
    QuizKind.FINAL_EXAM: _l("Final exam"),
}


def _place_label(place: quizzes.NewQuizPlace) -> str:
    if place.module is not None:
        return _("Module quiz: %(module)s", module=place.module.title)
    return str(PLACE_LABELS[place.kind])


@bp.route("/courses/<key>/quizzes/new", methods=["GET", "POST"])
@role_required(*STAFF)
def new_quiz(key: str):
    course = course_or_404(key)
    places = quizzes.new_quiz_places(course)
    form = NewQuizForm()
    form.place.choices = choices([(p.value, _place_label(p)) for p in places])
    problems = []
    if places and form.validate_on_submit():
        try:
            with write_transaction():
                quiz = quizzes.create_quiz(
                    current_user, course, form.place.data, form.title.data, form.questions.data == "draw"
                )
        except QuizProblems as error:
            problems = error.problems
        else:
            flash(_("Draft quiz created. Add its questions, then publish it."), "success")
            return redirect(url_for("authoring.edit_quiz", quiz_id=quiz.id))
    return render_template("authoring/quiz_new.html", course=course, form=form, places=places, problems=problems)


@bp.route("/quizzes/<int:quiz_id>/publish", methods=["POST"])
@role_required(*STAFF)
def publish_quiz(quiz_id: int):
    quiz, course = _quiz_or_404(quiz_id)
    form = QuizVersionForm()
    back = redirect(url_for("authoring.edit_quiz", quiz_id=quiz.id))
    if not form.validate_on_submit():
        return back
    try:
        with write_transaction():
            change = quizzes.publish_quiz(current_user, quiz.id, _int(form.version.data))
    except (QuizConflict, QuizProblems) as error:
        for problem in error.problems if isinstance(error, QuizProblems) else [str(error)]:
            flash(problem, "error")
        return back
    flash(_("Quiz published: trainees see it now."), "success")
    if change is not None and running_cohorts(course):
        return redirect(url_for("authoring.course_structure", key=course.key))
    return back


@bp.route("/quizzes/<int:quiz_id>/discard", methods=["POST"])
@role_required(*STAFF)
def discard_quiz(quiz_id: int):
    quiz, course = _quiz_or_404(quiz_id)
    form = QuizVersionForm()
    if not form.validate_on_submit():
        return redirect(url_for("authoring.edit_quiz", quiz_id=quiz.id))
    try:
        with write_transaction():
            quizzes.discard_quiz(current_user, quiz.id, _int(form.version.data))
    except (QuizConflict, QuizProblems) as error:
        for problem in error.problems if isinstance(error, QuizProblems) else [str(error)]:
            flash(problem, "error")
        return redirect(url_for("authoring.edit_quiz", quiz_id=quiz.id))
    flash(_("Draft quiz deleted."), "success")
    return redirect(url_for("authoring.show_course", key=course.key, _anchor="quizzes"))
