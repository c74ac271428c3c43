"""Moodle GIFT: a reader (lines into blocks, then a small state machine per question) and a
writer that the reader reads back to the same questions.

Reading happens in three steps, each reporting problems with the line they are on:

1. :func:`_blocks` walks the lines. Comment lines (``//``) are dropped, but the metadata in
   them (``[tag:...]``, ``[id:...]``, and this platform's ``[difficulty:...]``,
   ``[lesson:...]``, ``[reference:...]``) is kept for the next question; ``$CATEGORY:`` lines
   set the module of the questions after them; blank lines end a question.
2. :func:`_scan` turns a block into characters that remember their line and whether they
   were escaped (``\\~ \\= \\# \\{ \\} \\:`` and ``\\n``), then splits it into title, text
   before the answer block, the block itself and the text after it.
3. :func:`_read_answers` classifies the answer block (multiple choice with ``=`` or with
   weights, true/false, short answer, essay; numerical and matching are reported as
   unsupported) and builds the draft.

The GIFT types map to ours: multiple choice with one ``=`` is single choice, with weights
(``~%50%``) and no ``=`` multiple choice; ``{T}``/``{TRUE}``/``{F}``/``{FALSE}`` true/false;
short answer (``{=a =b}``) fill in the blank, the blank being where the braces stand; essay
(``{}``) short answer. General feedback (``####``) becomes the explanation, and per-answer
feedback (``#``) is added to it, one line per answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from lms.content.characters import xml_safe
from lms.content.spec import QuestionSpec

from .common import (
    BLANK,
    BLANK_MARK,
    LETTERS,
    MAX_QUESTIONS,
    Draft,
    FormatError,
    ParsedFile,
    absorb,
    category_name,
    check_weights,
    clean_text,
    read_difficulty,
    strip_option_letters,
    weight_is_full,
    where_label,
)
from .html_text import HtmlText, convert_html

SPECIALS = "~=#{}:"
_META = re.compile(r"\[(tag|id|difficulty|lesson|reference):((?:\\.|[^\]\\])*)\]")
_FORMAT = re.compile(r"^\s*\[(html|moodle|plain|markdown)\]", re.IGNORECASE)
_WEIGHT = re.compile(r"^-?\d+(\.\d+)?$")
_TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}
_UNSUPPORTED = {"numerical": _l("Numerical"), "matching": _l("Matching")}


def _at(line: int, message) -> str:
    return str(_l("Line %(n)d: %(message)s", n=line, message=message))


# -- step 1: lines into blocks ----------------------------------------------------------


@dataclass
class _Block:
    lines: list[tuple[int, str]]
    category: str | None
    meta: dict[str, list[str]]


def _read_meta(comment: str, meta: dict[str, list[str]]) -> None:
    for name, value in _META.findall(comment):
        value = re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), value)
        meta.setdefault(name, []).append(value)


def _blocks(text: str) -> Iterator[_Block]:
    """Question blocks with the category in force and the metadata comments before them."""
    category: str | None = None
    pending: dict[str, list[str]] = {}
    block: _Block | None = None
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if stripped.startswith("//"):
            _read_meta(stripped, block.meta if block else pending)
            continue  # a comment line does not end a question (as in Moodle)
        if not stripped:
            if block:
                yield block
                block = None
            continue
        if block is None and stripped.startswith(("$CATEGORY:", "$CATEGORY：")):
            category = stripped[len("$CATEGORY:") :].strip()
            pending = {}
            continue
        if block is None:
            block, pending = _Block([], category, pending), {}
        block.lines.append((number, line))
    if block:
        yield block


# -- step 2: a block into characters, split into title, text and answers ----------------


@dataclass
class _Char:
    ch: str
    line: int
    escaped: bool = False

    def is_(self, special: str) -> bool:
        return not self.escaped and self.ch == special


def _chars(block: _Block) -> list[_Char]:
    """The block's characters with escapes resolved; each knows its line."""
    result: list[_Char] = []
    for index, (number, line) in enumerate(block.lines):
        if index:
            result.append(_Char("\n", number))
        i = 0
        while i < len(line):
            ch = line[i]
            if ch == "\\" and i + 1 < len(line):
                nxt = line[i + 1]
                if nxt in SPECIALS or nxt == "\\":
                    result.append(_Char(nxt, number, escaped=True))
                    i += 2
                    continue
                if nxt == "n":
                    result.append(_Char("\n", number, escaped=True))
                    i += 2
                    continue
                if nxt == ">":  # ours: "-\>" is not the arrow of a matching question
                    result.append(_Char(">", number, escaped=True))
                    i += 2
                    continue
            result.append(_Char(ch, number))
            i += 1
    return result


