"""Learning (Kirkpatrick level 2): quiz scores, pass rates and pre/post-test gain.

Gain pairs a trainee's first graded pre-test with their first graded post-test (the post-test
is the pre-test's parallel form; both list questions per module). For each trainee and module,
pre and post are the shares of the marks earned on that module's questions, and the
normalised gain is g = (post − pre) / (1 − pre) (Hake); it is undefined, and left out, when
the pre-test share is already 100 %. Module and overall figures are the mean of the trainees'
g with n and a 95 % t confidence interval, all from SQL sums (n, Σg, Σg²).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select

from lms.assessment.models import Attempt, AttemptItem, Question, Quiz, QuizKind
from lms.auth.models import User
from lms.extensions import db
from lms.learning.models import Module

from . import stats
from .scope import Scope

#: score histogram bins (percent): [0,10), [10,20), ... [90,100]
SCORE_EDGES = tuple(range(10, 100, 10))
#: normalised gain histogram bins: below 0, then [0, 0.2), ... [0.8, 1]
GAIN_EDGES = (0.0, 0.2, 0.4, 0.6, 0.8)


def bucket(column, edges):
    """A CASE giving the index of the bin ``column`` falls in (portable, no FLOOR needed)."""
    return case(*[(column < edge, i) for i, edge in enumerate(edges)], else_=len(edges))


@dataclass
class QuizScores:
    quiz: Quiz
    n: int
    mean: float | None  #: percent
    sd: float | None
    pass_rate: float | None  #: first attempts (or all, by scope), 0-1
    ever_passed: int  #: trainees with any passed attempt
    takers: int  #: trainees with any graded attempt
    histogram: list[int]  #: counts per SCORE_EDGES bin

    @property
    def ever_passed_share(self) -> float | None:
        return self.ever_passed / self.takers if self.takers else None


def quiz_scores(scope: Scope, quizzes: list[Quiz]) -> list[QuizScores]:
    """Score distribution and pass rates of each quiz, two grouped queries in all."""
    if not quizzes:
        return []
    ids = [q.id for q in quizzes]
    pct = Attempt.percent
    main = db.session.execute(
        select(
            Attempt.quiz_id,
            func.count(pct).label("n"),
            func.sum(pct).label("s1"),
            func.sum(pct * pct).label("s2"),
            func.sum(case((Attempt.passed.is_(True), 1), else_=0)).label("passed"),
        )
        .where(*scope.attempt_filter(ids))
        .group_by(Attempt.quiz_id)
    ).all()
    ever = db.session.execute(
        select(
            Attempt.quiz_id,
            func.count(func.distinct(Attempt.user_id)).label("takers"),
            func.count(func.distinct(case((Attempt.passed.is_(True), Attempt.user_id)))).label("passers"),
        )
        .where(*scope.attempt_filter(ids, first_only=False))
        .group_by(Attempt.quiz_id)
    ).all()
    bins = bucket(pct, SCORE_EDGES)
    hist = db.session.execute(
        select(Attempt.quiz_id, bins.label("bin"), func.count().label("n"))
        .where(*scope.attempt_filter(ids), pct.is_not(None))
        .group_by(Attempt.quiz_id, bins)
    ).all()
    by_quiz = {r.quiz_id: r for r in main}
    ever_by = {r.quiz_id: r for r in ever}
    result = []
    for quiz in quizzes:
        r = by_quiz.get(quiz.id)
        n = r.n if r else 0
        counts = [0] * (len(SCORE_EDGES) + 1)
        for h in hist:
            if h.quiz_id == quiz.id:
                counts[h.bin] = h.n
        e = ever_by.get(quiz.id)
        result.append(
            QuizScores(
                quiz=quiz,
                n=n,
                mean=stats.mean(n, r.s1 if r else None),
                sd=stats.std_dev(n, r.s1 if r else None, r.s2 if r else None),
                pass_rate=(r.passed / n) if r and n else None,
                ever_passed=e.passers if e else 0,
                takers=e.takers if e else 0,
                histogram=counts,
            )
        )
    return result


def pre_post_quizzes(course_id: int) -> tuple[Quiz | None, Quiz | None]:
    """The course's pre-test and the post-test that is its parallel form."""
    quizzes = db.session.scalars(
        select(Quiz)
        .where(
            Quiz.course_id == course_id,
            Quiz.kind.in_([QuizKind.PRE_TEST, QuizKind.POST_TEST]),
            Quiz.live(),
        )
        .order_by(Quiz.id)
    ).all()
    pre = next((q for q in quizzes if q.kind == QuizKind.PRE_TEST), None)
    posts = [q for q in quizzes if q.kind == QuizKind.POST_TEST]
    post = next((q for q in posts if pre and (q.settings or {}).get("parallel_to") == pre.key), None)
    return pre, post or (posts[0] if posts else None)


