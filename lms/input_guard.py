"""Hostile input stopped at the door: control characters, and integers beyond the id columns.

PostgreSQL refuses a NUL byte in text and both databases refuse integers wider than their
columns; left to the views, either surfaces as a database error (a 500 whose traceback
carries the statement's parameters). One check before every view refuses the request
instead: any form field, query parameter, URL segment, upload name or JSON string holding
a C0 control character (tab, newline and carriage return excepted) or a lone surrogate gets
a 400 page with a message in the user's language. Integer URL segments are bounded by the
``int`` converter (out of range is simply no such page: 404), query parameters by
:func:`bounded_int`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from flask import Flask, request
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter

#: Ids are PostgreSQL ``integer`` columns (32-bit, signed); no id can be larger.
ID_MAX = 2**31 - 1

# C0 controls except \t \n \r, and lone surrogates (only a JSON "\ud800" escape makes one).
_HOSTILE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


class BoundedIntConverter(IntegerConverter):
    """The default ``int`` URL converter, bounded to the id columns' range (else 404)."""

    def __init__(self, map, fixed_digits=0, min=0, max=ID_MAX, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def bounded_int(value: str) -> int:
    """``type=`` for ``request.args.get``: an int within the id range, else ValueError (default)."""
    number = int(value)
    if not 0 <= number <= ID_MAX:
        raise ValueError(f"{number} is out of range")
    return number


def parse_id(raw) -> int | None:
    """An id typed into a form or a query (ASCII digits within the id range), else None."""
    if not isinstance(raw, str) or not (raw.isascii() and raw.isdigit()):
        return None
    number = int(raw)
    return number if number <= ID_MAX else None


def has_hostile_characters(text: str) -> bool:
    return _HOSTILE.search(text) is not None


def strip_control(text: str) -> str:
    """``text`` without the characters the guard refuses: for cells of uploaded files, where
    a stray control character is noise to drop rather than a reason to refuse the file."""
    return _HOSTILE.sub("", text)


def _json_strings(value) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _json_strings(item)


def _request_strings() -> Iterator[str]:
    yield request.path
    yield from (v for v in (request.view_args or {}).values() if isinstance(v, str))
    for values in (request.args, request.form):
        for key, value in values.items(multi=True):
            yield key
            yield value
    for key, upload in request.files.items(multi=True):
        yield key
        yield upload.filename or ""
    if request.is_json:
        yield from _json_strings(request.get_json(silent=True))


def _refuse_hostile_input():
    if any(has_hostile_characters(text) for text in _request_strings()):
        from .errors import render_error

        return render_error(
            400,
            _(
                "What you sent contains control characters (such as a NUL byte) that cannot be "
                "stored. Please remove them and try again."
            ),
        )
    return None


def init_input_guard(app: Flask) -> None:
    """Call before the blueprints are registered: their rules take the converter then."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(_refuse_hostile_input)
