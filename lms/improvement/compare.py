"""Did the change help? Records made on the version before the change against records made
on the changed version (and later), whatever the dates and cohorts.

The split is version V of the action's target: the version the change point made (the
earliest linked version, or the earliest detected one), or for a target the change did not
version itself (a lesson added to a module) the target's first version made with or after it.
How a record finds its version:
- a question answer: ``AttemptItem.question_version_id``;
- a lesson: ``LessonProgress.lesson_version`` (the version shown, and once done completed);
- a module: the module version in the structure the trainee is measured against
  (``learning.structure``: the cohort's pinned structure, or the trainee's module pin).
Figures: for a question facility, discrimination (item score against the rest of the
attempt) and how often each option was chosen; for a lesson or module the completion rate,
the time to complete, the module quiz's facility and satisfaction (anonymous answers carry no
trainee, so satisfaction is split by the version each cohort ran on); gain when the action
measures gain. Every figure has its n and a 95 % interval, and a plain sentence instead of a
verdict when either side has fewer than ``MIN_N`` records. Only cohorts the viewer may see
count; the action's owner sees every cohort of the course.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from lms.assessment.models import Attempt, AttemptItem, AttemptState, QuestionVersion, Quiz, QuizKind
from lms.auth.models import User
from lms.cohorts.models import Cohort
from lms.cohorts.service import visible_cohorts
from lms.extensions import db
from lms.learning.models import Course, Lesson, LessonVersion, ModuleVersion
from lms.learning.progress_models import LessonProgress
from lms.learning.structure import Placement, cohort_placements, plans_for, trainee_plan
from lms.reports import stats
from lms.reports.learning import gain_overall, pre_post_quizzes
from lms.reports.reaction import module_satisfaction
from lms.reports.scope import Scope

from .models import ImprovementAction, Measure, TargetKind
from .service import VersionInfo, change_point

MIN_N = 5  #: fewer records than this on a side and the figure is not compared


@dataclass
class Side:
    n: int
    value: float | None
    low: float | None
    high: float | None
    cohorts: list[str] = field(default_factory=list)
    versions: list[int] = field(default_factory=list)
    suppressed: bool = False  #: anonymous answers from too few people


EMPTY = Side(0, None, None, None)


@dataclass
class Metric:
    key: str
    label: object
    kind: str  #: how to show values: "pct" (0-1 shares), "num" or "minutes"
    before: Side
    after: Side

    @property
    def difference(self) -> float | None:
        if self.before.value is None or self.after.value is None:
            return None
        return self.after.value - self.before.value

    @property
    def too_small(self) -> bool:
        return self.before.n < MIN_N or self.after.n < MIN_N

    @property
    def sentence(self) -> str | None:
        if not self.too_small:
            return None
        return _(
            "Too few records to say anything yet: %(before)d on the older version and %(after)d on "
            "the new one (at least %(min)d each are needed).",
            before=self.before.n,
            after=self.after.n,
            min=MIN_N,
        )


@dataclass
class Comparison:
    measure: Measure
    change: VersionInfo
    target_kind: TargetKind
    version: int  #: V: the split version of the target
    before_versions: list[int]
    after_versions: list[int]
    metrics: list[Metric]
    cohorts: list[str]  #: every cohort counted
    options: list[tuple[str, int, int]] = field(default_factory=list)  #: letter, before, after

    @property
    def before_label(self) -> str:
        return ", ".join(f"v{v}" for v in self.before_versions) or "—"

    @property
    def after_label(self) -> str:
        return ", ".join(f"v{v}" for v in self.after_versions) or "—"

    @property
    def primary(self) -> Metric | None:
        key = {Measure.COMPLETION: "completion", Measure.SATISFACTION: "satisfaction", Measure.GAIN: "gain"}.get(
            self.measure, "facility" if self.target_kind == TargetKind.QUESTION else "quiz_facility"
        )
        return next((m for m in self.metrics if m.key == key), self.metrics[0] if self.metrics else None)


# -- helpers -------------------------------------------------------------------------------


def _cohorts(action: ImprovementAction, viewer: User) -> list[Cohort]:
    query = select(Cohort) if viewer.id == action.owner_id else visible_cohorts(viewer)
    return list(
        db.session.scalars(query.where(Cohort.course_id == action.course_id).order_by(Cohort.starts_on, Cohort.id))
    )


VERSION_MODELS = {
    TargetKind.QUESTION: (QuestionVersion, QuestionVersion.question_id),
    TargetKind.LESSON: (LessonVersion, LessonVersion.lesson_id),
    TargetKind.MODULE: (ModuleVersion, ModuleVersion.module_id),
}


def split_version(action: ImprovementAction, change: VersionInfo) -> int | None:
    """V: the target's version the change made, or its first version made with or after it."""
    kind = TargetKind(action.target_kind)
    if change.kind == kind and change.item_id == action.target_id:
        return change.version
    model, fk = VERSION_MODELS[kind]
    return db.session.scalar(
        select(func.min(model.version)).where(fk == action.target_id, model.created_at >= change.created_at)
    )


