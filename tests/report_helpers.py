"""Rows for report tests: attempts, survey responses and lesson progress written directly
(the domains that produce them are built elsewhere), plus a simulated cohort for browsing."""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.assessment.models import (
    Attempt,
    AttemptItem,
    AttemptState,
    Question,
    QuestionVersion,
    Quiz,
)
from lms.auth.models import Role
from lms.auth.service import Profile, create_user
from lms.cohorts.models import Enrolment
from lms.extensions import db
from lms.learning.models import Lesson, Module
from lms.learning.progress_models import LessonProgress
from lms.surveys.models import Survey, SurveyAnswer, SurveyItem, SurveyResponse

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def latest_version_id(question_id: int) -> int:
    return db.session.scalar(
        select(QuestionVersion.id)
        .where(QuestionVersion.question_id == question_id)
        .order_by(QuestionVersion.version.desc())
    )


def add_attempt(
    quiz_id: int,
    user_id: int,
    cohort_id: int | None,
    answers: list[tuple],
    *,
    number: int = 1,
    state: str = AttemptState.GRADED,
    finished_at: datetime = T0,
    pass_mark: float = 60,
) -> Attempt:
    """An attempt with one item per answer:
    (question_id, score[, response[, points[, version_id]]])."""
    attempt = Attempt(
        quiz_id=quiz_id,
        user_id=user_id,
        cohort_id=cohort_id,
        number=number,
        state=state,
        started_at=finished_at - timedelta(minutes=30),
        finished_at=finished_at if state != AttemptState.IN_PROGRESS else None,
    )
    db.session.add(attempt)
    db.session.flush()
    total = possible = 0.0
    for position, answer in enumerate(answers):
        question_id, score = answer[0], answer[1]
        response = answer[2] if len(answer) > 2 else None
        points = answer[3] if len(answer) > 3 else 1.0
        version_id = answer[4] if len(answer) > 4 else latest_version_id(question_id)
        db.session.add(
            AttemptItem(
                attempt_id=attempt.id,
                position=position,
                question_id=question_id,
                question_version_id=version_id,
                points=points,
                response=response,
                score=score,
                is_correct=None if score is None else score >= points,
            )
        )
        total += score or 0.0
        possible += points
    if state == AttemptState.GRADED:
        attempt.score, attempt.max_score = total, possible
        attempt.percent = 100.0 * total / possible if possible else None
        attempt.passed = attempt.percent is not None and attempt.percent >= pass_mark
    db.session.flush()
    return attempt


def add_response(
    survey_id: int,
    cohort_id: int,
    user_id: int | None,
    answers: dict,
    *,
    on: date = date(2026, 3, 2),
    module_id: int | None = None,
) -> SurveyResponse:
    """A submitted form (about ``module_id`` for the module-feedback form); ``answers`` maps
    item keys to a number, a text, a list of option indexes (multiple choice) or a dict of
    matrix row -> rating."""
    items = {i.key: i for i in db.session.scalars(select(SurveyItem).where(SurveyItem.survey_id == survey_id))}
    response = SurveyResponse(
        survey_id=survey_id,
        cohort_id=cohort_id,
        user_id=user_id,
        submitted_on=on,
        submitted_at=None if user_id is None else T0,
        module_id=module_id,
    )
    db.session.add(response)
    db.session.flush()
    for key, value in answers.items():
        item = items[key]
        if isinstance(value, dict):
            rows = [(row, v, None) for row, v in value.items()]
        elif isinstance(value, list):
            rows = [("", v, None) for v in value]
        elif isinstance(value, str):
            rows = [("", None, value)]
        else:
            rows = [("", value, None)]
        for row_key, num, text in rows:
            db.session.add(
                SurveyAnswer(
                    response_id=response.id,
                    item_id=item.id,
                    row_key=row_key,
                    value_num=num,
                    value_text=text,
                )
            )
    db.session.flush()
    return response


def add_progress(
    user_id: int,
    lesson_id: int,
    *,
    completed: bool = True,
    last_seen: datetime = T0,
    seconds: int = 600,
) -> LessonProgress:
    lesson = db.session.get(Lesson, lesson_id)
    row = LessonProgress(
        user_id=user_id,
        lesson_id=lesson_id,
        course_id=lesson.course_id,
        first_seen_at=last_seen - timedelta(seconds=seconds),
        last_seen_at=last_seen,
        completed_at=last_seen if completed else None,
        active_seconds=seconds,
    )
    db.session.add(row)
    db.session.flush()
    return row


def enrol(cohort_id: int, user_id: int) -> None:
    db.session.add(Enrolment(cohort_id=cohort_id, user_id=user_id))
    db.session.flush()


def quiz(course_id: int, key: str) -> Quiz:
    return db.session.scalar(select(Quiz).where(Quiz.course_id == course_id, Quiz.key == key))


