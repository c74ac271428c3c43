"""Stored XSS: whatever an author types, no page runs it (editor pages or what trainees see)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from markupsafe import escape
from sqlalchemy import select

from lms.authoring.models import ContentDraft
from lms.content.markdown import render_markdown
from lms.extensions import db
from lms.learning.models import Course
from tests.authoring_helpers import (
    author_client,
    lesson,
    load_course,
    module,
    pre_test_taken,
    question,
    text,
)
from tests.conftest import login

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "[点我](javascript:alert(1))",
    "![图](javascript:alert(1))",
    "[点我](JaVaScRiPt:alert(1))",
    "[点我](javas&#99;ript:alert(1))",
    "[点我](&#106;avascript:alert(1))",
    "[点我](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![图](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "[点我](vbscript:msgbox(1))",
    "[x]: javascript:alert(1)\n\n[引用链接][x]",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<a href="javascript:alert(1)">链接</a>',
    '<a href="&#106;avascript:alert(1)">实体链接</a>',
    '<p style="background:url(javascript:alert(1))">样式</p>',
    '<div onclick="alert(1)">点击</div>',
    "<body onload=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "<style>body{background:url(javascript:alert(1))}</style>",
    "<scr<script>ipt>alert(1)</script>",
    "<<script>script>alert(1)<</script>/script>",
    '"><script>alert(1)</script>',
    '\'" onmouseover="alert(1)',
    '[点我](#" onmouseover="alert(1))',
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "`<script>alert(1)</script>`",
    '<a href=" javascript:alert(1)">空格</a>',
    "| 表 | 格 |\n| --- | --- |\n| <img src=x onerror=alert(1)> | [x](javascript:alert(1)) |",
]
BAD_URL = re.compile(r"^\s*(javascript|vbscript|data):", re.IGNORECASE)
BAD_TAGS = {"iframe", "object", "embed", "svg", "math", "style", "base", "frame", "frameset", "applet", "link", "meta"}


# Our own scripts, under their content-hashed URLs (lms/assets.py).
OUR_SCRIPT = re.compile(r"/static/[0-9a-f]{12}/js/[\w.-]+\.js")


class ActiveContent(HTMLParser):
    """Finds what a browser would run: scripts, handlers, script URLs, unexpected styles."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.in_head = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "head":
            self.in_head = True
        if tag == "script" and not OUR_SCRIPT.fullmatch(attrs.get("src") or ""):
            self.found.append(f"<script {attrs}>")
        if tag in BAD_TAGS and not (self.in_head and tag in ("link", "meta")):
            self.found.append(f"<{tag}>")
        for name, value in attrs.items():
            if name.startswith("on"):
                self.found.append(f"{tag} {name}=")
            if name == "style" and not re.fullmatch(r"text-align:\s*\w+;?", value or ""):
                self.found.append(f"{tag} style={value!r}")
            if name in ("href", "src", "action", "formaction", "xlink:href", "data") and (BAD_URL.match(value or "")):
                self.found.append(f"{tag} {name}={value!r}")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag == "head":
            self.in_head = False


def assert_inert(html: str, where: str) -> None:
    parser = ActiveContent()
    parser.feed(html)
    assert parser.found == [], f"{where}: {parser.found}"
    assert not re.search(r"<script(?![^>]*src=\"/static/[0-9a-f]{12}/js/)", html), where
    for tag in re.findall(r"<[a-zA-Z][^>]*>", html):  # attribute names, not their values
        names = re.sub(r"=\s*(\"[^\"]*\"|'[^']*')", "=", tag)
        assert not re.search(r"\son\w+\s*=", names, re.IGNORECASE), f"{where}: {tag}"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_renderer_neutralises_every_payload(payload):
    """Even if the checks before publishing missed something, the stored HTML is inert."""
    assert_inert(render_markdown(f"## 标题\n\n{payload}\n\n正文").html, payload)


