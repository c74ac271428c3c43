"""Quiz pages: the quiz's page, taking an attempt (form and JSON saves), results, trainers'
attempt lists, the grading queue and regrading.

Every page that reads a trainee's attempts first closes the ones whose time ran out (a cheap
read decides whether a write transaction is needed at all).
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
from flask_login import current_user, login_required
from sqlalchemy import func, select

from lms.access import may_see_keys
from lms.auth.models import Role, User
from lms.cohorts import exports
from lms.cohorts.models import Cohort
from lms.cohorts.service import can_view_cohort
from lms.db import utcnow, write_transaction
from lms.extensions import db
from lms.i18n import local_datetime_text
from lms.input_guard import bounded_int
from lms.learning.models import Course
from lms.learning.sequence import quiz_lock_reasons_for
from lms.learning.service import can_view_course, get_course
from lms.security import role_required, safe_next_url

from . import grading, results, service
from .access import load_question_for
from .forms import AttemptForm, GradeForm, RegradeForm, StartAttemptForm
from .gain import pre_post_by_module
from .models import (
    Attempt,
    AttemptItem,
    AttemptState,
    Question,
    QuestionType,
    QuestionVersion,
    Quiz,
    QuizItem,
)
from .presenting import review_items, take_items
from .service import AttemptClosed, AttemptError, OutOfOrder, StaleSave

bp = Blueprint("assessment", __name__)


# -- helpers --------------------------------------------------------------------------------


def _course_and_quiz(course_key: str, quiz_key: str) -> tuple[Course, Quiz]:
    course = get_course(course_key)
    if course is None:
        abort(404)
    if not can_view_course(current_user, course):
        abort(403)
    quiz = service.get_quiz(course, quiz_key)
    if quiz is None:
        abort(404)
    return course, quiz


def _close_overdue(**filters) -> None:
    now = utcnow()
    if service.has_overdue_attempts(now, **filters):
        with write_transaction():
            service.close_overdue_attempts(now, **filters)


def _viewable_attempt(attempt_id: int) -> Attempt:
    """The attempt if the current user may see it; 404 for everybody else."""
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or not service.can_view_attempt(current_user, attempt):
        abort(404)
    return attempt


def _own_attempt(attempt_id: int) -> Attempt:
    """The current user's own attempt, while they are still a member of its cohort.

    Staff who may view it get 403 (they cannot answer for a trainee), anyone else 404.
    """
    attempt = _viewable_attempt(attempt_id)
    if attempt.user_id != current_user.id or not service.is_member(attempt.user_id, attempt.cohort_id):
        abort(403)
    return attempt


def _question_count(quiz: Quiz, rules) -> int:
    if rules.draw:
        return sum(int(r.get("count") or 0) for r in rules.draw)
    return db.session.scalar(select(func.count(QuizItem.id)).where(QuizItem.quiz_id == quiz.id))


def _form_answers(form) -> dict[int, object]:
    """Answers from a posted form: ``item-<id>`` fields for every id listed in ``items``.

    An item listed but absent from the form (no box ticked, no option chosen) is cleared.
    """
    answers: dict[int, object] = {}
    for raw_id in (form.get("items") or "").split(","):
        if raw_id.strip().isdigit():
            values = form.getlist(f"item-{int(raw_id)}")
            answers[int(raw_id)] = values if len(values) != 1 else values[0]
            if not values:
                answers[int(raw_id)] = None
    return answers


def _json_answers(payload: dict) -> tuple[int, dict[int, object]] | None:
    seq, answers = payload.get("seq"), payload.get("answers")
    if isinstance(seq, bool) or not isinstance(seq, int) or not isinstance(answers, dict):
        return None
    parsed = {}
    for key, value in answers.items():
        if not str(key).isdigit():
            return None
        parsed[int(key)] = value
    return seq, parsed


# -- a trainee takes a quiz -----------------------------------------------------------------


def _quiz_page_context(course: Course, quiz: Quiz) -> dict:
    rules = service.rules_of(quiz)
    attempts = service.user_attempts(current_user.id, quiz.id)
    cohort = service.enrolled_cohort(current_user, course.id)
    in_progress = next((a for a in attempts if a.state == AttemptState.IN_PROGRESS), None)
    locked = []
    if cohort is not None and in_progress is None:
        locked = quiz_lock_reasons_for(current_user.id, course, quiz.kind, quiz.module_id)
    return {
        "course": course,
        "quiz": quiz,
        "rules": rules,
        "attempts": attempts,
        "cohort": cohort,
        "in_progress": in_progress,
        "left": service.attempts_left(rules, attempts),
        "question_count": _question_count(quiz, rules),
        "locked": locked,
        "form": StartAttemptForm(),
        "now": utcnow(),
    }


@bp.route("/courses/<course_key>/quizzes/<quiz_key>")
@login_required
def show_quiz(course_key: str, quiz_key: str):
    """The quiz's rules, the trainee's previous attempts and the start button (or why not)."""
    course, quiz = _course_and_quiz(course_key, quiz_key)
    _close_overdue(quiz_id=quiz.id, user_id=current_user.id)
    return render_template("assessment/quiz.html", **_quiz_page_context(course, quiz))


@bp.route("/courses/<course_key>/quizzes/<quiz_key>/start", methods=["GET"])
@login_required
def confirm_start(course_key: str, quiz_key: str):
    """Before a timed quiz: its time limit and the attempts left, and a button that starts it."""
    course, quiz = _course_and_quiz(course_key, quiz_key)
    _close_overdue(quiz_id=quiz.id, user_id=current_user.id)
    context = _quiz_page_context(course, quiz)
    if context["in_progress"] is not None:
        return redirect(url_for("assessment.take_attempt", attempt_id=context["in_progress"].id))
    if context["cohort"] is None or context["locked"] or context["left"] == 0:
        return redirect(url_for("assessment.show_quiz", course_key=course_key, quiz_key=quiz_key))
    context["form"] = StartAttemptForm(confirmed="1")
    return render_template("assessment/confirm_start.html", **context)


@bp.route("/courses/<course_key>/quizzes/<quiz_key>/start", methods=["POST"])
@login_required
def start_attempt(course_key: str, quiz_key: str):
    course, quiz = _course_and_quiz(course_key, quiz_key)
    cohort = service.enrolled_cohort(current_user, course.id)
    if cohort is None:
        abort(403)  # staff preview the rules; only enrolled trainees take quizzes
    form = StartAttemptForm()
    if not form.validate_on_submit():
        abort(400)
    if service.rules_of(quiz).time_limit_minutes and form.confirmed.data != "1":
        # a timed attempt costs one of the trainee's tries: only from the confirmation page
        return redirect(url_for("assessment.confirm_start", course_key=course_key, quiz_key=quiz_key))
    try:
        with write_transaction():
            attempt, _created = service.start_attempt(current_user, quiz, cohort, utcnow())
            attempt_id = attempt.id
    except AttemptError as error:
        flash(str(error), "error")
        code = 403 if isinstance(error, OutOfOrder) else 302
        if code == 403:
            return render_template("assessment/quiz.html", **_quiz_page_context(course, quiz)), 403
        return redirect(url_for("assessment.show_quiz", course_key=course_key, quiz_key=quiz_key))
    return redirect(url_for("assessment.take_attempt", attempt_id=attempt_id))


@bp.route("/attempts/<int:attempt_id>")
@login_required
def take_attempt(attempt_id: int):
    """The attempt's form: questions, saved answers, the server's remaining time."""
    attempt = _viewable_attempt(attempt_id)
    if attempt.user_id != current_user.id:
        return redirect(url_for("assessment.show_result", attempt_id=attempt_id))
    if not service.is_member(attempt.user_id, attempt.cohort_id):
        abort(403)  # removed from the cohort: the attempt can no longer be answered
    _close_overdue(quiz_id=attempt.quiz_id, user_id=attempt.user_id)
    attempt = db.session.scalar(
        select(Attempt).where(Attempt.id == attempt_id).execution_options(populate_existing=True)
    )
    if attempt.state != AttemptState.IN_PROGRESS:
        return redirect(url_for("assessment.show_result", attempt_id=attempt_id))
    quiz = db.session.get(Quiz, attempt.quiz_id)
    course = db.session.get(Course, quiz.course_id)
    items = take_items(grading.load_items(attempt))
    form = AttemptForm(seq=attempt.save_seq + 1)
    return render_template(
        "assessment/attempt.html",
        attempt=attempt,
        quiz=quiz,
        course=course,
        items=items,
        form=form,
        remaining=service.remaining_seconds(attempt, utcnow()),
        item_ids=",".join(str(i.id) for i in items),
    )


@bp.route("/attempts/<int:attempt_id>/save", methods=["POST"])
@login_required
def save_attempt(attempt_id: int):
    """Save answers: JSON from the page's script (replies JSON), or the form without script."""
    _own_attempt(attempt_id)
    if request.is_json:
        return _save_json(attempt_id)
    form = AttemptForm()
    if not form.validate_on_submit():
        flash(_("The answers could not be read. Please try again."), "error")
        return redirect(url_for("assessment.take_attempt", attempt_id=attempt_id))
    with write_transaction():
        try:
            service.save_responses(attempt_id, form.seq.data, _form_answers(request.form), utcnow())
            error = None
        except AttemptError as caught:
            error = caught
    if error is None:
        flash(_("Your answers have been saved."), "success")
    else:
        flash(str(error), "error")
    return redirect(url_for("assessment.take_attempt", attempt_id=attempt_id))


