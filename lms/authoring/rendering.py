"""Lesson Markdown written in the browser: checked and rendered exactly as the loader does.

The loader's rules (no raw HTML, no ``#`` heading, only http(s), mailto and #heading links,
images that exist) apply unchanged; the messages are the interface's, in the user's language.
Images are either those the lesson already had (``images/map.png`` from the course files,
known by the lesson's last version) or uploads, which are named by their content
(``images/<sha256>.<ext>``) so the export can write them back as files under that name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask_babel import gettext as _

from lms.content.images import EXTENSIONS, ImageRef, media_url
from lms.content.markdown import Rendered, check_markdown, render_markdown
from lms.content.schema import CASE_SECTIONS
from lms.storage import storage_path

#: the name an uploaded image gets in lesson Markdown
UPLOADED_SRC = re.compile(r"^images/([0-9a-f]{64})\.(png|jpg|gif|webp|svg)$")

_RAW_HTML = re.compile(r"^raw HTML is not allowed in lessons: '(.*)'$", re.DOTALL)
_BAD_LINK = re.compile(r"^link '(.*)' is not allowed", re.DOTALL)


def normalize_body(text: str) -> str:
    """Line ends as in a file, without the blank lines the loader strips at either end."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip("\n")


def uploaded_src(sha256: str, ext: str) -> str:
    return f"images/{sha256}.{ext}"


@dataclass
class LessonRender:
    """A lesson body checked and rendered: what the preview shows and a publish writes."""

    rendered: Rendered
    problems: list[str] = field(default_factory=list)
    images: list[ImageRef] = field(default_factory=list)


def _stored(course_key: str, sha256: str, ext: str):
    return storage_path("course-media", course_key, f"{sha256}.{ext}")


def resolve_image(course_key: str, src: str, known: dict[str, str]) -> ImageRef | None:
    """The stored image a lesson's ``src`` stands for, or None when there is none.

    :param known: src -> SHA-256 of the images the lesson's published version used.
    """
    match = UPLOADED_SRC.match(src)
    if match:
        sha256, ext = match[1], match[2]
    elif src in known:
        ext = EXTENSIONS.get(src.rsplit(".", 1)[-1].lower()) if "." in src else None
        sha256 = known[src]
        if ext is None:
            return None
    else:
        return None
    path = _stored(course_key, sha256, ext)
    return ImageRef(src, path, sha256, ext) if path.is_file() else None


def render_lesson(
    course_key: str,
    body: str,
    known_images: dict[str, str] | None = None,
    kind: str | None = None,
) -> LessonRender:
    """Check and render a lesson body written in the editor.

    :param known_images: src -> SHA-256 of the images of the lesson's published version.
    :param kind: the lesson kind; a case lesson must have its four ``##`` sections.
    """
    body = normalize_body(body)
    checked = check_markdown(body)
    problems = [_line_message(line, message) for line, message in checked.problems]
    if not body.strip():
        problems.append(_("The lesson has no content."))
    if kind == "case":
        sections = {text for level, text in checked.headings if level == 2}
        missing = [s for s in CASE_SECTIONS if s not in sections]
        if missing:
            problems.append(
                _(
                    "A case lesson needs the ## sections %(sections)s; missing: %(missing)s.",
                    sections=", ".join(CASE_SECTIONS),
                    missing=", ".join(missing),
                )
            )
    images: dict[str, ImageRef] = {}
    for line, src in checked.images:
        image = resolve_image(course_key, src, known_images or {})
        if image is None:
            problems.append(
                _(
                    "Line %(line)d: the image '%(src)s' was not found. Upload it with the image form.",
                    line=line,
                    src=src,
                )
            )
        else:
            images[src] = image
    urls = {src: media_url(course_key, i.sha256, i.ext) for src, i in images.items()}
    return LessonRender(render_markdown(body, urls), problems, list(images.values()))


def _line_message(line: int, message: str) -> str:
    """The loader's message about a line of Markdown, in the interface's language."""
    if match := _RAW_HTML.match(message):
        return _("Line %(line)d: raw HTML is not allowed: %(snippet)s", line=line, snippet=match[1])
    if match := _BAD_LINK.match(message):
        return _(
            "Line %(line)d: the link '%(href)s' is not allowed. Use an http(s) or mailto address, or #heading-id.",
            line=line,
            href=match[1],
        )
    if message.startswith("use ## and ### headings"):
        return _("Line %(line)d: use ## and ### headings; # is reserved for the lesson title.", line=line)
    return _("Line %(line)d: %(message)s", line=line, message=message)