def _text(chars: list[_Char]) -> str:
    return "".join(c.ch for c in chars)


@dataclass
class _Parts:
    title: str | None = None
    before: list[_Char] = field(default_factory=list)
    answers: list[_Char] | None = None  #: None when the question has no answer block
    after: list[_Char] = field(default_factory=list)
    brace_line: int = 0


def _scan(chars: list[_Char], draft: Draft, with_title: bool = True) -> _Parts:
    """Split a question into its parts with a small state machine (title, before,
    answers, after), reporting unclosed titles and braces and stray braces."""
    parts = _Parts()
    state = "start"
    i = title_start = 0
    title: list[_Char] = []
    while i < len(chars):
        c = chars[i]
        pair = i + 1 < len(chars) and c.is_(":") and chars[i + 1].is_(":")
        if state == "start":
            if c.ch.isspace():
                i += 1
                continue
            if pair and with_title:
                state, i = "title", i + 2
                title_start = i
                continue
            state = "before"
            continue
        if state == "title":
            if pair:
                parts.title = clean_text(_text(title))
                state, i = "before", i + 2
                continue
            title.append(c)
        elif state == "before":
            if c.is_("{"):
                parts.answers, parts.brace_line, state = [], c.line, "answers"
            elif c.is_("}"):
                draft.problem(_at(c.line, _l("'}' without an opening '{' (write \\} for a brace in the text)")))
            else:
                parts.before.append(c)
        elif state == "answers":
            if c.is_("}"):
                state = "after"
            elif c.is_("{"):
                draft.problem(_at(c.line, _l("'{' inside an answer block (write \\{ for a brace in the text)")))
            else:
                parts.answers.append(c)
        elif state == "after":
            if c.is_("{"):
                draft.problem(_at(c.line, _l("A question may have only one answer block {...}.")))
                state = "extra"
            else:
                parts.after.append(c)
        i += 1
    if state == "title":
        draft.problem(_at(draft.line, _l("The question title is not closed with '::'.")))
        return _scan(chars[title_start:], draft, with_title=False)
    if state == "answers":
        draft.problem(
            _at(parts.brace_line, _l("The answer block opened here is not closed with '}' before the blank line."))
        )
    return parts


def _formatted(text: str, default: str = "moodle") -> tuple[HtmlText, str]:
    """A text without its [format] marker, as plain text (with what HTML lost); its format."""
    match = _FORMAT.match(text)
    fmt = match.group(1).lower() if match else default
    if match:
        text = text[match.end() :]
    if fmt == "html":
        return convert_html(text), fmt
    return HtmlText(clean_text(text)), fmt


def _plain(draft: Draft, line: int, text: str, fmt: str, where) -> str:
    """A text of the question as plain text; what HTML lost is reported for ``where``."""
    return absorb(draft, _formatted(text, fmt)[0], where, lambda message: _at(line, message))


# -- full-width marks typed with a Chinese input method ---------------------------------

_FULL_WIDTH = {"｛": "{", "｝": "}", "＝": "=", "～": "~", "＃": "#", "：": ":", "％": "%"}


