"""学时 from real study: the credit rule in force and what it credits.

The rule (as cadre and teacher training platforms apply it, e.g. 云南省干部在线学习学院):

- a lesson can be completed, and counts, only after active study of at least
  ``min_active_fraction`` of its stated minutes (heartbeats from the lesson page; idle time
  does not count: after ``idle_minutes`` without input the page asks "您还在学习吗？" and
  its clock stands still until answered);
- ``mode: module``: a module's 学时 once every lesson counts (and, as ``earn`` says, its quiz
  is passed and the trainee took part in its discussion), shared among its lessons by their
  minutes; ``mode: time``: each counted lesson earns its active time (``minutes_per_hour``
  minutes a 学时) up to its share, in half hours per module;
- ``daily_cap_hours``: at most this many 学时 for the lessons completed on one local day
  (Asia/Shanghai); the rest of that day's hours are not credited.

The rule in force layers, field by field: the defaults (app config), the course file's
``credit_rule``, the organizer's setting for the course, the organizer's setting for the
cohort (:class:`CreditRuleSetting`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from lms.extensions import db

from .credit_models import CreditRuleSetting
from .models import Course
from .progress_models import LessonProgress

MODES = ("module", "time")
#: activities besides lessons that a module's 学时 may demand
EARN = ("quizzes", "discussion")
FIELDS = ("mode", "minutes_per_hour", "min_active_fraction", "idle_minutes", "daily_cap_hours", "earn")
LOCAL = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class CreditRule:
    mode: str = "module"
    minutes_per_hour: int = 45
    min_active_fraction: float = 0.5  #: of a lesson's stated minutes, 0-1
    idle_minutes: int = 5
    daily_cap_hours: float | None = None
    earn: tuple[str, ...] = ("quizzes",)
    #: where the most specific setting came from: "defaults", "file", "course", "cohort"
    source: str = "defaults"

    def minimum_seconds(self, minutes: int) -> int:
        """The active seconds a lesson of ``minutes`` needs before it may be completed."""
        return math.ceil((minutes or 0) * 60 * self.min_active_fraction)


class RuleError(ValueError):
    """An organizer's rule that cannot be used; the message says why."""


def clean_rule(data: dict) -> dict:
    """The known fields of ``data``, checked and typed (a field set to None is dropped).

    :raises RuleError: for a value out of range.
    """
    rule: dict = {}
    for name in FIELDS:
        value = data.get(name)
        if value is None or value == "":
            continue
        if name == "mode":
            if value not in MODES:
                raise RuleError(_("Choose how credit hours are counted."))
            rule[name] = value
        elif name == "earn":
            rule[name] = [e for e in EARN if e in value]
        elif name == "min_active_fraction":
            value = float(value)
            if not 0 <= value <= 1:
                raise RuleError(_("The share of a lesson's minutes must be between 0 and 100%."))
            rule[name] = value
        elif name == "daily_cap_hours":
            value = float(value)
            if not 0 < value <= 24:
                raise RuleError(_("The daily cap must be between 0.5 and 24 credit hours."))
            rule[name] = value
        else:
            value = int(value)
            limits = {"minutes_per_hour": (1, 120), "idle_minutes": (1, 60)}[name]
            if not limits[0] <= value <= limits[1]:
                raise RuleError(_("A value is out of range."))
            rule[name] = value
    return rule


def _defaults() -> CreditRule:
    config = current_app.config
    return CreditRule(
        min_active_fraction=float(config.get("CREDIT_MIN_ACTIVE_FRACTION", 0.5)),
        idle_minutes=int(config.get("CREDIT_IDLE_MINUTES", 5)),
    )


def _apply(rule: CreditRule, layer: dict | None, source: str) -> CreditRule:
    if not layer:
        return rule
    values = {k: (tuple(v) if k == "earn" else v) for k, v in layer.items() if k in FIELDS}
    return replace(rule, **values, source=source)


def setting(course_id: int, cohort_id: int | None) -> CreditRuleSetting | None:
    query = select(CreditRuleSetting).where(CreditRuleSetting.course_id == course_id)
    if cohort_id is None:
        query = query.where(CreditRuleSetting.cohort_id.is_(None))
    else:
        query = query.where(CreditRuleSetting.cohort_id == cohort_id)
    return db.session.scalar(query)


