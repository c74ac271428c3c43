"""A quiz's rules, read once from its settings and its course's quiz defaults."""

from __future__ import annotations

from dataclasses import dataclass

from lms.learning.models import Course

from .models import Quiz, QuizKind
from .scoring import ALL_OR_NOTHING, SCORING_MODES

IMMEDIATELY = "immediately"
AFTER_CLOSE = "after_close"
NEVER = "never"


@dataclass(frozen=True)
class QuizRules:
    kind: QuizKind
    time_limit_minutes: int | None  #: None: untimed
    max_attempts: int | None  #: None: unlimited
    pass_mark: int  #: percent needed to pass
    shuffle_questions: bool
    shuffle_options: bool
    #: immediately (right after finishing, even while short answers await grading),
    #: after_close (once the attempt is closed: finished and fully graded), never
    review: str
    multiple_choice_scoring: str  #: all_or_nothing or partial
    draw: tuple[dict, ...]  #: draw rules (final exam); empty for a fixed question list

    @property
    def counts_pass(self) -> bool:
        """The pre-test measures what trainees knew before; it has no pass or fail."""
        return self.kind != QuizKind.PRE_TEST


def quiz_rules(quiz: Quiz, course: Course) -> QuizRules:
    """The rules of ``quiz``; a quiz's own setting wins over the course's quiz defaults."""
    settings = quiz.settings or {}
    defaults = (course.settings or {}).get("quiz_defaults") or {}
    kind = QuizKind(quiz.kind)
    scoring = settings.get("multiple_choice_scoring") or defaults.get("multiple_choice_scoring")
    if scoring not in SCORING_MODES:
        scoring = ALL_OR_NOTHING
    pass_mark = settings.get("pass_mark")
    if pass_mark is None:
        pass_mark = defaults.get("pass_mark", 60)
    max_attempts = settings.get("max_attempts")
    if kind == QuizKind.MODULE_QUIZ:
        max_attempts = None  # module quizzes are practice: as many tries as the trainee likes
    return QuizRules(
        kind=kind,
        time_limit_minutes=settings.get("time_limit_minutes") or None,
        max_attempts=max_attempts or None,
        pass_mark=int(pass_mark),
        shuffle_questions=bool(settings.get("shuffle_questions")),
        shuffle_options=bool(settings.get("shuffle_options")),
        review=settings.get("review") or AFTER_CLOSE,
        multiple_choice_scoring=scoring,
        draw=tuple(settings.get("draw") or ()),
    )