def survey(course_id: int, key: str) -> Survey:
    return db.session.scalar(select(Survey).where(Survey.course_id == course_id, Survey.key == key))


def _simulated_answer(rng: random.Random, q: Question, skill: float, hard: bool) -> tuple:
    """(question id, score, response): right with a logistic chance of skill − difficulty."""
    right = rng.random() < 1 / (1 + math.exp(-(skill - (2.5 if hard else -0.3))))
    if q.qtype in ("single", "multiple") and q.options:
        letters = [chr(65 + i) for i in range(len(q.options))]
        correct = q.answer if isinstance(q.answer, list) else [q.answer]
        wrong = rng.choice([x for x in letters if x not in correct])
        response = q.answer if right else (wrong if q.qtype == "single" else [wrong])
    elif q.qtype == "true_false":
        response = q.answer if right else (not q.answer)
    else:
        response = "答案"
    return (q.id, 1.0 if right else 0.0, response)


def simulate_cohort(course_id: int, cohort_id: int, trainees: int = 30, seed: int = 3) -> list[int]:
    """Trainees with needs answers, pre/post-tests, progress, a final exam and feedback, drawn
    at random but plausibly (ability drives scores); returns the trainees' ids."""
    rng = random.Random(seed)
    provinces = [
        ("云南省", "德宏州", "芒市"),
        ("贵州省", "毕节市", "威宁县"),
        ("甘肃省", "定西市", "岷县"),
    ]
    units = ["芒市第一小学", "威宁县教育局", "岷县第二中学"]
    modules = db.session.scalars(select(Module).where(Module.course_id == course_id).order_by(Module.position)).all()
    lessons = db.session.scalars(select(Lesson).where(Lesson.course_id == course_id)).all()
    questions = {q.id: q for q in db.session.scalars(select(Question).where(Question.course_id == course_id))}
    pre, post = quiz(course_id, "pre-test"), quiz(course_id, "post-test")
    final = quiz(course_id, "final-exam")
    needs, feedback = survey(course_id, "needs"), survey(course_id, "feedback")
    items_of = {
        q.id: [i.question_id for i in q.items]
        for q in db.session.scalars(select(Quiz).where(Quiz.course_id == course_id).options(selectinload(Quiz.items)))
    }
    needs_items = db.session.scalars(select(SurveyItem).where(SurveyItem.survey_id == needs.id)).all()
    feedback_items = db.session.scalars(select(SurveyItem).where(SurveyItem.survey_id == feedback.id)).all()
    hard = {qid for qid in questions if rng.random() < 0.15}
    ids = []
    for t in range(trainees):
        province, city, county = provinces[t % 3]
        user = create_user(
            Profile(
                name=f"学员{t + 1:02d}",
                phone=f"1380000{t:04d}",
                province=province,
                city=city,
                county=county,
                work_unit=units[t % 3],
                position=["教师", "校长", "干部"][t % 3],
            ),
            "trainee-pass-1",
            {Role.TRAINEE},
        )
        enrol(cohort_id, user.id)
        ids.append(user.id)
        ability = rng.gauss(0, 1)

        def answer(qid, learned=0.0, ability=ability):
            return _simulated_answer(rng, questions[qid], ability + learned, qid in hard)

        when = T0 + timedelta(hours=t)
        add_response(
            needs.id,
            cohort_id,
            user.id,
            {
                **{i.key: float(rng.randint(2, 5)) for i in needs_items if i.itype == "likert"},
                **{
                    i.key: float(rng.randrange(len(i.spec.get("options", [1]))))
                    for i in needs_items
                    if i.itype == "single"
                },
            },
        )
        add_attempt(pre.id, user.id, cohort_id, [answer(q) for q in items_of[pre.id]], finished_at=when)
        done_modules = rng.randint(4, len(modules))
        for m in modules[:done_modules]:
            for lesson in (each for each in lessons if each.module_id == m.id):
                add_progress(user.id, lesson.id, last_seen=when + timedelta(days=rng.randint(0, 20)))
        if done_modules == len(modules):
            add_attempt(
                post.id,
                user.id,
                cohort_id,
                [answer(q, 1.2) for q in items_of[post.id]],
                finished_at=when + timedelta(days=21),
            )
            drawn = rng.sample(sorted(q for q in questions if questions[q].qtype != "short_answer"), 20)
            add_attempt(
                final.id,
                user.id,
                cohort_id,
                [answer(q, 1.0) for q in drawn],
                finished_at=when + timedelta(days=22),
            )
            add_response(
                feedback.id,
                cohort_id,
                None,
                {
                    **{i.key: float(rng.randint(3, 5)) for i in feedback_items if i.itype == "likert"},
                    "recommend": float(rng.randint(5, 10)),
                    "improve": rng.choice(["希望多一些案例", "节奏可以再快一些", "测验题目有的太难"]),
                },
            )
    db.session.flush()
    return ids


