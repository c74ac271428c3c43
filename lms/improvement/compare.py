"""Did the change help? The action's measure before and after the content changed.

The split is the action's change point (its earliest linked content version):
- facility of a question whose own new version is linked: answers given on the older versions
  of the question against answers on the new version and later
  (``AttemptItem.question_version_id``);
- otherwise (gain, satisfaction, completion, or a lesson or module change): the cohorts of the
  course that started before the change day against those that started on or after it.
Only cohorts the viewer may see count. Each side has its n and a 95 % interval (t for means,
Wilson for completion rates).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select

from lms.assessment.models import (
    Attempt,
    AttemptItem,
    AttemptState,
    Question,
    QuestionVersion,
)
from lms.auth.models import User
from lms.cohorts.models import Cohort
from lms.cohorts.service import visible_cohorts
from lms.extensions import db
from lms.learning.models import Lesson
from lms.reports import stats
from lms.reports.funnel import current_lessons
from lms.reports.learning import gain_overall, pre_post_quizzes
from lms.reports.progress import lesson_completion
from lms.reports.reaction import module_satisfaction
from lms.reports.scope import Scope

from .models import ImprovementAction, Measure, TargetKind
from .service import VersionInfo, change_point


@dataclass
class Side:
    n: int
    value: float | None
    low: float | None
    high: float | None
    cohorts: list[str]  #: the cohorts counted (cohort split)
    versions: list[int]  #: the question versions counted (version split)
    suppressed: bool = False  #: anonymous answers from too few people


@dataclass
class Comparison:
    measure: Measure
    basis: str  #: "version" or "cohort_start"
    change: VersionInfo
    change_day: date
    before: Side
    after: Side
    kind: str  #: how to show values: "pct" (0-1 shares) or "num"

    @property
    def difference(self) -> float | None:
        if self.before.value is None or self.after.value is None:
            return None
        return self.after.value - self.before.value


def _local_day(moment) -> date:
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai"))
    return moment.astimezone(zone).date()


def _module_id(action: ImprovementAction) -> int | None:
    if action.target_kind == TargetKind.MODULE:
        return action.target_id
    model = Lesson if action.target_kind == TargetKind.LESSON else Question
    if action.target_kind in (TargetKind.LESSON, TargetKind.QUESTION):
        return db.session.scalar(select(model.module_id).where(model.id == action.target_id))
    return None


def _split_cohorts(action: ImprovementAction, viewer: User, day: date):
    cohorts = db.session.scalars(visible_cohorts(viewer).where(Cohort.course_id == action.course_id)).all()
    before = [c for c in cohorts if c.starts_on < day]
    after = [c for c in cohorts if c.starts_on >= day]
    return before, after


def _share_stats(where) -> tuple[int, float | None, float | None, float | None]:
    """n, mean, CI of the per-answer share of marks (score / points) over graded attempts."""
    share = func.coalesce(AttemptItem.score, 0.0) * 1.0 / AttemptItem.points
    row = db.session.execute(
        select(func.count(), func.sum(share), func.sum(share * share))
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .where(Attempt.state == AttemptState.GRADED, AttemptItem.points > 0, *where)
    ).one()
    ci = stats.mean_ci(row[0], row[1], row[2])
    return ci.n, ci.mean, ci.low, ci.high


def _questions_under(action: ImprovementAction) -> list[int]:
    column = {
        TargetKind.QUESTION: Question.id,
        TargetKind.LESSON: Question.lesson_id,
        TargetKind.MODULE: Question.module_id,
    }[action.target_kind]
    return list(db.session.scalars(select(Question.id).where(column == action.target_id)))


def _facility_by_version(action, change: VersionInfo, cohort_ids) -> tuple[Side, Side]:
    versions = db.session.execute(
        select(QuestionVersion.id, QuestionVersion.version).where(QuestionVersion.question_id == action.target_id)
    ).all()
    old = [v for v in versions if v.version < change.version]
    new = [v for v in versions if v.version >= change.version]
    sides = []
    for group in (old, new):
        ids = [v.id for v in group]
        n, value, low, high = _share_stats(
            [AttemptItem.question_version_id.in_(ids), Attempt.cohort_id.in_(cohort_ids)]
        )
        sides.append(Side(n, value, low, high, [], sorted(v.version for v in group)))
    return sides[0], sides[1]


def _cohort_side(action: ImprovementAction, measure: Measure, cohorts: list[Cohort]) -> Side:
    names = [c.name for c in cohorts]
    ids = [c.id for c in cohorts]
    empty = Side(0, None, None, None, names, [])
    if not ids:
        return empty
    scope = Scope(course_id=action.course_id, cohort_ids=tuple(ids), all_attempts=True)
    module_id = _module_id(action)
    if measure == Measure.FACILITY:
        n, value, low, high = _share_stats(
            [AttemptItem.question_id.in_(_questions_under(action)), Attempt.cohort_id.in_(ids)]
        )
        return Side(n, value, low, high, names, [])
    if measure == Measure.GAIN:
        pre, post = pre_post_quizzes(action.course_id)
        if not (pre and post and module_id):
            return empty
        gain = gain_overall(scope, pre, post, module_ids=[module_id]).gain
        return Side(gain.n, gain.mean, gain.low, gain.high, names, [])
    if measure == Measure.SATISFACTION:
        found = module_satisfaction(scope, [module_id]) if module_id else []
        if not found:
            return empty
        s = found[0]
        return Side(s.respondents, s.score.mean, s.score.low, s.score.high, names, [], s.suppressed)
    lessons = _lessons_under(action)
    members, done = lesson_completion(ids, lessons)
    low, high = stats.wilson(done, members)
    return Side(members, done / members if members else None, low, high, names, [])


def _lessons_under(action: ImprovementAction) -> list[int]:
    if action.target_kind == TargetKind.LESSON:
        return [action.target_id]
    if action.target_kind == TargetKind.QUESTION:
        lesson_id = db.session.scalar(select(Question.lesson_id).where(Question.id == action.target_id))
        if lesson_id:
            return [lesson_id]
    module_id = _module_id(action)
    if not module_id:
        return []
    lessons = current_lessons(action.course_id).where(Lesson.module_id == module_id)
    return list(db.session.scalars(lessons))


def compare_before_after(action: ImprovementAction, viewer: User) -> Comparison | None:
    """The measure before and after the action's change, or None while nothing changed yet
    (or the action names no content)."""
    if not action.target_kind or not action.target_id:
        return None
    change = change_point(action)
    if change is None:
        return None
    day = _local_day(change.created_at)
    measure = Measure(action.measure)
    kind = "num" if measure in (Measure.GAIN, Measure.SATISFACTION) else "pct"
    by_version = (
        measure == Measure.FACILITY
        and action.target_kind == TargetKind.QUESTION
        and change.kind == TargetKind.QUESTION
        and change.item_id == action.target_id
    )
    if by_version:
        cohort_ids = [
            c.id for c in db.session.scalars(visible_cohorts(viewer).where(Cohort.course_id == action.course_id))
        ]
        before, after = _facility_by_version(action, change, cohort_ids)
        return Comparison(measure, "version", change, day, before, after, kind)
    early, late = _split_cohorts(action, viewer, day)
    return Comparison(
        measure,
        "cohort_start",
        change,
        day,
        _cohort_side(action, measure, early),
        _cohort_side(action, measure, late),
        kind,
    )
