"""Lesson-page throughput under gunicorn beside the same app's bare /healthz, and SQL queries
per trainee page as the course grows.

    python bench/bench_lesson_page.py [--seconds 8] [--connections 16] [--db sqlite|postgres]

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
import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import closing
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(env: dict) -> None:
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "lms", "init", "--demo"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


def login_cookie(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.request("GET", "/login")
    response = conn.getresponse()
    body = response.read().decode()
    cookie = response.getheader("Set-Cookie").split(";")[0]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', body) or re.search(
        r'name="csrf-token" content="([^"]+)"', body
    )
    form = urlencode({"csrf_token": token.group(1), "identifier": "13900000001", "password": "demo-pass-2026"})
    conn.request(
        "POST", "/login", body=form, headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
    )
    response = conn.getresponse()
    response.read()
    assert response.status == 302, response.status
    return response.getheader("Set-Cookie").split(";")[0]


def python_load(port: int, path: str, cookie: str, seconds: float, connections: int) -> float:
    done = [0] * connections
    stop = time.monotonic() + seconds

    def worker(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port)
        while time.monotonic() < stop:
            conn.request("GET", path, headers={"Cookie": cookie})
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"{path}: {response.status}")
            done[i] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.monotonic() - start)


def wrk_load(port: int, path: str, cookie: str, seconds: float, connections: int) -> float:
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{int(seconds)}s",
            "-H",
            f"Cookie: {cookie}",
            f"http://127.0.0.1:{port}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"{path}: non-2xx answers\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def longest_lesson(env: dict) -> str:
    code = (
        "from sqlalchemy import func, select\n"
        "from lms import create_app\nfrom lms.extensions import db\n"
        "from lms.learning.models import Lesson, Module\n"
        "with create_app().app_context():\n"
        "    print(db.session.scalar(select(Lesson.key).join(Module, Module.id == Lesson.module_id)"
        ".where(Module.prerequisites == []).order_by(func.length(Lesson.body_html).desc()).limit(1)))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()


def throughput(args) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="lms-bench-"))
    env = {
        **os.environ,
        "LMS_SECRET_KEY": secrets.token_hex(16),
        "LMS_STORAGE_PATH": str(workdir / "storage"),
        "LMS_INSTANCE_PATH": str(workdir / "instance"),
        "LMS_ENV": "production",
    }
    env.pop("LMS_REDIS_URL", None)
    pg = None
    if args.db == "postgres":
        pg = f"lms_bench_{secrets.token_hex(4)}"
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f'CREATE DATABASE "{pg}"'], check=True)
        env["LMS_DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:5432/{pg}"
    else:
        env["LMS_DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    port = free_port()
    server = None
    try:
        prepare(env)
        lesson = longest_lesson(env)
        gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
        server = subprocess.Popen(
            [gunicorn, "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"],
            cwd=ROOT,
            env=env,
        )
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", port).request("GET", "/healthz")
                break
            except OSError:
                time.sleep(0.1)
        cookie = login_cookie(port)
        load = wrk_load if shutil.which("wrk") else python_load
        path = f"/courses/edu-assistance-policy/lessons/{lesson}"
        load(port, path, cookie, 1, args.connections)  # warm both workers
        bare = load(port, "/healthz", cookie, args.seconds, args.connections)
        page = load(port, path, cookie, args.seconds, args.connections)
        client = "wrk" if load is wrk_load else "python threads"
        print(
            f"## Lesson page throughput ({args.db}, gunicorn 2 sync workers, {client}, "
            f"{args.connections} connections, {args.seconds:g} s each)"
        )
        print("| endpoint | req/s |\n|---|---|")
        print(f"| /healthz (bare baseline) | {bare:,.0f} |")
        print(f"| lesson page ({lesson}) | {page:,.0f} |")
        print(f"| ratio lesson / bare | {page / bare:.2f} |")
    finally:
        if server:
            server.send_signal(signal.SIGTERM)
            server.wait(10)
        if pg:
            subprocess.run(
                ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f'DROP DATABASE IF EXISTS "{pg}" WITH (FORCE)'],
                check=False,
            )
        shutil.rmtree(workdir, ignore_errors=True)


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
            module = db.session.scalar(select(Module).where(Module.course_id == course.id, Module.prerequisites == []))
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
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    throughput(args)
    query_counts()


if __name__ == "__main__":
    main()
