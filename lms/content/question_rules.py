"""The rules of a valid question, in one place: the browser editor, the question importers
(GIFT, Moodle XML, Excel/CSV) and the export check call :func:`question_problems`.

The vocabulary comes from the model enums. Messages are translated and keyed by field
(``qtype``, ``stem``, ``options``, ``answer``, ``difficulty``, ``tags``): the editor shows
them beside the field, the importer beside the row. The answer is in its stored form: a
letter, sorted letters, True/False, accepted texts, or a reference text for short answers.
"""

from __future__ import annotations

from flask_babel import gettext as _

from lms.assessment.models import Difficulty, QuestionType

from .schema import BLANK, LETTERS, MAX_OPTIONS

QUESTION_TYPES = tuple(t.value for t in QuestionType)
DIFFICULTIES = tuple(d.value for d in Difficulty)
CHOICE_TYPES = (QuestionType.SINGLE.value, QuestionType.MULTIPLE.value)


def answer_problem(qtype: str, options: list[str], answer) -> str | None:
    letters = LETTERS[: min(len(options), MAX_OPTIONS)]
    if qtype in CHOICE_TYPES:
        chosen = answer if qtype == "multiple" else [answer]
        if not isinstance(chosen, list) or not chosen or any(not isinstance(a, str) or not a for a in chosen):
            return _("The right answer is missing.")
        if any(a not in letters for a in chosen):
            return _(
                "The answer %(answer)s is not among the options %(range)s.",
                answer="".join(chosen),
                range=f"{letters[0]}-{letters[-1]}" if letters else "",
            )
        if len(set(chosen)) != len(chosen):
            return _("Each correct option counts once.")
    elif qtype == "true_false":
        if not isinstance(answer, bool):
            return _("The right answer is missing.")
    elif qtype == "fill_blank":
        if (
            not isinstance(answer, list)
            or not answer
            or not all(isinstance(a, str) and a.strip() for a in answer)
            or len(set(answer)) != len(answer)
        ):
            return _("A fill-in-the-blank question needs at least one accepted answer.")
    elif not isinstance(answer, str) or not answer.strip():
        return _("Give a reference answer for the trainer who grades it.")
    return None


def question_problems(
    qtype: str | None,
    stem: str,
    options: list[str],
    answer,
    difficulty: str | None = "medium",
    tags: list[str] | None = None,
) -> dict[str, str]:
    """Every rule the question's content breaks, by field (empty when it is valid)."""
    problems: dict[str, str] = {}
    if qtype not in QUESTION_TYPES:
        problems["qtype"] = _("Choose the question type.")
        return problems
    if not (stem or "").strip():
        problems["stem"] = _("The question text is empty.")
    elif qtype == "fill_blank" and len(BLANK.findall(stem)) != 1:
        problems["stem"] = _("A fill-in-the-blank question marks exactly one blank with ____ in its text.")
    options = list(options or [])
    if qtype in CHOICE_TYPES:
        repeated = sorted({o for o in options if options.count(o) > 1})
        if len(options) < 2:
            problems["options"] = _("A choice question needs at least 2 options.")
        elif len(options) > MAX_OPTIONS:
            problems["options"] = _(
                "A choice question has at most %(n)d options, not %(m)d.", n=MAX_OPTIONS, m=len(options)
            )
        elif any(not o.strip() for o in options):
            problems["options"] = _("An option is empty.")
        elif repeated:
            problems["options"] = _("The option '%(text)s' appears twice.", text=repeated[0])
    elif options:
        problems["options"] = _("Only single and multiple choice questions have options.")
    countable = 2 <= len(options) <= MAX_OPTIONS or qtype not in CHOICE_TYPES
    if countable and (message := answer_problem(qtype, options, answer)):
        problems["answer"] = message
    if difficulty not in DIFFICULTIES:
        problems["difficulty"] = _(
            "Unknown difficulty '%(value)s': use easy, medium or hard (容易, 中等, 困难).", value=difficulty
        )
    tags = tags or []
    if len(set(tags)) != len(tags) or not all(t.strip() for t in tags):
        problems["tags"] = _("Each tag counts once.")
    return problems
