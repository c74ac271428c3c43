"""A quiz's rules, read once from its settings and its course's quiz defaults."""

from __future__ import annotations

from dataclasses import dataclass

from lms.learning.models import Course

from .models import Quiz, QuizKind
from .scoring import ALL_OR_NOTHING, SCORING_MODES

IMMEDIATELY = "immediately"
AFTER_CLOSE = "after_close"
NEVER = "never"

#: what a trainee may see of a finished attempt (Moodle's review options)
SCORE, CORRECTNESS, ANSWER, EXPLANATION = "score", "correctness", "answer", "explanation"
REVIEW_PARTS = (SCORE, CORRECTNESS, ANSWER, EXPLANATION)
#: when: during the attempt, immediately after (2 minutes), later while the quiz is open,
#: after it closes (the end of the cohort's last day)
DURING, RIGHT_AFTER, WHILE_OPEN, AFTER_CLOSING = "during", "immediately", "open", "closed"
REVIEW_TIMES = (DURING, RIGHT_AFTER, WHILE_OPEN, AFTER_CLOSING)

_ALL = frozenset(REVIEW_PARTS)
_SCORE_ONLY = frozenset({SCORE})
_PRACTICE = frozenset({SCORE, CORRECTNESS, EXPLANATION})
#: the defaults by kind of quiz; "during" is always empty (answers are graded on submission)
DEFAULT_REVIEW = {
    QuizKind.MODULE_QUIZ: {RIGHT_AFTER: _PRACTICE, WHILE_OPEN: _PRACTICE, AFTER_CLOSING: _ALL},
    QuizKind.PRE_TEST: {RIGHT_AFTER: _SCORE_ONLY, WHILE_OPEN: _SCORE_ONLY, AFTER_CLOSING: _SCORE_ONLY},
    QuizKind.POST_TEST: {RIGHT_AFTER: _SCORE_ONLY, WHILE_OPEN: _SCORE_ONLY, AFTER_CLOSING: _ALL},
    QuizKind.FINAL_EXAM: {RIGHT_AFTER: _SCORE_ONLY, WHILE_OPEN: _SCORE_ONLY, AFTER_CLOSING: _ALL},
}
#: the older one-word settings of course files, as review options
LEGACY_REVIEW = {
    IMMEDIATELY: {RIGHT_AFTER: _ALL, WHILE_OPEN: _ALL, AFTER_CLOSING: _ALL},
    AFTER_CLOSE: {RIGHT_AFTER: _SCORE_ONLY, WHILE_OPEN: _SCORE_ONLY, AFTER_CLOSING: _ALL},
    NEVER: {RIGHT_AFTER: _SCORE_ONLY, WHILE_OPEN: _SCORE_ONLY, AFTER_CLOSING: _SCORE_ONLY},
}


#: quizzes whose options are shuffled whatever the file says (learning, not memory)
ALWAYS_SHUFFLED = (QuizKind.MODULE_QUIZ, QuizKind.PRE_TEST, QuizKind.POST_TEST)
#: questions with one of these tags never appear in a module quiz's retake draw: they belong
#: to the pre/post-tests or to the final exam's own pool
RESERVED_TAGS = ("pre-test", "post-test", "final-exam")


def review_options(kind: QuizKind, setting) -> dict[str, frozenset[str]]:
    """The review options of a quiz: time -> the parts shown then.

    ``setting`` is the quiz file's ``review``: absent (the kind's default), one of the older
    words (immediately, after_close, never) or a mapping of times to lists of parts; a time
    left out of a mapping shows nothing but the score.
    """
    if not setting:
        options = DEFAULT_REVIEW[kind]
    elif isinstance(setting, str):
        options = LEGACY_REVIEW.get(setting, DEFAULT_REVIEW[kind])
    else:
        options = {
            when: frozenset(p for p in (setting.get(when) or ()) if p in REVIEW_PARTS)
            for when in (RIGHT_AFTER, WHILE_OPEN, AFTER_CLOSING)
        }
    return {DURING: frozenset(), **options}


@dataclass(frozen=True)
class QuizRules:
    kind: QuizKind
    time_limit_minutes: int | None  #: None: untimed
    max_attempts: int | None  #: None: unlimited
    pass_mark: int  #: percent needed to pass
    shuffle_questions: bool
    shuffle_options: bool
    #: what is shown of a finished attempt, by time (see :func:`review_options`)
    review: dict
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
        # options are always shuffled where the test is of learning, not of memory
        shuffle_options=bool(settings.get("shuffle_options")) or kind in ALWAYS_SHUFFLED,
        review=review_options(kind, settings.get("review")),
        multiple_choice_scoring=scoring,
        draw=tuple(settings.get("draw") or ()),
    )
