"""What the pages show of an attempt, built from the stored question versions.

``take_items`` copies only what a trainee needs to answer (stem, options in the shown order,
their own answer): the answer key and the explanation never reach the attempt page's
template, so they cannot leak into its HTML. ``review_items`` adds them for the result page,
when the review rule (or a trainer's role) allows.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from lms.extensions import db

from .models import AttemptItem, QuestionType, QuestionVersion
from .scoring import letters

BLANK_MARK = "____"


@dataclass(frozen=True)
class Option:
    value: str  #: the letter in the version's terms (what is stored)
    label: str  #: the letter as shown (A, B, ... in the shown order)
    text: str
    chosen: bool = False
    is_key: bool = False  #: only ever set on review items


@dataclass(frozen=True)
class TakeItem:
    id: int
    number: int  #: 1-based, as shown
    qtype: str
    stem: str
    options: list[Option]
    text: str  #: the saved text answer (fill-in-blank, short answer)
    true_false: bool | None  #: the saved true/false answer

    @property
    def has_answer(self) -> bool:
        """Whether a saved answer exists (the answer sheet's "answered" state)."""
        return bool(self.text) or self.true_false is not None or any(o.chosen for o in self.options)


@dataclass(frozen=True)
class ReviewItem(TakeItem):
    points: float = 1.0
    score: float | None = None
    is_correct: bool | None = None
    key_text: str = ""  #: the accepted answers or the reference answer, as text
    explanation: str = ""
    grader_note: str = ""
    pending: bool = False  #: a short answer waiting for a trainer
    answered: bool = False
    corrected: bool = False  #: graded on a corrected version of the question
    question_id: int = 0
    item_id: int = 0


def _versions(items: list[AttemptItem], graded: bool = False) -> dict[int, dict]:
    ids = {item.question_version_id for item in items}
    if graded:
        ids |= {item.graded_version_id for item in items if item.graded_version_id}
    if not ids:
        return {}
    rows = db.session.execute(select(QuestionVersion.id, QuestionVersion.data).where(QuestionVersion.id.in_(ids)))
    return dict(rows.all())


def _options(item: AttemptItem, data: dict, key: object = None) -> list[Option]:
    texts = data.get("options") or []
    order = item.option_order or list(range(len(texts)))
    stored = letters(len(texts))
    response = item.response
    chosen = set(response) if isinstance(response, list) else {response}
    keys = set(key) if isinstance(key, list) else {key}
    shown = letters(len(order))
    return [Option(stored[i], shown[n], texts[i], stored[i] in chosen, stored[i] in keys) for n, i in enumerate(order)]


def take_items(items: list[AttemptItem]) -> list[TakeItem]:
    """The questions of an attempt in progress, without anything that reveals the key."""
    data = _versions(items)
    result = []
    for n, item in enumerate(items, start=1):
        version = data[item.question_version_id]
        qtype = version["type"]
        choice = qtype in (QuestionType.SINGLE, QuestionType.MULTIPLE)
        result.append(
            TakeItem(
                id=item.id,
                number=n,
                qtype=qtype,
                stem=version["stem"],
                options=_options(item, version) if choice else [],
                text=item.response if isinstance(item.response, str) and qtype in _TEXT_TYPES else "",
                true_false=item.response if isinstance(item.response, bool) else None,
            )
        )
    return result


_TEXT_TYPES = (QuestionType.FILL_BLANK, QuestionType.SHORT_ANSWER)


def _key_text(data: dict, gettext) -> str:
    qtype, key = data["type"], data.get("answer")
    if qtype == QuestionType.TRUE_FALSE:
        return gettext("True") if key else gettext("False")
    if qtype == QuestionType.FILL_BLANK:
        return " / ".join(str(a) for a in key or [])
    if qtype == QuestionType.SHORT_ANSWER:
        return str(key or "")
    return ""


_EVERYTHING = frozenset({"score", "correctness", "answer", "explanation"})


def review_items(items: list[AttemptItem], gettext, parts: frozenset[str] = _EVERYTHING) -> list[ReviewItem]:
    """The questions with the trainee's answers and, as ``parts`` allows, their scores and
    right/wrong ("correctness"), keys ("answer") and explanations.

    What ``parts`` leaves out is never copied into the items, so it cannot reach the page.
    The key and explanation come from the version that graded the item (a correction, after
    a regrade), the stem and options from the version the trainee answered.
    """
    show_key, show_mark = "answer" in parts, "correctness" in parts
    data = _versions(items, graded=True)
    result = []
    for n, item in enumerate(items, start=1):
        answered = data[item.question_version_id]
        graded = data[item.graded_version_id or item.question_version_id]
        qtype = answered["type"]
        choice = qtype in (QuestionType.SINGLE, QuestionType.MULTIPLE)
        # The shown option order maps the answered version's letters; the key's letters are
        # the same letters in a compatible correction (same type and number of options).
        result.append(
            ReviewItem(
                id=item.id,
                number=n,
                qtype=qtype,
                stem=answered["stem"],
                options=_options(item, answered, graded.get("answer") if show_key else None) if choice else [],
                text=item.response if isinstance(item.response, str) else "",
                true_false=item.response if isinstance(item.response, bool) else None,
                points=item.points,
                score=item.score if show_mark else None,
                is_correct=item.is_correct if show_mark else None,
                key_text=_key_text(graded, gettext) if show_key else "",
                explanation=(graded.get("explanation") or "") if "explanation" in parts else "",
                grader_note=item.grader_note or "",
                pending=qtype == QuestionType.SHORT_ANSWER and item.score is None,
                answered=item.response is not None,
                corrected=item.graded_version_id is not None,
                question_id=item.question_id,
                item_id=item.id,
            )
        )
    return result
