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
import datetime
import io
import re
import unicodedata
import zipfile
from fractions import Fraction

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from lms.cohorts.exports import safe_cell
from lms.content.characters import xml_safe
from lms.content.spec import QuestionSpec

from .common import (
    LETTERS,
    MAX_QUESTIONS,
    Draft,
    FormatError,
    ParsedFile,
    clean_text,
    decode_text,
    join_tags,
    read_difficulty,
    split_tags,
    strip_option_letters,
)

OPTION_HEADINGS = [f"选项{letter}" for letter in LETTERS]
HEADINGS = ["题型", "题干", *OPTION_HEADINGS, "答案", "解析", "模块", "难度", "标签", "小节", "编号"]
SHEET_TITLE = "题库"
INSTRUCTIONS_TITLE = "填写说明"

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
DIFFICULTY_NAMES = {"easy": "容易", "medium": "中等", "hard": "困难"}
TRUE_WORDS = {"正确", "对", "是", "√", "✓", "T", "TRUE", "Y", "YES"}
FALSE_WORDS = {"错误", "错", "否", "×", "✗", "X", "F", "FALSE", "N", "NO"}
#: the template's example row, left in by mistake, is not imported
EXAMPLE = ("单选题", "教育扶贫是“五个一批”中的哪一批？")
_MAX_UNPACKED = 50 * 1024 * 1024
_MAX_COLUMNS = 40
_MAX_ROWS = 100_000


#: heading text (NFKC, lower case, spaces removed) -> field; trainers' own names included
_COLUMNS = {
    **dict.fromkeys(["题型", "类型", "题目类型", "试题类型", "题型名称", "问题类型", "type"], "type"),
    **dict.fromkeys(
        [
            "题干",
            "题目",
            "试题",
            "题目内容",
            "试题内容",
            "题干内容",
            "试题题干",
            "问题",
            "题面",
            "题目名称",
            "题目描述",
            "stem",
            "question",
        ],
        "stem",
    ),
    **dict.fromkeys(["答案", "正确答案", "标准答案", "参考答案", "正确选项", "答案选项", "answer"], "answer"),
    **dict.fromkeys(
        ["解析", "答案解析", "试题解析", "题目解析", "解析说明", "答题解析", "解释", "explanation", "analysis"],
        "explanation",
    ),
    **dict.fromkeys(
        ["模块", "专题", "所属模块", "所属专题", "模块名称", "专题名称", "课程模块", "分类", "题目分类", "module"],
        "module",
    ),
    **dict.fromkeys(["难度", "难易程度", "难易度", "难度等级", "difficulty"], "difficulty"),
    **dict.fromkeys(["标签", "知识点", "关键词", "tags", "tag"], "tags"),
    **dict.fromkeys(["小节", "所属小节", "章节", "所属章节", "lesson"], "lesson"),
    **dict.fromkeys(["编号", "试题编号", "题目编号", "key", "id"], "key"),
}
#: 选项A, A选项, A, A项, 选项 A, optionA
_OPTION_HEADING = re.compile(r"^(?:选项|option)?([a-f])(?:选项|项)?$")
#: how many rows above the headings may hold a title or notes
_HEADING_ROWS = 10
#: this many empty rows in a row end a sheet
_EMPTY_RUN = 1000


def _field_of(heading: str) -> str | None:
    text = _heading(heading)
    match = _OPTION_HEADING.match(text)
    return match[1].upper() if match else _COLUMNS.get(text)