def _save_json(attempt_id: int):
    parsed = _json_answers(request.get_json(silent=True) or {})
    if parsed is None:
        return jsonify(
            ok=False,
            reason="invalid",
            message=_("The answers could not be read. Please try again."),
        ), 400
    seq, answers = parsed
    now = utcnow()
    with write_transaction():
        try:
            attempt = service.save_responses(attempt_id, seq, answers, now)
            error = None
        except AttemptError as caught:
            error = caught
    if error is not None:
        reason = "stale" if isinstance(error, StaleSave) else "locked" if isinstance(error, OutOfOrder) else "closed"
        body = {"ok": False, "reason": reason, "message": str(error)}
        if isinstance(error, StaleSave):
            body["reload_url"] = url_for("assessment.take_attempt", attempt_id=attempt_id)
        if isinstance(error, AttemptClosed):
            body["result_url"] = url_for("assessment.show_result", attempt_id=attempt_id)
        return jsonify(body), 409
    return jsonify(ok=True, seq=attempt.save_seq, remaining=service.remaining_seconds(attempt, now))


@bp.route("/attempts/<int:attempt_id>/finish", methods=["POST"])
@login_required
def finish_attempt(attempt_id: int):
    """Save the form's answers and hand the attempt in; twice or from two tabs grades once."""
    _own_attempt(attempt_id)
    form = AttemptForm()
    if not form.validate_on_submit():
        flash(_("The answers could not be read. Please try again."), "error")
        return redirect(url_for("assessment.take_attempt", attempt_id=attempt_id))
    now = utcnow()
    with write_transaction():
        try:
            service.save_responses(attempt_id, form.seq.data, _form_answers(request.form), now)
            service.finish_attempt(attempt_id, now)
            error = None
        except AttemptError as caught:
            error = caught
    if isinstance(error, StaleSave):
        flash(str(error), "error")
        return redirect(url_for("assessment.take_attempt", attempt_id=attempt_id))
    if error is not None:
        flash(str(error), "info")
    else:
        flash(_("Your answers have been submitted."), "success")
    return redirect(url_for("assessment.show_result", attempt_id=attempt_id))


