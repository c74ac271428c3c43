"""HTML from Moodle texts into our plain text, saying what could not be kept.

Our question texts are plain text, shown escaped. Ordinary formatting (paragraphs, line
breaks, bold, colours) simply becomes text and line breaks. What carries meaning is kept
as text where it can be: a link keeps its address in brackets, table cells are separated
by `` | ``, superscripts and subscripts are written ``10^3`` and ``H_2O``, ``<pre>`` keeps
its spaces; each such conversion is reported. What cannot be text at all (images, audio,
video, embedded pages, files stored in Moodle) is reported as embedded content, which the
readers treat as a problem in every format and field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from flask_babel import lazy_gettext as _l

_BLOCKS = {
    "p",
    "div",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "table",
    "tr",
    "dl",
    "dt",
    "dd",
    "section",
    "article",
    "hr",
    "figure",
    "figcaption",
}
_SKIPPED = {"script", "style", "head", "title"}
_EMBEDS = {
    "img": _l("an image"),
    "audio": _l("audio"),
    "video": _l("a video"),
    "iframe": _l("an embedded page (iframe)"),
    "embed": _l("an embedded object"),
    "object": _l("an embedded object"),
    "svg": _l("an image"),
    "math": _l("a formula"),
}
#: a space kept in <pre>, protected from the tidying of spaces
_PRE_SPACE, _PRE_TAB = "\ue000", "\ue001"


@dataclass
class HtmlText:
    text: str
    #: what cannot be text (images, audio...): a problem wherever it is
    embedded: list[str] = field(default_factory=list)
    #: what became text in another form (links, tables, superscripts): a warning
    converted: list[str] = field(default_factory=list)


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.result = HtmlText("")
        self.skipping = 0
        self.pre = 0
        self.cells = 0
        self.links: list[tuple[str, int]] = []

    def _line_break(self) -> None:
        """A block starts on a line of its own (one break, not one per tag)."""
        text = "".join(self.out[-3:])
        if text.strip(" ") and not text.rstrip(" ").endswith("\n"):
            self.out.append("\n")

    def _embedded(self, what) -> None:
        if str(what) not in self.result.embedded:
            self.result.embedded.append(str(what))

    def _converted(self, what) -> None:
        if str(what) not in self.result.converted:
            self.result.converted.append(str(what))

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag == "br":
            self.out.append("\n")
        elif tag in _EMBEDS:
            self._embedded(_EMBEDS[tag])
        elif tag == "a":
            self.links.append((attrs.get("href") or "", len(self.out)))
        elif tag in ("td", "th"):
            if self.cells:
                self.out.append(" | ")
            self.cells += 1
        elif tag == "sup":
            self.out.append("^")
            self._converted(_l("superscripts are written with ^ (10^3) and subscripts with _ (H_2O)"))
        elif tag == "sub":
            self.out.append("_")
            self._converted(_l("superscripts are written with ^ (10^3) and subscripts with _ (H_2O)"))
        elif tag == "pre":
            self.pre += 1
            self._line_break()
        if tag in _BLOCKS:
            self._line_break()
        if tag == "tr":
            self.cells = 0
        if tag == "table":
            self._converted(_l("a table is kept as lines, its cells separated by |"))
        for name in ("src", "href", "data"):
            if "@@PLUGINFILE@@" in (attrs.get(name) or ""):
                self._embedded(_l("a file stored in Moodle (%(name)s)", name=_file_name(attrs[name])))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in ("br", "hr", "img"):
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            text = "".join(self.out[start:]).strip()
            if href and not href.startswith(("#", "@@PLUGINFILE@@")) and href not in text:
                self.out.append(f" ({href})")
                self._converted(_l("the link “%(text)s” is kept as text with its address", text=text[:40] or href))
        elif tag == "pre":
            self.pre = max(0, self.pre - 1)
            self.out.append("\n")
        if tag in _BLOCKS:
            self.out.append("\n")

    def handle_data(self, data):
        if self.skipping:
            return
        if self.pre:
            self.out.append(data.replace(" ", _PRE_SPACE).replace("\t", _PRE_TAB))
        else:
            self.out.append(re.sub(r"\s+", " ", data.replace("\xa0", " ")))


def _file_name(url: str) -> str:
    return url.rsplit("/", 1)[-1].split("?", 1)[0] or url


def convert_html(markup: str) -> HtmlText:
    """The plain text of an HTML fragment, and what could not be kept as it was."""
    reader = _Reader()
    reader.feed(markup)
    reader.close()
    text = "".join(reader.out)
    lines = [re.sub(r"[ \t]+", " ", line).strip(" \t") for line in text.split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    reader.result.text = text.replace(_PRE_SPACE, " ").replace(_PRE_TAB, "\t")
    return reader.result


def html_to_text(markup: str) -> str:
    return convert_html(markup).text
