"""Where a trainee stands in a course: module status, why a module is locked, 学时, next step.

Computed in a fixed number of queries whatever the size of the course (the trainee's plan,
their lesson progress, the quizzes with their best finished attempts). The plan is the course
structure the trainee's cohort is pinned to (``structure.py``), so a lesson added or 学时
changed later never changes what a finished trainee was measured against.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from flask import g, has_request_context
from flask_babel import gettext as _
from sqlalchemy import case, event, func, select
from sqlalchemy.orm import Session

from lms.assessment.models import Attempt, AttemptState, Quiz, QuizKind
from lms.extensions import db

from .models import Course, Module
from .progress_models import LessonProgress
from .structure import ModulePlan, cohort_placements, placement_of, plans_for, trainee_plan

PRE_TEST = "pre-test"  #: the special prerequisite of course files


class ModuleStatus(enum.StrEnum):
    LOCKED = "locked"
    AVAILABLE = "available"
    IN_PROGRESS = "in_progress"
    DONE = "done"


@dataclass
class QuizState:
    id: int
    key: str
    kind: str
    title: str
    module_id: int | None
    finished: int  #: finished attempts
    passed: bool
    best_percent: float | None


@dataclass
class LessonState:
    id: int
    key: str
    title: str
    kind: str
    minutes: int
    started: bool
    completed: bool
    active_seconds: int
    position: str


@dataclass
class ModuleStanding:
    module: Module
    quiz: QuizState | None
    lessons_total: int
    lessons_done: int
    active_seconds: int
    started: bool
    lessons: list[LessonState] = field(default_factory=list)  #: one trainee's page only
    status: ModuleStatus = ModuleStatus.AVAILABLE
    lock_reasons: list[str] = field(default_factory=list)
    credited_hours: float = 0.0
    hours: float = 0.0  #: the module's 学时 in the trainee's structure
    prerequisites: list[str] = field(default_factory=list)
    version: int = 1  #: the module version the trainee is measured against

    @property
    def is_done(self) -> bool:
        return self.status is ModuleStatus.DONE


@dataclass
class NextStep:
    kind: str  #: "lesson", "quiz" or "done"
    module: ModuleStanding | None = None
    lesson: LessonState | None = None
    quiz: QuizState | None = None


@dataclass
class CourseStanding:
    course: Course
    modules: list[ModuleStanding]
    quizzes: dict[str, QuizState]  #: by kind for pre_test/post_test/final_exam
    next_step: NextStep

    @property
    def lessons_total(self) -> int:
        return sum(m.lessons_total for m in self.modules)

    @property
    def lessons_done(self) -> int:
        return sum(m.lessons_done for m in self.modules)

    @property
    def percent(self) -> int:
        total = self.lessons_total
        return round(100 * self.lessons_done / total) if total else 0

    @property
    def credited_hours(self) -> float:
        return round(sum(m.credited_hours for m in self.modules), 1)

    @property
    def total_hours(self) -> float:
        """The course's 学时 in the trainee's structure."""
        return round(sum(m.hours for m in self.modules), 1)

    @property
    def active_seconds(self) -> int:
        return sum(m.active_seconds for m in self.modules)

    @property
    def started(self) -> bool:
        return any(m.started for m in self.modules)

    def module(self, module_id: int) -> ModuleStanding | None:
        return next((m for m in self.modules if m.module.id == module_id), None)


def _quiz_states(user_id: int, course_id: int) -> list[QuizState]:
    finished = Attempt.state != AttemptState.IN_PROGRESS
    rows = db.session.execute(
        select(
            Quiz.id,
            Quiz.key,
            Quiz.kind,
            Quiz.title,
            Quiz.module_id,
            func.count(Attempt.id).label("finished"),
            func.max(case((Attempt.passed.is_(True), 1), else_=0)).label("passed"),
            func.max(Attempt.percent).label("best"),
        )
        .outerjoin(Attempt, (Attempt.quiz_id == Quiz.id) & (Attempt.user_id == user_id) & finished)
        .where(Quiz.course_id == course_id, Quiz.live())
        .group_by(Quiz.id, Quiz.key, Quiz.kind, Quiz.title, Quiz.module_id)
    ).all()
    return [QuizState(r.id, r.key, str(r.kind), r.title, r.module_id, r.finished, bool(r.passed), r.best) for r in rows]


def _module_standing(plan: ModulePlan, quiz: QuizState | None, **counts) -> ModuleStanding:
    return ModuleStanding(
        plan.module, quiz, hours=plan.hours, prerequisites=plan.prerequisites, version=plan.version, **counts
    )


def course_standing(user_id: int, course: Course, cohort_id: int | None = None) -> CourseStanding:
    """One trainee's standing, against the structure of ``cohort_id`` (or of their newest
    active cohort of the course).

    Within a request the same standing is computed once (the dashboard, its 待办 and the
    course's order all ask for it); any write through the session forgets it (see
    ``_forget_standings``), so a standing is never older than the data it reads.
    """
    memo = g.setdefault("_standings", {}) if has_request_context() else None
    key = (user_id, course.id, cohort_id)
    if memo is not None and key in memo:
        return memo[key]
    standing = _course_standing(user_id, course, cohort_id)
    if memo is not None:
        memo[key] = standing
    return standing


@event.listens_for(Session, "after_flush")
def _forget_standings_after_flush(session, flush_context) -> None:
    _forget_standings()


@event.listens_for(Session, "do_orm_execute")
def _forget_standings_on_write(state) -> None:
    if not state.is_select:
        _forget_standings()


def _forget_standings() -> None:
    if has_request_context():
        g.pop("_standings", None)


def _course_standing(user_id: int, course: Course, cohort_id: int | None) -> CourseStanding:
    placement = placement_of(user_id, course, cohort_id)
    outline = trainee_plan(placement, plans_for(course, [placement]))
    progress = {
        row.lesson_id: row
        for row in db.session.execute(
            select(
                LessonProgress.lesson_id,
                LessonProgress.completed_at,
                LessonProgress.active_seconds,
                LessonProgress.position,
            ).where(LessonProgress.user_id == user_id, LessonProgress.course_id == course.id)
        )
    }
    quizzes = _quiz_states(user_id, course.id)
    by_id = {q.id: q for q in quizzes}
    by_kind = {q.kind: q for q in quizzes if q.kind != QuizKind.MODULE_QUIZ}

    modules: list[ModuleStanding] = []
    for plan in outline:
        states = []
        for lesson in plan.lessons:
            p = progress.get(lesson.id)
            states.append(
                LessonState(
                    lesson.id,
                    lesson.key,
                    lesson.title,
                    str(lesson.kind),
                    lesson.minutes,
                    started=p is not None,
                    completed=bool(p and p.completed_at),
                    active_seconds=p.active_seconds if p else 0,
                    position=p.position if p else "",
                )
            )
        modules.append(
            _module_standing(
                plan,
                by_id.get(plan.quiz_id),
                lessons_total=len(states),
                lessons_done=sum(1 for x in states if x.completed),
                active_seconds=sum(x.active_seconds for x in states),
                started=any(x.started for x in states),
                lessons=states,
            )
        )
    pre_test = by_kind.get(QuizKind.PRE_TEST)
    resolve(modules, pre_test, course)
    _credit_by_rule_of_trainee(user_id, course, outline, modules, cohort_id)
    return CourseStanding(course, modules, by_kind, _next_step(modules, pre_test))


# -- 学时 by the credit rule (lms/learning/credit.py); kept apart from the status logic -------


def _credit_by_rule_of_trainee(user_id: int, course: Course, plan, modules, cohort_id: int | None) -> None:
    from .credit import apply_to_trainee

    apply_to_trainee(user_id, course, plan, modules, cohort_id)


def _credit_by_rule_of_cohort(course: Course, cohort_id: int, plans: dict, standings: dict) -> None:
    from .credit import apply_to_cohort

    apply_to_cohort(course, cohort_id, plans, standings)


def resolve(modules: list[ModuleStanding], pre_test: QuizState | None, course: Course) -> None:
    """Set each module's status and lock reasons (modules in course order); 学时 are credited
    afterwards by the credit rule (``lms/learning/credit.py``)."""
    done_keys: set[str] = set()
    titles = {m.module.key: m.module.title for m in modules}
    for standing in modules:  # prerequisites are always earlier modules
        reasons = []
        for prerequisite in standing.prerequisites or []:
            if prerequisite == PRE_TEST:
                if pre_test is not None and not pre_test.finished:
                    reasons.append(_("Take the pre-test first."))
            elif prerequisite not in done_keys:
                title = titles.get(prerequisite, prerequisite)
                reasons.append(_("Finish the module “%(title)s” first.", title=title))
        lessons_done = standing.lessons_done >= standing.lessons_total > 0
        quiz_ok = standing.quiz is None or standing.quiz.passed
        if reasons:
            standing.status, standing.lock_reasons = ModuleStatus.LOCKED, reasons
        elif lessons_done and quiz_ok:
            standing.status = ModuleStatus.DONE
            done_keys.add(standing.module.key)
        elif standing.started or (standing.quiz and standing.quiz.finished):
            standing.status = ModuleStatus.IN_PROGRESS


def _next_step(modules: list[ModuleStanding], pre_test: QuizState | None) -> NextStep:
    """The pre-test if a module waits for it, else the first open lesson or quiz not done."""
    for standing in modules:
        if standing.status is ModuleStatus.DONE:
            continue
        if standing.status is ModuleStatus.LOCKED:
            if pre_test is not None and not pre_test.finished:
                return NextStep("quiz", standing, quiz=pre_test)
            continue
        lesson = next((x for x in standing.lessons if not x.completed), None)
        if lesson is not None:
            return NextStep("lesson", standing, lesson=lesson)
        if standing.quiz is not None and not standing.quiz.passed:
            return NextStep("quiz", standing, quiz=standing.quiz)
    return NextStep("done")


def module_is_open(standing: CourseStanding, module_id: int) -> bool:
    found = standing.module(module_id)
    return found is not None and found.status is not ModuleStatus.LOCKED


def cohort_standings(course: Course, cohort_id: int) -> dict[int, CourseStanding]:
    """Every active member's standing in a cohort, from grouped queries (no query per trainee).

    Per-lesson detail is left out (``ModuleStanding.lessons`` is empty): this feeds tables.
    """
    from lms.cohorts.models import Enrolment, EnrolmentStatus

    placements = cohort_placements(cohort_id)
    plans = plans_for(course, placements.values())
    members = select(Enrolment.user_id).where(
        Enrolment.cohort_id == cohort_id, Enrolment.status == EnrolmentStatus.ACTIVE
    )
    # per (trainee, lesson): lessons count for the module of the trainee's plan, not the
    # module the lesson sits in today
    progress: dict[int, dict[int, tuple[bool, int]]] = {}
    for r in db.session.execute(
        select(
            LessonProgress.user_id,
            LessonProgress.lesson_id,
            LessonProgress.completed_at.is_not(None).label("done"),
            LessonProgress.active_seconds,
        ).where(LessonProgress.course_id == course.id, LessonProgress.user_id.in_(members))
    ):
        progress.setdefault(r.user_id, {})[r.lesson_id] = (bool(r.done), r.active_seconds or 0)
    finished = Attempt.state != AttemptState.IN_PROGRESS
    attempts = (
        select(
            Attempt.user_id,
            Quiz.id,
            func.count(Attempt.id).label("finished"),
            func.max(case((Attempt.passed.is_(True), 1), else_=0)).label("passed"),
            func.max(Attempt.percent).label("best"),
        )
        .join(Attempt, (Attempt.quiz_id == Quiz.id) & finished)
        .where(
            Quiz.course_id == course.id,
            Quiz.live(),
            Attempt.user_id.in_(members),
        )
        .group_by(Attempt.user_id, Quiz.id)
    )
    quiz_rows: dict[int, dict] = {}
    for r in db.session.execute(attempts):
        quiz_rows.setdefault(r.user_id, {})[r.id] = r
    all_quizzes = db.session.execute(
        select(Quiz.id, Quiz.key, Quiz.kind, Quiz.title, Quiz.module_id).where(Quiz.course_id == course.id, Quiz.live())
    ).all()

    result, member_plans = {}, {}
    for user_id, placement in placements.items():
        mine = quiz_rows.get(user_id, {})
        states = {
            q.id: QuizState(
                q.id,
                q.key,
                str(q.kind),
                q.title,
                q.module_id,
                mine[q.id].finished if q.id in mine else 0,
                bool(mine[q.id].passed) if q.id in mine else False,
                mine[q.id].best if q.id in mine else None,
            )
            for q in all_quizzes
        }
        by_kind = {q.kind: q for q in states.values() if q.kind != QuizKind.MODULE_QUIZ}
        seen = progress.get(user_id, {})
        modules = []
        member_plans[user_id] = trainee_plan(placement, plans)
        for plan in member_plans[user_id]:
            rows = [seen[lesson.id] for lesson in plan.lessons if lesson.id in seen]
            modules.append(
                _module_standing(
                    plan,
                    states.get(plan.quiz_id),
                    lessons_total=len(plan.lessons),
                    lessons_done=sum(1 for done, _seconds in rows if done),
                    active_seconds=sum(seconds for _done, seconds in rows),
                    started=bool(rows),
                )
            )
        pre_test = by_kind.get(QuizKind.PRE_TEST)
        resolve(modules, pre_test, course)
        result[user_id] = CourseStanding(course, modules, by_kind, _next_step(modules, pre_test))
    _credit_by_rule_of_cohort(course, cohort_id, member_plans, result)
    return result
