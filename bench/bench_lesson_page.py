"""Lesson-page throughput under gunicorn beside the same app's bare /healthz, and SQL queries
per trainee page as the course grows.

    python bench/bench_lesson_page.py [--seconds 8] [--connections 16] [--db sqlite|postgres|both]

1. Throughput: a fresh database with the real course and the demo accounts, served by
   gunicorn with 2 sync workers; a logged-in trainee's longest lesson and /healthz are each
   loaded for the same time by the same client, and the ratio is printed (absolute numbers
   drift with the machine; the ratio holds). The client is wrk when installed, otherwise a
   keep-alive Python client in threads (it shares the two cores, so absolute figures are lower).
2. Queries: the trainee pages run in-process with a statement counter, before and after the
   course grows by 20 modules, 100 lessons and 200 discussion posts.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import COURSE, ROOT, load_client, load_header, longest_lesson, measure, running_site

sys.path.insert(0, str(ROOT))


def throughput(args, engine: str) -> None:
    with running_site(engine) as site:
        site.login()
        path = f"/courses/{COURSE}/lessons/{longest_lesson(site.env)}"
        site.get_ok(path)
        results = measure(site, {"lesson": path}, args.seconds, 1, args.connections)
    client, _load = load_client()
    bare, (page, ratio) = results["healthz"][0], results["lesson"]
    print(
        f"## Lesson page throughput ({engine}, gunicorn 2 sync workers, {client}, "
        f"{args.connections} connections, {args.seconds:g} s each; {load_header()})"
    )
    print("| endpoint | req/s |\n|---|---|")
    print(f"| /healthz (bare baseline) | {bare:,.0f} |")
    print(f"| lesson page ({path}) | {page:,.0f} |")
    print(f"| ratio lesson / bare | {ratio:.2f} |")


def query_counts() -> None:
    from sqlalchemy import event, select

    from lms import create_app
    from lms.auth.models import Role
    from lms.auth.service import Profile, create_user
    from lms.cohorts.models import Cohort
    from lms.cohorts.service import add_members
    from lms.content.loader import load_courses
    from lms.db import write_transaction
    from lms.demo import ensure_demo_data
    from lms.discussions.models import Post
    from lms.extensions import db
    from lms.learning.models import Course, Lesson, Module

    workdir = Path(tempfile.mkdtemp(prefix="lms-bench-q-"))
    os.environ.setdefault("LMS_INSTANCE_PATH", str(workdir / "instance"))
    app = create_app(
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'q.sqlite3'}",
            "LMS_STORAGE_PATH": str(workdir / "storage"),
            "WTF_CSRF_ENABLED": False,
        }
    )
    with app.app_context():
        db.create_all()
        with write_transaction():
            load_courses(ROOT / "courses")
            ensure_demo_data()
        with write_transaction():
            cohort = db.session.scalar(select(Cohort))
            course = db.session.get(Course, cohort.course_id)
            reader = create_user(Profile(name="读者", phone="13911112222"), "bench-pass-1", {Role.TRAINEE})
            add_members(reader, cohort, [reader])
            cohort_id, course_key = cohort.id, course.key
            modules = db.session.scalars(select(Module).where(Module.course_id == course.id).order_by(Module.position))
            module = next(m for m in modules if not m.prerequisites)  # no json = json on PostgreSQL
            lesson = db.session.scalar(select(Lesson).where(Lesson.module_id == module.id))
            module_key, lesson_key, module_id, reader_id = module.key, lesson.key, module.id, reader.id
    client = app.test_client()
    client.post("/login", data={"identifier": "13911112222", "password": "bench-pass-1"})
    pages = {
        "home": "/",
        "course": f"/courses/{course_key}",
        "lesson": f"/courses/{course_key}/lessons/{lesson_key}",
        "search": f"/courses/{course_key}/search?q=帮扶",
        "record": f"/courses/{course_key}/record",
        "discussion": f"/cohorts/{cohort_id}/discuss/{module_key}",
    }

    def count() -> dict[str, int]:
        result = {}
        with app.app_context():
            engine = db.engine
        for name, url in pages.items():
            client.get(url)
            statements: list[int] = []

            def listener(*_args, _statements=statements):
                _statements.append(1)

            event.listen(engine, "before_cursor_execute", listener)
            response = client.get(url)
            event.remove(engine, "before_cursor_execute", listener)
            assert response.status_code == 200, (url, response.status_code)
            result[name] = len(statements)
        return result

    with app.app_context(), write_transaction():  # a page of posts to begin with
        for _ in range(25):
            db.session.add(
                Post(
                    cohort_id=cohort_id,
                    module_id=module_id,
                    author_id=reader_id,
                    body_markdown="帖",
                    body_html="<p>帖</p>",
                )
            )
    before = count()
    with app.app_context(), write_transaction():
        course = db.session.scalar(select(Course))
        for m in range(20):
            extra = Module(
                course_id=course.id,
                key=f"bench-{m}",
                title=f"附加{m}",
                position=100 + m,
                credit_hours=0,
                content_hash="x",
            )
            db.session.add(extra)
            db.session.flush()
            for n in range(5):
                db.session.add(
                    Lesson(
                        course_id=course.id,
                        module_id=extra.id,
                        key=f"bench-{m}-{n}",
                        title=f"小节{n}",
                        position=n,
                        content_hash="x",
                        search_text="帮扶",
                    )
                )
        for _ in range(200):
            db.session.add(
                Post(
                    cohort_id=cohort_id,
                    module_id=module_id,
                    author_id=reader_id,
                    body_markdown="帖",
                    body_html="<p>帖</p>",
                )
            )
    after = count()
    print("\n## SQL statements per page (trainee), before and after +20 modules, +100 lessons, +200 posts")
    print("| page | before | after |\n|---|---|---|")
    for name in pages:
        print(f"| {name} | {before[name]} | {after[name]} |")
    shutil.rmtree(workdir, ignore_errors=True)
    if before != after:
        raise SystemExit("query counts grew with the course: an N+1 query")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="sqlite")
    args = parser.parse_args()
    for engine in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        throughput(args, engine)
    query_counts()


if __name__ == "__main__":
    main()
