"""Moodle XML question files: a reader (through defusedxml, so entity tricks and XML bombs
are refused) and a writer that the reader reads back to the same questions.

Types: ``multichoice`` (``<single>true</single>`` is single choice, otherwise multiple
choice), ``truefalse``, ``shortanswer`` (fill in the blank; a blank is added at the end of
the text when it has none), ``essay`` (short answer; ``<graderinfo>`` is the reference
answer). ``category`` entries set the module of the questions after them. Every other type
(matching, numerical, description, cloze, calculated...) is reported as unsupported. Texts
in HTML are reduced to plain text; ``<generalfeedback>`` is the explanation, and per-answer
feedback is added to it.
"""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element, ParseError, SubElement, indent, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from flask_babel import lazy_gettext as _l

from lms.content.characters import xml_safe
from lms.content.spec import QuestionSpec

from .common import (
    LETTERS,
    MAX_QUESTIONS,
    Draft,
    FormatError,
    ParsedFile,
    absorb,
    category_name,
    check_weights,
    clean_text,
    decode_text,
    ensure_blank,
    read_difficulty,
    strip_option_letters,
    weight_is_full,
    where_label,
)
from .html_text import HtmlText, convert_html

SUPPORTED = ("multichoice", "truefalse", "shortanswer", "essay")
_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def _parse(data: bytes) -> Element:
    """The root element. The bytes are decoded here (UTF-8 or GB18030) and the declared
    encoding dropped, since the XML parser itself only knows a few encodings.

    :raises FormatError: for damaged XML or entity declarations (XML bombs).
    """
    text = _DECLARATION.sub("", decode_text(data), count=1)
    try:
        return fromstring(text.encode("utf-8"), forbid_dtd=True)
    except DefusedXmlException as error:
        raise FormatError(_l("The XML file declares entities or a DTD, which are not allowed.")) from error
    except ParseError as error:
        line = getattr(error, "position", (0, 0))[0]
        raise FormatError(_l("The XML file is damaged (line %(n)d): it cannot be read.", n=line)) from error


def _content(element: Element | None, fallback_format: str = "html") -> HtmlText:
    """The plain text of a Moodle text element (``<x format=...><text>...</text></x>``),
    with what HTML lost; files attached to it (``<file>``) are embedded content."""
    if element is None:
        return HtmlText("")
    inner = element.find("text")
    raw = (inner.text if inner is not None else element.text) or ""
    fmt = element.get("format", fallback_format)
    result = convert_html(raw) if fmt == "html" else HtmlText(clean_text(raw))
    for attached in element.findall("file"):
        name = attached.get("name") or "?"
        result.embedded.append(str(_l("a file stored in Moodle (%(name)s)", name=name)))
    return result


def read_moodle_xml(data: bytes) -> ParsedFile:
    """Read every question of a Moodle XML file into drafts.

    :raises FormatError: when the file is not a Moodle question file, damaged, empty or
        too large.
    """
    root = _parse(data)
    if root.tag != "quiz":
        raise FormatError(_l("This is not a Moodle XML question file (its root element must be <quiz>)."))
    drafts: list[Draft] = []
    module: str | None = None
    for element in root.iter("question"):
        qtype = element.get("type", "")
        if qtype == "category":
            path = element.findtext("category/text") or element.findtext("category") or ""
            module = category_name(path.strip())
            continue
        if len(drafts) >= MAX_QUESTIONS:
            raise FormatError(_l("Import at most %(n)d questions at a time.", n=MAX_QUESTIONS))
        number = len(drafts) + 1
        drafts.append(_read_question(element, number, qtype, module))
    if not drafts:
        raise FormatError(_l("The file holds no questions."))
    return ParsedFile(format="moodle_xml", drafts=drafts, unit="question")


