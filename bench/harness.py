"""Shared pieces of the HTTP benchmarks: a throw-away database with the real course and the demo
accounts, gunicorn on a free loopback port, a logged-in demo trainee, and one load client.

Not a benchmark itself (run_all.py runs ``bench_*.py`` only).
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
PG_SERVER = os.environ.get("LMS_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
COURSE = "edu-assistance-policy"
TRAINEE = ("13900000001", "demo-pass-2026")  # lms/demo.py


def free_port() -> int:
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_header() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} on {os.cpu_count()} CPUs"


def _psql(sql: str, check: bool = True) -> None:
    subprocess.run(["psql", "-d", PG_SERVER, "-qc", sql], check=check, capture_output=True)


@dataclass
class Site:
    """A running gunicorn serving a fresh database; ``env`` is what it was started with."""

    engine: str
    env: dict
    port: int = 0
    cookie: str = ""
    _server: subprocess.Popen | None = field(default=None, repr=False)

    # -- HTTP as the logged-in trainee ----------------------------------------------------------
    def request(self, method: str, path: str, form: dict | None = None) -> http.client.HTTPResponse:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.body = response.read().decode()
        # "session" in development, "__Host-session" (Secure) in production, among other
        # cookies; this client is on loopback, so it sends it back over plain HTTP itself
        for cookie in response.headers.get_all("Set-Cookie") or []:
            if re.match(r"(__Host-)?session=", cookie):
                self.cookie = cookie.split(";")[0]
        return response

    def csrf_token(self, path: str) -> str:
        body = self.request("GET", path).body
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', body) or re.search(
            r'name="csrf-token" content="([^"]+)"', body
        )
        return token.group(1)

    def login(self, identifier: str = TRAINEE[0], password: str = TRAINEE[1]) -> None:
        """A real POST /login with the form's CSRF token; keeps the session cookie."""
        token = self.csrf_token("/login")
        response = self.request("POST", "/login", {"csrf_token": token, "identifier": identifier, "password": password})
        if response.status != 302:
            raise RuntimeError(f"login failed: {response.status}")

    def start_quiz(self, quiz_key: str, course_key: str = COURSE) -> str:
        """Start (or resume) a quiz through the app's own routes; return the attempt page's path."""
        quiz = f"/courses/{course_key}/quizzes/{quiz_key}"
        # a timed quiz starts from its confirmation page (GET .../start), as a trainee does
        page = self.request("GET", f"{quiz}/start")
        source = f"{quiz}/start" if page.status == 200 else quiz
        response = self.request("POST", f"{quiz}/start", {"csrf_token": self.csrf_token(source), "confirmed": "1"})
        location = response.getheader("Location") or ""
        path = "/" + location.split("://", 1)[-1].split("/", 1)[-1] if "://" in location else location
        if response.status != 302 or not re.fullmatch(r"/attempts/\d+", path):
            raise RuntimeError(f"starting {quiz_key} did not lead to an attempt: {response.status} {location}")
        return path

    def get_ok(self, path: str) -> None:
        response = self.request("GET", path)
        if response.status != 200:
            raise RuntimeError(f"GET {path}: {response.status}")