def test_payloads_in_lessons_are_inert_for_authors_and_trainees(app, make_user, make_cohort):
    assert len(PAYLOADS) >= 20
    load_course(app)
    author, _ = author_client(app, make_user)
    with app.app_context():
        course_id = db.session.scalar(select(Course.id).where(Course.key == "example-course"))
    _, _, token = make_cohort(course_id=course_id)
    trainee = app.test_client()
    trainee_user = make_user("trainee")
    login(trainee, trainee_user)
    trainee.post(f"/join/{token}")
    pre_test_taken(app, trainee_user.id)  # module 1 opens after the pre-test
    welcome = lesson(app, "welcome")
    lesson_page = "/courses/example-course/lessons/welcome"
    author.post(
        f"/authoring/lessons/{welcome.id}/edit",
        data={
            "title": "欢迎",
            "kind": "reading",
            "minutes": "10",
            "body_markdown": "正文",
            "base_version": "1",
            "revision": "0",
        },
    )
    with app.app_context():
        draft_id = db.session.scalar(select(ContentDraft.id))
    revision = 1
    for payload in PAYLOADS:
        title = payload.replace("\n", " ")[:200]
        for body, action in (
            (f"## 标题\n\n{payload}\n\n正文", "publish_anyway"),
            ("## 标题\n\n正文", "publish_anyway"),
        ):
            response = author.post(
                f"/authoring/drafts/{draft_id}",
                data={
                    "title": title,
                    "kind": "reading",
                    "minutes": "10",
                    "body_markdown": body,
                    "base_version": "1",
                    "revision": str(revision),
                    "action": action,
                    "target": f"lesson:{welcome.id}",
                },
            )
            assert response.status_code == 302, payload
            revision += 1
            if "/drafts/" in response.headers["Location"]:  # refused: the draft is kept
                for url in (
                    f"/authoring/drafts/{draft_id}",
                    f"/authoring/drafts/{draft_id}/preview",
                    "/authoring/courses/example-course",
                ):
                    assert_inert(text(author.get(url)), f"{url} with {payload!r}")
                preview = author.post("/authoring/preview", data={"course": "example-course", "body_markdown": body})
                assert_inert(text(preview), f"preview of {payload!r}")
            else:  # published: the next save starts a new draft
                author.post(
                    f"/authoring/lessons/{welcome.id}/edit",
                    data={
                        "title": "欢迎",
                        "kind": "reading",
                        "minutes": "10",
                        "body_markdown": "正文",
                        "base_version": str(lesson(app, "welcome").version),
                        "revision": "0",
                    },
                )
                with app.app_context():
                    draft_id = db.session.scalar(select(ContentDraft.id))
                revision = 1
            page = text(trainee.get(lesson_page))
            assert_inert(page, f"trainee lesson page with {payload!r}")
        assert str(escape(title)) in page  # the published title, escaped
    history = text(author.get(f"/authoring/lessons/{welcome.id}/history"))
    assert_inert(history, "history")
    assert lesson(app, "welcome").version > 2  # titles with payloads were really published


def test_payloads_in_modules_and_questions_are_inert(app, make_user):
    load_course(app)
    author, _ = author_client(app, make_user)
    practice = module(app, "practice")
    q = question(app, "m02-q05")
    for number, payload in enumerate(PAYLOADS):
        author.post(
            f"/authoring/modules/{practice.id}/edit" if number == 0 else f"/authoring/drafts/{_module_draft(app)}",
            data={
                "title": payload.replace("\n", " ")[:200],
                "summary": payload,
                "objectives": payload,
                "credit_hours": "1.5",
                "prerequisites": "getting-started",
                "revision": str(number),
                "base_version": "1",
                "target": f"module:{practice.id}",
            },
        )
        response = author.post(
            f"/authoring/questions/{q.id}/edit",
            data={
                "qtype": "short_answer",
                "stem": payload,
                "answer_text": payload,
                "explanation": payload,
                "lesson": "discussion",
                "difficulty": "medium",
                "tags": "",
                "version": str(question(app, "m02-q05").version),
            },
        )
        assert response.status_code == 302, payload
        for url in (
            f"/authoring/drafts/{_module_draft(app)}",
            f"/authoring/questions/{q.id}/edit",
            f"/authoring/questions/{q.id}/history",
            "/authoring/courses/example-course",
        ):
            assert_inert(text(author.get(url)), f"{url} with {payload!r}")
    assert question(app, "m02-q05").version == len(PAYLOADS) + 1


def _module_draft(app) -> int:
    with app.app_context():
        return db.session.scalar(select(ContentDraft.id).where(ContentDraft.target_kind == "module"))