_EXCEL_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _cell(value) -> str:
    """A cell as text: whole numbers without ``.0``, the quote that export puts before a
    formula-like text (or before a text starting with a quote) removed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    # Excel writes a character XML forbids as _x000B_; it is one of those we normalise.
    text = _EXCEL_ESCAPE.sub(lambda m: chr(int(m[1], 16)), str(value))
    if text.startswith("'") and text[1:2] in ("=", "+", "-", "@", "'"):
        text = text[1:]
    return clean_text(xml_safe(text))


#: the traditional characters of the headings, types and true/false words (a Big5 file)
_SIMPLIFIED = str.maketrans(
    "題幹選項類型單難標籤節號內專屬確準參簡問論斷對錯誤組", "题干选项类型单难标签节号内专属确准参简问论断对错误组"
)


def _heading(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower().translate(_SIMPLIFIED)


# -- Excel cells as the trainer sees them ------------------------------------------------


def _plain_number(value: float) -> str:
    value = round(value, 10)
    return str(int(value)) if float(value).is_integer() else repr(value)


def _decimals(section: str) -> int:
    match = re.search(r"\.([0#?]+)", section)
    return len(match[1]) if match else 0


def _with_decimals(value: float, decimals: int, thousands: bool = False) -> str:
    text = f"{value:,.{decimals}f}" if thousands else f"{value:.{decimals}f}"
    exact = round(float(text.replace(",", "")), 10) == round(value, 10)
    return text if exact else _plain_number(value)  # never hide digits the cell holds


def _fraction(value: float, section: str) -> str:
    denominator = re.search(r"/\s*(\d+|\?+|#+)", section)
    limit = 10 ** len(denominator[1]) - 1 if denominator and not denominator[1].isdigit() else 99
    whole = int(value) if re.search(r"[#0?]\s+[#0?]+/", section) else 0
    part = Fraction(value - whole).limit_denominator(limit)
    if float(part) + whole != value:
        return _plain_number(value)
    if part == 0:
        return str(whole)
    return f"{whole} {part}" if whole else str(part)


def shown_value(value, number_format: str) -> tuple[str, str | None]:
    """An Excel cell as the trainer sees it: 0.85 in a percent cell is "85%", 0.5 in a
    fraction cell "1/2". Dates are not what a question file holds; a date without a year
    (Excel's reading of 1/2) is given back as month/day, with a warning either way."""
    fmt = number_format or "General"
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE"), None
    if isinstance(value, datetime.datetime):
        if "y" not in fmt.lower() and value.time() == datetime.time(0):
            text = f"{value.month}/{value.day}"
            return text, str(
                _l(
                    "Excel turned %(text)s into a date (%(month)d月%(day)d日); it is read as %(text)s. "
                    "Format the column as text to be sure.",
                    text=text,
                    month=value.month,
                    day=value.day,
                )
            )
        text = value.date().isoformat() if value.time() == datetime.time(0) else value.isoformat(" ", "minutes")
        return text, str(_l("A date cell is read as the text %(text)s.", text=text))
    if isinstance(value, datetime.date):
        return value.isoformat(), str(_l("A date cell is read as the text %(text)s.", text=value.isoformat()))
    if isinstance(value, datetime.time):
        text = value.strftime("%H:%M" if not value.second else "%H:%M:%S")
        return text, str(_l("A time cell is read as the text %(text)s.", text=text))
    if isinstance(value, int | float):
        section = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.|_.|\*.', "", fmt.split(";")[0])
        if "%" in section:
            return _with_decimals(value * 100, _decimals(section)) + "%", None
        if "/" in section:
            return _fraction(float(value), section), None
        if re.search(r"[0#]", section) and "e" not in section.lower():
            return _with_decimals(float(value), _decimals(section), "," in section), None
        return _plain_number(float(value)), None
    return _cell(value), None


# -- reading ----------------------------------------------------------------------------


class _Table:
    """A sheet's rows as texts, with what was noticed about single cells on the way."""

    def __init__(self, rows: list[list[str]], cell_notes: dict[int, list[str]] | None = None):
        self.rows = rows
        self.cell_notes = cell_notes or {}  #: row number -> warnings
        self.pictures: dict[int, list[str]] = {}  #: row number -> cells with a picture
        self.notes: list[str] = []


def _heading_row(rows: list[list[str]]) -> int | None:
    """The index of the heading row: the first of the first rows naming 题型 and 题干."""
    for index, cells in enumerate(rows[:_HEADING_ROWS]):
        fields = {_field_of(c) for c in cells if c}
        if {"type", "stem"} <= fields:
            return index
    return None


def _xlsx_table(data: bytes) -> _Table:
    """The sheet holding the questions (the first whose first rows have 题型 and 题干,
    else the first sheet), read cell by cell with each cell's number format, merged
    cells filled down.

    :raises FormatError: when the file is not a readable XLSX workbook.
    """
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise FormatError(_l("This is an old Excel (.xls) file: save it as .xlsx and upload it again."))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > _MAX_UNPACKED:
                raise FormatError(_l("The XLSX file unpacks to more than 50 MB."))
        # Not read-only: only a full workbook knows its merged cells.
        book = load_workbook(io.BytesIO(data), data_only=True)
    except FormatError:
        raise
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as error:
        raise FormatError(_l("The XLSX file is damaged or not an Excel workbook.")) from error
    try:
        sheets = book.worksheets
        if not sheets:
            raise FormatError(_l("The XLSX file has no worksheet."))
        tables = (_sheet_table(sheet) for sheet in sheets)
        first = None
        for table in tables:
            first = first or table
            if _heading_row(table.rows) is not None:
                return table
        return first
    except FormatError:
        raise
    except Exception as error:  # openpyxl raises many kinds for a damaged sheet
        raise FormatError(_l("The XLSX file is damaged or not an Excel workbook.")) from error
    finally:
        book.close()


def _sheet_table(sheet) -> _Table:
    filled: dict[tuple[int, int], object] = {}
    merged_notes = []
    for merged in sheet.merged_cells.ranges:
        if merged.max_row == merged.min_row or merged.min_col > _MAX_COLUMNS:
            continue  # a title across columns; only a value over several rows is filled down
        value = sheet.cell(merged.min_row, merged.min_col)
        for row in range(merged.min_row + 1, min(merged.max_row, _MAX_ROWS) + 1):
            filled[(row, merged.min_col)] = value
        merged_notes.append((merged.min_row, merged.coord, value))
    rows: list[list[str]] = []
    cell_notes: dict[int, list[str]] = {}
    last = min(sheet.max_row, _MAX_ROWS)  # iter_rows makes every cell it passes
    columns = min(sheet.max_column, _MAX_COLUMNS)
    filled_up_to = 0
    for number, cells in enumerate(sheet.iter_rows(max_col=columns, max_row=last), start=1):
        if number - filled_up_to > _EMPTY_RUN:
            break  # formatting applied to a whole column, not questions
        texts = []
        for column, cell in enumerate(cells, start=1):
            source = filled.get((number, column), cell)
            text, warning = shown_value(source.value, source.number_format)
            texts.append(text)
            if warning:
                cell_notes.setdefault(number, []).append(f"{get_column_letter(column)}{number}: {warning}")
        if any(texts):
            filled_up_to = number
        rows.append(texts)
    table = _Table(rows, cell_notes)
    for picture in getattr(sheet, "_images", []):  # pictures float over the sheet, anchored to a cell
        start = getattr(picture.anchor, "_from", None)
        if start is not None:
            cell = f"{get_column_letter(start.col + 1)}{start.row + 1}"
            table.pictures.setdefault(start.row + 1, []).append(cell)
    for _row, coord, value in sorted(merged_notes, key=lambda n: n[0]):
        text = shown_value(value.value, value.number_format)[0]
        if text:
            table.notes.append(
                str(_l("Merged cells %(range)s: “%(value)s” is used in each of their rows.", range=coord, value=text))
            )
    return table


def read_xlsx(data: bytes) -> ParsedFile:
    """Read every row of the template's sheet into drafts.

    :raises FormatError: for a damaged workbook, no heading row, or too many rows.
    """
    return _read_table(_xlsx_table(data), "xlsx")


def read_csv(data: bytes) -> ParsedFile:
    """Read a CSV file with the template's columns (UTF-8, GB18030 or Big5) into drafts."""
    text = decode_text(data)
    try:
        rows = [[_cell(v) for v in row] for row in csv.reader(io.StringIO(text))]
    except csv.Error as error:
        raise FormatError(_l("The CSV file is damaged: %(error)s", error=str(error))) from error
    return _read_table(_Table(rows[:_MAX_ROWS]), "csv")


def _read_table(table: _Table, fmt: str) -> ParsedFile:
    start = _heading_row(table.rows)
    if start is None:
        if not any(any(c for c in cells) for cells in table.rows):
            raise FormatError(_l("The file holds no questions."))
        raise FormatError(
            _l(
                "No heading row with 题型 and 题干 in the first %(n)d rows (download the template).",
                n=_HEADING_ROWS,
            )
        )
    headings = table.rows[start]
    columns: list[str | None] = []
    ignored = []
    for index, heading in enumerate(headings):
        column = _field_of(heading) if heading else None
        if column in columns:
            column = None  # a second column with the same meaning: the first one counts
        columns.append(column)
        if heading and column is None:
            ignored.append(f"{heading} ({get_column_letter(index + 1)})")
    notes = list(table.notes)
    if start:
        notes.append(str(_l("The headings are in row %(n)d; the rows above them were ignored.", n=start + 1)))
    if ignored:
        notes.append(str(_l("Columns ignored (not part of the template): %(columns)s.", columns="、".join(ignored))))
    drafts: list[Draft] = []
    for number, cells in enumerate(table.rows[start + 1 :], start=start + 2):
        if not any(cells):
            continue
        values = {column: cell for column, cell in zip(columns, cells, strict=False) if column}
        if (values.get("type"), values.get("stem")) == EXAMPLE:
            notes.append(str(_l("Row %(n)d is the template's example and was ignored.", n=number)))
            continue
        if len(drafts) >= MAX_QUESTIONS:
            raise FormatError(_l("Import at most %(n)d questions at a time.", n=MAX_QUESTIONS))
        draft = _read_row(number, len(drafts) + 1, values, columns)
        for warning in table.cell_notes.get(number, []):
            draft.warn(warning)
        for cell in table.pictures.pop(number, []):
            draft.problem(_l("The picture at %(cell)s cannot be imported.", cell=cell))
        drafts.append(draft)
    if not drafts:
        raise FormatError(_l("The file holds no questions."))
    for cells in table.pictures.values():
        notes += [str(_l("The picture at %(cell)s is not in a question's row and was ignored.", cell=c)) for c in cells]
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
        draft.difficulty = read_difficulty(difficulty)
    options = [values.get(letter, "") for letter in LETTERS]
    while options and not options[-1]:
        options.pop()
    if qtype in ("single", "multiple"):
        gaps = [f"选项{LETTERS[i]}" for i, text in enumerate(options) if not text]
        if gaps:
            draft.problem(_l("%(columns)s is empty while a later option is filled.", columns="、".join(gaps)))
        draft.options, lettered = strip_option_letters([text for text in options if text])
        if lettered:
            draft.warn(_l("The option letters typed before the options (A．, B．) were removed."))
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
    normal = unicodedata.normalize("NFKC", text).strip().upper().translate(_SIMPLIFIED)
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
        join_tags(q.tags),
        q.lesson_key or "",
        q.key,
    ]


def _safe(value):
    """A value for a cell: no character XML forbids (openpyxl refuses them), and a quote
    before a formula-like text or a text starting with a quote (read back without it)."""
    if not isinstance(value, str):
        return value
    value = xml_safe(value)
    return "'" + value if value.startswith("'") else safe_cell(value)


def write_xlsx(rows: list[list[str]], modules: list[tuple[str, str]]) -> bytes:
    """A workbook in the template's layout: the questions (or the example) on the first
    sheet, the instructions and the course's modules on the second."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET_TITLE
    sheet.append(HEADINGS)
    for row in rows:
        sheet.append([_safe(v) for v in row])
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
        sheet.append([_safe(key), _safe(title)])
    for number in header_rows:
        for cell in sheet[number]:
            cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = 90
    for row in sheet.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
