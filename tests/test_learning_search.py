"""Course search in Chinese (two-character words too), with highlighted, escaped snippets."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.db import write_transaction
from lms.extensions import db
from lms.learning.models import Course, Lesson
from lms.learning.search import parse_query, search_lessons, snippet
from tests.conftest import login
from tests.content_helpers import EXAMPLE, load

URL = "/courses/example-course/search"


@pytest.fixture
def client(app, make_user, make_cohort):
    with app.app_context():
        load(EXAMPLE)
        course_id = db.session.scalar(select(Course.id).where(Course.key == "example-course"))
    trainee = make_user("trainee")
    _, _, token = make_cohort(course_id=course_id)
    client = app.test_client()
    login(client, trainee)
    client.post(f"/join/{token}")
    return client


def test_two_character_word_is_found(client):
    html = client.get(URL, query_string={"q": "教研"}).get_data(as_text=True)
    assert "找到 1 个小节" in html
    assert "案例：村校联合体" in html and "<mark>教研</mark>" in html


def test_longer_words_use_the_index_and_all_terms_must_match(app, client):
    html = client.get(URL, query_string={"q": "村校联合体"}).get_data(as_text=True)
    assert "<mark>村校联合体</mark>" in html
    assert "找到 1 个小节" in client.get(URL, query_string={"q": "联合体 教研"}).get_data(as_text=True)
    assert "没有找到结果" in client.get(URL, query_string={"q": "联合体 课程地图"}).get_data(as_text=True)


def test_title_and_text_hits_on_both_modules(client):
    html = client.get(URL, query_string={"q": "课程"}).get_data(as_text=True)
    assert "欢迎" in html


def test_index_follows_content_changes(app, client):
    with app.app_context(), write_transaction():
        lesson = db.session.scalar(select(Lesson).where(Lesson.key == "welcome"))
        lesson.search_text += "\n乡村振兴战略有效衔接"
    assert "<mark>有效衔接</mark>" in client.get(URL, query_string={"q": "有效衔接"}).get_data(as_text=True)
    with app.app_context(), write_transaction():
        lesson = db.session.scalar(select(Lesson).where(Lesson.key == "welcome"))
        lesson.search_text = "无关内容"
        lesson.title = "改名"
    assert "没有找到结果" in client.get(URL, query_string={"q": "有效衔接"}).get_data(as_text=True)


@pytest.mark.parametrize("query", ["<script>alert(1)</script>", '"', "%", "_", "a\\b", '教研" OR "x', "*"])
def test_hostile_queries_are_harmless(client, query):
    response = client.get(URL, query_string={"q": query})
    assert response.status_code == 200
    assert "<script>alert" not in response.get_data(as_text=True)


def test_percent_is_not_a_wildcard(app, client):
    with app.app_context():
        course_id = db.session.scalar(select(Course.id))
        assert search_lessons(course_id, "%") == []
        assert search_lessons(course_id, "_") == []


def test_query_parsing_and_snippets():
    assert parse_query("  帮扶\u3000政策  帮扶 ") == ["帮扶", "政策"]
    assert len(parse_query("一 二 三 四 五 六 七")) == 5
    text = "前文" * 40 + "控辍保学<b>" + "后文" * 40
    html = str(snippet(text, ["控辍保学"]))
    assert html.startswith("…") and html.endswith("…")
    assert "<mark>控辍保学</mark>&lt;b&gt;" in html


def test_search_is_for_course_members_only(app, client, make_user):
    outsider = app.test_client()
    login(outsider, make_user("trainee"))
    assert outsider.get(URL, query_string={"q": "教研"}).status_code == 403
