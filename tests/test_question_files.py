"""Question files as real programs and people make them (issue 19): Word's line breaks,
Excel's number cells and merged cells, Moodle's HTML and categories, Chinese input methods
and encodings, and our own exports read back. The files are in tests/data/question-files
(made by make_files.py there, or written by hand); each import is either right or says
what it could not keep.

The reader tests need no database; the page tests at the end upload the same files.
"""

from __future__ import annotations

import datetime
import io
import re
from pathlib import Path

import pytest
from defusedxml.ElementTree import fromstring
from openpyxl import load_workbook
from sqlalchemy import select

from lms.assessment.formats import read_upload
from lms.assessment.formats.common import split_tags
from lms.assessment.formats.gift import read_gift, write_gift
from lms.assessment.formats.html_text import convert_html
from lms.assessment.formats.moodle_xml import read_moodle_xml, write_moodle_xml
from lms.assessment.formats.spreadsheet import question_row, read_csv, read_xlsx, shown_value, write_xlsx
from lms.assessment.models import Question
from lms.content.characters import xml_safe
from lms.content.reader import read_text
from lms.content.spec import QuestionSpec
from lms.extensions import db
from lms.learning.models import Module
from tests.test_question_bank_pages import BANK, client_for, people, upload  # noqa: F401 (fixture)
from tests.test_question_formats import as_spec

FILES = Path(__file__).parent / "data" / "question-files"


def read(name: str):
    return read_upload(name, (FILES / name).read_bytes())


# -- 1. characters XML forbids -----------------------------------------------------------


def test_xml_safe_turns_breaks_into_line_breaks_and_drops_other_controls():
    assert xml_safe("甲\x0b乙\x0c丙\u2028丁") == "甲\n乙\n丙\n丁"
    assert xml_safe("a\x00b\x07c\x1fd\ufffe\tx\ny\rz") == "abcd\tx\ny\rz"


def test_word_line_break_in_a_gift_file_becomes_a_line_break_and_is_noted():
    parsed = read("word-style.txt")
    first = parsed.drafts[0]
    assert first.stem == "脱贫攻坚目标任务完成后，\n设立几年过渡期？"
    assert first.line == 3  # the line numbers are those of the file as the trainer sees it
    assert parsed.notes == [
        "1 control characters (such as Word's Shift+Enter line break) were replaced by line breaks or removed."
    ]


def test_an_old_export_with_a_control_character_reads_again():
    broken = (
        b'<?xml version="1.0" encoding="UTF-8"?><quiz><question type="truefalse"><name><text>k</text></name>'
        b"<questiontext format='plain_text'><text>\xe7\x94\xb2\x0b\xe4\xb9\x99</text></questiontext>"
        b'<answer fraction="100"><text>true</text></answer></question></quiz>'
    )
    draft = read_upload("old-export.xml", broken).drafts[0]
    assert (draft.stem, draft.answer, draft.problems) == ("甲\n乙", True, [])


def test_excel_keeps_a_pasted_word_break_as_a_line_break():
    first = read("excel-habits.xlsx").drafts[0]
    assert first.explanation == "见政策文件\n第三条"


CONTROL = QuestionSpec(
    "m01-q01",
    "single",
    "Word 换行\x0b之后的题干\x07",
    ["选项\x0b一", "选项二"],
    "A",
    "解析\x0c第二页",
    None,
    "medium",
    ["标签\x0b"],
    "getting-started",
)


def test_writers_never_fail_on_a_control_character_and_their_output_reads_back():
    rows = [question_row(CONTROL, "入门")]
    workbook = write_xlsx(rows, [("getting-started", "入门")])  # openpyxl would refuse \x0b
    xml = write_moodle_xml([CONTROL])
    fromstring(xml)  # well-formed
    for parsed in (read_xlsx(workbook), read_moodle_xml(xml), read_gift(write_gift([CONTROL]))):
        draft = parsed.drafts[0]
        assert (draft.stem, draft.options, draft.explanation) == (
            "Word 换行\n之后的题干",
            ["选项\n一", "选项二"],
            "解析\n第二页",
        )


def test_course_files_are_read_without_forbidden_characters(tmp_path):
    path = tmp_path / "questions.yaml"
    path.write_bytes("- stem: 甲\x0b乙\n".encode())
    text, error = read_text(path)
    assert error is None and text == "- stem: 甲\n乙\n"


