"""Makes the question files of this folder the way trainers' programs make them.

Run it from the repository root (``.venv/bin/python tests/data/question-files/make_files.py``)
after changing it; the files it writes are committed, so the tests do not need it.

- ``excel-habits.xlsx``: what Excel stores when a trainer types into it: 85% as 0.85 in a
  percent cell, 1/2 as a fraction cell or (typed in a general cell) as the date 1月2日, the
  module merged over four rows, a title row above headings the trainer named in their own
  words, a 序号 column, options typed "A．3年", a difficulty 容易, and a line break pasted
  from Word (U+000B, which Excel keeps as `_x000B_` in the file).
- ``word-style.txt``: GIFT typed in Word and saved as "Plain text" (GB18030, CRLF): a
  Shift+Enter line break (U+000B), GIFT marks typed full width by the input method, option
  letters before the options.
- ``big5.csv``: a template CSV saved by a traditional-Chinese Excel (Big5).
"""

from __future__ import annotations

import datetime
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).parent


def excel_habits() -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "试题"
    sheet.append(["2024年扶贫政策培训题库（请勿修改标题行）"])
    sheet.merge_cells("A1:I1")
    sheet.append(
        ["序号", "试题类型", "题目内容", "A选项", "选项B", "C", "D选项", "正确答案", "所属模块", "难易程度", "答案解析"]
    )
    rows = [
        [
            1,
            "单选题",
            "义务教育巩固率目标是多少？",
            0.85,
            0.9,
            0.95,
            0.98,
            "C",
            "入门",
            "容易",
            "见政策文件_x000B_第三条",
        ],
        [2, "填空题", "目标巩固率为____。", None, None, None, None, 0.95, None, "中等", ""],
        [3, "单选题", "一半用分数表示是？", 0.5, 0.25, None, None, "A", None, "", ""],
        [4, "单选题", "过渡期为几年？", "A．3年", "B．5年", "C．6年", "D．8年", "B", None, "易", ""],
        [5, "判断题", "帮扶政策总体稳定。", None, None, None, None, "对", "实践", "", ""],
    ]
    for row in rows:
        sheet.append(row)
    for cell in ("D3", "E3", "F3", "G3", "H4"):
        sheet[cell].number_format = "0%"
    sheet["D5"].number_format = "# ?/?"
    sheet["E5"] = datetime.datetime(2024, 1, 4)  # typed 1/4 in a general cell: Excel makes it a date
    sheet["E5"].number_format = 'm"月"d"日"'
    sheet.merge_cells("I3:I6")  # 入门 for the first four questions
    book.save(HERE / "excel-habits.xlsx")


WORD_STYLE = (
    "// 在 Word 中编写，另存为“纯文本”\r\n"
    "// [difficulty:容易] [tag:前测]\r\n"
    "：：过渡期：：脱贫攻坚目标任务完成后，\x0b设立几年过渡期？｛＝A．5年 ～B．3年 ～C．8年｝\r\n"
    "\r\n"
    "::q-tf::“四个不摘”包括摘帽不摘责任。{T＃再想想：摘帽不摘责任＃正确}\r\n"
)


def main() -> None:
    excel_habits()
    (HERE / "word-style.txt").write_bytes(WORD_STYLE.encode("gb18030"))
    big5 = "題型,題幹,選項A,選項B,答案\r\n單選題,教育扶貧是哪一批？,發展生產脫貧一批,發展教育脫貧一批,B\r\n"
    (HERE / "big5.csv").write_bytes(big5.encode("big5"))


if __name__ == "__main__":
    main()