@bp.route("/attempts/<int:attempt_id>/result")
@login_required
def show_result(attempt_id: int):
    """Score, pass and (as the review rule allows) each question with its key and explanation."""
    attempt = _viewable_attempt(attempt_id)
    _close_overdue(quiz_id=attempt.quiz_id, user_id=attempt.user_id)
    attempt = db.session.scalar(
        select(Attempt).where(Attempt.id == attempt_id).execution_options(populate_existing=True)
    )
    own = attempt.user_id == current_user.id
    if own and attempt.state == AttemptState.IN_PROGRESS:
        return redirect(url_for("assessment.take_attempt", attempt_id=attempt_id))
    was_regraded = own and attempt.regraded_at is not None
    if was_regraded:
        with write_transaction():
            service.mark_result_seen(attempt)
    quiz = db.session.get(Quiz, attempt.quiz_id)
    course = db.session.get(Course, quiz.course_id)
    rules = service.rules_of(quiz)
    staff = not own
    cohort = db.session.get(Cohort, attempt.cohort_id) if attempt.cohort_id else None
    if staff:
        # staff see keys only for a course they run and are not taking themselves
        everything = may_see_keys(current_user, quiz.course_id)
        parts = frozenset({"score", "correctness", "answer", "explanation"} if everything else {"score"})
    else:
        left = service.attempts_left(rules, service.user_attempts(attempt.user_id, quiz.id))
        parts = service.review_parts(attempt, rules, service.cohort_closes_at(cohort), left, utcnow())
    reveal = bool(parts - {"score"})
    items = review_items(grading.load_items(attempt), _, parts) if reveal else []
    return render_template(
        "assessment/result.html",
        attempt=attempt,
        quiz=quiz,
        course=course,
        rules=rules,
        items=items,
        reveal=reveal,
        parts=parts,
        staff=staff,
        was_regraded=was_regraded,
        trainee=db.session.get(User, attempt.user_id) if staff else current_user,
        cohort=cohort,
        can_grade=service.can_grade(current_user, attempt),
        grade_form=GradeForm(),
        can_regrade=staff and reveal,
        pending=sum(1 for i in items if i.pending),
        gain=pre_post_by_module(attempt.user_id, course.id) if quiz.kind == "post_test" else [],
    )


