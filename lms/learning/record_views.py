"""学习档案: a trainee's learning record per course, and staff's progress table per cohort."""

from __future__ import annotations

from flask import Response, abort, current_app, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func, select

from lms.auth.models import Role, User
from lms.certificates.service import design_for
from lms.cohorts.exports import to_csv, to_xlsx
from lms.cohorts.models import Cohort, Enrolment, EnrolmentStatus
from lms.cohorts.service import can_view_cohort, roster
from lms.db import utcnow
from lms.extensions import db
from lms.security import role_required

from . import credit
from .hours_statement import statement_pdf
from .progress_models import LessonProgress
from .service import learner_cohort_id
from .standing import CourseStanding, ModuleStatus, cohort_standings, course_standing
from .views import _course_or_404, bp

STATUS_LABELS = {
    ModuleStatus.LOCKED: _l("Locked"),
    ModuleStatus.AVAILABLE: _l("Not started"),
    ModuleStatus.IN_PROGRESS: _l("In progress"),
    ModuleStatus.DONE: _l("Done"),
}


def _status_label(status: ModuleStatus) -> str:
    return str(STATUS_LABELS[status])


def _minutes(seconds: int) -> int:
    return round(seconds / 60)


def _record_table(standing: CourseStanding) -> tuple[list[str], list[list]]:
    headings = [
        _("Module"),
        _("Status"),
        _("Lessons completed"),
        _("Active minutes"),
        _("Module quiz best %"),
        _("Credit hours"),
        _("Credit hours credited"),
    ]
    rows = []
    for m in standing.modules:
        best = m.quiz.best_percent if m.quiz else None
        rows.append(
            [
                m.module.title,
                _status_label(m.status),
                f"{m.lessons_done}/{m.lessons_total}",
                _minutes(m.active_seconds),
                "" if best is None else round(best),
                m.hours,
                m.credited_hours,
            ]
        )
    return headings, rows


def _export(name: str, fmt: str, headings: list[str], rows: list[list]) -> Response:
    if fmt == "csv":
        body, mimetype = to_csv(headings, rows), "text/csv; charset=utf-8"
    else:
        body = to_xlsx(name, headings, rows)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@bp.route("/courses/<key>/record")
@bp.route("/courses/<key>/record.<any(csv, xlsx):fmt>")
@login_required
def my_record(key: str, fmt: str | None = None):
    course = _course_or_404(key)
    standing = course_standing(current_user.id, course)
    headings, rows = _record_table(standing)
    if fmt:
        return _export(f"record-{course.code}", fmt, headings, rows)
    return render_template(
        "learning/record.html",
        course=course,
        standing=standing,
        trainee=current_user,
        headings=headings,
        rows=rows,
        cohort=None,
        rule=credit.rule_for(course, learner_cohort_id(current_user.id, course)),
    )


def _cohort_or_404(cohort_id: int) -> Cohort:
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None or not can_view_cohort(current_user, cohort):
        abort(404)
    return cohort


def _member_or_404(cohort: Cohort, user_id: int) -> User:
    member = db.session.scalar(
        select(User)
        .join(Enrolment, Enrolment.user_id == User.id)
        .where(Enrolment.cohort_id == cohort.id, User.id == user_id)
    )
    if member is None:
        abort(404)
    return member


@bp.route("/cohorts/<int:cohort_id>/members/<int:user_id>/record")
@role_required(Role.ORGANIZER, Role.TRAINER)
def member_record(cohort_id: int, user_id: int):
    cohort = _cohort_or_404(cohort_id)
    member = _member_or_404(cohort, user_id)
    standing = course_standing(member.id, cohort.course, cohort.id)
    headings, rows = _record_table(standing)
    return render_template(
        "learning/record.html",
        course=cohort.course,
        standing=standing,
        trainee=member,
        headings=headings,
        rows=rows,
        cohort=cohort,
        rule=credit.rule_for(cohort.course, cohort.id),
    )


def _hours_statement(standing: CourseStanding, trainee: User, course, cohort) -> Response:
    """The 学时证明 PDF (rendered now: it states the hours as they stand)."""
    issuer = (design_for(cohort).issuer if cohort else "") or current_app.config.get("LMS_SITE_NAME", "")
    pdf = statement_pdf(standing, trainee, course, cohort, issuer, utcnow())
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="hours-{course.code}-{trainee.id}.pdf"'
    return response


@bp.route("/courses/<key>/record/hours.pdf")
@login_required
def my_hours_statement(key: str):
    course = _course_or_404(key)
    cohort_id = learner_cohort_id(current_user.id, course)
    cohort = db.session.get(Cohort, cohort_id) if cohort_id else None
    standing = course_standing(current_user.id, course, cohort_id)
    return _hours_statement(standing, current_user, course, cohort)


@bp.route("/cohorts/<int:cohort_id>/members/<int:user_id>/record/hours.pdf")
@role_required(Role.ORGANIZER, Role.TRAINER)
def member_hours_statement(cohort_id: int, user_id: int):
    cohort = _cohort_or_404(cohort_id)
    member = _member_or_404(cohort, user_id)
    return _hours_statement(course_standing(member.id, cohort.course, cohort.id), member, cohort.course, cohort)


@bp.route("/cohorts/<int:cohort_id>/progress")
@bp.route("/cohorts/<int:cohort_id>/progress.<any(csv, xlsx):fmt>")
@role_required(Role.ORGANIZER, Role.TRAINER)
def cohort_progress(cohort_id: int, fmt: str | None = None):
    """Every member's progress and 学时, from grouped queries."""
    cohort = _cohort_or_404(cohort_id)
    standings = cohort_standings(cohort.course, cohort.id)
    last_seen = dict(
        db.session.execute(
            select(LessonProgress.user_id, func.max(LessonProgress.last_seen_at))
            .join(Enrolment, Enrolment.user_id == LessonProgress.user_id)
            .where(
                Enrolment.cohort_id == cohort.id,
                Enrolment.status == EnrolmentStatus.ACTIVE,
                LessonProgress.course_id == cohort.course_id,
            )
            .group_by(LessonProgress.user_id)
        ).all()
    )
    members = roster(cohort)
    headings = [
        _("Name"),
        _("Work unit"),
        _("Region"),
        _("Lessons completed"),
        _("Progress %"),
        _("Modules done"),
        _("Active minutes"),
        _("Credit hours credited"),
    ]
    rows = []
    for member in members:
        s = standings[member.id]
        region = " ".join(p for p in (member.province, member.city, member.county) if p)
        rows.append(
            [
                member.name,
                member.work_unit,
                region,
                f"{s.lessons_done}/{s.lessons_total}",
                s.percent,
                sum(1 for m in s.modules if m.is_done),
                _minutes(s.active_seconds),
                s.credited_hours,
            ]
        )
    if fmt:
        return _export(f"progress-{cohort.id}", fmt, headings, rows)
    return render_template(
        "learning/cohort_progress.html",
        cohort=cohort,
        headings=headings,
        rows=list(zip(members, rows, strict=True)),
        last_seen=last_seen,
    )