def _versions(action: ImprovementAction, split: int) -> tuple[list[int], list[int]]:
    model, fk = VERSION_MODELS[TargetKind(action.target_kind)]
    numbers = sorted(db.session.scalars(select(model.version).where(fk == action.target_id)))
    return [v for v in numbers if v < split], [v for v in numbers if v >= split]


def _mean_side(values: list[float]) -> Side:
    ci = stats.mean_ci(len(values), sum(values), sum(v * v for v in values))
    return Side(ci.n, ci.mean, ci.low, ci.high)


def _rate_side(done: int, n: int) -> Side:
    low, high = stats.wilson(done, n)
    return Side(n, done / n if n else None, low, high)


def _share_side(where) -> Side:
    """Mean share of marks (score / points) over graded answers."""
    share = func.coalesce(AttemptItem.score, 0.0) * 1.0 / AttemptItem.points
    row = db.session.execute(
        select(func.count(), func.sum(share), func.sum(share * share))
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .where(Attempt.state == AttemptState.GRADED, AttemptItem.points > 0, *where)
    ).one()
    ci = stats.mean_ci(row[0], row[1], row[2])
    return Side(ci.n, ci.mean, ci.low, ci.high)


def _discrimination_side(where) -> Side:
    """Correlation of the item's share with the rest of the attempt's share, Fisher interval."""
    x = func.coalesce(AttemptItem.score, 0.0) * 1.0 / AttemptItem.points
    rest = (
        (func.coalesce(Attempt.score, 0.0) - func.coalesce(AttemptItem.score, 0.0))
        * 1.0
        / func.nullif(Attempt.max_score - AttemptItem.points, 0)
    )
    row = db.session.execute(
        select(func.count(), func.sum(x), func.sum(rest), func.sum(x * x), func.sum(rest * rest), func.sum(x * rest))
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .where(Attempt.state == AttemptState.GRADED, AttemptItem.points > 0, rest.is_not(None), *where)
    ).one()
    n = row[0]
    r = stats.correlation(n, *(v or 0.0 for v in row[1:])) if n else None
    if r is None or n < 4 or abs(r) >= 1:
        return Side(n, r, None, None)
    z, se = math.atanh(r), 1.959963984540054 / math.sqrt(n - 3)
    return Side(n, r, math.tanh(z - se), math.tanh(z + se))


def _option_counts(version_ids_before, version_ids_after, cohort_ids) -> list[tuple[str, int, int]]:
    counts: dict[str, list[int]] = {}
    for side, ids in enumerate((version_ids_before, version_ids_after)):
        if not ids:
            continue
        for (response,) in db.session.execute(
            select(AttemptItem.response)
            .join(Attempt, Attempt.id == AttemptItem.attempt_id)
            .where(
                Attempt.state == AttemptState.GRADED,
                AttemptItem.question_version_id.in_(ids),
                Attempt.cohort_id.in_(cohort_ids),
            )
        ):
            letters = response if isinstance(response, list) else [response]
            for letter in letters:
                if isinstance(letter, str) and letter:
                    counts.setdefault(letter, [0, 0])[side] += 1
    return [(letter, b, a) for letter, (b, a) in sorted(counts.items())]


# -- per target kind -----------------------------------------------------------------------


