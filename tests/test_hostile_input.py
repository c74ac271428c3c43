"""Hostile input on every route and every form: a 4xx with a message, never a 5xx.

The test walks ``app.url_map`` (with the concrete URLs of ``test_access_matrix.ROUTES`` and
its ``world``): out-of-range and negative ids in every integer segment, a NUL byte in every
string segment, hostile values in every query parameter the views read, and, in every form
found on every page a user can open, NUL and control characters, over-long text and huge or
negative numbers in each field in turn. A refused request must leave the database as it was.
Last, ten parallel registrations of one phone: one account, nine clear messages.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select, text
from werkzeug.routing import IntegerConverter

from lms.auth.models import User
from lms.extensions import db
from tests.conftest import PASSWORD
from tests.test_access_matrix import ROUTES, world  # noqa: F401  (world is a fixture)

HUGE = "99999999999999999999999"
OUT_OF_RANGE = (HUGE, str(2**31), str(2**63), "-1")
NUL = "a\x00b"
CONTROL = "x\x01\x08\x0b\x1b[31m\x7f"
LONG = "长" * 500  # longer than any String column (the widest is 400)
TEXT_PAYLOADS = {"nul": NUL, "control": CONTROL, "long": LONG, "huge": HUGE, "negative": "-1"}
MUST_REFUSE = {"nul", "control"}  # refused by the input guard: a 400, nothing written
ROLES_FIRST = ("trainee", "trainer", "organizer")  # the trainee's forms before an organizer may lock them out
SEGMENT = re.compile(r"<(?:[^<>]*:)?(\w+)>")


def _login(client, user) -> bool:
    response = client.post("/login", data={"identifier": user.phone, "password": PASSWORD})
    return response.status_code == 302


def _snapshot(app) -> str:
    """A digest of every row of every table (inserts, updates and deletes all change it)."""
    digest = hashlib.sha256()
    with app.app_context():
        for table in db.metadata.sorted_tables:
            rows = db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
            digest.update(f"{table.name}:{rows!r}".encode())
        db.session.remove()
    return digest.hexdigest()


def _rule_url(rule, args: dict) -> str:
    return SEGMENT.sub(lambda m: str(args[m.group(1)]), rule.rule)


def _concrete_args(app, rule, values) -> dict | None:
    """Values for every segment of ``rule``, taken from the access matrix's URL of its endpoint."""
    method, template, _ = ROUTES[rule.endpoint]
    path = urlsplit(template.format(**values)).path
    adapter = app.url_map.bind("localhost")
    try:
        _, args = adapter.match(path, method=method)
    except Exception:
        args = {}
    filled = {}
    for name, converter in rule._converters.items():
        if name in args:
            filled[name] = args[name]
        elif hasattr(converter, "items"):  # any(...)
            filled[name] = sorted(converter.items)[0]
        elif isinstance(converter, IntegerConverter):
            filled[name] = 1
        else:
            filled[name] = "x"
    return filled


def _call(failures, client, method, url, **kwargs):
    try:
        response = client.open(url, method=method, **kwargs)
    except Exception as error:  # the app raises in tests instead of rendering a 500
        failures.append(f"{method} {url}: {type(error).__name__}: {str(error)[:300]}")
        return None
    if response.status_code >= 500:
        failures.append(f"{method} {url}: HTTP {response.status_code}")
    return response


def test_out_of_range_and_negative_ids_are_not_found(app, world):  # noqa: F811
    users, values = world
    anonymous = app.test_client()
    organizer = app.test_client()
    assert _login(organizer, users["organizer"])
    failures, checked = [], 0
    for rule in app.url_map.iter_rules():
        ints = [n for n, c in rule._converters.items() if isinstance(c, IntegerConverter)]
        if not ints:
            continue
        args = _concrete_args(app, rule, values)
        for name in ints:
            for bad in OUT_OF_RANGE:
                url = _rule_url(rule, {**args, name: bad})
                for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                    for client in (anonymous, organizer):
                        response = _call(failures, client, method, url)
                        checked += 1
                        if response is not None and response.status_code != 404:
                            failures.append(f"{method} {url}: {response.status_code}, expected 404")
    assert checked > 100
    assert not failures, "\n".join(failures)


