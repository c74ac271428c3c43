"""The question bank pages, driven with the test client: who may use them, upload ->
preview -> skip -> confirm, bad files, exports and the template."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from lms.assessment.models import Question, QuestionVersion
from lms.audit.models import AuditEntry
from lms.extensions import db
from lms.learning.models import Course
from tests.conftest import login
from tests.content_helpers import EXAMPLE, load
from tests.test_question_formats import DATA

BANK = "/courses/example-course/bank"


@pytest.fixture
def people(app, make_user, make_cohort):
    """The example course; an organizer, a trainer of one of its cohorts, a trainer of
    another course's cohort, and a trainee."""
    with app.app_context():
        load(EXAMPLE)
        course_id = db.session.scalar(select(Course.id).where(Course.key == "example-course"))
    users = {role: make_user(role.split("-")[0]) for role in ("organizer", "trainer", "trainer-elsewhere", "trainee")}
    make_cohort(course_id=course_id, trainer_ids=(users["trainer"].id,))
    make_cohort(trainer_ids=(users["trainer-elsewhere"].id,))
    return users


def client_for(app, user):
    client = app.test_client()
    login(client, user)
    return client


def upload(client, data: bytes, filename: str, module_id: int = 0):
    return client.post(
        f"{BANK}/import",
        data={"file": (io.BytesIO(data), filename), "module_id": str(module_id)},
        content_type="multipart/form-data",
    )


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(model.id)))


@pytest.mark.parametrize(
    "who, status",
    [
        ("organizer", 200),
        ("trainer", 200),
        ("trainer-elsewhere", 403),
        ("trainee", 403),
    ],
)
def test_who_may_open_the_bank(app, people, who, status):
    client = client_for(app, people[who])
    for path in ("", "/import", "/export.xlsx", "/export.gift", "/export.xml", "/template.xlsx"):
        assert client.get(BANK + path).status_code == status, path
    assert client.get("/courses/no-such-course/bank").status_code == (
        404 if status == 200 else 403 if who == "trainee" else 404
    )


def test_upload_preview_skip_confirm(app, people):
    client = client_for(app, people["trainer"])
    questions_before, versions_before = count(app, Question), count(app, QuestionVersion)
    gift = (DATA / "all-types.gift").read_text(encoding="utf-8").replace("policy-background", "getting-started")
    response = upload(client, gift.encode("utf-8"), "题库.gift")
    assert response.status_code == 302
    preview_url = response.headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    # Every item's problems by line, in Chinese; nothing written yet.
    # The example course already has m01-q01..m01-q06: those are updated by key; the essay
    # m01-q06 has no reference answer and is refused, as the editor refuses it.
    assert "共 11 道题：新增 2 道，内容有变化 5 道（各生成一个新版本），无变化 0 道，有问题 4 道。" in page
    assert "请填写参考答案，供讲师阅卷时参考。" in page
    assert "第 38 行：暂不支持配伍题，请跳过本题或改写为其他题型。" in page
    assert "第 40 行：暂不支持数值题" in page
    assert "第 42 行：没有答案区 {...}" in page
    # m01-q01..q05 get texts unrelated to the course's: each would replace another question
    assert page.count('name="skip"') == 4 + 5 and page.count('name="replace"') == 5
    assert "5 道会被替换为另一道题" in page and "<del>" in page and "<ins>" in page
    assert count(app, Question) == questions_before

    confirm_url = preview_url + "/confirm"
    # Confirming with a problem item not ticked is refused, and writes nothing.
    refused = client.post(confirm_url, data={"skip": ["6", "9", "10"], "replace": ["1", "2", "3", "4"]})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "仍有 1 道题存在问题" in text
    assert "有 1 道题会把现有试题替换为另一道题" in text  # item 5 was not ticked
    assert 'value="9" checked' in text and 'value="11" checked' not in text
    assert count(app, Question) == questions_before

    done = client.post(
        confirm_url, data={"skip": ["6", "9", "10", "11"], "replace": ["1", "2", "3", "4", "5"]}, follow_redirects=True
    )
    text = done.get_data(as_text=True)
    assert "导入完成：新增 2 题，更新 5 题（生成新版本），0 题无变化，跳过 4 题。" in text
    assert count(app, Question) == questions_before + 2
    assert count(app, QuestionVersion) == versions_before + 7
    assert "m01-q07" in text and "v2" in text  # the list shows new and updated questions
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "question.import"))
        assert entry.actor_id == people["trainer"].id
        assert (entry.details["created"], entry.details["updated"]) == (2, 5)
        q = db.session.scalar(select(Question).where(Question.key == "m01-q03"))
        assert (q.stem, q.answer) == ("过渡期内，资助标准不降低、覆盖范围____。", ["不缩小", "不缩减"])
    # The preview is used up.
    again = client.post(confirm_url, data={"skip": ["6", "9", "10", "11"]})
    assert again.status_code == 302 and again.headers["Location"].endswith("/bank/import")


def test_a_preview_belongs_to_its_uploader_and_course(app, people):
    trainer = client_for(app, people["trainer"])
    preview_url = upload(
        trainer,
        b"::q1::\xe5\x88\xa4\xe6\x96\xad{T}",
        "a.gift",
    ).headers["Location"]
    organizer = client_for(app, people["organizer"])
    assert organizer.get(preview_url).status_code == 302
    assert organizer.post(preview_url + "/confirm").status_code == 302
    assert count(app, Question) == 11
    # A tampered skip list (numbers that are not items) is not accepted either.
    response = trainer.post(preview_url + "/confirm", data={"skip": ["99"]})
    assert response.status_code == 302 and response.headers["Location"].endswith(preview_url.split("localhost")[-1])


