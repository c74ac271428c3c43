"""What every question file format reads into: drafts, with the problems found on the way.

A :class:`Draft` is one question as written in a file, already in our answer shapes (letters,
true/false, accepted answers, reference answer) but not yet matched to a course: its module
and lesson are the texts the file gave, its key is whatever title the file had. The bank
service (:mod:`lms.assessment.bank`) resolves those against the course and checks the rules
every question must meet, so each parser only reports what is wrong with the file itself.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import asdict, dataclass, field

from flask_babel import lazy_gettext as _l

from lms.content.characters import forbidden_count, xml_safe, xml_safe_value
from lms.content.fields import KEY_PATTERN
from lms.input_guard import strip_control

LETTERS = "ABCDEF"
MAX_OPTIONS = len(LETTERS)
#: a fill-in-blank stem marks its one blank with four or more underscores
BLANK = re.compile(r"_{4,}")
BLANK_MARK = "____"
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_QUESTIONS = 2000
#: Moodle category names that mean "no particular category"
_NEUTRAL_CATEGORIES = re.compile(r"^(\$(course|system|module|cat\d*)\$|top|default for .*|默认.*)$", re.IGNORECASE)


class FormatError(ValueError):
    """The file as a whole cannot be read (wrong type or encoding, damaged, too large)."""


@dataclass
class Draft:
    """One question as a file gives it. ``None`` in an optional field means "not given"."""

    number: int  #: position among the file's questions, from 1
    line: int  #: where it starts: GIFT line, spreadsheet row or XML question number
    qtype: str | None  #: our type; None when the file's type is unsupported or unreadable
    source_type: str = ""  #: the type as the file names it (multichoice, 单选题, ...)
    key: str | None = None  #: the title / <name> / 编号 as written
    stem: str = ""
    options: list[str] = field(default_factory=list)
    answer: object = None
    explanation: str = ""
    module: str | None = None  #: a module key or title as written
    lesson: str | None = None  #: a lesson key or title as written; "" clears it
    difficulty: str | None = None
    tags: list[str] | None = None
    problems: list[str] = field(default_factory=list)  #: what blocks the import
    #: what was converted or left out on the way, shown in the preview; does not block
    warnings: list[str] = field(default_factory=list)
    #: the weight (%) the file gave each option of a choice question, when it gave any
    weights: list[float] | None = None

    def problem(self, message) -> None:
        if str(message) not in self.problems:
            self.problems.append(str(message))

    def warn(self, message) -> None:
        if str(message) not in self.warnings:
            self.warnings.append(str(message))

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Draft:
        return cls(**data)


@dataclass
class ParsedFile:
    """Everything read from one upload."""

    format: str  #: gift, moodle_xml, xlsx or csv
    drafts: list[Draft]
    #: what ``Draft.line`` counts: "line" (GIFT), "row" (spreadsheets) or "question" (XML)
    unit: str
    notes: list[str] = field(default_factory=list)  #: things ignored on purpose


def detect_encoding(data: bytes) -> str:
    """The encoding of text bytes: utf-16, utf-8-sig, gb18030 or big5.

    Big5 bytes nearly always decode as GB18030 too, into rare characters; a text in which
    many characters are not everyday simplified ones, while as Big5 they are everyday
    traditional ones, is Big5.

    :raises FormatError: when none of them fits, or the bytes are not text at all.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        if _decoded(data, "utf-16") is not None:
            return "utf-16"
    elif b"\x00" not in data:
        if _decoded(data, "utf-8-sig") is not None:
            return "utf-8-sig"
        gb, big5 = _decoded(data, "gb18030"), _decoded(data, "big5")
        if gb is not None and big5 is not None:
            gb_share, big5_share = _share(gb, _is_gb2312), _share(big5, _is_big5_common)
            if gb_share < 0.9 and big5_share > gb_share + 0.2:
                return "big5"
        if gb is not None:
            return "gb18030"
        if big5 is not None:
            return "big5"
    raise FormatError(
        _l("The file is not text in UTF-8 or GB18030 (GBK) encoding. Save it as UTF-8 text and upload it again.")
    )