# -- 2. Excel number cells as the trainer sees them --------------------------------------


def test_excel_number_cells_are_read_as_shown():
    drafts = read("excel-habits.xlsx").drafts
    percent, fill, fraction = drafts[:3]
    assert percent.options == ["85%", "90%", "95%", "98%"] and percent.answer == "C"
    assert fill.answer == ["95%"]  # a trainee who types 95% is right
    assert fraction.options == ["1/2", "1/4"]
    # 1/4 typed into a general cell: Excel made it a date; it is read back, and said so.
    assert fraction.warnings == [
        "E5: Excel turned 1/4 into a date (1月4日); it is read as 1/4. Format the column as text to be sure."
    ]


@pytest.mark.parametrize(
    "value, number_format, shown",
    [
        (0.85, "0%", "85%"),
        (0.855, "0%", "85.5%"),  # never hide a digit the cell holds
        (0.9, "0.0%", "90.0%"),
        (1234.5, "#,##0.00", "1,234.50"),
        (0.5, "# ?/?", "1/2"),
        (1.5, "# ?/?", "1 1/2"),
        (3, "General", "3"),
        (0.1 + 0.2, "General", "0.3"),
        (datetime.datetime(2020, 12, 31), "yyyy-mm-dd", "2020-12-31"),
        (datetime.time(9, 30), "h:mm", "09:30"),
        ("文本", "@", "文本"),
    ],
)
def test_shown_value(value, number_format, shown):
    assert shown_value(value, number_format)[0] == shown


# -- 3. merged cells ---------------------------------------------------------------------


def test_a_merged_module_cell_is_filled_down_and_noted():
    parsed = read("excel-habits.xlsx")
    assert [d.module for d in parsed.drafts] == ["入门", "入门", "入门", "入门", "实践"]
    assert "Merged cells I3:I6: “入门” is used in each of their rows." in parsed.notes


# -- 4. HTML into text -------------------------------------------------------------------


def test_html_keeps_links_cells_superscripts_and_pre_and_says_so():
    greeting, table, video, old_image = read("moodle-export.xml").drafts[:4]
    assert greeting.problems == [
        "The question text contains a file stored in Moodle (greeting.mp3), which cannot be imported."
    ]
    assert table.stem == (
        "下表中 2015 年的比例是多少？\n年份 | 比例\n2015 | 75%\n\n"
        "单位：10^3 人，见 政策原文 (https://www.gov.cn/zhengce)。\n第一行\n    缩进的第二行"
    )
    assert table.problems == []
    assert table.warnings == [
        "The question text: a table is kept as lines, its cells separated by |.",
        "The question text: superscripts are written with ^ (10^3) and subscripts with _ (H_2O).",
        "The question text: the link “政策原文” is kept as text with its address.",
    ]
    assert video.problems == [
        "The question text contains a video, which cannot be imported.",
        "The question text contains an embedded page (iframe), which cannot be imported.",
    ]
    assert old_image.problems == [
        "<image> holds an image for the question, which cannot be imported.",
        "<image_base64> holds an image for the question, which cannot be imported.",
    ]


def test_images_are_a_problem_in_every_field_of_every_format():
    gift = read_gift(
        '::g::[html]<p>题</p>{=<img src\\="a.png">甲 ~乙 #<audio src\\="x.mp3"></audio> ####<img src\\="b.png">}'
    ).drafts[0]
    assert gift.problems == [
        "Line 1: The explanation contains an image, which cannot be imported.",
        "Line 1: Option A contains an image, which cannot be imported.",
        "Line 1: The feedback contains audio, which cannot be imported.",
    ]
    xml = read_moodle_xml(
        b'<quiz><question type="essay"><name><text>e</text></name>'
        b'<questiontext format="html"><text>&lt;p&gt;q&lt;/p&gt;</text></questiontext>'
        b'<graderinfo format="html"><text>&lt;img src="r.png"&gt;</text></graderinfo></question></quiz>'
    ).drafts[0]
    assert xml.problems == ["The reference answer contains an image, which cannot be imported."]


def test_subscripts_and_entities():
    assert convert_html("H<sub>2</sub>O &amp; CO<sub>2</sub>&nbsp;!").text == "H_2O & CO_2 !"


# -- 6. Chinese trainers' habits ---------------------------------------------------------