def _question_metrics(action, split, cohorts) -> tuple[list[Metric], list]:
    rows = db.session.execute(
        select(QuestionVersion.id, QuestionVersion.version).where(QuestionVersion.question_id == action.target_id)
    ).all()
    before = [r.id for r in rows if r.version < split]
    after = [r.id for r in rows if r.version >= split]
    ids = [c.id for c in cohorts]
    metrics = []
    for key, label, kind, figure in (
        ("facility", _l("Facility"), "pct", _share_side),
        ("discrimination", _l("Discrimination"), "num", _discrimination_side),
    ):
        sides = [
            figure([AttemptItem.question_version_id.in_(group), Attempt.cohort_id.in_(ids)]) if group else EMPTY
            for group in (before, after)
        ]
        metrics.append(Metric(key, label, kind, *sides))
    return metrics, _option_counts(before, after, ids)


def _module_groups(action, split, cohorts):
    """Per side: {user id: (cohort id, plan of the target module)}, and per side the cohorts
    whose own structure has the target module before / at or after V."""
    course = db.session.get(Course, action.course_id)
    sides: tuple[dict, dict] = ({}, {})
    cohort_sides: tuple[list, list] = ([], [])
    for cohort in cohorts:
        placements = cohort_placements(cohort.id)
        plans = plans_for(course, [*placements.values(), Placement(cohort.structure_id)])
        for user_id, placement in placements.items():
            plan = next((p for p in trainee_plan(placement, plans) if p.module.id == action.target_id), None)
            if plan is not None:
                sides[plan.version >= split][user_id] = (cohort.id, plan)
        own = next((p for p in plans.get(cohort.structure_id, []) if p.module.id == action.target_id), None)
        if own is not None:
            cohort_sides[own.version >= split].append(cohort)
    return sides, cohort_sides


def _progress(user_ids, lesson_ids) -> dict[tuple[int, int], tuple[bool, int]]:
    if not user_ids or not lesson_ids:
        return {}
    rows = db.session.execute(
        select(
            LessonProgress.user_id,
            LessonProgress.lesson_id,
            LessonProgress.completed_at.is_not(None).label("done"),
            LessonProgress.active_seconds,
        ).where(LessonProgress.user_id.in_(list(user_ids)), LessonProgress.lesson_id.in_(list(lesson_ids)))
    ).all()
    return {(r.user_id, r.lesson_id): (bool(r.done), r.active_seconds or 0) for r in rows}


def _module_side_figures(group: dict) -> tuple[Side, Side, Side]:
    """Completion rate, minutes to complete, module quiz facility of one side's trainees."""
    lesson_ids = {lesson.id for _cohort, plan in group.values() for lesson in plan.lessons}
    seen = _progress(group.keys(), lesson_ids)
    done, minutes = 0, []
    for user_id, (_cohort, plan) in group.items():
        rows = [seen.get((user_id, lesson.id)) for lesson in plan.lessons]
        if plan.lessons and all(r is not None and r[0] for r in rows):
            done += 1
            minutes.append(sum(r[1] for r in rows) / 60)
    quizzes = {plan.quiz_id for _cohort, plan in group.values() if plan.quiz_id}
    quiz = _share_side([Attempt.quiz_id.in_(quizzes), Attempt.user_id.in_(list(group))]) if quizzes and group else EMPTY
    return _rate_side(done, len(group)), _mean_side(minutes), quiz


def _lesson_groups(action, split, cohorts) -> tuple[dict, dict]:
    from lms.cohorts.models import Enrolment, EnrolmentStatus

    rows = db.session.execute(
        select(LessonProgress.user_id, LessonProgress.lesson_version, Enrolment.cohort_id)
        .join(Enrolment, Enrolment.user_id == LessonProgress.user_id)
        .where(
            LessonProgress.lesson_id == action.target_id,
            Enrolment.cohort_id.in_([c.id for c in cohorts]),
            Enrolment.status == EnrolmentStatus.ACTIVE,
        )
    ).all()
    sides: tuple[dict, dict] = ({}, {})
    for r in rows:
        sides[r.lesson_version >= split][r.user_id] = r.cohort_id
    return sides