def _fold_full_width(chars: list[_Char], draft: Draft) -> list[_Char]:
    """The GIFT marks a Chinese input method typed full width (``｛＝５年 ～３年｝``,
    ``：：标题：：``) read as GIFT marks, with a warning. Only where they cannot be text:
    the title pair at the start, the braces when the ASCII ones are missing, and inside
    the answer block a ＝ or ～ at its start or after a space, any ＃, a ％ after a mark."""
    if not any(c.ch in _FULL_WIDTH for c in chars):
        return chars
    folded = [_Char(c.ch, c.line, c.escaped) for c in chars]
    changed = False

    def fold(i: int) -> None:
        nonlocal changed
        if folded[i].ch in _FULL_WIDTH and not folded[i].escaped:
            folded[i].ch, changed = _FULL_WIDTH[folded[i].ch], True

    def colon(i: int) -> bool:
        return i + 1 < len(folded) and all(folded[k].ch in ":：" and not folded[k].escaped for k in (i, i + 1))

    start = next((i for i, c in enumerate(folded) if not c.ch.isspace()), 0)
    if colon(start) and "：" in folded[start].ch + folded[start + 1].ch:
        end = next((i for i in range(start + 2, len(folded)) if colon(i)), None)
        if end is not None:
            for i in (start, start + 1, end, end + 1):
                fold(i)
    opening = next((i for i, c in enumerate(folded) if c.ch in "{｛" and not c.escaped), None)
    if opening is not None:
        closing = next(
            (i for i in range(opening + 1, len(folded)) if folded[i].ch in "}｝" and not folded[i].escaped), None
        )
        if closing is not None:
            fold(opening)
            fold(closing)
        if closing is not None and folded[opening].ch == "{":
            previous = "{"
            for i in range(opening + 1, closing):
                c = folded[i]
                if (c.ch in "＝～" and (previous == "{" or folded[i - 1].ch.isspace())) or c.ch == "＃":
                    fold(i)
                elif c.ch == "％" and folded[i - 1].ch in "=~":
                    fold(i)
                    end = next((k for k in range(i + 1, closing) if folded[k].ch == "％"), None)
                    if end is not None:
                        fold(end)
                if not c.ch.isspace():
                    previous = c.ch
    if changed:
        draft.warn(
            _at(
                draft.line,
                _l("Full-width marks typed with a Chinese input method (｛ ｝ ＝ ～ ＃ ：：) were read as GIFT marks."),
            )
        )
    return folded


# -- step 3: the answer block -----------------------------------------------------------


@dataclass
class _Answer:
    marker: str  #: "=" or "~"
    line: int
    text: str = ""
    weight: float | None = None
    feedback: str = ""


def _split_general_feedback(chars: list[_Char]) -> tuple[list[_Char], list[_Char] | None]:
    for i in range(len(chars) - 3):
        if all(chars[i + k].is_("#") for k in range(4)):
            return chars[:i], chars[i + 4 :]
    return chars, None


def _strip(chars: list[_Char]) -> list[_Char]:
    start, end = 0, len(chars)
    while start < end and chars[start].ch.isspace():
        start += 1
    while end > start and chars[end - 1].ch.isspace():
        end -= 1
    return chars[start:end]


def _split_on(chars: list[_Char], special: str) -> list[list[_Char]]:
    pieces: list[list[_Char]] = [[]]
    for c in chars:
        if c.is_(special):
            pieces.append([])
        else:
            pieces[-1].append(c)
    return pieces


def _finish_answer(answer: _Answer, body: list[_Char], draft: Draft) -> None:
    """Split one answer's characters into its weight (``%50%``), text and feedback (``#``)."""
    pieces = _split_on(body, "#")
    text = _strip(pieces[0])
    if text and text[0].is_("%"):
        end = next((k for k in range(1, len(text)) if text[k].is_("%")), len(text))
        raw = _text(text[1:end]).strip()
        if _WEIGHT.match(raw):
            answer.weight = float(raw)
        else:
            draft.problem(
                _at(text[0].line, _l("The weight %(w)s is not a percentage like %%50%%.", w=_text(text[: end + 1])))
            )
        text = text[end + 1 :]
    answer.text = _text(text)
    answer.feedback = "#".join(_text(p) for p in pieces[1:])


def _answers(chars: list[_Char], draft: Draft) -> list[_Answer]:
    """The ``=``/``~`` answers of a block, with their weights and feedback."""
    answers: list[tuple[_Answer, list[_Char]]] = []
    leading = ""
    for c in chars:
        if c.is_("=") or c.is_("~"):
            answers.append((_Answer(c.ch, c.line), []))
        elif answers:
            answers[-1][1].append(c)
        else:
            leading += c.ch
    if leading.strip():
        draft.problem(_at(chars[0].line, _l("Text before the first answer: %(text)s", text=leading.strip()[:40])))
    for answer, body in answers:
        _finish_answer(answer, body, draft)
    return [answer for answer, _ in answers]


