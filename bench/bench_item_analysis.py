"""Benchmark: item analysis of a 40-question quiz taken by 10,000 trainees (400,000 answers).

Times, on the same data in the same run:
  - the report function ``lms.reports.items.item_analysis`` (facility, SD, discrimination,
    discriminative efficiency, Cronbach's alpha and the per-option counts: one statement);
  - the plain aggregate ``SELECT question_id, COUNT(*), AVG(score) FROM attempt_items
    GROUP BY question_id`` as the baseline, and prints the ratio;
  - the item-analysis page rendered through the Flask test client (budget: 2 s).

Usage::

    python bench/bench_item_analysis.py [--db sqlite|postgres] [--trainees 10000 --items 40]

PostgreSQL: a database ``lms_bench_<random>`` is created on the server named by
``LMS_BENCH_DATABASE_URL`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``) and
dropped at the end. Answers follow a two-parameter logistic model (random ability, item
difficulty and discrimination), so the statistics are realistic, not uniform noise.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import secrets
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402  (after the sys.path insert)
from sqlalchemy.engine import make_url  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from lms import create_app  # noqa: E402
from lms.extensions import db  # noqa: E402

PAGE_BUDGET_SECONDS = 2.0
PASSWORD = "bench-password-1"
LETTERS = "ABCD"


def _best(fn, repeat: int = 3) -> float:
    """The fastest of ``repeat`` runs, in seconds (the first run also warms caches)."""
    best = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _copy_rows(table: str, columns: list[str], rows) -> None:
    """PostgreSQL COPY FROM STDIN through psycopg 3 (much faster than INSERT)."""
    raw = db.session.connection().connection.driver_connection
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with raw.cursor() as cur, cur.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def _bulk(table, columns: list[str], rows: list[tuple], postgres: bool) -> None:
    """Insert raw rows (JSON as text, naive UTC times): COPY on PostgreSQL, else executemany."""
    if postgres:
        _copy_rows(table.name, columns, rows)
    else:
        marks = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"
        db.session.connection().exec_driver_sql(sql, rows)


def build_dataset(trainees: int, items: int, postgres: bool, seed: int = 7) -> dict:
    """A course, one cohort of ``trainees``, a quiz of ``items`` single-choice questions and
    one graded first attempt per trainee with every item answered; returns the ids."""
    from lms.assessment.models import (
        Attempt,
        AttemptItem,
        Question,
        QuestionVersion,
        Quiz,
        QuizItem,
    )
    from lms.auth.models import User, UserRole
    from lms.cohorts.models import Cohort, Enrolment
    from lms.learning.models import Course, Module

    rng = random.Random(seed)
    now = datetime.now(UTC)
    course = Course(key="bench-course", code="BENCH", title="基准测试课程", content_hash="x")
    db.session.add(course)
    db.session.flush()
    modules = []
    for m in range(max(1, items // 4)):
        module = Module(course_id=course.id, key=f"m{m:02d}", title=f"专题{m + 1}", position=m, content_hash="x")
        db.session.add(module)
        modules.append(module)
    db.session.flush()
    questions = []
    for i in range(items):
        data = {
            "type": "single",
            "stem": f"第{i + 1}题",
            "options": [f"选项{c}" for c in LETTERS],
            "answer": LETTERS[i % 4],
        }
        q = Question(
            course_id=course.id,
            module_id=modules[i % len(modules)].id,
            key=f"q{i:03d}",
            qtype="single",
            stem=data["stem"],
            options=data["options"],
            answer=data["answer"],
            content_hash="x",
        )
        db.session.add(q)
        db.session.flush()
        v = QuestionVersion(question_id=q.id, version=1, content_hash="x", data=data)
        db.session.add(v)
        db.session.flush()
        # difficulty b and discrimination a of the 2PL model
        questions.append((q.id, v.id, data["answer"], rng.uniform(-2.2, 2.2), rng.uniform(0.3, 2.0)))
    quiz = Quiz(
        course_id=course.id,
        key="final",
        kind="final_exam",
        title="结业考试",
        content_hash="x",
        settings={},
    )
    db.session.add(quiz)
    db.session.flush()
    for position, q in enumerate(questions):
        db.session.add(QuizItem(quiz_id=quiz.id, question_id=q[0], position=position))
    organizer = User(name="组织者", phone="13800000000", password_hash=generate_password_hash(PASSWORD))
    db.session.add(organizer)
    db.session.flush()
    db.session.add(UserRole(user_id=organizer.id, role="organizer"))
    today = date.today()
    cohort = Cohort(
        course_id=course.id,
        name="基准测试班",
        starts_on=today - timedelta(days=30),
        ends_on=today + timedelta(days=30),
        enrol_until=today,
        enrol_code="BENCH234",
        invite_token=secrets.token_urlsafe(32),
    )
    db.session.add(cohort)
    db.session.flush()
    ids = {"course": course.id, "quiz": quiz.id, "cohort": cohort.id, "organizer": organizer.id}

    first_user = organizer.id + 1
    pw = "x"  # trainees never log in here; the hash is irrelevant
    provinces = ["云南省", "贵州省", "甘肃省", "四川省"]
    naive = now.replace(tzinfo=None).isoformat(sep=" ")
    user_rows = [
        (
            first_user + t,
            f"学员{t}",
            f"15{t:09d}",
            pw,
            provinces[t % 4],
            f"市{t % 13}",
            f"县{t % 37}",
            f"第{t % 50}小学",
            "教师",
            True,
            secrets.token_hex(8),
            naive,
        )
        for t in range(trainees)
    ]
    _bulk(
        User.__table__,
        [
            "id",
            "name",
            "phone",
            "password_hash",
            "province",
            "city",
            "county",
            "work_unit",
            "position",
            "is_active_account",
            "session_token",
            "created_at",
        ],
        user_rows,
        postgres,
    )
    _bulk(
        UserRole.__table__,
        ["user_id", "role"],
        [(first_user + t, "trainee") for t in range(trainees)],
        postgres,
    )
    _bulk(
        Enrolment.__table__,
        ["cohort_id", "user_id", "status", "joined_at"],
        [(cohort.id, first_user + t, "active", naive) for t in range(trainees)],
        postgres,
    )

    attempt_rows, item_rows = [], []
    item_id = 1
    for t in range(trainees):
        attempt_id = t + 1
        theta = rng.gauss(0.0, 1.0)
        total = 0.0
        for position, (qid, vid, answer, b, a) in enumerate(questions):
            correct = rng.random() < 1.0 / (1.0 + math.exp(-a * (theta - b)))
            if correct:
                response = answer
            else:
                response = rng.choice([c for c in LETTERS if c != answer])
            score = 1.0 if correct else 0.0
            total += score
            item_rows.append(
                (
                    item_id,
                    attempt_id,
                    position,
                    qid,
                    vid,
                    "[0, 1, 2, 3]",
                    1.0,
                    f'"{response}"',
                    score,
                    correct,
                    "",
                )
            )
            item_id += 1
        finished = now.replace(tzinfo=None) - timedelta(minutes=t % 5000)
        attempt_rows.append(
            (
                attempt_id,
                quiz.id,
                first_user + t,
                cohort.id,
                1,
                1,
                "graded",
                (finished - timedelta(minutes=40)).isoformat(sep=" "),
                finished.isoformat(sep=" "),
                "trainee",
                0,
                total,
                float(items),
                100.0 * total / items,
                total / items >= 0.6,
            )
        )
    _bulk(
        Attempt.__table__,
        [
            "id",
            "quiz_id",
            "user_id",
            "cohort_id",
            "number",
            "quiz_version",
            "state",
            "started_at",
            "finished_at",
            "closed_by",
            "save_seq",
            "score",
            "max_score",
            "percent",
            "passed",
        ],
        attempt_rows,
        postgres,
    )
    _bulk(
        AttemptItem.__table__,
        [
            "id",
            "attempt_id",
            "position",
            "question_id",
            "question_version_id",
            "option_order",
            "points",
            "response",
            "score",
            "is_correct",
            "grader_note",
        ],
        item_rows,
        postgres,
    )
    if postgres:
        for table in ("users", "attempts", "attempt_items"):
            db.session.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
            )
    db.session.commit()
    if postgres:
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    ids["answers"] = len(item_rows)
    return ids


def run(app, trainees: int, items: int, postgres: bool) -> dict:
    from lms.assessment.models import Quiz
    from lms.reports.items import item_analysis
    from lms.reports.scope import Scope

    with app.app_context():
        start = time.perf_counter()
        ids = build_dataset(trainees, items, postgres)
        generate = time.perf_counter() - start
        quiz = db.session.get(Quiz, ids["quiz"])
        scope = Scope(course_id=ids["course"], cohort_ids=(ids["cohort"],))
        result = item_analysis(scope, quiz)
        report = _best(lambda: item_analysis(scope, quiz))
        baseline_sql = text("SELECT question_id, COUNT(*), AVG(score) FROM attempt_items GROUP BY question_id")
        baseline = _best(lambda: db.session.execute(baseline_sql).all())
        db.session.rollback()

    client = app.test_client()
    response = client.post("/login", data={"identifier": "13800000000", "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    url = f"/reports/cohorts/{ids['cohort']}/quizzes/{ids['quiz']}/items"

    def page():
        r = client.get(url)
        assert r.status_code == 200, r.status_code

    page_time = _best(page)
    return {
        "answers": ids["answers"],
        "generate": generate,
        "report": report,
        "baseline": baseline,
        "page": page_time,
        "alpha": result.alpha,
        "options": sum(len(v) for v in result.options.values()),
        "flagged": len(result.flagged),
        "items": len(result.items),
    }


def _pg_database(server: str):
    admin_url = make_url(server.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"lms_bench_{secrets.token_hex(4)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return admin, name, admin_url.set(database=name).render_as_string(hide_password=False)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--trainees", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=40)
    args = parser.parse_args(argv)
    postgres = args.db == "postgres"
    tmp = tempfile.TemporaryDirectory(prefix="lms-bench-")
    os.environ.setdefault("LMS_INSTANCE_PATH", os.path.join(tmp.name, "instance"))
    admin = name = None
    if postgres:
        server = os.environ.get("LMS_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
        admin, name, url = _pg_database(server)
    else:
        url = f"sqlite:///{os.path.join(tmp.name, 'bench.sqlite3')}"
    try:
        app = create_app(
            {
                "SECRET_KEY": "bench",
                "SQLALCHEMY_DATABASE_URI": url,
                "WTF_CSRF_ENABLED": False,
                "LMS_STORAGE_PATH": os.path.join(tmp.name, "storage"),
                "RATELIMIT_ENABLED": False,
            }
        )
        with app.app_context():
            db.create_all()
        figures = run(app, args.trainees, args.items, postgres)
        with app.app_context():
            db.engine.dispose()
    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
        tmp.cleanup()
    ratio = figures["report"] / figures["baseline"] if figures["baseline"] else float("nan")
    verdict = "ok" if figures["page"] < PAGE_BUDGET_SECONDS else "OVER BUDGET"
    print(
        f"item analysis on {args.db}: {args.trainees} trainees x {args.items} items "
        f"= {figures['answers']} answers (generated in {figures['generate']:.1f} s)"
    )
    print(f"  baseline GROUP BY question_id : {figures['baseline'] * 1000:8.1f} ms")
    print(f"  item_analysis()               : {figures['report'] * 1000:8.1f} ms  (ratio {ratio:.1f}x baseline)")
    print(
        f"  report page (test client)     : {figures['page'] * 1000:8.1f} ms  "
        f"(budget {PAGE_BUDGET_SECONDS:.0f} s: {verdict})"
    )
    alpha = figures["alpha"]
    print(
        f"  alpha={alpha:.3f} flagged={figures['flagged']}/{figures['items']} option tables={figures['options']}"
        if alpha is not None
        else "  alpha=—"
    )
    return 0 if figures["page"] < PAGE_BUDGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
