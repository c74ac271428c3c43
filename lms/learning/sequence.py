"""The order a course is taken in, checked on the server.

The sequence (unless the course file says ``sequence: free``):

1. the pre-test first: it measures what trainees knew before, so it is refused once they
   have completed a lesson or finished another quiz;
2. a module's quiz once the module is open and all its lessons are complete (and the
   pre-test, if the course has one, is taken);
3. the post-test and the final exam once every module is done;
4. the course feedback once the final exam is finished (a graded or submitted attempt);
   without a final exam, once every module is done.

Each function returns the reasons something is locked (empty when it is open), in the
user's language, so the same words explain the lock on the page and refuse the request.
"""

from __future__ import annotations

from flask_babel import gettext as _

from lms.assessment.models import QuizKind

from .models import Course
from .standing import CourseStanding, ModuleStatus, course_standing

FREE = "free"
STRICT = "strict"


def is_strict(course: Course) -> bool:
    return (course.settings or {}).get("sequence", STRICT) != FREE


def _pre_test_missing(standing: CourseStanding) -> list[str]:
    pre_test = standing.quizzes.get(QuizKind.PRE_TEST)
    if pre_test is not None and not pre_test.finished:
        return [_("Take the pre-test first.")]
    return []


def _modules_missing(standing: CourseStanding) -> list[str]:
    left = [m for m in standing.modules if not m.is_done]
    if not left:
        return []
    titles = "、".join(m.module.title for m in left[:3])
    if len(left) > 3:
        titles += "…"
    return [_("Finish every module first (%(n)d left: %(titles)s).", n=len(left), titles=titles)]


def quiz_lock_reasons(standing: CourseStanding, kind: str, module_id: int | None) -> list[str]:
    """Why the trainee may not start a quiz of this kind now (empty: they may)."""
    if not is_strict(standing.course):
        return []
    kind = QuizKind(kind)
    if kind == QuizKind.PRE_TEST:
        own = standing.quizzes.get(QuizKind.PRE_TEST)
        studied = standing.lessons_done > 0 or any(m.quiz and m.quiz.finished for m in standing.modules)
        later = any(q.finished for k, q in standing.quizzes.items() if k != QuizKind.PRE_TEST)
        if (studied or later) and not (own and own.finished):
            return [_("The pre-test can only be taken before you start studying; you have already begun.")]
        return []
    reasons = _pre_test_missing(standing)
    if kind == QuizKind.MODULE_QUIZ:
        module = standing.module(module_id) if module_id is not None else None
        if module is None:
            return reasons
        if module.status is ModuleStatus.LOCKED:
            return reasons + [r for r in module.lock_reasons if r not in reasons]
        if module.lessons_done < module.lessons_total:
            reasons.append(
                _(
                    "Complete the lessons of this module first (%(done)d of %(total)d done).",
                    done=module.lessons_done,
                    total=module.lessons_total,
                )
            )
        return reasons
    return reasons + _modules_missing(standing)


def feedback_lock_reasons(standing: CourseStanding) -> list[str]:
    """Why the trainee may not answer the course feedback yet."""
    if not is_strict(standing.course):
        return []
    final = standing.quizzes.get(QuizKind.FINAL_EXAM)
    if final is not None:
        return [] if final.finished else [_("The course feedback opens once you have finished the final exam.")]
    return _modules_missing(standing)


def quiz_lock_reasons_for(user_id: int, course: Course, kind: str, module_id: int | None) -> list[str]:
    return quiz_lock_reasons(course_standing(user_id, course), kind, module_id)


def feedback_lock_reasons_for(user_id: int, course: Course) -> list[str]:
    return feedback_lock_reasons(course_standing(user_id, course))