def test_excel_title_row_heading_synonyms_and_ignored_columns():
    parsed = read("excel-habits.xlsx")
    assert "The headings are in row 2; the rows above them were ignored." in parsed.notes
    assert "Columns ignored (not part of the template): 序号 (A)." in parsed.notes
    first = parsed.drafts[0]
    assert (first.line, first.qtype, first.stem, first.difficulty) == (
        3,
        "single",
        "义务教育巩固率目标是多少？",
        "easy",
    )


def test_option_letters_typed_before_the_options_are_removed():
    lettered = read("excel-habits.xlsx").drafts[3]
    assert lettered.options == ["3年", "5年", "6年", "8年"]
    assert lettered.warnings == ["The option letters typed before the options (A．, B．) were removed."]
    # Only when every option has its own letter: "A.I." alone is text.
    kept = read_gift("::k::问{=A.I. 技术 ~大数据}").drafts[0]
    assert kept.options == ["A.I. 技术", "大数据"] and kept.warnings == []


@pytest.mark.parametrize(
    "headings",
    [
        "题型,题干,A选项,B选项,正确答案,所属模块,难易程度,解析",
        "题目类型,题目内容,选项A,选项B,答案,模块,难度,答案解析",
        "类型,试题,A,B,标准答案,专题,难易度,试题解析",
    ],
)
def test_heading_synonyms(headings):
    text = f"{headings}\n单选题,教育扶贫是哪一批？,发展生产,发展教育,B,入门,容易,见第一节\n"
    draft = read_csv(text.encode("utf-8")).drafts[0]
    assert (draft.stem, draft.options, draft.answer) == ("教育扶贫是哪一批？", ["发展生产", "发展教育"], "B")
    assert (draft.module, draft.difficulty, draft.explanation) == ("入门", "easy", "见第一节")


def test_gift_chinese_difficulty_and_full_width_marks():
    first, second = read("word-style.txt").drafts
    assert (first.key, first.qtype, first.difficulty, first.tags) == ("过渡期", "single", "easy", ["前测"])
    assert (first.options, first.answer) == (["5年", "3年", "8年"], "A")
    assert first.warnings == [
        "Line 3: Full-width marks typed with a Chinese input method (｛ ｝ ＝ ～ ＃ ：：) were read as GIFT marks.",
        "Line 3: The option letters typed before the options (A．, B．) were removed.",
    ]
    # ＃ splits the feedback; a full-width colon inside a text stays text.
    assert (second.qtype, second.answer) == ("true_false", True)
    assert second.explanation == "对: 正确\n错: 再想想：摘帽不摘责任"
    # A range like 3～5年 is text, not a wrong answer.
    ranged = read_gift("::r::过渡期是{=3～5年 ～8年}").drafts[0]
    assert ranged.options == ["3～5年", "8年"]


def test_a_big5_file_is_read_as_big5_and_noted():
    parsed = read("big5.csv")
    draft = parsed.drafts[0]
    assert (draft.qtype, draft.stem, draft.options) == (
        "single",
        "教育扶貧是哪一批？",
        ["發展生產脫貧一批", "發展教育脫貧一批"],
    )
    assert parsed.notes == ["The file is in Big5 (traditional Chinese) and was read as such; check the texts."]
    # Simplified Chinese in GBK is still GBK.
    gbk = read_upload("a.gift", "::q::过渡期内资助标准不降低、覆盖范围不缩小。{T}".encode("gbk"))
    assert gbk.drafts[0].stem == "过渡期内资助标准不降低、覆盖范围不缩小。" and gbk.notes == []


# -- 7. our own exports read back --------------------------------------------------------

EDGES = [
    QuestionSpec("m01-q01", "fill_blank", "数据经处理成为____。", [], ["数据->信息"], "", None, "medium", [], "m"),
    QuestionSpec("m01-q02", "fill_blank", "两步：____", [], ["a->b", "c->d"], "", None, "medium", [], "m"),
    QuestionSpec(
        "m01-q03", "single", "覆盖率？", ["%50%以上", "=SUM(A1)", "'=SUM(A1)"], "A", "", None, "easy", [], "m"
    ),
    QuestionSpec("m01-q04", "multiple", "哪些？", ["%50%以上", "'引号"], ["A", "B"], "", None, "hard", [], "m"),
    QuestionSpec(
        "m01-q05", "true_false", "标签", [], True, "", None, "medium", ["政策、扶贫", "a,b", "c;d", "反\\斜"], "m"
    ),
    QuestionSpec("m01-q06", "fill_blank", "比例____", [], ["%50%", "百分之五十"], "", None, "medium", [], "m"),
]