def rule_for(course: Course, cohort_id: int | None = None, course_layer=None, cohort_layer=None) -> CreditRule:
    """The rule in force for a cohort of the course (or the course's own, without a cohort).

    ``course_layer``/``cohort_layer`` replace the stored settings (the organizer's preview).
    """
    rule = _defaults()
    file_rule = dict((course.settings or {}).get("credit_rule") or {})
    rule = _apply(rule, {k: v for k, v in file_rule.items() if k in FIELDS}, "file")
    if course_layer is None:
        stored = setting(course.id, None)
        course_layer = stored.rule if stored else None
    rule = _apply(rule, course_layer, "course")
    if cohort_id is not None:
        if cohort_layer is None:
            stored = setting(course.id, cohort_id)
            cohort_layer = stored.rule if stored else None
        rule = _apply(rule, cohort_layer, "cohort")
    return rule


def learner_rule(user_id: int, course: Course) -> CreditRule:
    """The rule for the trainee's (newest) cohort of the course."""
    from .service import learner_cohort_id

    return rule_for(course, learner_cohort_id(user_id, course))


def save_setting(actor, course: Course, cohort_id: int | None, data: dict) -> CreditRuleSetting:
    """Store an organizer's rule for the course or a cohort (inside ``write_transaction``)."""
    from lms.audit.service import record

    cleaned = clean_rule(data)
    row = setting(course.id, cohort_id)
    if row is None:
        row = CreditRuleSetting(course_id=course.id, cohort_id=cohort_id)
        db.session.add(row)
    row.rule = cleaned
    row.updated_by_id = actor.id
    db.session.flush()
    record(actor, "credit_rule.set", row, course_id=course.id, cohort_id=cohort_id, rule=cleaned)
    return row


def clear_setting(actor, course: Course, cohort_id: int | None) -> None:
    from lms.audit.service import record

    row = setting(course.id, cohort_id)
    if row is not None:
        record(actor, "credit_rule.clear", row, course_id=course.id, cohort_id=cohort_id)
        db.session.delete(row)
        db.session.flush()


# -- completion --------------------------------------------------------------------------


def completion_refusal(rule: CreditRule, minutes: int, active_seconds: int) -> str | None:
    """Why a lesson may not be completed yet (None when it may)."""
    needed = rule.minimum_seconds(minutes)
    if active_seconds >= needed:
        return None
    missing = math.ceil((needed - active_seconds) / 60)
    return _(
        "This lesson counts after at least %(need)d minutes of active study; you have studied "
        "%(done)d. About %(left)d more minutes, then you can mark it complete.",
        need=math.ceil(needed / 60),
        done=active_seconds // 60,
        left=max(1, missing),
    )


# -- crediting ---------------------------------------------------------------------------


def _day(moment: datetime):
    return moment.astimezone(LOCAL).date()