def _decoded(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _share(text: str, common) -> float:
    wide = [ch for ch in text[:20_000] if ord(ch) > 0x7F]  # a sample is enough
    return sum(1 for ch in wide if common(ch)) / len(wide) if wide else 1.0


def _is_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _is_big5_common(ch: str) -> bool:
    """Big5 symbols and level-1 (frequently used) characters."""
    try:
        code = ch.encode("big5")
    except UnicodeEncodeError:
        return False
    return len(code) == 2 and 0xA140 <= int.from_bytes(code, "big") <= 0xC67E


def decode_text(data: bytes, normalise: bool = True) -> str:
    """Text from UTF-8 (with or without BOM), UTF-16 with a BOM, GB18030 (GBK) or Big5
    bytes, with the characters XML forbids normalised (see :func:`xml_safe`) unless
    ``normalise`` is false (GIFT: a U+000B made a line break would shift the line numbers
    of the messages; its drafts are cleaned instead).

    :raises FormatError: when none of them fits, or the bytes are not text at all.
    """
    text = data.decode(detect_encoding(data))
    return xml_safe(text) if normalise else text


def encoding_notes(data: bytes) -> list[str]:
    """What the preview says about a text file's encoding and control characters."""
    encoding = detect_encoding(data)
    notes = []
    if encoding == "big5":
        notes.append(str(_l("The file is in Big5 (traditional Chinese) and was read as such; check the texts.")))
    if encoding != "utf-16":  # elsewhere these bytes are only ever these characters
        controls = sum(data.count(bytes([b])) for b in _CONTROL_BYTES)
        if controls:
            notes.append(controls_note(controls))
    return notes


_CONTROL_BYTES = [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)]


def controls_note(count: int) -> str:
    return str(
        _l(
            "%(n)d control characters (such as Word's Shift+Enter line break) were replaced by line breaks or removed.",
            n=count,
        )
    )


def clean_drafts(drafts: list[Draft]) -> int:
    """Normalise the characters of every text of the drafts (see :func:`xml_safe`), so
    none that XML forbids gets into the bank; how many were changed."""
    changed = 0
    for draft in drafts:
        for name in ("key", "stem", "explanation", "module", "lesson", "difficulty", "options", "answer", "tags"):
            value = getattr(draft, name)
            texts = value if isinstance(value, list) else [value]
            count = sum(forbidden_count(t) for t in texts if isinstance(t, str))
            if count:
                changed += count
                setattr(draft, name, xml_safe_value(value))
    return changed


def category_name(path: str) -> str | None:
    """The module a Moodle category path names: its last segment (``//`` is an escaped
    slash), or None when the path only names the course's default category."""
    segments = [s.replace("\0", "/").strip() for s in path.replace("//", "\0").split("/")]
    segments = [s for s in segments if s]
    if not segments or _NEUTRAL_CATEGORIES.match(segments[-1]):
        return None
    return segments[-1]


def clean_text(text: str) -> str:
    """Strip the ends of a text, control characters (PostgreSQL refuses NUL) and normalise line breaks."""
    # xml_safe first: Word's line breaks (U+000B, U+000C, U+2028) become line breaks, not nothing.
    return strip_control(xml_safe(text.replace("\r\n", "\n").replace("\r", "\n"))).strip()


def ensure_blank(stem: str) -> str:
    """A fill-in-blank stem with its blank: one is added at the end when none is marked."""
    return stem if BLANK.search(stem) else f"{stem}{BLANK_MARK}"


_TAG_SEPARATORS = ",，、;；"


def split_tags(text: str) -> list[str]:
    """Tags from a cell or attribute: separated by commas, 、 or semicolons; a separator
    or backslash written with a backslash before it (``\\、``) is part of the tag."""
    tags: list[str] = []
    for raw in re.split(rf"(?<!\\)[{_TAG_SEPARATORS}]", re.sub(r"\\\\", "\0", text)):
        tag = re.sub(rf"\\([{_TAG_SEPARATORS}])", r"\1", raw).replace("\0", "\\").strip()
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def join_tags(tags: list[str]) -> str:
    """Tags for one cell, read back by :func:`split_tags`."""
    return "、".join(re.sub(rf"([{_TAG_SEPARATORS}])", r"\\\1", tag.replace("\\", "\\\\")) for tag in tags)


#: difficulty words trainers write, lower case -> ours
DIFFICULTY_WORDS = {
    **dict.fromkeys(["容易", "简单", "易", "较易", "基础", "低", "easy"], "easy"),
    **dict.fromkeys(["中等", "中", "一般", "适中", "普通", "medium", "normal"], "medium"),
    **dict.fromkeys(["困难", "难", "较难", "偏难", "高", "hard", "difficult"], "hard"),
}


