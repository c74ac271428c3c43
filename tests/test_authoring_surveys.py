"""The survey editor: items added, edited (a new version), moved and removed (retired)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.content.export import export_course
from lms.content.loader import validate_courses
from lms.extensions import db
from lms.learning.models import Course
from lms.surveys.models import Survey, SurveyItem, SurveyItemVersion
from tests.authoring_helpers import author_client, load_course, text


def _survey_id(app, key: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Survey.id).where(Survey.key == key))


def _items(app, key: str) -> list[tuple[str, str]]:
    with app.app_context():
        survey_id = db.session.scalar(select(Survey.id).where(Survey.key == key))
        return [
            (i.key, i.section)
            for i in db.session.scalars(
                select(SurveyItem)
                .where(SurveyItem.survey_id == survey_id, SurveyItem.is_retired.is_(False))
                .order_by(SurveyItem.position)
            )
        ]


def _item(app, key: str, survey: str = "needs") -> SurveyItem:
    with app.app_context():
        item = db.session.scalar(select(SurveyItem).join(Survey).where(SurveyItem.key == key, Survey.key == survey))
        db.session.expunge(item)
        return item


def _export_is_valid(app, tmp_path):
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.key == "example-course"))
        return validate_courses(export_course(course, tmp_path))


def test_an_item_is_added_at_the_end_of_its_section(app, make_user, tmp_path):
    load_course(app)
    author, user = author_client(app, make_user)
    needs = _survey_id(app, "needs")
    response = author.post(
        f"/authoring/surveys/{needs}/items/new",
        data={
            "key": "school-type",
            "section": "基本情况",
            "itype": "single",
            "required": "y",
            "prompt": "您所在学校的类型",
            "options": "村小\n教学点\n乡镇中心校\n",
        },
    )
    assert response.status_code == 302
    assert _items(app, "needs")[:3] == [
        ("background-years", "基本情况"),
        ("years-in-post", "基本情况"),
        ("school-type", "基本情况"),
    ]
    with app.app_context():
        item = db.session.scalar(select(SurveyItem).where(SurveyItem.key == "school-type"))
        assert item.spec == {"options": ["村小", "教学点", "乡镇中心校"]} and item.version == 1
        version = db.session.scalar(select(SurveyItemVersion).where(SurveyItemVersion.item_id == item.id))
        assert version.source == "editor" and version.created_by_id == user.id
        assert version.data["survey"] == "needs"
    [spec] = _export_is_valid(app, tmp_path)
    [survey] = [s for s in spec.surveys if s.key == "needs"]
    assert [i.key for i in survey.items][:3] == ["background-years", "years-in-post", "school-type"]
    assert "您所在学校的类型" in text(author.get(f"/authoring/surveys/{needs}"))


def test_editing_an_item_makes_a_version_but_moving_it_does_not(app, make_user):
    load_course(app)
    author, _ = author_client(app, make_user)
    item = _item(app, "need-getting-started")
    url = f"/authoring/survey-items/{item.id}/edit"
    page = text(author.get(url))
    assert "非常不需要\n不太需要" in page and '<option selected value="need">' in page
    data = {
        "section": "学习需求",
        "itype": "likert",
        "required": "y",
        "prompt": "我迫切需要学习“入门”",
        "module": "getting-started",
        "measure": "need",
        "labels": "非常不需要\n不太需要\n一般\n比较需要\n非常需要",
        "version": "1",
    }
    assert author.post(url, data=data).status_code == 302
    assert author.post(url, data=data | {"version": "2", "section": "新的部分"}).status_code == 302
    saved = _item(app, "need-getting-started")
    assert (saved.version, saved.prompt, saved.section) == (2, "我迫切需要学习“入门”", "新的部分")

    stale = author.post(url, data=data | {"prompt": "另一个人的改法"})
    assert stale.status_code == 409 and "其他人保存了这道题目" in text(stale)
    assert "另一个人的改法</textarea>" in text(stale)
    history = text(author.get(f"/authoring/survey-items/{item.id}/history"))
    assert "<ins>+ prompt: 我迫切需要学习“入门”</ins>" in history


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"itype": "single", "options": "只有一个"}, "至少填写 2 个不同的选项"),
        ({"itype": "matrix", "rows": "Bad Id: 标签"}, "格式为“标识: 名称”"),
        ({"itype": "likert", "labels": "一\n二\n三"}, "必须正好 5 行"),
        ({"itype": "number", "minimum": "10", "maximum": "1"}, "最大值小于最小值"),
        ({"itype": "likert", "measure": "need"}, "必须指定专题"),
        ({"itype": "text", "key": "problems"}, "已被本问卷使用"),
    ],
)
def test_items_that_break_the_rules_are_refused(app, make_user, fields, message):
    load_course(app)
    author, _ = author_client(app, make_user)
    needs = _survey_id(app, "needs")
    response = author.post(
        f"/authoring/surveys/{needs}/items/new",
        data={"key": "new-item", "section": "学习需求", "prompt": "新题目"} | fields,
    )
    assert response.status_code == 200 and message in text(response)
    assert "new-item" not in dict(_items(app, "needs"))


def test_items_move_within_and_across_sections_and_are_retired(app, make_user, tmp_path):
    load_course(app)
    author, _ = author_client(app, make_user)
    first_of_second = _item(app, "need-getting-started")
    author.post(f"/authoring/survey-items/{first_of_second.id}/move", data={"direction": "up"})
    assert _items(app, "needs")[2] == ("need-getting-started", "基本情况")  # joined the section
    author.post(f"/authoring/survey-items/{first_of_second.id}/move", data={"direction": "up"})
    assert _items(app, "needs")[1] == ("need-getting-started", "基本情况")
    assert _item(app, "need-getting-started").version == 1  # layout only

    problems = _item(app, "problems")
    response = author.post(f"/authoring/survey-items/{problems.id}/remove", follow_redirects=True)
    assert "已有的回答仍然保留" in text(response)
    assert "problems" not in dict(_items(app, "needs"))
    assert _item(app, "problems").is_retired
    [spec] = _export_is_valid(app, tmp_path)
    [survey] = [s for s in spec.surveys if s.key == "needs"]
    assert [i.key for i in survey.items] == [k for k, _ in _items(app, "needs")]

    follow_up = _survey_id(app, "follow-up")
    keys = [k for k, _ in _items(app, "follow-up")]
    for key in keys[:-1]:
        author.post(f"/authoring/survey-items/{_item(app, key, 'follow-up').id}/remove")
    last = author.post(f"/authoring/survey-items/{_item(app, keys[-1], 'follow-up').id}/remove", follow_redirects=True)
    assert "问卷至少需要一道题目" in text(last)
    assert _items(app, "follow-up") == [(keys[-1], "学以致用")]
    outline = text(author.get("/authoring/courses/example-course"))
    assert f'href="/authoring/surveys/{follow_up}"' in outline
