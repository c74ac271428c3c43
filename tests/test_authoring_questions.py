"""The single-question editor: every type, the course format's rules, a version per change."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from lms.assessment.models import Question, QuestionVersion
from lms.extensions import db
from tests.authoring_helpers import author_client, load_course, module, question, text

NEW = "/authoring/courses/example-course/questions/new"


def _form(**fields) -> dict:
    data = {"qtype": "single", "stem": "", "difficulty": "medium", "version": "0"}
    data.update(fields)
    return data


CASES = {
    "single": ({"option_a": "县级统筹", "option_b": "乡镇统筹", "option_c": "学校自行", "answer_single": "A"}, "A"),
    "multiple": (
        {"option_a": "控辍保学", "option_b": "资助", "option_c": "撤并", "answer_multiple": ["C", "A"]},
        ["A", "C"],
    ),
    "true_false": ({"answer_true_false": "false"}, False),
    "fill_blank": ({"answer_text": "95%\n百分之九十五\n"}, ["95%", "百分之九十五"]),
    "short_answer": ({"answer_text": " 言之有理即可。 "}, "言之有理即可。"),
}


@pytest.mark.parametrize("qtype", list(CASES))
def test_every_question_type_can_be_added(app, make_user, qtype):
    load_course(app)
    author, user = author_client(app, make_user)
    practice = module(app, "practice")
    fields, stored = CASES[qtype]
    key = f"new-{qtype.replace('_', '-')}"
    stem = "义务教育巩固率达到____。" if qtype == "fill_blank" else f"新的{qtype}题"
    page = author.get(f"{NEW}?module={practice.id}")
    assert 'value="m02-q06"' in text(page)  # a free id in the files' style is suggested
    response = author.post(
        NEW,
        data=_form(
            module=str(practice.id),
            key=key,
            qtype=qtype,
            stem=stem,
            lesson="village-school",
            difficulty="hard",
            tags="案例, 新增",
            **fields,
        ),
    )
    assert response.status_code == 302, text(response)
    with app.app_context():
        row = db.session.scalar(select(Question).where(Question.key == key))
        assert row.answer == stored and row.module_id == practice.id and row.version == 1
        assert row.tags == ["案例", "新增"] and str(row.difficulty) == "hard"
        assert row.options == (
            [fields.get(k) for k in ("option_a", "option_b", "option_c")] if qtype in ("single", "multiple") else []
        )
        version = db.session.scalar(select(QuestionVersion).where(QuestionVersion.question_id == row.id))
        assert version.source == "editor" and version.created_by_id == user.id
        assert version.data["answer"] == stored and version.data["lesson"] == "village-school"


def test_editing_a_question_makes_a_new_version(app, make_user):
    load_course(app)
    author, _ = author_client(app, make_user)
    q = question(app, "m01-q03")
    page = text(author.get(f"/authoring/questions/{q.id}/edit"))
    ticked = re.findall(r'<input checked id="answer_multiple-\d" [^>]*value="([A-F])"', page)
    assert ticked == ["A", "B", "D"]
    data = _form(
        qtype="multiple",
        stem="“四个不摘”包括哪几项?",
        option_a="责任不摘",
        option_b="帮扶不摘",
        option_c="资金不摘",
        option_d="政策不摘",
        answer_multiple=["A", "B", "D"],
        explanation="见《第一步》一节。",
        lesson="first-steps",
        difficulty="medium",
        tags="",
        version="1",
    )
    response = author.post(f"/authoring/questions/{q.id}/edit", data=data, follow_redirects=True)
    assert "试题已保存为第 2 版" in text(response)
    unchanged = author.post(f"/authoring/questions/{q.id}/edit", data=data | {"version": "2"}, follow_redirects=True)
    assert "没有任何改动" in text(unchanged)
    with app.app_context():
        row = db.session.get(Question, q.id)
        assert (row.version, row.stem) == (2, "“四个不摘”包括哪几项?")
        versions = db.session.scalars(
            select(QuestionVersion).where(QuestionVersion.question_id == q.id).order_by(QuestionVersion.version)
        ).all()
        assert [(v.version, v.source) for v in versions] == [(1, "files"), (2, "editor")]
        assert versions[0].data["stem"] == "“四个不摘”包括哪些?"
    history = text(author.get(f"/authoring/questions/{q.id}/history"))
    assert "<ins>+ stem: “四个不摘”包括哪几项?</ins>" in history


@pytest.mark.parametrize(
    "fields, field_message",
    [
        (
            {"qtype": "single", "stem": "题", "option_a": "甲", "option_b": "乙", "answer_single": "D"},
            "答案 D 不在选项 A-B 范围内",
        ),
        ({"qtype": "single", "stem": "题", "option_a": "甲", "option_c": "丙", "answer_single": "A"}, "中间不要留空"),
        ({"qtype": "single", "stem": "题", "option_a": "甲", "option_b": "甲", "answer_single": "A"}, "选项“甲”重复"),
        ({"qtype": "multiple", "stem": "题", "option_a": "甲", "option_b": "乙"}, "缺少正确答案"),
        ({"qtype": "fill_blank", "stem": "没有空的填空题", "answer_text": "答"}, "只标出一个空"),
        ({"qtype": "fill_blank", "stem": "两个____空____", "answer_text": "答"}, "只标出一个空"),
        ({"qtype": "true_false", "stem": "题"}, "缺少正确答案"),
        ({"qtype": "short_answer", "stem": "题", "answer_text": ""}, "请填写参考答案"),
        (
            {"qtype": "true_false", "stem": "题", "answer_true_false": "true", "lesson": "welcome"},
            "本题所属专题中的小节",
        ),
        ({"qtype": "true_false", "stem": "题", "answer_true_false": "true", "key": "m01-q01"}, "已被本课程使用"),
        ({"qtype": "true_false", "stem": "题", "answer_true_false": "true", "key": "M-1"}, "小写字母"),
    ],
)
def test_questions_that_break_the_rules_are_refused_with_the_input_kept(
    app,
    make_user,
    fields,
    field_message,
):
    load_course(app)
    author, _ = author_client(app, make_user)
    practice = module(app, "practice")
    data = _form(module=str(practice.id), key="rule-check") | fields
    response = author.post(NEW, data=data)
    page = text(response)
    assert response.status_code == 200 and field_message in page
    assert f"{fields['stem']}</textarea>" in page
    with app.app_context():
        assert (
            db.session.scalar(select(func.count(Question.id)).where(Question.key == data["key"], Question.version > 1))
            == 0
        )
        assert db.session.scalar(select(Question.id).where(Question.key == "rule-check")) is None


def test_tags_that_would_starve_a_random_draw_are_refused(app, make_user):
    load_course(app)
    author, _ = author_client(app, make_user)

    def retag(key: str, tags: str):
        q = question(app, key)
        return author.post(
            f"/authoring/questions/{q.id}/edit",
            data=_form(
                qtype=str(q.qtype),
                stem=q.stem,
                option_a=([*q.options, ""])[0],
                option_b=([*q.options, "", ""])[1],
                option_c=([*q.options, "", "", ""])[2],
                answer_multiple=q.answer if str(q.qtype) == "multiple" else [],
                answer_text="\n".join(q.answer) if str(q.qtype) == "fill_blank" else "",
                lesson="village-school",
                tags=tags,
                version=str(q.version),
            ),
        )

    assert retag("m02-q03", "pre-test").status_code == 302  # 2 left: the draws of 2 still work
    refused = retag("m02-q04", "post-test")
    assert refused.status_code == 200 and "只剩 1 道可抽" in text(refused)
    assert question(app, "m02-q04").tags == []


def test_two_authors_saving_one_question(app, make_user):
    load_course(app)
    first, _ = author_client(app, make_user)
    second, _ = author_client(app, make_user)
    q = question(app, "m01-q02")
    url = f"/authoring/questions/{q.id}/edit"
    base = _form(
        qtype="true_false", answer_true_false="true", lesson="welcome", difficulty="easy", tags="post-test", version="1"
    )
    assert first.post(url, data=base | {"stem": "甲改的题干"}).status_code == 302
    response = second.post(url, data=base | {"stem": "乙改的题干"})
    page = text(response)
    assert response.status_code == 409 and "其他人保存了这道试题" in page
    assert "乙改的题干</textarea>" in page
    assert "<del>- stem: 甲改的题干</del>" in page and "<ins>+ stem: 乙改的题干</ins>" in page
    assert question(app, "m01-q02").stem == "甲改的题干"
    assert second.post(url, data=base | {"stem": "乙改的题干", "version": "2"}).status_code == 302
    assert (question(app, "m01-q02").stem, question(app, "m01-q02").version) == ("乙改的题干", 3)
