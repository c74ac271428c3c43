"""Item analysis (试题分析) of a quiz, with Moodle's definitions, from grouped SQL sums.

For each question, over the graded attempts in scope (first attempts by default, as Moodle),
with x the item's score and r the rest of the test (the attempt's total minus x):

- facility index F = mean(x) / max, the share of the marks earned (通过率 / 难度);
- standard deviation SD = s(x) / max, s with n − 1 (Moodle shows both as percentages);
- discrimination index D = r(x, r), the correlation of the item with the rest of the test;
- discriminative efficiency E = cov(x, r) / cov_max(x, r), where cov_max is the covariance the
  same marks would have if x and r were perfectly rank-ordered: Moodle pairs the sorted x
  with the sorted r. Here ``Σ x₍ₖ₎ r₍ₖ₎`` is computed in SQL: the rows are numbered by r
  within each question, the distinct x values with their counts give rank ranges
  (lo, hi], and summation by parts needs the running sum of r only at their ends.

And for the test, Cronbach's alpha α = k/(k−1)·(1 − Σ s²ᵢ / s²ₜₒₜₐₗ) (Moodle's coefficient of
internal consistency), computed only when every attempt answered the same k questions.

Everything comes from one statement: per question n, Σx, Σx², Σr, Σr², Σxr, Σpoints and the
sorted-pair sum, plus n, Σtotal, Σtotal² of the attempts, then the arithmetic in ``stats``.
Per-option counts come from a second grouped query (GROUP BY version, response).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import (
    Float,
    Integer,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    select,
    true,
    union_all,
)

from lms.assessment.models import (
    Attempt,
    AttemptItem,
    Question,
    QuestionType,
    QuestionVersion,
    Quiz,
    QuizItem,
)
from lms.extensions import db
from lms.learning.models import Lesson, Module

from . import stats
from .scope import Scope
from .settings import setting
from .tuning import tune_for_reports

CHOICE_TYPES = (QuestionType.SINGLE, QuestionType.MULTIPLE, QuestionType.TRUE_FALSE)


@dataclass
class ItemStats:
    question_id: int
    key: str
    stem: str
    qtype: str
    module_id: int
    lesson_id: int | None
    n: int
    max_points: float | None
    facility: float | None  #: 0-1
    sd: float | None  #: 0-1, a share of the item's marks
    discrimination: float | None  #: -1..1
    efficiency: float | None  #: discriminative efficiency, a share (may exceed 1 with ties)
    flags: list[str] = field(default_factory=list)  #: too_easy, too_hard, low_discrimination


@dataclass
class OptionCount:
    letter: str
    text: str
    count: int
    share: float | None  #: 0-1 of the answers to this version
    is_correct: bool


@dataclass
class VersionResponses:
    question_id: int
    version_id: int
    version: int
    n: int
    blank: int
    options: list[OptionCount]


@dataclass
class ItemAnalysis:
    quiz: Quiz
    attempts: int
    items: list[ItemStats]
    alpha: float | None  #: Cronbach's alpha, None when not defined or not computable
    alpha_note: str  #: "", "varying_questions" or "too_few"
    mean_total: float | None  #: marks
    sd_total: float | None
    max_total: float | None  #: the mean of the attempts' possible marks
    first_only: bool
    #: question id -> per-version option counts (choice questions only)
    options: dict[int, list[VersionResponses]] = field(default_factory=dict)

    @property
    def mean_share(self) -> float | None:
        """The mean score as a share of the possible marks."""
        return stats.percent(self.mean_total, self.max_total) / 100 if self.max_total else None

    @property
    def flagged(self) -> list[ItemStats]:
        return [item for item in self.items if item.flags]


def _choice_question_ids(course_id: int) -> list[int]:
    return list(
        db.session.scalars(select(Question.id).where(Question.course_id == course_id, Question.qtype.in_(CHOICE_TYPES)))
    )


def _item_sums(scope: Scope, quiz: Quiz) -> tuple[list, list]:
    """One statement, one pass over the answers: per-question sums, whole-test sums and
    per-option counts.

    The answers, joined to their attempt (whose ``score`` is the attempt's total t: the
    assessment domain sums the items' marks into it when grading), are grouped into cells
    (question, version, response, x, t) with their counts. A question has only as many cells
    as distinct (response, score, total) combinations, and every sum below is linear in the
    counts, so it is taken over the cells. The response is kept only for choice questions
    (A-F, true/false), never for free text.

    :returns: the item rows (one per question, each also carrying the whole-test sums) and
        the option rows (question, version, response text, count).
    """
    tune_for_reports()
    score = func.coalesce(AttemptItem.score, 0.0)
    chosen = (
        select(Attempt.id, func.coalesce(Attempt.score, 0.0).label("t"), Attempt.max_score.label("tp")).where(
            Attempt.quiz_id == quiz.id, *scope.attempt_filter()
        )
    ).subquery("chosen")
    response = case(
        (
            AttemptItem.question_id.in_(_choice_question_ids(quiz.course_id)),
            func.coalesce(cast(AttemptItem.response, String), "null"),
        ),
        else_=None,
    )
    cells = (
        (
            select(
                AttemptItem.question_id.label("q"),
                AttemptItem.question_version_id.label("v"),
                response.label("resp"),
                score.label("x"),
                (chosen.c.t - score).label("r"),
                func.count().label("c"),
                func.sum(AttemptItem.points).label("sp"),
            )
            .join(chosen, chosen.c.id == AttemptItem.attempt_id)
            .group_by(
                AttemptItem.question_id,
                AttemptItem.question_version_id,
                response,
                score,
                chosen.c.t,
            )
        )
        .cte("cells")
        .prefix_with("MATERIALIZED")
    )
    x, r, c = cells.c.x, cells.c.r, cells.c.c
    sums = (
        select(
            cells.c.q,
            cast(func.sum(c), Integer).label("n"),  # PostgreSQL sums a count as numeric
            func.sum(x * c).label("sx"),
            func.sum(x * x * c).label("sx2"),
            func.sum(r * c).label("sr"),
            func.sum(r * r * c).label("sr2"),
            func.sum(x * r * c).label("sxr"),
            func.sum(cells.c.sp).label("sp"),
        ).group_by(cells.c.q)
    ).subquery("sums")
    # Moodle's maximum covariance pairs the sorted x with the sorted r. The distinct x values
    # v₁ < … < vₘ fill ranks in blocks ending at hᵢ, so by summation by parts
    # Σ x₍ₖ₎ r₍ₖ₎ = Σᵢ (vᵢ − vᵢ₊₁) · R(hᵢ) with vₘ₊₁ = 0, where R(h) is the sum of the h smallest
    # r. R(h) comes from the distinct r values: in the block (lo, hi] of value r,
    # R(h) = (sum of the r below the block) + (h − lo) · r.
    per_x = select(cells.c.q, x.label("v"), func.sum(c).label("c")).group_by(cells.c.q, x).subquery()
    by_x = {"partition_by": per_x.c.q, "order_by": per_x.c.v}
    x_blocks = select(
        per_x.c.q,
        func.sum(per_x.c.c).over(**by_x, rows=(None, 0)).label("h"),
        (per_x.c.v - func.lead(per_x.c.v, 1, 0.0).over(**by_x)).label("dv"),
    ).subquery("x_blocks")
    per_r = select(cells.c.q, r.label("r"), func.sum(c).label("c")).group_by(cells.c.q, r).subquery()
    by_r = {"partition_by": per_r.c.q, "order_by": per_r.c.r, "rows": (None, 0)}
    upto = func.sum(per_r.c.c).over(**by_r)
    r_blocks = select(
        per_r.c.q,
        per_r.c.r,
        (upto - per_r.c.c).label("lo"),
        upto.label("hi"),
        (func.sum(per_r.c.r * per_r.c.c).over(**by_r) - per_r.c.r * per_r.c.c).label("below"),
    ).subquery("r_blocks")
    sorted_pairs = (
        select(
            x_blocks.c.q,
            func.sum(x_blocks.c.dv * (r_blocks.c.below + (x_blocks.c.h - r_blocks.c.lo) * r_blocks.c.r)).label(
                "sxr_sorted"
            ),
        )
        .join(
            r_blocks,
            and_(
                r_blocks.c.q == x_blocks.c.q,
                x_blocks.c.h > r_blocks.c.lo,
                x_blocks.c.h <= r_blocks.c.hi,
            ),
        )
        .group_by(x_blocks.c.q)
    ).subquery("sorted_pairs")
    whole = select(
        func.count().label("attempts"),
        func.sum(chosen.c.t).label("st"),
        func.sum(chosen.c.t * chosen.c.t).label("st2"),
        func.sum(chosen.c.tp).label("stp"),
    ).subquery("whole")
    no_int, no_float, no_text = cast(null(), Integer), cast(null(), Float), cast(null(), String)
    item_rows = (
        select(
            literal("item").label("kind"),
            sums.c.q,
            no_int.label("v"),
            no_text.label("resp"),
            sums.c.n,
            sums.c.sx,
            sums.c.sx2,
            sums.c.sr,
            sums.c.sr2,
            sums.c.sxr,
            sums.c.sp,
            sorted_pairs.c.sxr_sorted,
            whole.c.attempts,
            whole.c.st,
            whole.c.st2,
            whole.c.stp,
        )
        .select_from(whole)
        .outerjoin(sums, true())
        .outerjoin(sorted_pairs, sorted_pairs.c.q == sums.c.q)
    )
    option_rows = (
        select(
            literal("option").label("kind"),
            cells.c.q,
            cells.c.v,
            cells.c.resp,
            cast(func.sum(c), Integer).label("n"),
            *[no_float.label(f"f{i}") for i in range(11)],
        )
        .where(cells.c.resp.is_not(None))
        .group_by(cells.c.q, cells.c.v, cells.c.resp)
    )
    rows = db.session.execute(union_all(item_rows, option_rows)).all()
    return [row for row in rows if row.kind == "item"], [row for row in rows if row.kind == "option"]


def _questions(quiz: Quiz, question_ids) -> list:
    """The questions to list, in quiz order (fixed lists) or module order (draws)."""
    query = (
        select(
            Question.id,
            Question.key,
            Question.stem,
            Question.qtype,
            Question.module_id,
            Question.lesson_id,
            func.coalesce(QuizItem.position, 10_000).label("position"),
            Module.position.label("module_position"),
        )
        .join(Module, Module.id == Question.module_id)
        .outerjoin(QuizItem, and_(QuizItem.quiz_id == quiz.id, QuizItem.question_id == Question.id))
        .where(Question.id.in_(list(question_ids)))
        .order_by("position", "module_position", Question.key)
    )
    return db.session.execute(query).all()


def flags_for(facility: float | None, discrimination: float | None, n: int) -> list[str]:
    """The attention flags of an item, by the configured thresholds (none for small n)."""
    flags: list[str] = []
    if n < setting("REPORTS_FLAG_MIN_N"):
        return flags
    if facility is not None and facility > setting("REPORTS_FACILITY_HIGH"):
        flags.append("too_easy")
    if facility is not None and facility < setting("REPORTS_FACILITY_LOW"):
        flags.append("too_hard")
    if discrimination is not None and discrimination < setting("REPORTS_DISCRIMINATION_LOW"):
        flags.append("low_discrimination")
    return flags


def item_analysis(scope: Scope, quiz: Quiz) -> ItemAnalysis:
    """Facility, SD, discrimination and efficiency of every question of ``quiz`` in scope,
    the test's alpha, and the per-option counts of its choice questions."""
    rows, option_rows = _item_sums(scope, quiz)
    head = rows[0]
    by_question = {row.q: row for row in rows if row.q is not None}
    items = []
    variances = []
    for q in _questions(quiz, by_question):
        row = by_question[q.id]
        n = row.n
        max_p = row.sp / n if n else None
        facility = row.sx / row.sp if row.sp else None
        sd = stats.std_dev(n, row.sx, row.sx2)
        variances.append(stats.variance(n, row.sx, row.sx2))
        discrimination = stats.correlation(n, row.sx, row.sr, row.sx2, row.sr2, row.sxr)
        efficiency = None
        if discrimination is not None:
            cov = stats.covariance(n, row.sx, row.sr, row.sxr)
            cov_max = stats.covariance(n, row.sx, row.sr, row.sxr_sorted or 0.0)
            efficiency = cov / cov_max if cov_max and cov_max > 1e-12 else None
        items.append(
            ItemStats(
                question_id=q.id,
                key=q.key,
                stem=q.stem,
                qtype=str(q.qtype),
                module_id=q.module_id,
                lesson_id=q.lesson_id,
                n=n,
                max_points=max_p,
                facility=facility,
                sd=sd / max_p if sd is not None and max_p else None,
                discrimination=discrimination,
                efficiency=efficiency,
                flags=flags_for(facility, discrimination, n),
            )
        )
    attempts = head.attempts or 0
    total_var = stats.variance(attempts, head.st, head.st2)
    # a fixed test: every question was answered in every attempt
    fixed = all(row.n == attempts for row in by_question.values())
    if attempts and not fixed:
        alpha, note = None, "varying_questions"
    elif len(items) < 2 or attempts < 2:
        alpha, note = None, "too_few"
    else:
        alpha, note = stats.cronbach_alpha(len(items), variances, total_var), ""
    return ItemAnalysis(
        quiz=quiz,
        attempts=attempts,
        items=items,
        alpha=alpha,
        alpha_note=note,
        mean_total=stats.mean(attempts, head.st),
        sd_total=stats.std_dev(attempts, head.st, head.st2),
        max_total=stats.mean(attempts, head.stp),
        first_only=not scope.all_attempts,
        options=_option_counts(option_rows),
    )


def _letters(response) -> list[str]:
    """The option letters (or true/false) in a stored response; [] for a blank."""
    if response is None:
        return []
    if isinstance(response, bool):
        return ["true" if response else "false"]
    if isinstance(response, str):
        return [response] if response else []
    if isinstance(response, list):
        return [str(r) for r in response]
    return []


def _option_counts(rows) -> dict[int, list[VersionResponses]]:
    """How often each option was chosen, per question version (choice questions only).

    Responses are stored in the version's own letters (A = the version's first option, whatever
    order the trainee saw), so counting by (version, response) and mapping the letters through
    that version's options gives the distractor table. A multiple-choice response counts once
    for each letter chosen.
    """
    counts: dict[int, dict[str, int]] = {}
    owners: dict[int, int] = {}
    for row in rows:
        owners[row.v] = row.q
        tally = counts.setdefault(row.v, {})
        letters = _letters(json.loads(row.resp))
        tally["__n__"] = tally.get("__n__", 0) + row.n
        if not letters:
            tally["__blank__"] = tally.get("__blank__", 0) + row.n
        for letter in letters:
            tally[letter] = tally.get(letter, 0) + row.n
    if not counts:
        return {}
    versions = db.session.scalars(select(QuestionVersion).where(QuestionVersion.id.in_(list(counts)))).all()
    result: dict[int, list[VersionResponses]] = {}
    for version in sorted(versions, key=lambda v: v.version):
        tally = counts[version.id]
        n = tally["__n__"]
        data = version.data or {}
        answer = data.get("answer")
        if data.get("type") == QuestionType.TRUE_FALSE:
            choices = [("true", "true"), ("false", "false")]
            correct = {"true" if answer else "false"}
        else:
            choices = [(chr(ord("A") + i), text) for i, text in enumerate(data.get("options") or [])]
            correct = set(answer if isinstance(answer, list) else [answer])
        options = [
            OptionCount(
                letter,
                text,
                tally.get(letter, 0),
                tally.get(letter, 0) / n if n else None,
                letter in correct,
            )
            for letter, text in choices
        ]
        result.setdefault(owners[version.id], []).append(
            VersionResponses(
                owners[version.id],
                version.id,
                version.version,
                n,
                tally.get("__blank__", 0),
                options,
            )
        )
    return result


def quizzes_of_course(course_id: int) -> list[Quiz]:
    """The course's current quizzes, in a stable teaching order."""
    order = case({"pre_test": 0, "module_quiz": 1, "post_test": 2, "final_exam": 3}, value=Quiz.kind)
    return db.session.scalars(
        select(Quiz)
        .outerjoin(Module, Module.id == Quiz.module_id)
        .where(Quiz.course_id == course_id, Quiz.live())
        .order_by(order, Module.position, Quiz.key)
    ).all()


def lesson_keys(lesson_ids) -> dict[int, tuple[str, str]]:
    """Lesson id -> (key, title), for links from items to the lesson they test."""
    ids = [i for i in lesson_ids if i]
    if not ids:
        return {}
    rows = db.session.execute(select(Lesson.id, Lesson.key, Lesson.title).where(Lesson.id.in_(ids)))
    return {row.id: (row.key, row.title) for row in rows}
