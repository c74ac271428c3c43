"""What counts as a valid answer to each type of item, and how it is stored.

One set of rules for the form (each field's validator calls :func:`check_item`) and the
service (which checks every answer again before writing), so a request built by hand cannot
store an out-of-range value.

A value as submitted is a string (likert, single, rating10, number, text), a list of strings
(multiple) or a dict of row key to string (matrix); choices are sent as the option's index.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from .models import ItemType, SurveyItem

TEXT_MAX = 5000
NUMBER_LIMIT = 1e9
SCALE = {ItemType.LIKERT: (1, 5), ItemType.MATRIX: (1, 5), ItemType.RATING10: (0, 10)}

REQUIRED = _l("Please answer this question.")
REQUIRED_ROWS = _l("Please rate every row.")
BAD_CHOICE = _l("Choose one of the options shown.")
NOT_A_NUMBER = _l("Enter a number, for example 3 or 2.5.")
TOO_LONG = _l("Please keep your answer under %(n)d characters.", n=TEXT_MAX)


class ItemError(ValueError):
    """An answer broke the item's rules; ``message`` is shown next to the item."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class SurveyInputError(ValueError):
    """Some answers broke their items' rules: ``errors`` maps item key to message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class AnswerValue:
    """One ``survey_answers`` row to write (without its response)."""

    item_id: int
    item_version: int
    row_key: str
    value_num: float | None
    value_text: str | None


def options(item: SurveyItem) -> list[str]:
    return list(item.spec.get("options") or [])


def matrix_rows(item: SurveyItem) -> list[dict]:
    return list(item.spec.get("rows") or [])


def scale(item: SurveyItem) -> range:
    low, high = SCALE[item.itype]
    return range(low, high + 1)


def number_bounds(item: SurveyItem) -> tuple[float | None, float | None]:
    return item.spec.get("min"), item.spec.get("max")


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == [] or value == {}


def _scale_value(item: SurveyItem, raw: str) -> int:
    if raw.strip() not in {str(v) for v in scale(item)}:
        raise ItemError(BAD_CHOICE)
    return int(raw)


def parse_number(raw: str) -> float:
    """A number as typed: full-width digits and spaces allowed ("１２", " 3.5 ")."""
    text = unicodedata.normalize("NFKC", raw).strip().replace(",", "")
    try:
        value = float(text)
    except ValueError:
        raise ItemError(NOT_A_NUMBER) from None
    if not math.isfinite(value) or abs(value) > NUMBER_LIMIT:
        raise ItemError(NOT_A_NUMBER)
    return value


def format_number(value: float) -> str:
    """3.0 -> "3", 2.5 -> "2.5", 1234567.0 -> "1234567" (no exponent)."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _range_message(low, high):
    show = format_number
    if low is not None and high is not None:
        return _l("Enter a number from %(min)s to %(max)s.", min=show(low), max=show(high))
    if low is not None:
        return _l("Enter a number of at least %(min)s.", min=show(low))
    return _l("Enter a number of at most %(max)s.", max=show(high))


def check_item(item: SurveyItem, value) -> list[AnswerValue]:
    """The rows to store for ``value`` as the answer to ``item`` (none when left blank).

    :raises ItemError: when a required item is blank or the value breaks the item's rules.
    """

    def row(row_key: str = "", num: float | None = None, text: str | None = None):
        return AnswerValue(item.id, item.version, row_key, num, text)

    kind = item.itype
    if kind == ItemType.MATRIX:
        given = {k: v for k, v in (value or {}).items() if not _blank(v)}
        keys = [r["id"] for r in matrix_rows(item)]
        if item.is_required and any(k not in given for k in keys):
            raise ItemError(REQUIRED_ROWS)
        if set(given) - set(keys):
            raise ItemError(BAD_CHOICE)
        return [row(k, _scale_value(item, given[k])) for k in keys if k in given]
    if _blank(value):
        if item.is_required:
            raise ItemError(REQUIRED)
        return []
    if kind in (ItemType.LIKERT, ItemType.RATING10):
        return [row(num=_scale_value(item, value))]
    if kind in (ItemType.SINGLE, ItemType.MULTIPLE):
        chosen = [value] if kind == ItemType.SINGLE else list(dict.fromkeys(value))
        labels = options(item)
        indexes = []
        for raw in chosen:
            if not (isinstance(raw, str) and raw.isdigit() and int(raw) < len(labels)):
                raise ItemError(BAD_CHOICE)
            indexes.append(int(raw))
        return [row(num=i, text=labels[i]) for i in sorted(indexes)]
    if kind == ItemType.NUMBER:
        number = parse_number(value)
        low, high = number_bounds(item)
        if (low is not None and number < low) or (high is not None and number > high):
            raise ItemError(_range_message(low, high))
        return [row(num=number)]
    text = value.strip()
    if len(text) > TEXT_MAX:
        raise ItemError(TOO_LONG)
    return [row(text=text)]


def check_answers(items: list[SurveyItem], values: dict) -> list[AnswerValue]:
    """Every item's rows, or :class:`SurveyInputError` naming each item in error."""
    rows, errors = [], {}
    for item in items:
        try:
            rows.extend(check_item(item, values.get(item.key)))
        except ItemError as error:
            errors[item.key] = str(error.message)
    if errors:
        raise SurveyInputError(errors)
    return rows


def values_from_rows(items: list[SurveyItem], rows) -> dict:
    """Stored answers (rows with item_id, row_key, value_num, value_text) back into form
    values, to fill the form of a named response being edited."""
    by_id = {item.id: item for item in items}
    values: dict = {}
    for r in rows:
        item = by_id.get(r.item_id)
        if item is None:
            continue
        kind = item.itype
        if kind == ItemType.MATRIX:
            values.setdefault(item.key, {})[r.row_key] = str(int(r.value_num))
        elif kind == ItemType.MULTIPLE:
            values.setdefault(item.key, []).append(str(int(r.value_num)))
        elif kind == ItemType.TEXT:
            values[item.key] = r.value_text or ""
        elif kind == ItemType.NUMBER:
            values[item.key] = format_number(r.value_num)
        else:
            values[item.key] = str(int(r.value_num))
    return values