def read_difficulty(text: str) -> str:
    """Our difficulty for a word a file gives; the text itself when it is none (the bank
    then reports it)."""
    text = text.strip()
    return DIFFICULTY_WORDS.get(re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower(), text)


_OPTION_LETTER = re.compile(r"^\s*(?:[(（]\s*([A-Fa-f])\s*[)）]|([A-Fa-f])\s*[.．、:：)）])\s*")


def strip_option_letters(options: list[str]) -> tuple[list[str], bool]:
    """Options without the letters typed before them (``A．3年``, ``(B) 5年``), when every
    option starts with its own letter; and whether they had them."""
    if len(options) < 2:
        return options, False
    stripped = []
    for letter, option in zip(LETTERS, options, strict=False):
        match = _OPTION_LETTER.match(unicodedata.normalize("NFKC", option[:4]) + option[4:])
        if not match or (match[1] or match[2]).upper() != letter or not option[match.end() :].strip():
            return options, False
        stripped.append(option[match.end() :].strip())
    return stripped, True


def normalise_key(raw: str) -> str:
    """A stable key made from a title: lower-case ASCII letters, digits and hyphens.

    Keys already in that form are kept. Other titles are slugged (``Q 1`` gives ``q-1``);
    when slugging drops letters (Chinese ones, say) a short hash of the whole title is
    added, so two titles never share a key and importing the same file again finds the
    same question.
    """
    raw = raw.strip()
    if KEY_PATTERN.match(raw):
        return raw
    ascii_text = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    if slug and not slug[0].isalpha():
        slug = f"q-{slug}"
    lossy = any(ch.isalnum() and not ch.isascii() for ch in unicodedata.normalize("NFKD", raw))
    if lossy or not slug:
        digest = hashlib.sha256(raw.encode("utf-8")).hexdigest()[:8]
        slug = f"{slug[:50].rstrip('-')}-{digest}" if slug else f"q-{digest}"
    return slug[:64].rstrip("-")


def weight_is_full(weight: float) -> bool:
    return abs(weight - 100) < 0.01


def type_label(qtype: str | None) -> str:
    """The interface name of one of our question types."""
    return str(TYPE_LABELS.get(qtype or "", qtype or ""))


TYPE_LABELS = {
    "single": _l("Single choice"),
    "multiple": _l("Multiple choice"),
    "true_false": _l("True or false"),
    "fill_blank": _l("Fill in the blank"),
    "short_answer": _l("Short answer"),
}


#: how messages name a part of the question; lazy, so nothing is translated unless used
_WHERE = {
    "stem": lambda: _l("The question text"),
    "option": lambda letter: _l("Option %(letter)s", letter=letter),
    "answer": lambda n: _l("Answer %(n)d", n=n),
    "feedback": lambda: _l("The feedback"),
    "explanation": lambda: _l("The explanation"),
    "reference": lambda: _l("The reference answer"),
}


def where_label(field_name: str, **values):
    """How a message names a part of the question ("The question text", "Option B")."""
    return _WHERE[field_name](**values)


def absorb(draft: Draft, converted, where, at=str) -> str:
    """The plain text of a converted HTML text; what it could not keep is reported on the
    draft: embedded content (images, audio...) as a problem, conversions as a warning.

    :param at: adds the location (a GIFT line, say) to a message.
    """
    for what in converted.embedded:
        draft.problem(at(_l("%(where)s contains %(what)s, which cannot be imported.", where=where, what=what)))
    for what in converted.converted:
        draft.warn(at(_l("%(where)s: %(what)s.", where=where, what=what)))
    return converted.text


def check_weights(draft: Draft, weights: list[float], at=str) -> None:
    """A multiple-choice question's positive weights should add up to 100% (Moodle refuses
    them otherwise); when they do not, say how the question is read here."""
    total = sum(w for w in weights if w > 0)
    if abs(total - 100) > 0.1:
        draft.warn(
            at(
                _l(
                    "The positive weights add up to %(total)s%%, not 100%%. Every option with a "
                    "positive weight is taken as a right answer; check them.",
                    total=format(round(total, 3), "g"),
                )
            )
        )