def test_nul_in_string_segments_is_refused(app, world):  # noqa: F811
    users, values = world
    organizer = app.test_client()
    assert _login(organizer, users["organizer"])
    failures = []
    for rule in app.url_map.iter_rules():
        strings = [n for n, c in rule._converters.items() if type(c).__name__ in ("UnicodeConverter", "PathConverter")]
        args = _concrete_args(app, rule, values)
        for name in strings:
            url = _rule_url(rule, {**args, name: "a%00b"})
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = _call(failures, organizer, method, url)
                if response is not None and response.status_code not in (400, 404):
                    failures.append(f"{method} {url}: {response.status_code}, expected 400")
    assert not failures, "\n".join(failures)


def _query_names() -> set[str]:
    """Every query parameter a view reads (``request.args.get("name"...)`` in the source)."""
    names = set()
    for path in Path("lms").rglob("*.py"):
        names |= set(re.findall(r"request\.args\.get(?:list)?\(\s*[\"'](\w+)[\"']", path.read_text()))
    return names


def test_hostile_query_parameters(app, world):  # noqa: F811
    users, values = world
    client = app.test_client()
    assert _login(client, users["organizer"])
    names = _query_names()
    assert {"page", "q", "cohort"} <= names
    failures = []
    for method, template, expected in ROUTES.values():
        if method != "GET" or expected["organizer"] != 200:
            continue
        path = urlsplit(template.format(**values)).path
        for kind, payload in TEXT_PAYLOADS.items():
            response = _call(failures, client, "GET", path, query_string=dict.fromkeys(names, payload))
            if response is not None and kind in MUST_REFUSE and response.status_code != 400:
                failures.append(f"GET {path} with {kind} query: {response.status_code}, expected 400")
    assert not failures, "\n".join(failures)