def _lesson_metrics(action, split, cohorts) -> list[Metric]:
    lesson = db.session.get(Lesson, action.target_id)
    sides = _lesson_groups(action, split, cohorts)
    figures = []
    for group in sides:
        seen = _progress(group.keys(), [lesson.id])
        done = [user for user in group if seen.get((user, lesson.id), (False, 0))[0]]
        minutes = [seen[(user, lesson.id)][1] / 60 for user in done]
        quiz_ids = db.session.scalars(
            select(Quiz.id).where(Quiz.module_id == lesson.module_id, Quiz.kind == QuizKind.MODULE_QUIZ, Quiz.live())
        ).all()
        quiz = (
            _share_side([Attempt.quiz_id.in_(quiz_ids), Attempt.user_id.in_(list(group))])
            if quiz_ids and group
            else EMPTY
        )
        figures.append((_rate_side(len(done), len(group)), _mean_side(minutes), quiz))
    # anonymous satisfaction has no trainee: a cohort counts on the side most of its records are
    cohort_sides: tuple[list, list] = ([], [])
    for cohort in cohorts:
        before = sum(1 for c in sides[0].values() if c == cohort.id)
        after = sum(1 for c in sides[1].values() if c == cohort.id)
        if before or after:
            cohort_sides[after > before].append(cohort)
    return _figures(action, figures, cohort_sides, lesson.module_id)


def _figures(action, figures, cohort_sides, module_id) -> list[Metric]:
    (done_b, time_b, quiz_b), (done_a, time_a, quiz_a) = figures
    metrics = [
        Metric("completion", _l("Completion"), "pct", done_b, done_a),
        Metric("completion_time", _l("Minutes to complete"), "num", time_b, time_a),
        Metric("quiz_facility", _l("Module quiz facility"), "pct", quiz_b, quiz_a),
    ]
    satisfaction, gain = [], []
    for group in cohort_sides:
        names = [c.name for c in group]
        if not group:
            satisfaction.append(EMPTY)
            gain.append(EMPTY)
            continue
        scope = Scope(course_id=action.course_id, cohort_ids=tuple(c.id for c in group), all_attempts=True)
        found = module_satisfaction(scope, [module_id])
        if found:
            s = found[0]
            satisfaction.append(Side(s.respondents, s.score.mean, s.score.low, s.score.high, names, [], s.suppressed))
        else:
            satisfaction.append(Side(0, None, None, None, names))
        if action.measure == Measure.GAIN:
            pre, post = pre_post_quizzes(action.course_id)
            if pre and post:
                g = gain_overall(scope, pre, post, module_ids=[module_id]).gain
                gain.append(Side(g.n, g.mean, g.low, g.high, names))
            else:
                gain.append(Side(0, None, None, None, names))
    metrics.append(Metric("satisfaction", _l("Satisfaction"), "num", *satisfaction))
    if action.measure == Measure.GAIN:
        metrics.append(Metric("gain", _l("Normalised gain"), "num", *gain))
    return metrics


def _module_metrics(action, split, cohorts) -> list[Metric]:
    sides, cohort_sides = _module_groups(action, split, cohorts)
    figures = [_module_side_figures(group) for group in sides]
    return _figures(action, figures, cohort_sides, action.target_id)


def compare_before_after(action: ImprovementAction, viewer: User) -> Comparison | None:
    """The figures on version V−1 and earlier against V and later, or None while the target
    has no new version yet (or the action names no content)."""
    if not action.target_kind or not action.target_id:
        return None
    change = change_point(action)
    if change is None:
        return None
    split = split_version(action, change)
    if split is None:
        return None
    kind = TargetKind(action.target_kind)
    cohorts = _cohorts(action, viewer)
    before_versions, after_versions = _versions(action, split)
    options = []
    if kind == TargetKind.QUESTION:
        metrics, options = _question_metrics(action, split, cohorts)
    elif kind == TargetKind.LESSON:
        metrics = _lesson_metrics(action, split, cohorts)
    else:
        metrics = _module_metrics(action, split, cohorts)
    return Comparison(
        Measure(action.measure),
        change,
        kind,
        split,
        before_versions,
        after_versions,
        metrics,
        [c.name for c in cohorts],
        options,
    )