def _read_question(element: Element, number: int, qtype: str, module: str | None) -> Draft:
    draft = Draft(number=number, line=number, qtype=None, source_type=qtype, module=module)
    name = (element.findtext("name/text") or "").strip()
    idnumber = (element.findtext("idnumber") or "").strip()
    draft.key = name or idnumber or None
    text_element = element.find("questiontext")
    # Moodle: the parts without a format of their own have the question text's format.
    text_format = text_element.get("format", "html") if text_element is not None else "html"
    draft.stem = absorb(draft, _content(text_element), where_label("stem"))
    for old in ("image", "image_base64"):  # Moodle 1.x kept the question's picture here
        if (element.findtext(old) or "").strip():
            draft.problem(
                str(_l("<%(element)s> holds an image for the question, which cannot be imported.", element=old))
            )
    explanation = absorb(draft, _content(element.find("generalfeedback"), text_format), where_label("explanation"))
    tags = [t.text.strip() for t in element.findall("tags/tag/text") if (t.text or "").strip()]
    if tags:
        draft.tags = tags
    if element.findtext("difficulty"):
        draft.difficulty = read_difficulty(element.findtext("difficulty"))
    if element.findtext("lesson"):
        draft.lesson = element.findtext("lesson").strip()
    notes: list[str] = []
    if qtype == "multichoice":
        _read_multichoice(element, draft, notes, text_format)
    elif qtype == "truefalse":
        _read_truefalse(element, draft, notes, text_format)
    elif qtype == "shortanswer":
        _read_shortanswer(element, draft, notes, text_format)
    elif qtype == "essay":
        draft.qtype = "short_answer"
        draft.answer = absorb(draft, _content(element.find("graderinfo"), text_format), where_label("reference"))
    else:
        draft.problem(
            str(
                _l(
                    '<question type="%(type)s"> is not supported; skip it or rewrite it as another type.',
                    type=qtype or "?",
                )
            )
        )
    draft.explanation = "\n".join(t for t in [explanation, *notes] if t)
    return draft


def _answers(element: Element, draft: Draft, text_format: str, option_labels: bool) -> list[tuple[str, float, str]]:
    """(text, fraction, feedback) of each <answer>."""
    result = []
    for index, answer in enumerate(element.findall("answer"), start=1):
        where = (
            where_label("option", letter=LETTERS[index - 1] if index <= len(LETTERS) else index)
            if option_labels
            else where_label("answer", n=index)
        )
        text = absorb(draft, _content(answer, text_format), where)
        try:
            fraction = float(answer.get("fraction", "0"))
        except ValueError:
            draft.problem(
                str(
                    _l(
                        "<answer> %(i)d has the fraction %(f)s, which is not a number.",
                        i=index,
                        f=answer.get("fraction"),
                    )
                )
            )
            fraction = 0.0
        feedback = absorb(draft, _content(answer.find("feedback"), text_format), where_label("feedback"))
        result.append((text, fraction, feedback))
    return result


def _read_multichoice(element: Element, draft: Draft, notes: list[str], text_format: str) -> None:
    answers = _answers(element, draft, text_format, option_labels=True)
    draft.options, lettered = strip_option_letters([text for text, _, _ in answers])
    if lettered:
        draft.warn(_l("The option letters typed before the options (A．, B．) were removed."))
    draft.weights = [fraction for _, fraction, _ in answers]
    notes += [f"{letter}: {fb}" for letter, (_, _, fb) in zip(LETTERS, answers, strict=False) if fb]
    right = [i for i, (_, fraction, _) in enumerate(answers) if fraction > 0]
    single = (element.findtext("single") or "true").strip().lower() in ("true", "1")
    if not right:
        draft.problem(str(_l("No <answer> has a positive fraction, so there is no right answer.")))
    if single:
        draft.qtype = "single"
        partial = [answers[i][1] for i in right if not weight_is_full(answers[i][1])]
        if len(right) > 1:
            draft.problem(
                str(
                    _l(
                        "<single>true</single> with several right answers; our single-choice "
                        "questions have exactly one."
                    )
                )
            )
        elif partial:
            draft.problem(str(_l("Partial credit (%(w)s%%) is not supported.", w=format(partial[0], "g"))))
        draft.answer = LETTERS[right[0]] if right and right[0] < len(LETTERS) else None
    else:
        draft.qtype = "multiple"
        draft.answer = [LETTERS[i] for i in right if i < len(LETTERS)]
        if right:
            check_weights(draft, draft.weights)


#: how per-response feedback of a true/false question is labelled in the explanation
_TF_LABELS = {"true": "对", "false": "错"}


