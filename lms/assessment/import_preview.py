"""What the import preview shows of each question: the question as the trainee will see
it (options, the key, weights from the file, the explanation), what was converted or left
out on the way, and for a changed question each field that changes, old and new.

It reads what :func:`lms.assessment.bank.plan_import` planned, so the preview shows exactly
what confirming writes. One query loads the current questions of the changed items.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from lms.content.spec import QuestionSpec
from lms.extensions import db
from lms.learning.models import Course, Lesson, Module

from . import bank
from .formats.common import LETTERS, Draft, type_label
from .models import Question


@dataclass
class Option:
    letter: str
    text: str
    right: bool
    weight: float | None = None


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class PreviewItem:
    item: bank.PlannedItem
    stem: str
    options: list[Option]
    answer: str  #: the key of a non-choice question, as text ("" for choice questions)
    explanation: str
    difficulty: str | None
    tags: list[str]
    warnings: list[str]
    changes: list[Change] = field(default_factory=list)


def answer_text(qtype: str | None, answer) -> str:
    """The key of a question as a trainer reads it."""
    if answer is None:
        return ""
    if qtype == "true_false":
        return (_("True") if answer else _("False")) if isinstance(answer, bool) else str(answer)
    if qtype == "fill_blank":
        return " | ".join(answer or [])
    if qtype == "multiple":
        return "、".join(answer or [])
    return str(answer)


def _options(qtype, options: list[str], answer, weights: list[float] | None) -> list[Option]:
    if qtype not in ("single", "multiple"):
        return []
    right = {answer} if qtype == "single" else set(answer or [])
    return [
        Option(letter, text, letter in right, weights[i] if weights and i < len(weights) else None)
        for i, (letter, text) in enumerate(zip(LETTERS, options, strict=False))
    ]


def _difficulty_label(value: str | None) -> str:
    return {"easy": _("Easy"), "medium": _("Medium"), "hard": _("Hard")}.get(value or "", value or "")


def preview_items(course: Course, planned: list[bank.PlannedItem], drafts: list[Draft]) -> list[PreviewItem]:
    by_number = {d.number: d for d in drafts}
    current = _current(
        course, [item.spec.key for item in planned if item.spec and item.action in ("update", "replace")]
    )
    result = []
    for item in planned:
        draft = by_number[item.number]
        shown = item.spec or draft  # a planned spec is what is written; else the file's draft
        qtype = shown.qtype
        preview = PreviewItem(
            item=item,
            stem=shown.stem,
            options=_options(qtype, shown.options, shown.answer, draft.weights),
            answer="" if qtype in ("single", "multiple") else answer_text(qtype, shown.answer),
            explanation=shown.explanation,
            difficulty=_difficulty_label(shown.difficulty) if shown.difficulty else None,
            tags=list(shown.tags or []),
            warnings=list(draft.warnings),
        )
        if item.spec is not None and item.spec.key in current:
            preview.changes = _changes(current[item.spec.key], item.spec)
        result.append(preview)
    return result


def _current(course: Course, keys: list[str]) -> dict[str, QuestionSpec]:
    if not keys:
        return {}
    rows = db.session.execute(
        select(Question, Module.key, Lesson.key)
        .join(Module, Module.id == Question.module_id)
        .outerjoin(Lesson, Lesson.id == Question.lesson_id)
        .where(Question.course_id == course.id, Question.key.in_(keys))
    ).all()
    return {q.key: bank._spec_of(q, module_key, lesson_key) for q, module_key, lesson_key in rows}


def _options_text(spec: QuestionSpec) -> str:
    return "\n".join(f"{letter}. {text}" for letter, text in zip(LETTERS, spec.options, strict=False))


def _changes(old: QuestionSpec, new: QuestionSpec) -> list[Change]:
    """Each field the import changes, old and new value as text."""
    fields = [
        (_("Type"), lambda s: type_label(s.qtype)),
        (_("Question"), lambda s: s.stem),
        (_("Options"), _options_text),
        (_("Correct answer"), lambda s: answer_text(s.qtype, s.answer)),
        (_("Explanation"), lambda s: s.explanation),
        (_("Module"), lambda s: s.module_key),
        (_("Lesson"), lambda s: s.lesson_key or ""),
        (_("Difficulty"), lambda s: _difficulty_label(s.difficulty)),
        (_("Tags"), lambda s: "、".join(s.tags)),
    ]
    changes = []
    for label, show in fields:
        before, after = show(old), show(new)
        if before != after:
            changes.append(Change(str(label), before, after))
    return changes