def test_own_exports_read_back_identically():
    rows = [question_row(q, q.module_key) for q in EDGES]
    for parsed in (
        read_gift(write_gift(EDGES)),
        read_moodle_xml(write_moodle_xml(EDGES)),
        read_xlsx(write_xlsx(rows, [("m", "m")])),
    ):
        assert [d.problems for d in parsed.drafts] == [[]] * len(EDGES), parsed.format
        assert [as_spec(d) for d in parsed.drafts] == EDGES, parsed.format
        assert all(d.weights is None or d.qtype == "multiple" or 100.0 in d.weights for d in parsed.drafts)


def test_a_hand_written_arrow_answer_is_a_short_answer_and_two_pairs_are_matching():
    assert read_gift("::a::数据处理后是{=数据->信息}").drafts[0].qtype == "fill_blank"
    matching = read_gift("::m::配对{=甲 -> 1 =乙 -> 2}").drafts[0]
    assert matching.qtype is None and "Matching" in matching.problems[0]


def test_tags_with_separators_survive_a_cell():
    assert split_tags("政策\\、扶贫、a\\,b;c") == ["政策、扶贫", "a,b", "c"]
    sheet = load_workbook(io.BytesIO(write_xlsx([question_row(EDGES[4], "m")], [])))["题库"]
    assert sheet["M2"].value == "政策\\、扶贫、a\\,b、c\\;d、反\\\\斜"


# -- 8. Moodle exports -------------------------------------------------------------------


def test_moodle_answers_without_format_use_the_question_text_format():
    greeting = read("moodle-export.xml").drafts[0]
    assert greeting.options == ["French", "Fish & chips"]


def test_moodle_true_false_feedback_is_labelled_and_weights_are_checked():
    drafts = read("moodle-export.xml").drafts
    assert drafts[4].explanation == "对: This is the wrong answer.\n错: This is the right answer."
    weights = drafts[5]
    assert (weights.qtype, weights.answer, weights.weights) == ("multiple", ["A", "B", "C"], [50, 50, 50, -100])
    assert weights.warnings == [
        "The positive weights add up to 150%, not 100%. Every option with a positive weight is taken "
        "as a right answer; check them."
    ]


# -- the pages: the preview shows what confirming writes ---------------------------------


def module_id(app, key: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Module.id).where(Module.key == key))


def test_preview_shows_each_question_as_the_trainee_sees_it_and_confirm_agrees(app, people):  # noqa: F811
    client = client_for(app, people["organizer"])
    response = upload(client, (FILES / "excel-habits.xlsx").read_bytes(), "题库.xlsx")
    preview_url = response.headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    assert "共 5 道题：新增 5 道" in page
    # Options with the key marked, the answer of a fill-in question, the explanation.
    first = page[page.index('id="item-1"') : page.index('id="item-2"')]
    assert re.search(r"C\.</span> <span class=\"pre\">95%</span> <span class=\"tick\">✓ 正确答案</span>", first)
    assert "85%" in first and "见政策文件\n第三条" in first and "难度： 容易" in first
    second = page[page.index('id="item-2"') : page.index('id="item-3"')]
    assert '正确答案：</span> <span class="pre">95%</span>' in second
    # What was converted, per question and for the file.
    assert "Excel 把 1/4 变成了日期（1月4日）" in page
    assert "合并单元格 I3:I6" in page and "已忽略的列（不属于模板）：序号 (A)。" in page
    done = client.post(preview_url + "/confirm", data={}, follow_redirects=True).get_data(as_text=True)
    assert "导入完成：新增 5 题" in done
    with app.app_context():
        stored = db.session.scalars(select(Question).where(Question.stem == "义务教育巩固率目标是多少？")).one()
        assert (stored.options, stored.answer, stored.difficulty.value) == (["85%", "90%", "95%", "98%"], "C", "easy")
        assert stored.module_id == module_id(app, "getting-started")


