"""The versions of a lesson, module or question, and line diffs between them.

Versions come from the ``*_versions`` tables, written by the course loader (``files``) and by
the editor (``editor``). A diff is a list of (kind, text) lines; templates escape the text and
mark added lines with <ins> and removed ones with <del>.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import yaml
from sqlalchemy import select

from lms.assessment.models import Question, QuestionVersion
from lms.auth.models import User
from lms.extensions import db
from lms.learning.models import Lesson, LessonVersion, Module, ModuleVersion
from lms.surveys.models import Survey, SurveyItem, SurveyItemVersion

#: URL kind -> (item model, version model, the version's foreign key)
KINDS = {
    "lessons": (Lesson, LessonVersion, "lesson_id"),
    "modules": (Module, ModuleVersion, "module_id"),
    "questions": (Question, QuestionVersion, "question_id"),
    "survey-items": (SurveyItem, SurveyItemVersion, "item_id"),
}
#: what learners were shown, not what the author wrote: left out of the text compared
_DERIVED = ("body_html", "toc")


@dataclass
class VersionRow:
    id: int
    version: int
    source: str
    created_at: object
    author: str | None
    data: dict


def course_id_of(item) -> int:
    """The course an item of any versioned kind belongs to."""
    if isinstance(item, SurveyItem):
        return db.session.scalar(select(Survey.course_id).where(Survey.id == item.survey_id))
    return item.course_id


def versions(kind: str, item_id: int) -> list[VersionRow]:
    """Every stored version of the item, newest first."""
    _, model, key = KINDS[kind]
    rows = db.session.execute(
        select(model, User.name)
        .outerjoin(User, User.id == model.created_by_id)
        .where(getattr(model, key) == item_id)
        .order_by(model.version.desc())
    ).all()
    return [VersionRow(v.id, v.version, v.source, v.created_at, name, v.data) for v, name in rows]


def version_text(data: dict | None) -> str:
    """A version's content as the text a person compares: the Markdown body last, as written."""
    if not data:
        return ""
    fields = {k: v for k, v in data.items() if k not in _DERIVED and k != "body_markdown"}
    text = yaml.safe_dump(fields, allow_unicode=True, sort_keys=True, default_flow_style=False)
    if "body_markdown" in data:
        text += "\n" + (data.get("body_markdown") or "") + "\n"
    return text


def diff_lines(old: str, new: str, context: int = 3) -> list[tuple[str, str]]:
    """A unified diff of two texts as (kind, line): kind is ins, del, hunk or same."""
    lines = []
    diff = difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=context)
    for line in diff:
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            lines.append(("hunk", line))
        elif line.startswith("+"):
            lines.append(("ins", line[1:]))
        elif line.startswith("-"):
            lines.append(("del", line[1:]))
        else:
            lines.append(("same", line[1:]))
    return lines