def test_default_module_and_reimport_updates_by_key(app, people):
    client = client_for(app, people["organizer"])
    with app.app_context():
        from lms.learning.models import Module

        practice = db.session.scalar(select(Module.id).where(Module.key == "practice"))
    text = "::imp-1::村校联合体以中心校为龙头。{T}\n"
    preview = upload(client, text.encode(), "a.gift", module_id=practice).headers["Location"]
    assert "新增 1 道" in client.get(preview).get_data(as_text=True)
    client.post(preview + "/confirm")
    versions_before = count(app, QuestionVersion)
    # The same file again: unchanged; an edited one: a new version.
    preview = upload(client, text.encode(), "a.gift", module_id=practice).headers["Location"]
    assert "无变化 1 道" in client.get(preview).get_data(as_text=True)
    preview = upload(client, text.replace("{T}", "{F}").encode(), "a.gift", module_id=practice).headers["Location"]
    page = client.get(preview).get_data(as_text=True)
    assert "内容有变化 1 道" in page and "有变化：生成新版本" in page
    client.post(preview + "/confirm")
    assert count(app, QuestionVersion) == versions_before + 1
    listing = client.get(BANK + "?q=imp-1").get_data(as_text=True)
    assert "imp-1" in listing and "v2" in listing


@pytest.mark.parametrize(
    "filename, data, message",
    [
        ("empty.gift", b"", "文件为空"),
        ("latin1.gift", "::q::café{T}".encode("latin-1") + b"\x81", "不是 UTF-8 或 GB18030（GBK）编码"),
        ("broken.xlsx", b"PK\x03\x04 not really", "XLSX 文件已损坏"),
        ("broken.xml", b"<quiz><question>", "XML 文件已损坏"),
        ("bomb.xml", (DATA / "bomb.xml").read_bytes(), "声明了实体或 DTD"),
        ("big.gift", b"x" * (2 * 1024 * 1024 + 10), "文件超过 2 MB"),
        ("a.docx", b"PK", "请上传 GIFT（.gift 或 .txt）"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "旧版 Excel（.xls）"),
    ],
)
def test_bad_files_are_explained_on_the_form(app, people, filename, data, message):
    client = client_for(app, people["organizer"])
    response = upload(client, data, filename)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert count(app, Question) == 11


def test_encodings_on_the_page(app, people):
    client = client_for(app, people["organizer"])
    text = "$CATEGORY: 入门\n\n::enc-1::控辍保学：劝返复学。{T}\n"
    for encoding in ("utf-8", "utf-8-sig", "gb18030"):
        preview = upload(client, text.encode(encoding), f"{encoding}.txt").headers["Location"]
        assert "控辍保学：劝返复学。" in client.get(preview).get_data(as_text=True)


def test_excel_upload_shows_problems_by_row(app, people):
    from tests.test_question_formats import row, xlsx

    client = client_for(app, people["organizer"])
    data = xlsx(
        [
            row("单选题", "甲", ["一", "二"], "B", module="入门"),
            row("单选题", "乙", ["一", "二"], "E", module="入门"),
            row("问卷题", "丙", module="入门"),
            row("判断题", "丁", answer="正确", module="第九专题"),
        ]
    )
    preview = upload(client, data, "题库.xlsx").headers["Location"]
    page = client.get(preview).get_data(as_text=True)
    rows = re.findall(r'<tr class="problem[^"]*" id="item-(\d+)">\s*<td>(\d+)</td>', page)
    assert rows == [("2", "3"), ("3", "4"), ("4", "5")]
    assert "答案 E 不在选项 A-B 范围内。" in page
    assert "题型“问卷题”无法识别" in page
    assert "专题“第九专题”不存在" in page


def test_exports_and_template(app, people):
    client = client_for(app, people["trainer"])
    response = client.get(BANK + "/export.xlsx")
    assert response.headers["Content-Disposition"] == ("attachment; filename=example-course-questions.xlsx")
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["题库", "填写说明"]
    rows = list(book["题库"].iter_rows(values_only=True))
    assert rows[0][:3] == ("题型", "题干", "选项A") and len(rows) == 12
    assert rows[1][:2] == ("单选题", "培训的第一个环节是什么?") and rows[1][10] == "入门"
    gift = client.get(BANK + "/export.gift")
    assert gift.mimetype == "text/plain"
    assert "$CATEGORY: $course$/top/getting-started" in gift.get_data(as_text=True)
    xml = client.get(BANK + "/export.xml")
    assert xml.data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<quiz>')
    template = load_workbook(io.BytesIO(client.get(BANK + "/template.xlsx").data))
    sample = list(template["题库"].iter_rows(values_only=True))
    assert len(sample) == 2 and sample[1][10] == "入门"
    assert ("getting-started", "入门") in list(template["填写说明"].iter_rows(values_only=True))
    # Importing the untouched template imports nothing and says why.
    response = upload(client, client.get(BANK + "/template.xlsx").data, "template.xlsx")
    assert "文件中没有试题" in response.get_data(as_text=True)


def test_bank_list_page_filters_and_paginates(app, people):
    client = client_for(app, people["organizer"])
    page = client.get(BANK).get_data(as_text=True)
    assert "共 11 道题" in page and "m01-q01" in page and "全部专题" in page
    assert "培训的第一个环节是什么?" in page
    page = client.get(BANK + "?type=fill_blank").get_data(as_text=True)
    assert "共 2 道题" in page and "m02-q04" in page and "m01-q01" not in page
    page = client.get(BANK + "?tag=pre-test&q=村校").get_data(as_text=True)
    assert "共 1 道题" in page and "m02-q01" in page
    page = client.get(BANK + "?q=nothing-like-this").get_data(as_text=True)
    assert "没有符合条件的试题" in page
    assert client.get(BANK + "?module=abc&page=99").status_code == 200
