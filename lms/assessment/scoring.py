"""Scoring one answer against one question version: pure functions, no database.

A question version's ``data`` is what the content loader stored: ``type``, ``stem``,
``options`` (texts, A first), ``answer`` (by type) and ``explanation``. A response is kept in
the version's terms: a letter (single), a sorted list of letters (multiple), ``True`` or
``False`` (true/false), or text (fill-in-blank, short answer); ``None`` when left blank.

Multiple choice has two rules, chosen per quiz (``settings["multiple_choice_scoring"]``) or
for the course (``settings["quiz_defaults"]["multiple_choice_scoring"]``):

- ``all_or_nothing``: full points when the chosen set equals the key, else 0.
- ``partial``: with k correct options, each correct option chosen earns +1/k of the points
  and each wrong option chosen costs 1/k; the total is never below 0. Choosing nothing
  earns 0, choosing everything earns (k - wrong options)/k, floored at 0.
"""

from __future__ import annotations

import re
import string
import unicodedata
from typing import NamedTuple

from .models import QuestionType

ALL_OR_NOTHING = "all_or_nothing"
PARTIAL = "partial"
SCORING_MODES = (ALL_OR_NOTHING, PARTIAL)

#: longest text kept for a fill-in-blank or a short answer (characters)
FILL_BLANK_MAX = 200
SHORT_ANSWER_MAX = 5000

_WHITESPACE = re.compile(r"\s+")


class ItemScore(NamedTuple):
    """The result of scoring one item; ``score`` is None when a trainer has to grade it."""

    score: float | None
    is_correct: bool | None


def letters(count: int) -> list[str]:
    """The option letters of a question with ``count`` options: A, B, C..."""
    return list(string.ascii_uppercase[:count])


def normalize_blank(text: str) -> str:
    """Fold a fill-in-blank answer so equivalent typings compare equal.

    NFKC turns full-width letters, digits and punctuation into their half-width forms
    (``１０００`` -> ``1000``, ``％`` -> ``%``); every kind of space is removed (trainees type
    spaces around numbers and units inconsistently); casefold makes ``ABC`` equal ``abc``.
    """
    folded = unicodedata.normalize("NFKC", text or "")
    return _WHITESPACE.sub("", folded).casefold()


def clean_response(qtype: QuestionType | str, option_count: int, raw: object) -> object | None:
    """Turn a submitted value into a stored response in the version's terms (None if blank).

    Values that cannot belong to the question (a letter beyond the options, a list for a
    single choice) are dropped rather than stored, so grading only ever sees valid data.
    """
    qtype = QuestionType(qtype)
    valid = letters(option_count)
    if qtype == QuestionType.SINGLE:
        value = raw[0] if isinstance(raw, list) and len(raw) == 1 else raw
        return value if isinstance(value, str) and value in valid else None
    if qtype == QuestionType.MULTIPLE:
        values = raw if isinstance(raw, list) else [raw]
        chosen = sorted({v for v in values if isinstance(v, str) and v in valid})
        return chosen or None
    if qtype == QuestionType.TRUE_FALSE:
        value = raw[0] if isinstance(raw, list) and len(raw) == 1 else raw
        if isinstance(value, bool):
            return value
        return {"true": True, "false": False}.get(value) if isinstance(value, str) else None
    if isinstance(raw, list):
        raw = raw[0] if len(raw) == 1 else None
    if not isinstance(raw, str):
        return None
    limit = FILL_BLANK_MAX if qtype == QuestionType.FILL_BLANK else SHORT_ANSWER_MAX
    text = raw.strip()[:limit]
    return text or None


def score_item(data: dict, response: object | None, points: float, mode: str) -> ItemScore:
    """Score ``response`` against the question version ``data``, out of ``points``.

    :param mode: the multiple-choice rule, ``all_or_nothing`` or ``partial``.
    :returns: the score and correctness; both None for a short answer (a trainer grades it).
    """
    qtype = QuestionType(data["type"])
    key = data.get("answer")
    if qtype == QuestionType.SHORT_ANSWER:
        return ItemScore(None, None)
    if response is None:
        return ItemScore(0.0, False)
    if qtype == QuestionType.SINGLE:
        right = response == key
    elif qtype == QuestionType.TRUE_FALSE:
        right = response is key or response == key
    elif qtype == QuestionType.FILL_BLANK:
        given = normalize_blank(str(response))
        right = bool(given) and any(given == normalize_blank(str(a)) for a in key or [])
    else:  # multiple
        return _score_multiple(set(key or []), set(response), points, mode)
    return ItemScore(float(points) if right else 0.0, right)


def _score_multiple(correct: set[str], chosen: set[str], points: float, mode: str) -> ItemScore:
    right = chosen == correct
    if mode != PARTIAL or right or not correct:
        return ItemScore(float(points) if right else 0.0, right)
    hits = len(chosen & correct)
    misses = len(chosen - correct)
    fraction = max(0.0, (hits - misses) / len(correct))
    return ItemScore(round(points * fraction, 4), False)


def percent_of(score: float, max_score: float) -> float:
    """Score as a percentage (0-100, two decimals); an empty quiz counts as 0."""
    if max_score <= 0:
        return 0.0
    return round(100.0 * score / max_score, 2)