def _pairs(scope: Scope, pre: Quiz, post: Quiz, by_module: bool, module_ids=None):
    """Per trainee (and module): pre and post shares of the marks and normalised gain g.

    Only trainees with both tests graded (first attempts) are kept.
    """
    score = func.coalesce(AttemptItem.score, 0.0)
    is_pre = Attempt.quiz_id == pre.id
    is_post = Attempt.quiz_id == post.id
    keys = [Attempt.user_id] + ([Question.module_id] if by_module else [])
    query = (
        select(
            *keys,
            func.sum(case((is_pre, score), else_=0.0)).label("pre_s"),
            func.sum(case((is_pre, AttemptItem.points), else_=0.0)).label("pre_p"),
            func.sum(case((is_post, score), else_=0.0)).label("post_s"),
            func.sum(case((is_post, AttemptItem.points), else_=0.0)).label("post_p"),
        )
        .join(AttemptItem, AttemptItem.attempt_id == Attempt.id)
        .join(Question, Question.id == AttemptItem.question_id)
        .where(*scope.attempt_filter([pre.id, post.id], first_only=True))
        .group_by(*keys)
    )
    if module_ids is not None:
        query = query.where(Question.module_id.in_(list(module_ids)))
    sums = query.subquery("sums")
    pre_share = sums.c.pre_s * 1.0 / sums.c.pre_p
    post_share = sums.c.post_s * 1.0 / sums.c.post_p
    gain = case((sums.c.pre_s < sums.c.pre_p, (post_share - pre_share) / (1.0 - pre_share)), else_=None)
    columns = [sums.c.user_id] + ([sums.c.module_id] if by_module else [])
    return (
        select(*columns, pre_share.label("pre"), post_share.label("post"), gain.label("g")).where(
            sums.c.pre_p > 0, sums.c.post_p > 0
        )
    ).subquery("pairs")


@dataclass
class Gain:
    """Mean pre and post shares (0-1) and the mean normalised gain with its CI."""

    key: object  #: module id, a breakdown group, or None for the whole test
    label: str
    pairs: int  #: trainees with both tests
    pre: float | None
    post: float | None
    gain: stats.MeanCI


def _aggregate(pairs, *group):
    g = pairs.c.g
    return select(
        *group,
        func.count().label("pairs"),
        func.sum(pairs.c.pre).label("pre"),
        func.sum(pairs.c.post).label("post"),
        func.count(g).label("n"),
        func.sum(g).label("s1"),
        func.sum(g * g).label("s2"),
    )


def _gain(key, label, row) -> Gain:
    pairs = row.pairs if row else 0
    return Gain(
        key=key,
        label=label,
        pairs=pairs,
        pre=stats.mean(pairs, row.pre if row else None),
        post=stats.mean(pairs, row.post if row else None),
        gain=stats.mean_ci(row.n if row else 0, row.s1 if row else None, row.s2 if row else None),
    )


def gain_overall(scope: Scope, pre: Quiz, post: Quiz, module_ids=None) -> Gain:
    """The whole test's (or the given modules') gain, trainee by trainee, then averaged."""
    pairs = _pairs(scope, pre, post, by_module=False, module_ids=module_ids)
    row = db.session.execute(_aggregate(pairs)).first()
    return _gain(None, "", row)


def gain_by_module(scope: Scope, pre: Quiz, post: Quiz) -> list[Gain]:
    """Per module, in course order."""
    pairs = _pairs(scope, pre, post, by_module=True)
    rows = db.session.execute(
        _aggregate(pairs, pairs.c.module_id, Module.title, Module.position)
        .join(Module, Module.id == pairs.c.module_id)
        .group_by(pairs.c.module_id, Module.title, Module.position)
        .order_by(Module.position)
    ).all()
    return [_gain(r.module_id, r.title, r) for r in rows]


def gain_by_group(scope: Scope, pre: Quiz, post: Quiz, dimension) -> list[Gain]:
    """Per region, work unit or position (``dimension`` from ``breakdown.DIMENSIONS``)."""
    pairs = _pairs(scope, pre, post, by_module=False)
    columns = dimension.columns()
    rows = db.session.execute(
        _aggregate(pairs, *columns).join(User, User.id == pairs.c.user_id).group_by(*columns).order_by(*columns)
    ).all()
    return [_gain(dimension.key_of(r), dimension.label_of(r), r) for r in rows]


def gain_histogram(scope: Scope, pre: Quiz, post: Quiz) -> list[int]:
    """Trainees per normalised-gain bin: below 0, [0, 0.2), ..., [0.8, 1]."""
    pairs = _pairs(scope, pre, post, by_module=False)
    bins = bucket(pairs.c.g, GAIN_EDGES)
    counts = [0] * (len(GAIN_EDGES) + 1)
    for row in db.session.execute(
        select(bins.label("bin"), func.count().label("n")).where(pairs.c.g.is_not(None)).group_by(bins)
    ):
        counts[row.bin] = row.n
    return counts


@dataclass
class TraineeGain:
    user_id: int
    name: str
    region: str
    work_unit: str
    position: str
    pre: float | None
    post: float | None
    gain: float | None


def gain_by_trainee(scope: Scope, pre: Quiz, post: Quiz) -> list[TraineeGain]:
    """Each trainee with both tests: pre, post and g, lowest gain first (who needs help)."""
    pairs = _pairs(scope, pre, post, by_module=False)
    rows = db.session.execute(
        select(
            User.id,
            User.name,
            User.province,
            User.city,
            User.county,
            User.work_unit,
            User.position,
            pairs.c.pre,
            pairs.c.post,
            pairs.c.g,
        )
        .join(User, User.id == pairs.c.user_id)
        .order_by(pairs.c.g.is_(None), pairs.c.g, User.name)
    ).all()
    return [
        TraineeGain(
            r.id,
            r.name,
            " ".join(p for p in (r.province, r.city, r.county) if p),
            r.work_unit,
            r.position,
            r.pre,
            r.post,
            r.g,
        )
        for r in rows
    ]