def _read_truefalse(element: Element, draft: Draft, notes: list[str], text_format: str) -> None:
    draft.qtype = "true_false"
    answers = _answers(element, draft, text_format, option_labels=False)
    right = [text.strip().lower() for text, fraction, _ in answers if fraction > 0]
    # Each answer's feedback is shown to whoever chose that answer: say which it is.
    notes += [f"{_TF_LABELS.get(text.strip().lower(), text)}: {fb}" for text, _, fb in answers if fb]
    if len(right) != 1 or right[0] not in ("true", "false"):
        draft.problem(str(_l('A truefalse question needs one right answer, "true" or "false".')))
        return
    draft.answer = right[0] == "true"


def _read_shortanswer(element: Element, draft: Draft, notes: list[str], text_format: str) -> None:
    draft.qtype = "fill_blank"
    draft.stem = ensure_blank(draft.stem)
    accepted = []
    for text, fraction, feedback in _answers(element, draft, text_format, option_labels=False):
        if fraction > 0 and not weight_is_full(fraction):
            draft.problem(str(_l("Partial credit (%(w)s%%) is not supported.", w=format(fraction, "g"))))
        if fraction > 0 and text:
            accepted.append(text)
        if feedback:
            notes.append(f"{text}: {feedback}")
    draft.answer = accepted
    if not accepted:
        draft.problem(str(_l("No <answer> with fraction 100: there is no accepted answer.")))


# -- writing ----------------------------------------------------------------------------


def _text_element(parent: Element, tag: str, text: str, **attrs: str) -> Element:
    element = SubElement(parent, tag, attrs)
    SubElement(element, "text").text = xml_safe(text)
    return element


def write_moodle_xml(questions: list[QuestionSpec]) -> bytes:
    """The questions as Moodle XML (plain-text format), one category per module; reading
    the result back gives the same questions (difficulty and lesson travel in elements
    Moodle ignores)."""
    root = Element("quiz")
    module = None
    for q in questions:
        if q.module_key != module:
            module = q.module_key
            category = SubElement(root, "question", {"type": "category"})
            _text_element(category, "category", f"$course$/top/{module}")
        root.append(_question_element(q))
    indent(root, space="  ")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root, encoding="utf-8")


_XML_TYPES = {
    "single": "multichoice",
    "multiple": "multichoice",
    "true_false": "truefalse",
    "fill_blank": "shortanswer",
    "short_answer": "essay",
}


def _question_element(q: QuestionSpec) -> Element:
    element = Element("question", {"type": _XML_TYPES[q.qtype]})
    _text_element(element, "name", q.key)
    _text_element(element, "questiontext", q.stem, format="plain_text")
    _text_element(element, "generalfeedback", q.explanation, format="plain_text")
    SubElement(element, "defaultgrade").text = "1"
    if q.qtype in ("single", "multiple"):
        SubElement(element, "single").text = "true" if q.qtype == "single" else "false"
        SubElement(element, "shuffleanswers").text = "0"
        SubElement(element, "answernumbering").text = "ABCD"
        right = [q.answer] if q.qtype == "single" else list(q.answer)
        wrong = max(len(q.options) - len(right), 1)
        for letter, option in zip(LETTERS, q.options, strict=False):
            if q.qtype == "single":
                fraction = 100 if letter in right else 0
            else:
                fraction = 100 / len(right) if letter in right else -100 / wrong
            _answer(element, option, fraction)
    elif q.qtype == "true_false":
        _answer(element, "true", 100 if q.answer else 0)
        _answer(element, "false", 0 if q.answer else 100)
    elif q.qtype == "fill_blank":
        SubElement(element, "usecase").text = "0"
        for accepted in q.answer:
            _answer(element, accepted, 100)
    else:
        SubElement(element, "responseformat").text = "editor"
        _text_element(element, "graderinfo", q.answer or "", format="plain_text")
    SubElement(element, "difficulty").text = q.difficulty
    if q.lesson_key:
        SubElement(element, "lesson").text = q.lesson_key
    if q.tags:
        tags = SubElement(element, "tags")
        for tag in q.tags:
            _text_element(tags, "tag", tag)
    return element


def _answer(parent: Element, text: str, fraction: float) -> None:
    value = f"{fraction:.5f}".rstrip("0").rstrip(".")
    _text_element(parent, "answer", text, fraction=value, format="plain_text")