# -- trainers and organizers ----------------------------------------------------------------


def _cohort_for_staff(cohort_id: int) -> Cohort:
    cohort = db.get_or_404(Cohort, cohort_id)
    if not can_view_cohort(current_user, cohort):
        abort(403)
    return cohort


def _quiz_filter(cohort: Cohort) -> Quiz | None:
    quiz_id = request.args.get("quiz", type=bounded_int)
    if quiz_id is None:
        return None
    quiz = db.session.get(Quiz, quiz_id)
    return quiz if quiz is not None and quiz.course_id == cohort.course_id else None


@bp.route("/cohorts/<int:cohort_id>/attempts")
@role_required(Role.TRAINER, Role.ORGANIZER)
def list_cohort_attempts(cohort_id: int):
    cohort = _cohort_for_staff(cohort_id)
    _close_overdue(cohort_id=cohort.id)
    quiz = _quiz_filter(cohort)
    return render_template(
        "assessment/cohort_attempts.html",
        cohort=cohort,
        quiz=quiz,
        quizzes=results.course_quizzes(cohort.course_id),
        rows=results.cohort_attempt_rows(cohort.id, quiz.id if quiz else None),
    )


EXPORT_HEADINGS = [
    "姓名",
    "手机",
    "邮箱",
    "工作单位",
    "测验",
    "第几次",
    "状态",
    "开始时间",
    "交卷时间",
    "得分",
    "满分",
    "百分比",
    "是否通过",
]


@bp.route("/cohorts/<int:cohort_id>/attempts.csv")
@role_required(Role.TRAINER, Role.ORGANIZER)
def export_cohort_attempts(cohort_id: int):
    cohort = _cohort_for_staff(cohort_id)
    _close_overdue(cohort_id=cohort.id)
    quiz = _quiz_filter(cohort)
    states = {
        AttemptState.IN_PROGRESS: _("Being answered"),
        AttemptState.AWAITING_GRADING: _("Awaiting grading"),
        AttemptState.GRADED: _("Graded"),
    }
    rows = [
        [
            r.name,
            r.phone or "",
            r.email or "",
            r.work_unit,
            r.quiz_title,
            r.number,
            states[AttemptState(r.state)],
            local_datetime_text(r.started_at),
            local_datetime_text(r.finished_at),
            "" if r.score is None else f"{r.score:g}",
            f"{r.max_score:g}",
            "" if r.percent is None else f"{r.percent:g}",
            "" if r.passed is None else (_("Yes") if r.passed else _("No")),
        ]
        for r in results.cohort_attempt_rows(cohort.id, quiz.id if quiz else None)
    ]
    body = exports.to_csv(EXPORT_HEADINGS, rows)
    return (
        body,
        200,
        {
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f"attachment; filename=attempts-{cohort.id}.csv",
        },
    )