def _has_arrow(chars: list[_Char]) -> bool:
    return any(chars[k].is_("-") and chars[k + 1].is_(">") for k in range(len(chars) - 1))


def _classify(chars: list[_Char]) -> str:
    """The GIFT type of an answer block (without its general feedback). Matching needs at
    least two ``=a -> b`` pairs, so one accepted answer "数据->信息" stays a short answer."""
    text = _text(chars).strip()
    if not text:
        return "essay"
    if chars and _strip(chars)[0].is_("#"):
        return "numerical"
    if any(c.is_("~") for c in chars):
        return "multichoice"
    if any(c.is_("=") for c in chars):
        pairs = [_split_on(piece, "#")[0] for piece in _split_on(chars, "=")[1:]]
        return "matching" if len(pairs) >= 2 and all(_has_arrow(p) for p in pairs) else "shortanswer"
    head = _text(_split_on(_strip(chars), "#")[0]).strip().upper()
    return "truefalse" if head in _TRUE_FALSE else "unknown"


def _read_answers(parts: _Parts, draft: Draft, meta: dict[str, list[str]], fmt: str) -> None:
    """Fill in the draft's type, options, answer and explanation from its answer block."""
    chars, general = _split_general_feedback(parts.answers or [])
    explanation = _plain(draft, parts.brace_line, _text(general or []), fmt, where_label("explanation"))
    notes: list[str] = []
    kind = _classify(chars)
    draft.source_type = kind
    if kind == "essay":
        draft.qtype = "short_answer"
        draft.answer = meta.get("reference", [""])[-1].strip()
    elif kind == "truefalse":
        draft.qtype = "true_false"
        pieces = _split_on(_strip(chars), "#")
        draft.answer = _TRUE_FALSE[_text(pieces[0]).strip().upper()]
        # Moodle: the first feedback is for the wrong response, the second for the right one.
        feedback = [_plain(draft, parts.brace_line, _text(p), fmt, where_label("feedback")) for p in pieces[1:3]]
        for_response = dict(zip((not draft.answer, draft.answer), feedback, strict=False))
        notes = [f"{label}: {for_response[value]}" for value, label in _TF_LABELS if for_response.get(value)]
    elif kind == "multichoice":
        _read_choices(_answers(chars, draft), draft, notes, fmt)
    elif kind == "shortanswer":
        _read_short_answers(_answers(chars, draft), draft, notes, fmt)
    elif kind in ("numerical", "matching"):
        draft.problem(
            _at(
                parts.brace_line,
                _l(
                    "%(type)s questions are not supported; skip this question or rewrite it as another type.",
                    type=_UNSUPPORTED[kind],
                ),
            )
        )
    else:
        draft.problem(
            _at(
                parts.brace_line,
                _l(
                    "The answers cannot be read: start each answer with = (right) or ~ (wrong), "
                    "or write T or F for true/false."
                ),
            )
        )
    draft.explanation = "\n".join(t for t in [explanation, *notes] if t)


#: how per-response feedback of a true/false question is labelled in the explanation
_TF_LABELS = ((True, "对"), (False, "错"))


