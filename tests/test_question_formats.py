"""Question file formats: GIFT, Moodle XML and the Excel template, read and written.

These tests need no database: they read files into drafts and check every field, every
problem (with its line, row or element) and that each writer's output reads back to the
same questions. Messages are in English here (no request, so no locale); the page tests in
test_question_bank.py check the Chinese ones.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from lms.assessment.formats import FormatError, detect_format, read_upload
from lms.assessment.formats.common import MAX_QUESTIONS, category_name, normalise_key
from lms.assessment.formats.gift import read_gift, write_gift
from lms.assessment.formats.moodle_xml import read_moodle_xml, write_moodle_xml
from lms.assessment.formats.spreadsheet import (
    HEADINGS,
    example_row,
    question_row,
    read_csv,
    read_xlsx,
    write_xlsx,
)
from lms.content.spec import QuestionSpec

DATA = Path(__file__).parent / "data" / "questions"


def by_key(parsed):
    return {d.key: d for d in parsed.drafts}


# -- GIFT -------------------------------------------------------------------------------


def test_gift_reads_every_supported_type_with_feedback_and_categories():
    parsed = read_upload("题库.gift", (DATA / "all-types.gift").read_bytes())
    assert parsed.format == "gift" and parsed.unit == "line"
    q = by_key(parsed)
    single = q["m01-q01"]
    assert (single.qtype, single.line, single.module) == ("single", 8, "policy-background")
    assert single.stem == "教育扶贫是“五个一批”中的哪一批？"
    assert single.options == ["发展生产脱贫一批", "发展教育脱贫一批", "易地搬迁脱贫一批", "生态补偿脱贫一批"]
    assert single.answer == "B"
    # General feedback (####) is the explanation; per-answer feedback (#) follows it.
    assert single.explanation == "见第1专题“五个一批”一节。\nA: 不对，这是产业扶贫。\nB: 正确！"
    assert (single.tags, single.difficulty) == (["前测", "政策"], "easy")

    multiple = q["m01-q02"]  # weights, and a question spread over three lines
    assert (multiple.qtype, multiple.answer) == ("multiple", ["A", "B", "D"])
    assert multiple.stem == "“四个不摘”包括哪些？\n（多选）"
    assert multiple.tags is None and multiple.difficulty is None  # not given

    fill = q["m01-q03"]  # short answer in the middle of the text: the blank goes there
    assert (fill.qtype, fill.stem) == ("fill_blank", "过渡期内，资助标准不降低、覆盖范围____。")
    assert fill.answer == ["不缩小", "不缩减"]
    assert fill.explanation == "不缩减: 完全正确"

    assert (q["m01-q04"].qtype, q["m01-q04"].answer) == ("true_false", True)
    assert q["m01-q04"].explanation.startswith("见《欢迎》一节：")
    assert q["m01-q05"].answer is False
    essay = q["m01-q06"]
    assert (essay.qtype, essay.answer, essay.source_type) == ("short_answer", "", "essay")
    end_fill = q["m01-q08"]  # short answer at the end: the blank is added at the end
    assert (end_fill.stem, end_fill.answer) == ("脱贫攻坚目标任务于哪一年完成？____", ["2020", "2020年"])
    assert all(
        not q[k].problems
        for k in ("m01-q01", "m01-q02", "m01-q03", "m01-q04", "m01-q05", "m01-q06", "m01-q07", "m01-q08")
    )


def test_gift_escapes_are_literal_text():
    q = by_key(read_upload("a.txt", (DATA / "all-types.gift").read_bytes()))["m01-q07"]
    assert q.stem == "特殊字符：1+1=2，集合 {a, b}，比例 3:1，编号 #5，波浪 ~，反斜杠 \\。"
    assert q.answer is True
    text = "::k1::A \\~ B \\= C\\nD{=x\\#1 ~y\\:2 ####注意\\{\\}}\n"
    q = read_gift(text).drafts[0]
    assert q.stem == "A ~ B = C\nD"
    assert q.options == ["x#1", "y:2"] and q.explanation == "注意{}"


def test_gift_unsupported_types_and_descriptions_are_problems_with_their_line():
    drafts = read_upload("a.gift", (DATA / "all-types.gift").read_bytes()).drafts
    matching, numerical, description = drafts[-3:]
    assert matching.qtype is None and matching.problems == [
        ("Line 38: Matching questions are not supported; skip this question or rewrite it as another type.")
    ]
    assert numerical.line == 40 and "Numerical" in numerical.problems[0]
    assert description.line == 42 and description.source_type == "description"
    assert description.problems[0].startswith("Line 42: No answer block")


@pytest.mark.parametrize(
    "block, answer",
    [
        ("{T}", True),
        ("{TRUE}", True),
        ("{F}", False),
        ("{FALSE}", False),
        ("{ true }", True),
        ("{F#不对，还有持续改进#对}", False),
    ],
)
def test_gift_true_false_forms(block, answer):
    draft = read_gift(f"评估反馈是最后一个环节。{block}").drafts[0]
    assert (draft.qtype, draft.answer, draft.problems) == ("true_false", answer, [])


def test_gift_true_false_feedback_goes_to_the_explanation():
    # Moodle shows the first feedback to a wrong response, the second to a right one;
    # each is labelled with the response it answers.
    draft = read_gift("评估反馈是最后一个环节。{F#不对，还有持续改进#对####见第一节}").drafts[0]
    assert draft.explanation == "见第一节\n对: 不对，还有持续改进\n错: 对"


def test_gift_syntax_problems_report_the_line_they_are_on():
    text = (
        "// 第一题正确\n"
        "::ok::甲{=对 ~错}\n"
        "\n"
        "::bad-weight::乙{\n"
        "~%abc%一\n"
        "~%50%二\n"
        "}\n"
        "\n"
        "::unclosed::丙{=一\n"
        "~二\n"
        "\n"
        "::two-right::丁{=一 =二 ~三}\n"
        "\n"
        "::partial::戊{=一 ~%50%二}\n"
        "\n"
        "::no-right::己{~一 ~二}\n"
        "\n"
        "::title-open 庚{T}\n"
    )
    q = by_key(read_gift(text))
    assert q["ok"].problems == []
    assert q["bad-weight"].problems == ["Line 5: The weight %abc% is not a percentage like %50%."]
    assert q["unclosed"].problems == [
        "Line 9: The answer block opened here is not closed with '}' before the blank line."
    ]
    assert q["two-right"].problems[0].startswith("Line 12: A single-choice question has exactly")
    assert q["partial"].problems == ["Line 14: Partial credit (50%) is not supported."]
    assert q["no-right"].problems[0].startswith("Line 16: No right answer")
    untitled = read_gift(text).drafts[-1]
    assert untitled.problems == ["Line 18: The question title is not closed with '::'."]


def test_gift_comments_and_blank_lines_inside_a_question():
    text = (
        "$CATEGORY: $course$/top/Default for 课程\n"
        "\n"
        "// 注释：不是题目\n"
        "::q1::第一行\n"
        "// 题中的注释行被去掉，也不结束本题\n"
        "第二行{\n"
        "  =甲 # 反馈\n"
        "  ~乙\n"
        "}\n"
        "\n\n\n"
        "$CATEGORY: 实践\n"
        "::q2::判断{T}\n"
    )
    first, second = read_gift(text).drafts
    assert first.stem == "第一行\n第二行" and first.options == ["甲", "乙"]
    assert first.module is None  # "Default for ..." names no module
    assert first.explanation == "A: 反馈"
    assert (second.line, second.module, second.answer) == (14, "实践", True)


def test_gift_missing_word_choice_and_html_text():
    draft = read_gift("::m::教育扶贫是{~发展生产 =发展教育}脱贫一批。").drafts[0]
    assert (draft.qtype, draft.stem, draft.answer) == ("single", "教育扶贫是____脱贫一批。", "B")
    spaced = read_gift("Grant is {~buried =entombed} in Grant's tomb.").drafts[0]
    assert spaced.stem == "Grant is ____ in Grant's tomb."
    html = read_gift("::h::[html]<p>什么是<b>控辍保学</b>&amp;劝返？</p>{=劝返复学 ~其他}").drafts[0]
    assert html.stem == "什么是控辍保学&劝返？" and html.options == ["劝返复学", "其他"]


def test_gift_titles_become_keys():
    assert normalise_key("m01-q01") == "m01-q01"
    assert normalise_key("Q 1") == "q-1"
    assert normalise_key("1. Intro") == "q-1-intro"
    chinese = normalise_key("第一题：政策")
    assert chinese.startswith("q-") and chinese == normalise_key("第一题：政策")
    assert normalise_key("第二题：政策") != chinese
    assert normalise_key("Q1 税收").startswith("q1-")


def test_category_names():
    assert category_name("$course$/top/专题一") == "专题一"
    assert category_name("$course$/top/A//B") == "A/B"
    assert category_name("$course$/top") is None
    assert category_name("$course$/top/Default for 教育帮扶") is None
    assert category_name("policy-background") == "policy-background"


# -- encodings and file detection -------------------------------------------------------


GIFT_TEXT = "::q1::过渡期内资助标准不降低。{TRUE}\n"


@pytest.mark.parametrize(
    "data",
    [
        GIFT_TEXT.encode("utf-8"),
        b"\xef\xbb\xbf" + GIFT_TEXT.encode("utf-8"),
        GIFT_TEXT.encode("gb18030"),
        GIFT_TEXT.encode("utf-16"),
    ],
    ids=["utf-8", "utf-8-bom", "gb18030", "utf-16"],
)
def test_text_files_in_every_common_encoding(data):
    draft = read_upload("questions.txt", data).drafts[0]
    assert (draft.key, draft.stem, draft.answer) == ("q1", "过渡期内资助标准不降低。", True)


@pytest.mark.parametrize(
    "filename, data, message",
    [
        ("a.gift", b"", "The file is empty."),
        ("a.gift", b"  \n\n", "The file is empty."),
        ("a.gift", b"\x81\x30\xff\xfe\x00\x00binary", "not text in UTF-8 or GB18030"),
        ("a.gift", b"// only a comment\n", "The file holds no questions."),
        ("a.pdf", b"%PDF-1.4", "Upload a GIFT"),
        ("a.xlsx", b"not a zip at all", "damaged or not an Excel workbook"),
        ("a.xlsx", b"PK\x03\x04broken", "damaged or not an Excel workbook"),
        ("a.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old Excel (.xls)"),
        ("a.xml", b"<quiz><question type='truefalse'>", "The XML file is damaged"),
        ("a.xml", b"<html><body/></html>", "root element must be <quiz>"),
        ("a.xml", b"<quiz></quiz>", "The file holds no questions."),
        ("a.csv", "题型,题干\n".encode(), "The file holds no questions."),
        ("a.csv", "名字,电话\n张三,1\n".encode(), "No heading row with 题型 and 题干 in the first 10 rows"),
        ("a.gift", b"x" * (2 * 1024 * 1024 + 1), "larger than 2 MB"),
    ],
)
def test_bad_files_give_a_clear_message(filename, data, message):
    with pytest.raises(FormatError) as error:
        read_upload(filename, data)
    assert message in str(error.value)


def test_xml_bombs_and_external_entities_are_refused():
    with pytest.raises(FormatError) as error:
        read_upload("bomb.xml", (DATA / "bomb.xml").read_bytes())
    assert "declares entities or a DTD" in str(error.value)
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE q [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<quiz><question type='essay'><name><text>&x;</text></name></question></quiz>"
    )
    with pytest.raises(FormatError):
        read_upload("x.xml", xxe)


def test_too_many_questions():
    text = "\n\n".join(f"::q{i}::第{i}题{{T}}" for i in range(MAX_QUESTIONS + 1))
    with pytest.raises(FormatError) as error:
        read_upload("many.gift", text.encode())
    assert "at most 2000 questions" in str(error.value)


def test_format_is_detected_from_content_before_extension():
    xml = (DATA / "moodle.xml").read_bytes()
    assert detect_format("questions.txt", xml) == "moodle_xml"
    assert detect_format("questions", b"PK\x03\x04") == "xlsx"
    assert detect_format("questions.txt", GIFT_TEXT.encode()) == "gift"
    assert detect_format("题库.CSV", b"a,b") == "csv"


# -- Moodle XML -------------------------------------------------------------------------


def test_moodle_xml_reads_every_supported_type():
    parsed = read_upload("moodle.xml", (DATA / "moodle.xml").read_bytes())
    assert (parsed.format, parsed.unit) == ("moodle_xml", "question")
    d = parsed.drafts
    # CDATA and HTML reduced to plain text; entities decoded; answer feedback kept.
    assert (d[0].key, d[0].qtype, d[0].stem) == ("m01-q01", "single", "培训的第一个环节是什么？")
    assert d[0].options == ["培训实施", "需求调研", "评估反馈"] and d[0].answer == "B"
    assert d[0].explanation == "见《欢迎》一节 & 第1专题。\nA: 不对"
    assert (d[0].module, d[0].tags) == ("入门", ["前测"])
    assert (d[1].qtype, d[1].answer, d[1].key) == ("multiple", ["A", "B", "D"], "多选：四个不摘")
    assert (d[2].qtype, d[2].answer, d[2].explanation) == ("true_false", False, "对: 还有持续改进。")
    assert (d[3].qtype, d[3].module) == ("fill_blank", "practice")
    assert (d[3].stem, d[3].answer) == ("村校联合体以什么为龙头？____", ["中心校", "乡镇中心校"])
    assert (d[4].qtype, d[4].answer) == ("short_answer", "言之有理即可。")
    assert all(not draft.problems for draft in d[:5])
    assert [(x.number, x.source_type) for x in d[5:]] == [(6, "matching"), (7, "description"), (8, "cloze")]
    assert d[5].problems == ['<question type="matching"> is not supported; skip it or rewrite it as another type.']


def test_moodle_xml_problems_name_the_element():
    xml = """<quiz>
      <question type="multichoice"><name><text>a</text></name>
        <questiontext format="html"><text><![CDATA[<p>图：<img src="@@PLUGINFILE@@/a.png"></p>]]></text></questiontext>
        <single>true</single>
        <answer fraction="50"><text>一</text></answer><answer fraction="0"><text>二</text></answer>
      </question>
      <question type="shortanswer"><name><text>b</text></name>
        <questiontext><text>问题</text></questiontext>
        <answer fraction="abc"><text>一</text></answer>
      </question>
    </quiz>"""
    a, b = read_moodle_xml(xml.encode()).drafts
    assert a.problems == [
        "The question text contains an image, which cannot be imported.",
        "The question text contains a file stored in Moodle (a.png), which cannot be imported.",
        "Partial credit (50%) is not supported.",
    ]
    assert b.problems[0] == "<answer> 1 has the fraction abc, which is not a number."


def test_moodle_xml_in_a_chinese_encoding():
    xml = (
        '<?xml version="1.0" encoding="GB2312"?><quiz><question type="truefalse">'
        "<name><text>tf</text></name><questiontext><text>控辍保学</text></questiontext>"
        '<answer fraction="100"><text>true</text></answer></question></quiz>'
    )
    draft = read_upload("a.xml", xml.encode("gb2312")).drafts[0]
    assert (draft.stem, draft.answer) == ("控辍保学", True)


# -- Excel and CSV ----------------------------------------------------------------------


def xlsx(rows: list[list], headings=HEADINGS) -> bytes:
    book = Workbook()
    book.active.append(headings)
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def row(qtype, stem, options=(), answer="", explanation="", module="", difficulty="", tags="", lesson="", key=""):
    return [
        qtype,
        stem,
        *options,
        *[""] * (6 - len(options)),
        answer,
        explanation,
        module,
        difficulty,
        tags,
        lesson,
        key,
    ]


def test_excel_rows_of_every_type():
    data = xlsx(
        [
            row(
                "单选题",
                "培训的第一个环节是什么？",
                ["培训实施", "需求调研"],
                "Ｂ",
                "见《欢迎》",
                "入门",
                "容易",
                "前测、政策",
                "welcome",
                "m01-q01",
            ),
            row("多选题", "“四个不摘”包括哪些？", ["责任不摘", "帮扶不摘", "资金不摘"], "A、B"),
            row("判断题", "评估反馈是最后一个环节。", answer="错误", difficulty="困难"),
            row("填空题", "过渡期内覆盖范围____。", answer="不缩小|不缩减"),
            row("简答题", "简述“四个不摘”。", answer="责任不摘、帮扶不摘……"),
            row("填空题", "比例为____。", answer=95),  # a number cell
            row("判断题", "真假", answer=True),  # a boolean cell
        ]
    )
    parsed = read_xlsx(data)
    assert (parsed.format, parsed.unit) == ("xlsx", "row")
    d = parsed.drafts
    assert (d[0].line, d[0].key, d[0].qtype, d[0].answer) == (2, "m01-q01", "single", "B")
    assert (d[0].module, d[0].lesson, d[0].difficulty, d[0].tags) == ("入门", "welcome", "easy", ["前测", "政策"])
    assert (d[1].qtype, d[1].options, d[1].answer) == ("multiple", ["责任不摘", "帮扶不摘", "资金不摘"], ["A", "B"])
    assert (d[1].key, d[1].module, d[1].tags, d[1].difficulty) == (None, None, [], None)
    assert (d[2].answer, d[2].difficulty) == (False, "hard")
    assert d[3].answer == ["不缩小", "不缩减"]
    assert d[4].answer == "责任不摘、帮扶不摘……"
    assert d[5].answer == ["95"] and d[6].answer is True
    assert all(not draft.problems for draft in d)


def test_excel_problems_by_row():
    data = xlsx(
        [
            row("单选题", "甲", ["一", "二"], "C"),
            row("多选题", "乙", ["一", "", "三"], "AC"),
            row("问卷题", "丙"),
            row("判断题", "丁", answer="也许"),
            row("单选题", "戊", ["一", "二"], "AB"),
            row("填空题", "己____", ["一"], "x"),
            row("", "庚"),
            [None] * 5,  # a blank row is skipped, and still counted
            row("单选题", "辛", ["一", "二"]),
        ]
    )
    d = read_xlsx(data).drafts
    assert [x.line for x in d] == [2, 3, 4, 5, 6, 7, 8, 10]
    assert d[0].problems == []  # "C" is beyond the options: the bank checks that
    assert d[1].problems == ["选项B is empty while a later option is filled."]
    assert d[2].problems == ["Unknown 题型 '问卷题': use 单选题, 多选题, 判断题, 填空题 or 简答题."]
    assert d[3].problems == ["答案 of a 判断题 must be 正确 or 错误, not '也许'."]
    assert d[4].problems == ["A 单选题 has exactly one answer letter, not 'AB'."]
    assert d[5].problems == ["Options are only for 单选题 and 多选题; leave 选项A-选项F empty."]
    assert d[6].problems == ["题型 is empty."]
    assert d[7].problems == ["答案 is empty."]


def test_excel_template_has_instructions_and_its_example_row_is_not_imported():
    modules = [("getting-started", "入门"), ("practice", "实践")]
    data = write_xlsx([example_row(modules)], modules)
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["题库", "填写说明"]
    sheet = book["题库"]
    assert [c.value for c in sheet[1]] == HEADINGS
    assert sheet["A2"].value == "单选题" and sheet["K2"].value == "入门"
    instructions = list(book["填写说明"].iter_rows(values_only=True))
    assert ("题型", "必填。单选题、多选题、判断题、填空题或简答题。") in instructions
    assert ("practice", "实践") in instructions
    with pytest.raises(FormatError, match="holds no questions"):
        read_xlsx(data)
    # With a real row after it, the example is ignored and noted.
    sheet.append(row("判断题", "新题", answer="正确"))
    out = io.BytesIO()
    book.save(out)
    parsed = read_xlsx(out.getvalue())
    assert [x.stem for x in parsed.drafts] == ["新题"]
    assert parsed.notes == ["Row 2 is the template's example and was ignored."]


def test_excel_sheet_with_the_headings_is_found_and_columns_may_move():
    book = Workbook()
    book.active.title = "说明"
    book.active.append(["请在第二张表填写"])
    sheet = book.create_sheet("试题")
    sheet.append(["答案", "题干", "题型", "选项A", "选项B"])
    sheet.append(["A", "甲", "单选", "一", "二"])
    out = io.BytesIO()
    book.save(out)
    draft = read_xlsx(out.getvalue()).drafts[0]
    assert (draft.qtype, draft.options, draft.answer) == ("single", ["一", "二"], "A")


def test_excel_zip_bomb_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", b"\0" * (60 * 1024 * 1024))
    with pytest.raises(FormatError, match="unpacks to more than 50 MB"):
        read_upload("bomb.xlsx", out.getvalue())


def test_csv_in_gbk_with_the_template_columns():
    text = "题型,题干,选项A,选项B,答案,模块\n单选题,教育扶贫是哪一批？,发展生产,发展教育,B,入门\n"
    for encoding in ("gbk", "utf-8-sig"):
        draft = read_csv(text.encode(encoding)).drafts[0]
        assert (draft.line, draft.answer, draft.module) == (2, "B", "入门")


# -- writers read back to the same questions ---------------------------------------------


TRICKY = [
    QuestionSpec(
        "m01-q01",
        "single",
        "教育扶贫是“五个一批”中的哪一批？（单选）",
        ["发展生产脱贫一批", "发展教育脱贫一批：含职业教育", "易地搬迁 = 搬迁"],
        "B",
        "见第1专题 {五个一批} #1",
        "welcome",
        "easy",
        ["前测", "政策[2021]"],
        "getting-started",
    ),
    QuestionSpec(
        "m01-q02",
        "multiple",
        "下列哪些属于“四个不摘”？\n请选出全部正确项。",
        ["责任不摘", "~帮扶不摘~", "资金不摘", "=政策不摘", "-监督不摘", "@其他"],
        ["A", "B", "D", "E"],
        "",
        None,
        "medium",
        [],
        "getting-started",
    ),
    QuestionSpec(
        "m01-q03",
        "multiple",
        "只有一个正确项的多选题",
        ["甲", "乙", "丙"],
        ["C"],
        "多选题也可只有一个正确项",
        None,
        "hard",
        [],
        "getting-started",
    ),
    QuestionSpec(
        "m01-q04",
        "true_false",
        "评估反馈是培训的最后一个环节：对吗？",
        [],
        False,
        "还有“持续改进”。\n见 C:\\培训\\资料",
        "first-steps",
        "medium",
        ["后测"],
        "getting-started",
    ),
    QuestionSpec("m02-q01", "true_false", "1+1=2", [], True, "", None, "easy", [], "practice"),
    QuestionSpec(
        "m02-q02",
        "fill_blank",
        "资助标准不降低、覆盖范围______，比例达到95%以上。",
        [],
        ["不缩小", "95|九十五", "a\\b"],
        "",
        "village-school",
        "medium",
        [],
        "practice",
    ),
    QuestionSpec(
        "m02-q03",
        "short_answer",
        "简述“四个不摘”的含义（不少于100字）。",
        [],
        "责任不摘、帮扶不摘、政策不摘、监督不摘。\n要点：# ~ = { } : ]",
        "言之有理即可",
        None,
        "hard",
        ["讨论"],
        "practice",
    ),
    QuestionSpec("m02-q04", "short_answer", "没有参考答案的简答题", [], "", "", None, "medium", [], "practice"),
]


def as_spec(draft, module_key=None) -> QuestionSpec:
    return QuestionSpec(
        draft.key,
        draft.qtype,
        draft.stem,
        draft.options,
        draft.answer,
        draft.explanation,
        draft.lesson or None,
        draft.difficulty or "medium",
        draft.tags or [],
        module_key or draft.module,
    )


def test_gift_writer_round_trip():
    text = write_gift(TRICKY, heading="example-course: 示例课程")
    parsed = read_gift(text)
    assert [d.problems for d in parsed.drafts] == [[]] * len(TRICKY)
    assert [as_spec(d) for d in parsed.drafts] == TRICKY


def test_moodle_xml_writer_round_trip():
    parsed = read_moodle_xml(write_moodle_xml(TRICKY))
    assert [d.problems for d in parsed.drafts] == [[]] * len(TRICKY)
    # A shortanswer text without a blank gets one, so fill-in-blank stems keep theirs.
    assert [as_spec(d) for d in parsed.drafts] == TRICKY


def test_xlsx_writer_round_trip():
    modules = [("getting-started", "入门"), ("practice", "实践")]
    rows = [question_row(q, q.module_key) for q in TRICKY]
    parsed = read_xlsx(write_xlsx(rows, modules))
    assert [d.problems for d in parsed.drafts] == [[]] * len(TRICKY)
    assert [as_spec(d) for d in parsed.drafts] == TRICKY
    # Formula-like texts were neutralised in the file, and restored on reading.
    sheet = load_workbook(io.BytesIO(write_xlsx(rows, modules)))["题库"]
    assert sheet["F3"].value == "'=政策不摘"
