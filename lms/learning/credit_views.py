"""Organizers set and preview the 学时 rule of a course or of one cohort (blueprint "credit")."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DecimalField, IntegerField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange, Optional

from lms.auth.models import Role
from lms.cohorts.models import Cohort
from lms.cohorts.service import can_manage_cohort
from lms.db import write_transaction
from lms.extensions import db
from lms.security import role_required

from . import credit, service
from .models import Course

bp = Blueprint("credit", __name__)

INHERIT = ""
EARN_CHOICES = {"none": [], "quizzes": ["quizzes"], "discussion": ["discussion"], "both": ["quizzes", "discussion"]}


class CreditRuleForm(FlaskForm):
    mode = SelectField(
        _l("How credit hours are counted"),
        choices=[
            SelectChoice(INHERIT, _l("As inherited")),
            SelectChoice("module", _l("A module's hours once all its lessons count")),
            SelectChoice("time", _l("From active study time")),
        ],
        validate_choice=False,  # empty when not posted; clean_rule checks the value
    )
    min_active_percent = IntegerField(
        _l("Minimum active study (percent of a lesson's stated minutes)"),
        validators=[Optional(), NumberRange(min=0, max=100)],
    )
    idle_minutes = IntegerField(
        _l("Ask “Are you still studying?” after this many quiet minutes"),
        validators=[Optional(), NumberRange(min=1, max=60)],
    )
    daily_cap_hours = DecimalField(
        _l("Daily cap in credit hours (empty: no cap)"), places=1, validators=[Optional(), NumberRange(min=0.5, max=24)]
    )
    minutes_per_hour = IntegerField(
        _l("Minutes of study per credit hour (time rule)"), validators=[Optional(), NumberRange(min=1, max=120)]
    )
    earn = SelectField(
        _l("Besides the lessons, a module's hours need"),
        choices=[
            SelectChoice(INHERIT, _l("As inherited")),
            SelectChoice("none", _l("Nothing else")),
            SelectChoice("quizzes", _l("Its quiz passed")),
            SelectChoice("discussion", _l("A post in its discussion")),
            SelectChoice("both", _l("Its quiz passed and a post in its discussion")),
        ],
        validate_choice=False,
    )

    def layer(self) -> dict:
        data = {
            "mode": self.mode.data or None,
            "min_active_fraction": None if self.min_active_percent.data is None else self.min_active_percent.data / 100,
            "idle_minutes": self.idle_minutes.data,
            "daily_cap_hours": None if self.daily_cap_hours.data is None else float(self.daily_cap_hours.data),
            "minutes_per_hour": self.minutes_per_hour.data,
        }
        if self.earn.data:
            if self.earn.data not in EARN_CHOICES:
                raise credit.RuleError(_("Choose what a module's hours need."))
            data["earn"] = EARN_CHOICES[self.earn.data]
        return credit.clean_rule(data)

    def fill(self, layer: dict) -> None:
        self.mode.data = layer.get("mode", INHERIT)
        fraction = layer.get("min_active_fraction")
        self.min_active_percent.data = None if fraction is None else round(fraction * 100)
        self.idle_minutes.data = layer.get("idle_minutes")
        self.daily_cap_hours.data = layer.get("daily_cap_hours")
        self.minutes_per_hour.data = layer.get("minutes_per_hour")
        earn = layer.get("earn")
        self.earn.data = INHERIT if earn is None else next(k for k, v in EARN_CHOICES.items() if v == list(earn))


def _course(key: str) -> Course:
    course = service.get_course(key)
    if course is None:
        abort(404)
    return course


@bp.route("/courses/<key>/credit-rule", methods=["GET", "POST"])
@role_required(Role.ORGANIZER)
def course_rule(key: str):
    course = _course(key)
    return _edit(course, None)


@bp.route("/cohorts/<int:cohort_id>/credit-rule", methods=["GET", "POST"])
@role_required(Role.ORGANIZER)
def cohort_rule(cohort_id: int):
    cohort = db.get_or_404(Cohort, cohort_id)
    if not can_manage_cohort(current_user, cohort):
        abort(403)
    return _edit(cohort.course, cohort)


def _edit(course: Course, cohort: Cohort | None):
    cohort_id = cohort.id if cohort else None
    form = CreditRuleForm()
    stored = credit.setting(course.id, cohort_id)
    here = request.path
    preview_layer, error = None, None
    if request.method == "GET":
        form.fill(stored.rule if stored else {})
    elif not form.validate_on_submit():
        error = _("Some values need your attention (marked below).")
    else:
        action = request.form.get("action", "preview")
        try:
            layer = form.layer()
        except (credit.RuleError, ValueError) as failure:
            error = str(failure)
        else:
            if action == "save":
                with write_transaction():
                    credit.save_setting(current_user, db.session.get(Course, course.id), cohort_id, layer)
                flash(_("The credit rule has been saved."), "success")
                return redirect(here)
            if action == "clear":
                with write_transaction():
                    credit.clear_setting(current_user, db.session.get(Course, course.id), cohort_id)
                flash(_("The setting was removed; the inherited rule applies."), "success")
                return redirect(here)
            preview_layer = layer
    if cohort is None:
        rule = credit.rule_for(course, None, course_layer=preview_layer)
    else:
        rule = credit.rule_for(course, cohort_id, cohort_layer=preview_layer)
    outline = service.course_outline(course)
    minimums = credit.lesson_minimums(rule, outline)
    return render_template(
        "learning/credit_rule.html",
        course=course,
        cohort=cohort,
        form=form,
        rule=rule,
        stored=stored,
        previewing=preview_layer is not None,
        minimums=minimums,
        total_minutes=sum(m[2] for m in minimums),
        total_minimum=sum(m[3] for m in minimums),
        error=error,
    ), (400 if error else 200)