class FormParser(HTMLParser):
    """The forms of a page with what a browser would submit by default, field by field."""

    def __init__(self):
        super().__init__()
        self.forms, self._form, self._select, self._textarea = [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {
                "action": a.get("action") or "",
                "method": (a.get("method") or "get").upper(),
                "fields": {},
                "editable": [],
            }
            self.forms.append(self._form)
        if self._form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("file", "reset", "image"):
                return
            if kind == "submit":
                self._form["fields"].setdefault(name, a.get("value") or "")
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._form["fields"][name] = a.get("value") or "on"
                elif kind == "radio":
                    self._form["fields"].setdefault(name, a.get("value") or "on")
            else:
                self._form["fields"][name] = a.get("value") or ""
            if name != "csrf_token" and name not in self._form["editable"]:
                self._form["editable"].append(name)
        elif tag == "textarea" and name:
            self._textarea = name
            self._form["fields"][name] = ""
            self._form["editable"].append(name)
        elif tag == "select" and name:
            self._select = name
            self._form["editable"].append(name)
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if "selected" in a or self._select not in self._form["fields"]:
                self._form["fields"][self._select] = value

    def handle_data(self, data):
        if self._textarea and self._form is not None:
            self._form["fields"][self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self._form = None


def _pages(values):
    """(role, path) of every GET page of the access matrix that some role may open."""
    for method, template, expected in ROUTES.values():
        if method != "GET":
            continue
        for role in ROLES_FIRST:
            if expected[role] == 200:
                yield role, template.format(**values)


def _forms_by_role(app, users, values) -> dict[str, dict]:
    found: dict[str, dict] = {}  # (method, action, fields) -> (role, page, form)
    for role in ROLES_FIRST:
        client = app.test_client()
        assert _login(client, users[role])
        for page_role, page in _pages(values):
            if page_role != role:
                continue
            response = client.get(page)
            if response.status_code != 200 or "text/html" not in response.content_type:
                continue
            parser = FormParser()
            parser.feed(response.get_data(as_text=True))
            for form in parser.forms:
                action = form["action"] or urlsplit(page).path
                key = (form["method"], urlsplit(action).path, tuple(sorted(form["editable"])))
                found.setdefault(key, (role, page, action, form))
    return found


def test_hostile_values_in_every_form_field(app, world):  # noqa: F811
    users, values = world
    forms = _forms_by_role(app, users, values)
    assert len(forms) > 30, "the walk should find the site's forms"
    failures, submitted = [], 0
    posted_endpoints = set()
    adapter = app.url_map.bind("localhost")
    for (method, path, _), (role, page, action, form) in sorted(
        forms.items(), key=lambda i: ROLES_FIRST.index(i[1][0])
    ):
        client = app.test_client()
        if not _login(client, users[role]):
            continue  # an earlier form locked this account out (deactivated, new password)
        if method == "POST":
            with contextlib.suppress(Exception):
                posted_endpoints.add(adapter.match(path, method="POST")[0])
        # the payloads the guard must refuse first, all fields, between two snapshots (one
        # digest of the whole database per form keeps this affordable on PostgreSQL)
        refused = [(f, k) for f in form["editable"] for k in TEXT_PAYLOADS if k in MUST_REFUSE]
        others = [(f, k) for f in form["editable"] for k in TEXT_PAYLOADS if k not in MUST_REFUSE]
        before = _snapshot(app)
        for n, (field, kind) in enumerate(refused + others):
            data = {**form["fields"], field: TEXT_PAYLOADS[kind]}
            if method == "POST":
                response = _call(failures, client, "POST", action, data=data)
            else:
                response = _call(failures, client, "GET", path, query_string=data)
            submitted += 1
            where = f"{method} {path} ({page} as {role}) field {field!r} with {kind}"
            if response is not None and kind in MUST_REFUSE:
                if response.status_code != 400:
                    failures.append(f"{where}: {response.status_code}, expected 400")
                elif "控制字符" not in response.get_data(as_text=True):
                    failures.append(f"{where}: no message")
            if n == len(refused) - 1 and _snapshot(app) != before:
                failures.append(f"{method} {path} ({page} as {role}): refused input changed the database")
    assert submitted > 200
    assert len(posted_endpoints) >= 20, sorted(posted_endpoints)  # the forms of most POST routes were found
    assert not failures, "\n".join(failures)


def test_every_post_endpoint_refuses_hostile_bodies(app, world):  # noqa: F811
    """Form and JSON bodies, for the POST routes too (some take JSON, not a rendered form)."""
    users, values = world
    client = app.test_client()
    assert _login(client, users["organizer"])
    trainee = app.test_client()
    assert _login(trainee, users["trainee"])
    failures = []
    for endpoint, (method, template, _) in ROUTES.items():
        if method != "POST" or endpoint in ("auth.logout", "users.set_active", "users.reset_password"):
            continue
        path = template.format(**values)
        for who in (trainee, client):
            for kind, payload in TEXT_PAYLOADS.items():
                json_body = {"seq": payload, "view": payload, "answers": {"1": payload}, payload: payload}
                for body in ({"data": {"x": payload, "reason": payload}}, {"json": json_body}):
                    response = _call(failures, who, "POST", path, **body)
                    if response is not None and kind in MUST_REFUSE and response.status_code != 400:
                        failures.append(f"POST {path} with {kind} {next(iter(body))}: {response.status_code}")
    assert not failures, "\n".join(failures)


REGISTRATION = {
    "name": "并发用户",
    "phone": "13812345678",
    "province": "云南省",
    "work_unit": "测试单位",
    "password": "a-long-password",
    "confirm": "a-long-password",
}


# scrypt (as in production) makes the window between the uniqueness check and the insert wide
@pytest.mark.parametrize("app", [{"PASSWORD_HASH_METHOD": "scrypt"}], indirect=True)
def test_parallel_registrations_of_one_phone(app):
    barrier = threading.Barrier(10)
    results = []

    def register():
        client = app.test_client()
        barrier.wait()
        try:
            response = client.post("/register", data=REGISTRATION)
            results.append((response.status_code, response.get_data(as_text=True)))
        except Exception as error:
            results.append((500, repr(error)))

    threads = [threading.Thread(target=register) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    codes = sorted(code for code, _ in results)
    assert codes == [200] * 9 + [302], [r for r in results if r[0] >= 500][:1] or codes
    assert all("该手机号码已注册" in body for code, body in results if code == 200)
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id)).where(User.phone == "13812345678")) == 1
        assert db.session.execute(text("SELECT 1")).scalar() == 1


def test_control_characters_in_an_imported_file_are_dropped(app, client, make_user):
    """Cells of uploaded files are not request fields: a stray NUL is removed, the row kept."""
    from io import BytesIO

    from tests.conftest import login

    login(client, make_user("organizer"))
    csv = "姓名,手机,省,工作单位\n张\x00三,13800000077,云南省,芒市\x01教育局\n".encode()
    response = client.post(
        "/admin/users/import", data={"file": (BytesIO(csv), "trainees.csv")}, content_type="multipart/form-data"
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    client.post(response.headers["Location"])
    with app.app_context():
        user = db.session.scalar(select(User).where(User.phone == "13800000077"))
        assert (user.name, user.work_unit) == ("张三", "芒市教育局")