@contextmanager
def running_site(engine: str):
    """A throw-away database (SQLite file or a PostgreSQL database created and dropped) loaded
    with ``flask lms init --demo``, served by gunicorn with 2 sync workers on a free port."""
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
    if engine == "postgres":
        pg = f"lms_bench_{secrets.token_hex(4)}"
        _psql(f'CREATE DATABASE "{pg}"')
        env["LMS_DATABASE_URL"] = PG_SERVER.rsplit("/", 1)[0] + f"/{pg}"
    else:
        env["LMS_DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    site = Site(engine, env)
    try:
        init = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "lms", "init", "--demo"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        if init.returncode:
            raise RuntimeError(f"flask lms init --demo failed:\n{init.stderr[-3000:]}")
        site.port = free_port()
        gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
        site._server = subprocess.Popen(
            [gunicorn, "-w", "2", "-k", "sync", "-b", f"127.0.0.1:{site.port}", "--log-level", "warning", "wsgi:app"],
            cwd=ROOT,
            env=env,
        )
        for _ in range(300):
            try:
                site.request("GET", "/healthz")
                break
            except OSError:
                time.sleep(0.1)
        yield site
    finally:
        if site._server:
            site._server.send_signal(signal.SIGTERM)
            site._server.wait(30)
        if pg:
            _psql(f'DROP DATABASE IF EXISTS "{pg}" WITH (FORCE)', check=False)
        shutil.rmtree(workdir, ignore_errors=True)


# -- load clients: the same one for every path of a run ------------------------------------------


def python_load(port: int, path: str, cookie: str, seconds: float, connections: int) -> float:
    """Keep-alive HTTP/1.1 in threads (shares the CPU with the server, so figures are lower)."""
    done = [0] * connections
    errors: list[str] = []
    stop = time.monotonic() + seconds

    def worker(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while time.monotonic() < stop:
            conn.request("GET", path, headers={"Cookie": cookie})
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                errors.append(f"{path}: {response.status}")
                return
            done[i] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(errors[0])
    return sum(done) / (time.monotonic() - start)


def wrk_load(port: int, path: str, cookie: str, seconds: float, connections: int) -> float:
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            "--timeout",
            "30s",  # a loaded machine answers slowly; wrk's 2 s default would drop those answers
            f"-d{max(1, round(seconds))}s",
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
    if "Socket errors" in out:
        print(f"warning: {path}: {re.search(r'Socket errors:.*', out).group(0)}", file=sys.stderr)
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def load_client():
    """(name, function): wrk when installed, otherwise the Python client."""
    return ("wrk", wrk_load) if shutil.which("wrk") else ("python threads", python_load)


def measure(site: Site, paths: dict[str, str], seconds: float, rounds: int, connections: int) -> dict:
    """Each round loads /healthz and every path for ``seconds`` each with the same client.

    Returns {name: (median req/s, median of the per-round ratios to that round's /healthz)};
    a ratio is taken within one round so that a change of machine load between rounds cancels.
    """
    _name, load = load_client()
    for path in {"/healthz", *paths.values()}:  # warm both workers on every page
        load(site.port, path, site.cookie, 1, connections)
    rates: dict[str, list[float]] = {"healthz": [], **{name: [] for name in paths}}
    ratios: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(rounds):
        bare = load(site.port, "/healthz", site.cookie, seconds, connections)
        rates["healthz"].append(bare)
        for name, path in paths.items():
            rate = load(site.port, path, site.cookie, seconds, connections)
            rates[name].append(rate)
            ratios[name].append(rate / bare)
    result = {"healthz": (statistics.median(rates["healthz"]), 1.0)}
    for name in paths:
        result[name] = (statistics.median(rates[name]), statistics.median(ratios[name]))
    return result


def longest_lesson(env: dict) -> str:
    """Key of the longest lesson in a module without prerequisites (open to a new trainee).

    The prerequisites (a JSON column) are compared in Python: PostgreSQL has no ``json = json``.
    """
    code = (
        "from sqlalchemy import func, select\n"
        "from lms import create_app\nfrom lms.extensions import db\n"
        "from lms.learning.models import Lesson, Module\n"
        "with create_app().app_context():\n"
        "    rows = db.session.execute(select(Lesson.key, Module.prerequisites)"
        ".join(Module, Module.id == Lesson.module_id)"
        ".order_by(func.length(Lesson.body_html).desc(), Lesson.id)).all()\n"
        "    print(next(key for key, prerequisites in rows if not prerequisites))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()


def count_statements(site: Site, paths: dict[str, str]) -> dict[str, int]:
    """SQL statements per page, counted in-process by a SQLAlchemy event listener on an app
    built from the site's environment, sending the trainee's real session cookie."""
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import event

    from lms import create_app
    from lms.extensions import db

    saved = dict(os.environ)
    os.environ.update(site.env)
    try:
        app = create_app()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    client = app.test_client(use_cookies=False)  # its cookie jar would replace our Cookie header
    with app.app_context():
        engine = db.engine
    counts = {}
    for name, path in paths.items():
        client.get(path, headers={"Cookie": site.cookie})  # warm caches first
        statements: list[str] = []

        def listener(_conn, _cursor, statement, *_args, _statements=statements):
            _statements.append(statement)

        event.listen(engine, "before_cursor_execute", listener)
        try:
            response = client.get(path, headers={"Cookie": site.cookie})
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        if response.status_code != 200:
            raise RuntimeError(f"in-process GET {path}: {response.status_code} {response.location or ''}")
        counts[name] = len(statements)
    engine.dispose()
    return counts