def credit_modules(rule: CreditRule, plan, modules, progress: dict, posted: set[int]) -> None:
    """Set ``credited_hours`` on each of one trainee's module standings.

    :param plan: the trainee's plan (``structure.ModulePlan`` in the order of ``modules``):
        the lessons and 学时 of each module in the structure the trainee is measured against.
    :param progress: lesson id -> (completed_at, active_seconds) for the trainee.
    :param posted: ids of the modules whose discussion the trainee posted in.
    """
    pieces = []  # (module standing, local day, hours)
    for module_plan, standing in zip(plan, modules, strict=True):
        standing.credited_hours = 0.0
        lessons, hours = module_plan.lessons, module_plan.hours or 0.0
        if not lessons or not hours:
            continue
        if "quizzes" in rule.earn and standing.quiz is not None and not standing.quiz.passed:
            continue
        if "discussion" in rule.earn and module_plan.module.id not in posted:
            continue
        total_minutes = sum(lesson.minutes or 0 for lesson in lessons)
        counted = []
        for lesson in lessons:
            completed_at, seconds = progress.get(lesson.id, (None, 0))
            if completed_at is not None and seconds >= rule.minimum_seconds(lesson.minutes):
                share = hours * (lesson.minutes / total_minutes if total_minutes else 1 / len(lessons))
                counted.append((lesson, completed_at, seconds, share))
        if rule.mode == "module":
            if len(counted) < len(lessons):
                continue
            pieces.extend((standing, _day(done), share) for _, done, _, share in counted)
        else:
            for _, done, seconds, share in counted:
                pieces.append((standing, _day(done), min(share, seconds / 60 / rule.minutes_per_hour)))
    if rule.daily_cap_hours:
        per_day: dict = {}
        for _, day, hours in pieces:
            per_day[day] = per_day.get(day, 0.0) + hours
        factor = {day: min(1.0, rule.daily_cap_hours / total) for day, total in per_day.items() if total}
        pieces = [(s, day, hours * factor.get(day, 1.0)) for s, day, hours in pieces]
    for standing, _, hours in pieces:
        standing.credited_hours += hours
    for standing in modules:
        value = standing.credited_hours
        if rule.mode == "time":
            value = math.floor(value * 2 + 1e-9) / 2
        standing.credited_hours = round(min(value, standing.hours or 0.0), 2)


def _posted(user_ids, cohort_ids) -> dict[int, set[int]]:
    from lms.discussions.models import Post

    if not cohort_ids:
        return {}
    rows = db.session.execute(
        select(Post.author_id, Post.module_id)
        .where(Post.author_id.in_(user_ids), Post.cohort_id.in_(cohort_ids), Post.is_hidden.is_(False))
        .group_by(Post.author_id, Post.module_id)
    )
    found: dict[int, set[int]] = {}
    for author_id, module_id in rows:
        found.setdefault(author_id, set()).add(module_id)
    return found


def apply_to_trainee(user_id: int, course: Course, plan, modules, cohort_id: int | None = None) -> CreditRule:
    """Credit one trainee's modules by the rule of their cohort (``cohort_id``, else their
    newest) against their ``plan``; return the rule."""
    from .service import learner_cohort_id

    if cohort_id is None:
        cohort_id = learner_cohort_id(user_id, course)
    rule = rule_for(course, cohort_id)
    progress = {
        row.lesson_id: (row.completed_at, row.active_seconds)
        for row in db.session.execute(
            select(LessonProgress.lesson_id, LessonProgress.completed_at, LessonProgress.active_seconds).where(
                LessonProgress.user_id == user_id, LessonProgress.course_id == course.id
            )
        )
    }
    posted = (
        _posted([user_id], [cohort_id] if cohort_id else []).get(user_id, set()) if "discussion" in rule.earn else set()
    )
    credit_modules(rule, plan, modules, progress, posted)
    return rule


def apply_to_cohort(course: Course, cohort_id: int, plans: dict, standings: dict) -> CreditRule:
    """Credit every member's modules in grouped queries (``standings`` and ``plans``: user id ->
    CourseStanding, and -> the trainee's plan)."""
    rule = rule_for(course, cohort_id)
    user_ids = list(standings)
    progress: dict[int, dict] = {}
    if user_ids:
        for row in db.session.execute(
            select(
                LessonProgress.user_id,
                LessonProgress.lesson_id,
                LessonProgress.completed_at,
                LessonProgress.active_seconds,
            ).where(LessonProgress.course_id == course.id, LessonProgress.user_id.in_(user_ids))
        ):
            progress.setdefault(row.user_id, {})[row.lesson_id] = (row.completed_at, row.active_seconds)
    posted = _posted(user_ids, [cohort_id]) if "discussion" in rule.earn and user_ids else {}
    for user_id, standing in standings.items():
        credit_modules(rule, plans[user_id], standing.modules, progress.get(user_id, {}), posted.get(user_id, set()))
    return rule


def lesson_minimums(rule: CreditRule, outline) -> list[tuple]:
    """(module, lesson, stated minutes, minimum active minutes) for the preview table."""
    return [
        (module, lesson, lesson.minutes, math.ceil(rule.minimum_seconds(lesson.minutes) / 60))
        for module, lessons in outline
        for lesson in lessons
    ]
