"""What every question file format reads into: drafts, with the problems found on the way.

A :class:`Draft` is one question as written in a file, already in our answer shapes (letters,
true/false, accepted answers, reference answer) but not yet matched to a course: its module
and lesson are the texts the file gave, its key is whatever title the file had. The bank
service (:mod:`lms.assessment.bank`) resolves those against the course and checks the rules
every question must meet, so each parser only reports what is wrong with the file itself.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from dataclasses import asdict, dataclass, field

import nh3
from flask_babel import lazy_gettext as _l

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
    problems: list[str] = field(default_factory=list)

    def problem(self, message) -> None:
        self.problems.append(str(message))

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


def decode_text(data: bytes) -> str:
    """Text from UTF-8 (with or without BOM), UTF-16 with a BOM, or GB18030 (GBK) bytes.

    :raises FormatError: when none of them fits, or the bytes are not text at all.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    elif b"\x00" not in data:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                continue
    raise FormatError(
        _l("The file is not text in UTF-8 or GB18030 (GBK) encoding. Save it as UTF-8 text and upload it again.")
    )


_BREAKS = re.compile(r"<\s*(br\s*/?|/p|/div|/li|/h[1-6]|/tr)\s*>", re.IGNORECASE)
_IMAGE = re.compile(r"<\s*img\b", re.IGNORECASE)


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment: tags dropped, block ends as line breaks, entities
    decoded, spaces tidied. Our stems are plain text, shown escaped."""
    text = _BREAKS.sub("\n", markup)
    text = nh3.clean(text, tags=set(), clean_content_tags={"script", "style"}, strip_comments=True)
    text = html.unescape(text).replace("\xa0", " ")
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def has_image(markup: str) -> bool:
    return bool(_IMAGE.search(markup)) or "@@PLUGINFILE@@" in markup


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
    return strip_control(text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def ensure_blank(stem: str) -> str:
    """A fill-in-blank stem with its blank: one is added at the end when none is marked."""
    return stem if BLANK.search(stem) else f"{stem}{BLANK_MARK}"


def split_tags(text: str) -> list[str]:
    """Tags from a cell or attribute: separated by commas, 、 or semicolons."""
    tags: list[str] = []
    for tag in re.split(r"[,，、;；]", text):
        tag = tag.strip()
        if tag and tag not in tags:
            tags.append(tag)
    return tags


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