@bp.route("/grading")
@role_required(Role.TRAINER, Role.ORGANIZER)
def grading_queue():
    """Short answers awaiting a grade in the cohorts the trainer teaches (organizers: all)."""
    rows, total = results.grading_queue(current_user)
    return render_template("assessment/grading.html", rows=rows, total=total, form=GradeForm())


@bp.route("/grading/<int:item_id>", methods=["POST"])
@role_required(Role.TRAINER, Role.ORGANIZER)
def grade_item(item_id: int):
    item = db.session.get(AttemptItem, item_id)
    attempt = db.session.get(Attempt, item.attempt_id) if item is not None else None
    if attempt is None or not service.can_grade(current_user, attempt):
        abort(404)
    form = GradeForm()
    back = safe_next_url(form.next.data) or url_for("assessment.grading_queue")
    if not form.validate_on_submit() or form.score.data > item.points:
        flash(_("Enter a score between 0 and %(points)s.", points=format(item.points, "g")), "error")
        return redirect(back)
    try:
        with write_transaction():
            graded = grading.grade_item(
                current_user,
                db.session.get(AttemptItem, item_id),
                float(form.score.data),
                (form.note.data or "").strip(),
                utcnow(),
            )
            done = graded.state == AttemptState.GRADED
    except grading.GradingError as error:
        flash(str(error), "error")
        return redirect(back)
    flash(_("Grade saved. The attempt is now fully graded.") if done else _("Grade saved."), "success")
    return redirect(back)


@bp.route("/questions/<int:question_id>/regrade", methods=["GET", "POST"])
@role_required(Role.TRAINER, Role.ORGANIZER)
def regrade_question(question_id: int):
    """After correcting a key: grade every attempt of the question again on a chosen version."""
    question = load_question_for(current_user, question_id, "regrade")
    versions = db.session.scalars(
        select(QuestionVersion)
        .where(QuestionVersion.question_id == question.id)
        .order_by(QuestionVersion.version.desc())
    ).all()
    form = RegradeForm()
    current = " · " + _("current")
    form.version_id.choices = [
        (v.id, _("Version %(n)d", n=v.version) + (current if v.version == question.version else "")) for v in versions
    ]
    if request.method == "GET" and versions:
        form.version_id.data = versions[0].id
    if question.qtype == QuestionType.SHORT_ANSWER:
        form.version_id.choices = []
    if form.validate_on_submit():
        version = db.session.get(QuestionVersion, form.version_id.data)
        try:
            with write_transaction():
                summary = grading.regrade_question(
                    current_user, db.session.get(Question, question_id), version, utcnow()
                )
        except grading.GradingError as error:
            flash(str(error), "error")
        else:
            flash(
                _(
                    "Regraded %(attempts)d attempts; %(changed)d results changed.",
                    attempts=summary.attempts,
                    changed=summary.changed,
                ),
                "success",
            )
            if summary.skipped:
                flash(
                    _(
                        "%(n)d answers were given on a version with other options and were not regraded.",
                        n=summary.skipped,
                    ),
                    "info",
                )
        return redirect(url_for("assessment.regrade_question", question_id=question_id))
    counts = dict(
        db.session.execute(
            select(Attempt.state, func.count(func.distinct(Attempt.id)))
            .join(AttemptItem, AttemptItem.attempt_id == Attempt.id)
            .where(AttemptItem.question_id == question.id)
            .group_by(Attempt.state)
        ).all()
    )
    return render_template(
        "assessment/regrade.html",
        question=question,
        versions=versions,
        form=form,
        counts={AttemptState(k): v for k, v in counts.items()},
        course=db.session.get(Course, question.course_id),
    )