def test_preview_shows_the_difference_for_a_changed_question(app, people):  # noqa: F811
    client = client_for(app, people["organizer"])
    with app.app_context():
        old = db.session.scalar(select(Question).where(Question.key == "m01-q01"))
        options = list(old.options)
    gift = f"::m01-q01::新的题干{{={options[0]} ~{options[1]} ####新的解析}}\n"
    preview_url = upload(client, gift.encode(), "a.gift", module_id(app, "getting-started")).headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    changes = page[
        page.index('<table class="changes">') : page.index("</table>", page.index('<table class="changes">'))
    ]
    assert "<ins>新的题干</ins>" in changes and "<ins>新的解析</ins>" in changes
    assert '<th scope="row">题目</th>' in changes and '<th scope="row">答案解析</th>' in changes


def test_moodle_categories_can_be_put_into_one_module(app, people):  # noqa: F811
    client = client_for(app, people["trainer"])
    preview_url = upload(client, (FILES / "moodle-export.xml").read_bytes(), "moodle.xml").headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    assert page.count("专题“听力与阅读”不存在") == 6
    practice = module_id(app, "practice")
    page = client.get(f"{preview_url}?module={practice}").get_data(as_text=True)
    assert "不存在，请填写本课程某个专题" not in page and "所有题目都放入专题“实践”" in page
    assert f'name="all_module" type="hidden" value="{practice}"' in page
    # Still refused until the questions with images and media are skipped; then written
    # into the module the preview showed.
    refused = client.post(preview_url + "/confirm", data={"all_module": str(practice)}).get_data(as_text=True)
    assert "仍有 3 道题存在问题" in refused and "所有题目都放入专题“实践”" in refused
    done = client.post(
        preview_url + "/confirm", data={"all_module": str(practice), "skip": ["1", "3", "4"]}, follow_redirects=True
    ).get_data(as_text=True)
    assert "导入完成：新增 3 题" in done
    with app.app_context():
        keys = db.session.scalars(select(Question.key).where(Question.module_id == practice)).all()
        assert len(keys) >= 3
        tf = db.session.scalar(
            select(Question).where(Question.stem == "评估反馈是培训的最后一个环节。", Question.module_id == practice)
        )
        assert tf.explanation == "对: This is the wrong answer.\n错: This is the right answer."


def test_the_editor_stores_no_forbidden_characters(app, make_user):
    from tests.authoring_helpers import author_client, load_course, module, text

    load_course(app)
    author, _user = author_client(app, make_user)
    practice = module(app, "practice")
    response = author.post(
        "/authoring/courses/example-course/questions/new",
        data={
            "module": str(practice.id),
            "key": "pasted-from-word",
            "qtype": "single",
            "stem": "从 Word 粘贴\x0b的题干",
            "option_a": "甲\x07",
            "option_b": "乙",
            "answer_single": "A",
            "explanation": "第一页\x0c第二页",
            "difficulty": "medium",
            "version": "0",
        },
    )
    # The input guard (lms/input_guard.py) refuses control characters in any form field with a
    # message, before the editor sees them: nothing is stored.
    assert response.status_code == 400, text(response)
    with app.app_context():
        assert db.session.scalar(select(Question).where(Question.key == "pasted-from-word")) is None


def test_a_picture_in_an_excel_row_is_a_problem_of_that_row():
    from openpyxl import Workbook
    from openpyxl.drawing.image import Image as SheetImage
    from PIL import Image

    picture = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 0, 0)).save(picture, "PNG")
    book = Workbook()
    book.active.append(["题型", "题干", "答案"])
    book.active.append(["判断题", "图中是村小。", "对"])
    book.active.append(["判断题", "没有图。", "错"])
    for anchor in ("D2", "F9"):
        book.active.add_image(SheetImage(io.BytesIO(picture.getvalue())), anchor)
    out = io.BytesIO()
    book.save(out)
    parsed = read_xlsx(out.getvalue())
    assert [d.problems for d in parsed.drafts] == [["The picture at D2 cannot be imported."], []]
    assert "The picture at F9 is not in a question's row and was ignored." in parsed.notes


def test_an_unclosed_full_width_brace_is_explained():
    draft = read_gift("::b::过渡期为几年？｛＝5年 ～3年\n").drafts[0]
    assert draft.problems == [
        "Line 1: No answer block {...}: the braces ｛ ｝ are full width and not closed; type { } with the "
        "input method switched to English."
    ]