def _read_choices(answers: list[_Answer], draft: Draft, notes: list[str], fmt: str) -> None:
    options = [
        _plain(draft, a.line, a.text, fmt, where_label("option", letter=LETTERS[i] if i < len(LETTERS) else i + 1))
        for i, a in enumerate(answers)
    ]
    draft.options, lettered = strip_option_letters(options)
    if lettered:
        draft.warn(_at(answers[0].line, _l("The option letters typed before the options (A．, B．) were removed.")))
    for letter, answer in zip(LETTERS, answers, strict=False):
        if answer.feedback.strip():
            notes.append(f"{letter}: {_plain(draft, answer.line, answer.feedback, fmt, where_label('feedback'))}")
    right = [a for a in answers if a.marker == "="]
    if any(a.weight is not None for a in answers):
        draft.weights = [a.weight if a.weight is not None else (100.0 if a.marker == "=" else 0.0) for a in answers]
    if right:  # Moodle's rule: an "=" answer makes it a one-answer (radio button) question
        draft.qtype = "single"
        if len(right) > 1:
            draft.problem(
                _at(
                    right[1].line,
                    _l(
                        "A single-choice question has exactly one right answer (=); for several "
                        "right answers give them weights like ~%50% instead."
                    ),
                )
            )
        for a in answers:
            if (a.marker == "~" and a.weight and a.weight > 0) or (
                a.marker == "=" and a.weight is not None and not weight_is_full(a.weight)
            ):
                draft.problem(_at(a.line, _l("Partial credit (%(w)s%%) is not supported.", w=format(a.weight, "g"))))
        index = answers.index(right[0])
        draft.answer = LETTERS[index] if index < len(LETTERS) else None
        return
    draft.qtype = "multiple"
    letters = [LETTERS[i] for i, a in enumerate(answers[: len(LETTERS)]) if (a.weight or 0) > 0]
    if not letters:
        draft.problem(
            _at(
                answers[0].line,
                _l("No right answer: mark it with = or, for several, give them positive weights like ~%50%."),
            )
        )
    else:
        check_weights(draft, [a.weight or 0.0 for a in answers], lambda message: _at(answers[0].line, message))
    draft.answer = letters


def _read_short_answers(answers: list[_Answer], draft: Draft, notes: list[str], fmt: str) -> None:
    draft.qtype = "fill_blank"
    accepted = []
    for number, a in enumerate(answers, start=1):
        text = _plain(draft, a.line, a.text, fmt, where_label("answer", n=number))
        if a.weight is not None and not weight_is_full(a.weight):
            draft.problem(_at(a.line, _l("Partial credit (%(w)s%%) is not supported.", w=format(a.weight, "g"))))
        if text:
            accepted.append(text)
        if a.feedback.strip():
            notes.append(f"{text}: {_plain(draft, a.line, a.feedback, fmt, where_label('feedback'))}")
    draft.answer = accepted


# -- the whole file ---------------------------------------------------------------------