# -- A small course built row by row ------------------------------------------------------


def make_question(
    course_id: int,
    module_id: int,
    key: str,
    qtype: str = "single",
    options=("甲", "乙", "丙", "丁"),
    answer="B",
    lesson_id: int | None = None,
    created_at: datetime = T0 - timedelta(days=30),
) -> Question:
    """A question with its version-1 row."""
    options = list(options) if qtype in ("single", "multiple") else []
    q = Question(
        course_id=course_id,
        module_id=module_id,
        lesson_id=lesson_id,
        key=key,
        qtype=qtype,
        stem=f"{key} 的题干",
        options=options,
        answer=answer,
        content_hash="h1",
    )
    db.session.add(q)
    db.session.flush()
    add_question_version(q, 1, options, answer, created_at)
    return q


def add_question_version(
    q: Question, version: int, options, answer, created_at: datetime, stem: str | None = None
) -> QuestionVersion:
    data = {
        "key": q.key,
        "type": str(q.qtype),
        "stem": stem or q.stem,
        "options": list(options),
        "answer": answer,
    }
    row = QuestionVersion(
        question_id=q.id,
        version=version,
        content_hash=f"h{version}",
        data=data,
        created_at=created_at,
    )
    db.session.add(row)
    q.version = version
    db.session.flush()
    return row


def make_quiz(course_id: int, key: str, kind: str, question_ids, module_id=None, settings=None) -> Quiz:
    from lms.assessment.models import QuizItem

    quiz_row = Quiz(
        course_id=course_id,
        module_id=module_id,
        key=key,
        kind=kind,
        title=f"{key} 测验",
        content_hash="h",
        settings=settings or {},
    )
    db.session.add(quiz_row)
    db.session.flush()
    for position, qid in enumerate(question_ids):
        db.session.add(QuizItem(quiz_id=quiz_row.id, question_id=qid, position=position))
    db.session.flush()
    return quiz_row


def build_course(key: str = "rep-course") -> dict:
    """Course with modules M1 (lessons L1, L2; 1.5 学时) and M2 (lesson L3; 2 学时)."""
    from lms.learning.models import Course, LessonVersion

    course = Course(key=key, code="REP", title="报告测试课程", content_hash="x", credit_hours=3.5)
    db.session.add(course)
    db.session.flush()
    m1 = Module(
        course_id=course.id,
        key="m1",
        title="专题甲",
        position=0,
        credit_hours=1.5,
        content_hash="h",
    )
    m2 = Module(
        course_id=course.id,
        key="m2",
        title="专题乙",
        position=1,
        credit_hours=2.0,
        content_hash="h",
    )
    db.session.add_all([m1, m2])
    db.session.flush()
    lessons = []
    for position, (module, lkey) in enumerate([(m1, "l1"), (m1, "l2"), (m2, "l3")]):
        lesson = Lesson(
            course_id=course.id,
            module_id=module.id,
            key=lkey,
            title=f"小节{lkey}",
            position=position,
            content_hash="h",
        )
        db.session.add(lesson)
        db.session.flush()
        db.session.add(
            LessonVersion(
                lesson_id=lesson.id,
                version=1,
                content_hash="h",
                data={},
                created_at=T0 - timedelta(days=30),
            )
        )
        lessons.append(lesson)
    db.session.flush()
    return {"course": course, "m1": m1, "m2": m2, "lessons": lessons}


def make_survey(course_id: int, key: str, kind: str, items: list[dict], anonymous=False) -> Survey:
    """A survey with items given as dicts: key, itype, and optional module_id, measure, spec."""
    s = Survey(
        course_id=course_id,
        key=key,
        kind=kind,
        title=f"{key} 问卷",
        content_hash="h",
        is_anonymous=anonymous,
    )
    db.session.add(s)
    db.session.flush()
    for position, item in enumerate(items):
        db.session.add(
            SurveyItem(
                survey_id=s.id,
                key=item["key"],
                position=position,
                itype=item["itype"],
                prompt=item.get("prompt", item["key"]),
                spec=item.get("spec", {}),
                module_id=item.get("module_id"),
                measure=item.get("measure"),
                content_hash="h",
            )
        )
    db.session.flush()
    return s


def make_trainee(cohort_id: int, name: str, **profile) -> int:
    """A trainee enrolled in the cohort; returns the id."""
    n = make_trainee.counter = getattr(make_trainee, "counter", 0) + 1
    user = create_user(
        Profile(
            name=name,
            phone=f"1590000{n:04d}",
            province=profile.get("province", "云南省"),
            city=profile.get("city", ""),
            county=profile.get("county", ""),
            work_unit=profile.get("work_unit", "单位甲"),
            position=profile.get("position", "教师"),
        ),
        "trainee-pass-1",
        {Role.TRAINEE},
    )
    enrol(cohort_id, user.id)
    return user.id
