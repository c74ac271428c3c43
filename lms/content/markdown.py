"""Lesson Markdown: checked for unsafe content, then rendered once into sanitised HTML.

Rendering uses markdown-it-py's CommonMark preset with tables (and strikethrough), raw HTML
disabled, then nh3 with an explicit allow-list, so the stored HTML is safe even if a check
missed something. Headings get stable ids (``h-`` plus a slug of the heading text, which
keeps Chinese characters) for the table of contents.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "strong",
    "em",
    "del",
    "s",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "img",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "table": {"tabindex"},
    **{f"h{level}": {"id"} for level in range(2, 7)},
}
#: table cell alignment as classes (the CSP allows no inline styles); see static/css/app.css
ALIGN_CLASSES = {"left": "align-left", "center": "align-center", "right": "align-right"}
ALLOWED_CLASSES = {tag: set(ALIGN_CLASSES.values()) for tag in ("th", "td")}
_ALIGN_STYLE = re.compile(r"^text-align:\s*(left|center|right)\s*;?$")
URL_SCHEMES = {"http", "https", "mailto"}
LINK_SCHEMES = ("http://", "https://", "mailto:")
TOC_LEVELS = (2, 3)


def _parser(html: bool) -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": html}).enable(["table", "strikethrough"])


_RENDERER = _parser(html=False)
# The checker sees raw HTML and every link as written, so it can report them.
_CHECKER = _parser(html=True)
_CHECKER.validateLink = lambda url: True


def sanitize_html(html: str) -> str:
    """Keep only the allow-listed tags, attributes, URL schemes and alignment classes."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


@dataclass
class Rendered:
    """A lesson body rendered for display and search."""

    html: str
    toc: list[dict] = field(default_factory=list)  #: [{"level", "id", "text"}] for h2 and h3
    text: str = ""  #: plain text for search


@dataclass
class MarkdownCheck:
    """What :func:`check_markdown` found: problems, images and headings, with file lines."""

    problems: list[tuple[int, str]] = field(default_factory=list)
    images: list[tuple[int, str]] = field(default_factory=list)  #: (line, src)
    headings: list[tuple[int, str]] = field(default_factory=list)  #: (level, text)


def _plain(inline: Token) -> str:
    parts = []
    for child in inline.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(_plain(child))
    return "".join(parts).strip()


def _slug(text: str) -> str:
    # isalnum() is true for Chinese characters, so Chinese headings keep readable ids.
    slug = re.sub(r"[^\w-]+", "-", text.lower()).replace("_", "-")
    return re.sub(r"-{2,}", "-", slug).strip("-")


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 40 else text[:37] + "..."


def check_markdown(body: str, first_line: int = 1) -> MarkdownCheck:
    """Report raw HTML, unsafe links and ``#`` headings; list images and headings.

    :param first_line: the file line on which ``body`` starts, so lines point into the file.
    """
    result = MarkdownCheck()
    offset = first_line - 1
    block_line = first_line
    tokens = _CHECKER.parse(body)
    for index, token in enumerate(tokens):
        if token.map:
            block_line = token.map[0] + 1 + offset
        if token.type == "html_block":
            result.problems.append((block_line, f"raw HTML is not allowed in lessons: '{_snippet(token.content)}'"))
        elif token.type == "heading_open":
            level = int(token.tag[1])
            result.headings.append((level, _plain(tokens[index + 1])))
            if level == 1:
                result.problems.append((block_line, "use ## and ### headings; # is reserved for the lesson title"))
        elif token.type == "inline":
            _check_inline(token, block_line, result)
    return result


def _check_inline(inline: Token, first_line: int, result: MarkdownCheck) -> None:
    line = first_line
    html_lines: set[int] = set()  # one raw-HTML message per line is enough
    for child in inline.children or []:
        if child.type in ("softbreak", "hardbreak"):
            line += 1
        elif child.type == "html_inline" and line not in html_lines:
            html_lines.add(line)
            result.problems.append((line, f"raw HTML is not allowed in lessons: '{_snippet(child.content)}'"))
        elif child.type == "link_open":
            href = str(child.attrs.get("href", ""))
            if not (href.startswith("#") or href.lower().startswith(LINK_SCHEMES)):
                result.problems.append(
                    (line, f"link '{_snippet(href)}' is not allowed: use an http(s) or mailto address, or #heading-id")
                )
        elif child.type == "image":
            result.images.append((line, str(child.attrs.get("src", ""))))


def render_markdown(body: str, image_urls: Mapping[str, str] | None = None) -> Rendered:
    """Render a lesson body to sanitised HTML, a table of contents and plain text.

    :param image_urls: the public URL of each image ``src`` written in the body; images not
        in it are dropped (their alt text stays), so no unchecked URL reaches the page.
    """
    tokens = _RENDERER.parse(body)
    toc: list[dict] = []
    used_ids: set[str] = set()
    text_parts: list[str] = []
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            text = _plain(tokens[index + 1])
            anchor = _unique_id(_slug(text), used_ids)
            token.attrSet("id", anchor)
            level = int(token.tag[1])
            if level in TOC_LEVELS:
                toc.append({"level": level, "id": anchor, "text": text})
        elif token.type == "table_open":
            # A wide table scrolls sideways on a phone (see app.css); a keyboard user must be
            # able to focus it to scroll it (WCAG 2.1.1, axe's scrollable-region-focusable).
            token.attrSet("tabindex", "0")
        elif token.type == "inline":
            _rewrite_images(token, image_urls or {})
            text_parts.append(_plain(token))
        elif token.type in ("fence", "code_block"):
            text_parts.append(token.content.strip())
        elif token.type in ("th_open", "td_open") and token.attrs.get("style"):
            # markdown-it writes style="text-align:..." for :--: columns; the CSP blocks it
            match = _ALIGN_STYLE.match(str(token.attrs.pop("style")))
            if match:
                token.attrSet("class", ALIGN_CLASSES[match.group(1)])
    html = _RENDERER.renderer.render(tokens, _RENDERER.options, {})
    text = "\n".join(part for part in text_parts if part)
    return Rendered(html=sanitize_html(html), toc=toc, text=text)


def _unique_id(slug: str, used: set[str]) -> str:
    base = f"h-{slug}" if slug else f"h-{len(used) + 1}"
    anchor, n = base, 2
    while anchor in used:
        anchor, n = f"{base}-{n}", n + 1
    used.add(anchor)
    return anchor


def _rewrite_images(inline: Token, image_urls: Mapping[str, str]) -> None:
    children = inline.children or []
    for index, child in enumerate(children):
        if child.type != "image":
            continue
        url = image_urls.get(str(child.attrs.get("src", "")))
        if url:
            child.attrSet("src", url)
        else:
            replacement = Token("text", "", 0)
            replacement.content = _plain(child)
            children[index] = replacement
