"""The Excel question template (XLSX, or CSV with the same columns): reading every row
into drafts, and writing a course's bank, or a blank template, in the same layout.

Columns (the heading row may put them in any order; the Chinese headings are the data
format, not interface text): 题型, 题干, 选项A-选项F, 答案, 解析, 模块, 难度, and the optional
标签, 小节, 编号. Answers are written as a letter (单选题), letters (多选题: ``AC``, ``A,C``
or ``A、C``), 正确/错误 (判断题), accepted answers separated by ``|`` (填空题) or a
reference answer (简答题).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils.exceptions import InvalidFileException

from lms.cohorts.exports import safe_cell
from lms.content.spec import QuestionSpec

from .common import (
    LETTERS,
    MAX_QUESTIONS,
    Draft,
    FormatError,
    ParsedFile,
    clean_text,
    decode_text,
    split_tags,
)

OPTION_HEADINGS = [f"选项{letter}" for letter in LETTERS]
HEADINGS = ["题型", "题干", *OPTION_HEADINGS, "答案", "解析", "模块", "难度", "标签", "小节", "编号"]
SHEET_TITLE = "题库"
INSTRUCTIONS_TITLE = "填写说明"

#: heading text (lower case, spaces removed) -> field
_COLUMNS = {
    "题型": "type",
    "类型": "type",
    "题目类型": "type",
    "type": "type",
    "题干": "stem",
    "题目": "stem",
    "试题": "stem",
    "stem": "stem",
    "question": "stem",
    "答案": "answer",
    "正确答案": "answer",
    "标准答案": "answer",
    "参考答案": "answer",
    "answer": "answer",
    "解析": "explanation",
    "答案解析": "explanation",
    "试题解析": "explanation",
    "explanation": "explanation",
    "模块": "module",
    "专题": "module",
    "module": "module",
    "难度": "difficulty",
    "difficulty": "difficulty",
    "标签": "tags",
    "tags": "tags",
    "小节": "lesson",
    "lesson": "lesson",
    "编号": "key",
    "试题编号": "key",
    "key": "key",
    "id": "key",
    **{f"选项{letter.lower()}": letter for letter in LETTERS},
    **{letter.lower(): letter for letter in LETTERS},
    **{f"option{letter.lower()}": letter for letter in LETTERS},
}
TYPES = {
    "单选题": "single",
    "单选": "single",
    "单项选择题": "single",
    "single": "single",
    "多选题": "multiple",
    "多选": "multiple",
    "多项选择题": "multiple",
    "multiple": "multiple",
    "判断题": "true_false",
    "判断": "true_false",
    "true_false": "true_false",
    "填空题": "fill_blank",
    "填空": "fill_blank",
    "fill_blank": "fill_blank",
    "简答题": "short_answer",
    "简答": "short_answer",
    "问答题": "short_answer",
    "论述题": "short_answer",
    "short_answer": "short_answer",
    "essay": "short_answer",
}
TYPE_NAMES = {
    "single": "单选题",
    "multiple": "多选题",
    "true_false": "判断题",
    "fill_blank": "填空题",
    "short_answer": "简答题",
}
DIFFICULTIES = {
    "容易": "easy",
    "简单": "easy",
    "易": "easy",
    "easy": "easy",
    "中等": "medium",
    "中": "medium",
    "一般": "medium",
    "适中": "medium",
    "medium": "medium",
    "困难": "hard",
    "难": "hard",
    "较难": "hard",
    "hard": "hard",
}
DIFFICULTY_NAMES = {"easy": "容易", "medium": "中等", "hard": "困难"}
TRUE_WORDS = {"正确", "对", "是", "√", "✓", "T", "TRUE", "Y", "YES"}
FALSE_WORDS = {"错误", "错", "否", "×", "✗", "X", "F", "FALSE", "N", "NO"}
#: the template's example row, left in by mistake, is not imported
EXAMPLE = ("单选题", "教育扶贫是“五个一批”中的哪一批？")
_MAX_UNPACKED = 50 * 1024 * 1024
_MAX_COLUMNS = 40
_MAX_ROWS = 100_000


def _cell(value) -> str:
    """A cell as text: whole numbers without ``.0``, the quote that export puts before a
    formula-like text removed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    if text.startswith("'") and text[1:2] in ("=", "+", "-", "@"):
        text = text[1:]
    return clean_text(text)