def read_gift(text: str) -> ParsedFile:
    """Read every question of a GIFT file into drafts.

    :raises FormatError: when the file holds no question, or too many.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    drafts: list[Draft] = []
    for block in _blocks(text):
        if len(drafts) >= MAX_QUESTIONS:
            raise FormatError(_l("Import at most %(n)d questions at a time.", n=MAX_QUESTIONS))
        drafts.append(_read_block(block, len(drafts) + 1))
    if not drafts:
        raise FormatError(_l("The file holds no questions."))
    return ParsedFile(format="gift", drafts=drafts, unit="line")


def _read_block(block: _Block, number: int) -> Draft:
    draft = Draft(number=number, line=block.lines[0][0], qtype=None)
    meta = block.meta
    parts = _scan(_fold_full_width(_chars(block), draft), draft)
    draft.key = parts.title or (meta["id"][-1].strip() if meta.get("id") else None)
    draft.module = category_name(block.category) if block.category else None
    if meta.get("difficulty"):
        draft.difficulty = read_difficulty(meta["difficulty"][-1])
    if meta.get("lesson"):
        draft.lesson = meta["lesson"][-1].strip()
    if meta.get("tag"):
        draft.tags = [t.strip() for t in meta["tag"] if t.strip()]
    fmt = _formatted(_text(parts.before))[1]
    before = _plain(draft, draft.line, _text(parts.before), "moodle", where_label("stem"))
    if parts.answers is None:
        draft.source_type = "description"
        draft.stem = before
        if "｛" in before or "｝" in before:
            draft.problem(
                _at(
                    draft.line,
                    _l(
                        "No answer block {...}: the braces ｛ ｝ are full width and not closed; type "
                        "{ } with the input method switched to English."
                    ),
                )
            )
            return draft
        draft.problem(
            _at(
                draft.line,
                _l(
                    "No answer block {...}: descriptions and other texts without answers are not "
                    "questions and cannot be imported."
                ),
            )
        )
        return draft
    _read_answers(parts, draft, meta, fmt)
    raw_after = _text(parts.after)
    if raw_after.strip() or (draft.qtype == "fill_blank" and not BLANK.search(before)):
        # The missing-word form: the blank goes where the answer block stands.
        draft.stem = _join_around_blank(draft, _text(parts.before), raw_after, fmt)
    else:
        draft.stem = before
    return draft


def _join_around_blank(draft: Draft, raw_before: str, raw_after: str, fmt: str) -> str:
    """The stem of a missing-word question: the text before, the blank, the text after,
    with a space on either side only where the file had one."""
    before = _plain(draft, draft.line, raw_before, fmt, where_label("stem"))
    after = _plain(draft, draft.line, raw_after, fmt, where_label("stem"))
    space_before = " " if before and raw_before[-1:].isspace() else ""
    space_after = " " if after and raw_after[:1].isspace() else ""
    return f"{before}{space_before}{BLANK_MARK}{space_after}{after}"


# -- writing ----------------------------------------------------------------------------


def _escape(text: str) -> str:
    text = xml_safe(text).replace("\\", "\\\\")
    for ch in SPECIALS:
        text = text.replace(ch, "\\" + ch)
    return text.replace("\n", "\\n")


def _answer(marker: str, text: str, weight: str = "", arrows: bool = False) -> str:
    """One answer. A text starting with % gets an explicit weight, so that its own % is
    not read as one. With ``arrows``, ``->`` is written ``-\\>``: accepted answers that all
    hold an arrow would otherwise read as matching pairs (Moodle shows the backslash)."""
    if not weight and text.startswith("%"):
        weight = "%100%" if marker == "=" else "%0%"
    escaped = _escape(text)
    if arrows:
        escaped = escaped.replace("->", "-\\>")
    return f"{marker}{weight}{escaped}"


def _meta_value(text: str) -> str:
    text = xml_safe(text)
    return text.replace("\\", "\\\\").replace("]", "\\]").replace("\n", "\\n")


def write_gift(questions: list[QuestionSpec], heading: str = "") -> str:
    """The questions as GIFT, grouped by module under ``$CATEGORY:`` lines; reading the
    result back gives the same questions (metadata GIFT lacks travels in comments)."""
    out: list[str] = []
    if heading:
        out += [f"// {line}" for line in heading.splitlines()] + [""]
    module = None
    for q in questions:
        if q.module_key != module:
            module = q.module_key
            out += [f"$CATEGORY: $course$/top/{module}", ""]
        meta = [f"[difficulty:{q.difficulty}]"]
        if q.lesson_key:
            meta.append(f"[lesson:{q.lesson_key}]")
        meta += [f"[tag:{_meta_value(tag)}]" for tag in q.tags]
        out.append("// " + " ".join(meta))
        if q.qtype == "short_answer" and q.answer:
            out.append(f"// [reference:{_meta_value(q.answer)}]")
        out.append(f"::{_escape(q.key)}::" + _question_body(q))
        out.append("")
    return "\n".join(out)


def _question_body(q: QuestionSpec) -> str:
    """The text and answer block. A fill-in-blank stem keeps its own blank (so its exact
    underscores survive) and the answer block goes at the end."""
    stem = _escape(q.stem)
    feedback = f"####{_escape(q.explanation)}" if q.explanation else ""
    if q.qtype == "fill_blank":
        arrows = len(q.answer) > 1 and all("->" in a for a in q.answer)
        accepted = " ".join(_answer("=", a, arrows=arrows) for a in q.answer)
        return f"{stem}{{{accepted}{' ' + feedback if feedback else ''}}}"
    if q.qtype == "true_false":
        return f"{stem}{{{'TRUE' if q.answer else 'FALSE'}{feedback}}}"
    if q.qtype == "short_answer":
        return f"{stem}{{{feedback}}}"
    lines = [f"{stem}{{"]
    if q.qtype == "single":
        for letter, option in zip(LETTERS, q.options, strict=False):
            lines.append(_answer("=" if letter == q.answer else "~", option))
    else:
        right = [letter for letter in LETTERS[: len(q.options)] if letter in q.answer]
        wrong = max(len(q.options) - len(right), 1)
        for letter, option in zip(LETTERS, q.options, strict=False):
            weight = 100 / len(right) if letter in right else -100 / wrong
            lines.append(_answer("~", option, f"%{_weight(weight)}%"))
    if feedback:
        lines.append(feedback)
    lines.append("}")
    return "\n".join(lines)


def _weight(value: float) -> str:
    return f"{value:.5f}".rstrip("0").rstrip(".")