def _heading(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


# -- reading ----------------------------------------------------------------------------


def _xlsx_rows(data: bytes) -> Iterator[list]:
    """The rows of the sheet holding the questions (the first sheet whose first row has
    题型 and 题干, else the first sheet).

    :raises FormatError: when the file is not a readable XLSX workbook.
    """
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise FormatError(_l("This is an old Excel (.xls) file: save it as .xlsx and upload it again."))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > _MAX_UNPACKED:
                raise FormatError(_l("The XLSX file unpacks to more than 50 MB."))
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except FormatError:
        raise
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as error:
        raise FormatError(_l("The XLSX file is damaged or not an Excel workbook.")) from error
    try:
        sheets = book.worksheets
        if not sheets:
            raise FormatError(_l("The XLSX file has no worksheet."))
        chosen = sheets[0]
        for sheet in sheets:
            first = next(sheet.iter_rows(max_row=1, max_col=_MAX_COLUMNS, values_only=True), ())
            fields = {_COLUMNS.get(_heading(_cell(v))) for v in first}
            if {"type", "stem"} <= fields:
                chosen = sheet
                break
        yield from chosen.iter_rows(max_col=_MAX_COLUMNS, values_only=True)
    except FormatError:
        raise
    except Exception as error:  # openpyxl raises many kinds for a damaged sheet
        raise FormatError(_l("The XLSX file is damaged or not an Excel workbook.")) from error
    finally:
        book.close()


def read_xlsx(data: bytes) -> ParsedFile:
    """Read every row of the template's sheet into drafts.

    :raises FormatError: for a damaged workbook, no heading row, or too many rows.
    """
    return _read_table(_xlsx_rows(data), "xlsx")


def read_csv(data: bytes) -> ParsedFile:
    """Read a CSV file with the template's columns (UTF-8 or GB18030) into drafts."""
    text = decode_text(data)
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as error:
        raise FormatError(_l("The CSV file is damaged: %(error)s", error=str(error))) from error
    return _read_table(iter(rows), "csv")


def _read_table(rows: Iterator[Iterable], fmt: str) -> ParsedFile:
    columns: list[str | None] | None = None
    drafts: list[Draft] = []
    notes: list[str] = []
    for number, raw in enumerate(rows, start=1):
        if number > _MAX_ROWS:
            break
        cells = [_cell(v) for v in raw]
        if not any(cells):
            continue
        if columns is None:
            columns = [_COLUMNS.get(_heading(c)) for c in cells]
            if not {"type", "stem"} <= set(columns):
                raise FormatError(
                    _l("The first row must hold the column headings, including 题型 and 题干 (download the template).")
                )
            continue
        values = {}
        for column, cell in zip(columns, cells, strict=False):
            if column and column not in values:
                values[column] = cell
        if (values.get("type"), values.get("stem")) == EXAMPLE:
            notes.append(str(_l("Row %(n)d is the template's example and was ignored.", n=number)))
            continue
        if len(drafts) >= MAX_QUESTIONS:
            raise FormatError(_l("Import at most %(n)d questions at a time.", n=MAX_QUESTIONS))
        drafts.append(_read_row(number, len(drafts) + 1, values, columns))
    if columns is None or not drafts:
        raise FormatError(_l("The file holds no questions."))
    return ParsedFile(format=fmt, drafts=drafts, unit="row", notes=notes)


def _read_row(line: int, number: int, values: dict, columns: list) -> Draft:
    raw_type = values.get("type", "")
    qtype = TYPES.get(_heading(raw_type)) if raw_type else None
    draft = Draft(
        number=number,
        line=line,
        qtype=qtype,
        source_type=raw_type,
        key=values.get("key") or None,
        stem=values.get("stem", ""),
        explanation=values.get("explanation", ""),
        module=values.get("module") or None,
    )
    if not raw_type:
        draft.problem(_l("题型 is empty."))
    elif qtype is None:
        draft.problem(_l("Unknown 题型 '%(type)s': use 单选题, 多选题, 判断题, 填空题 or 简答题.", type=raw_type))
    if "lesson" in columns:  # an empty cell clears the lesson; no column keeps it
        draft.lesson = values.get("lesson", "")
    if "tags" in columns:
        draft.tags = split_tags(values.get("tags", ""))
    difficulty = values.get("difficulty", "")
    if difficulty:
        draft.difficulty = DIFFICULTIES.get(_heading(difficulty), difficulty)
    options = [values.get(letter, "") for letter in LETTERS]
    while options and not options[-1]:
        options.pop()
    if qtype in ("single", "multiple"):
        gaps = [f"选项{LETTERS[i]}" for i, text in enumerate(options) if not text]
        if gaps:
            draft.problem(_l("%(columns)s is empty while a later option is filled.", columns="、".join(gaps)))
        draft.options = [text for text in options if text]
    elif options and qtype is not None:
        draft.problem(_l("Options are only for 单选题 and 多选题; leave 选项A-选项F empty."))
    draft.answer = _read_answer(draft, qtype, values.get("answer", ""))
    return draft


def _read_answer(draft: Draft, qtype: str | None, text: str):
    """The 答案 cell in our shape; problems for answers that cannot be read."""
    if qtype is None:
        return None
    if qtype == "short_answer":
        return text
    if qtype == "fill_blank":
        parts = re.split(r"(?<!\\)[|｜]", text)
        return [p.replace("\\|", "|").strip() for p in parts if p.strip()]
    if not text:
        draft.problem(_l("答案 is empty."))
        return None
    normal = unicodedata.normalize("NFKC", text).strip().upper()
    if qtype == "true_false":
        if normal in TRUE_WORDS or text in TRUE_WORDS:
            return True
        if normal in FALSE_WORDS or text in FALSE_WORDS:
            return False
        draft.problem(_l("答案 of a 判断题 must be 正确 or 错误, not '%(v)s'.", v=text))
        return None
    letters = re.sub(r"[\s,，、;；]", "", normal)
    wrong = [ch for ch in letters if ch not in LETTERS]
    if wrong or not letters:
        draft.problem(_l("答案 must be option letters A-F, not '%(v)s'.", v=text))
        return None
    if qtype == "single":
        if len(letters) != 1:
            draft.problem(_l("A 单选题 has exactly one answer letter, not '%(v)s'.", v=text))
            return None
        return letters
    if len(set(letters)) != len(letters):
        draft.problem(_l("答案 '%(v)s' repeats a letter.", v=text))
    return sorted(set(letters))


# -- writing ----------------------------------------------------------------------------


def question_row(q: QuestionSpec, module_label: str) -> list[str]:
    """One question in the template's columns."""
    options = list(q.options) + [""] * (len(LETTERS) - len(q.options))
    if q.qtype == "single":
        answer = q.answer
    elif q.qtype == "multiple":
        answer = "".join(q.answer)
    elif q.qtype == "true_false":
        answer = "正确" if q.answer else "错误"
    elif q.qtype == "fill_blank":
        answer = "|".join(a.replace("|", "\\|") for a in q.answer)
    else:
        answer = q.answer or ""
    return [
        TYPE_NAMES[q.qtype],
        q.stem,
        *options,
        answer,
        q.explanation,
        module_label,
        DIFFICULTY_NAMES[q.difficulty],
        "、".join(q.tags),
        q.lesson_key or "",
        q.key,
    ]


def write_xlsx(rows: list[list[str]], modules: list[tuple[str, str]]) -> bytes:
    """A workbook in the template's layout: the questions (or the example) on the first
    sheet, the instructions and the course's modules on the second."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET_TITLE
    sheet.append(HEADINGS)
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = {"A": 10, "B": 48, "I": 10, "J": 36, "K": 20, "L": 8, "M": 16, "N": 16, "O": 18}
    for letter in "CDEFGH":
        sheet.column_dimensions[letter].width = 18
    for letter, width in widths.items():
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    _instructions(book.create_sheet(INSTRUCTIONS_TITLE), modules)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def example_row(modules: list[tuple[str, str]]) -> list[str]:
    module = modules[0][1] if modules else "（专题名称）"
    return [
        EXAMPLE[0],
        EXAMPLE[1],
        "发展生产脱贫一批",
        "发展教育脱贫一批",
        "易地搬迁脱贫一批",
        "生态补偿脱贫一批",
        "",
        "",
        "B",
        "“五个一批”之一是“发展教育脱贫一批”。",
        module,
        "容易",
        "",
        "",
        "",
    ]


_INSTRUCTIONS = [
    ("题型", "必填。单选题、多选题、判断题、填空题或简答题。"),
    ("题干", "必填。填空题在题干中用四个下划线 ____ 标出唯一的空；没有标出时自动加在末尾。"),
    ("选项A-选项F", "单选题、多选题必填 2-6 个选项，从选项A起连续填写；其他题型留空。"),
    (
        "答案",
        (
            "单选题填一个字母，如 B；多选题填多个字母，如 ACD；判断题填“正确”或“错误”；"
            "填空题填可接受的答案，多个用 | 分隔，如 95%|百分之九十五；简答题填参考答案（可留空）。"
        ),
    ),
    ("解析", "选填。作答后向学员显示。"),
    ("模块", "填写本课程专题的编号或名称（见下表）；留空时使用导入页面上选择的默认专题。"),
    ("难度", "选填。容易、中等或困难，默认中等。"),
    ("标签", "选填。多个标签用顿号或逗号分隔，如 前测、政策。"),
    ("小节", "选填。本题考查的小节（编号或名称），须属于同一专题。"),
    (
        "编号",
        (
            "选填。题目的固定编号（小写字母、数字和连字符）。再次导入同一编号时更新该题"
            "（内容有变化才生成新版本）；留空时自动生成。"
        ),
    ),
    ("", ""),
    (
        "注意",
        (
            "第一行是列标题，请勿修改；示例行（第2行）可直接覆盖或删除，原样保留的示例行不会导入。"
            "每次最多导入 2000 题，文件不超过 2 MB。"
        ),
    ),
]


def _instructions(sheet, modules: list[tuple[str, str]]) -> None:
    sheet.append(["列", "填写说明"])
    for row in _INSTRUCTIONS:
        sheet.append(list(row))
    sheet.append([])
    sheet.append(["专题编号", "专题名称"])
    header_rows = {1, len(_INSTRUCTIONS) + 3}
    for key, title in modules:
        sheet.append([safe_cell(key), safe_cell(title)])
    for number in header_rows:
        for cell in sheet[number]:
            cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = 90
    for row in sheet.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
