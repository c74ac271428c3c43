"""Typed access to one YAML mapping that records a problem, with its line, for each mistake.

Every getter marks its key as known; :meth:`Fields.finish` then reports the keys nobody
asked for as unknown, so a misspelt key is never silently ignored.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator

from .problems import Problems
from .reader import YList, YMap, scalar_text

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,63}$")
KEY_RULE = "lower-case letters, digits and hyphens, starting with a letter, at most 64 characters"
_MISSING = object()


def describe(value) -> str:
    """How a wrong value is shown in a message."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    text = scalar_text(value) or str(value)
    return f"'{text}'" if len(text) <= 40 else f"'{text[:37]}...'"


class Fields:
    """One mapping of a file, read key by key."""

    def __init__(self, data: YMap, file: str, problems: Problems):
        self.data = data
        self.file = file
        self.problems = problems
        self.line = data.line
        self._known: set = set()

    @classmethod
    def of(cls, value, line: int, file: str, problems: Problems, what: str) -> Fields | None:
        """Fields for ``value`` if it is a mapping, else a problem and None."""
        if isinstance(value, YMap):
            return cls(value, file, problems)
        problems.add(file, line, f"{what} must be a mapping of keys to values, not {describe(value)}")
        return None

    # -- reporting ------------------------------------------------------------------------

    def problem(self, line: int, message: str) -> None:
        self.problems.add(self.file, line, message)

    def problem_at(self, key: str, message: str) -> None:
        """A problem with the value of ``key`` (at the value's line)."""
        self.problem(self.data.value_line(key), message)

    def finish(self, allowed_elsewhere: dict[str, str] | None = None) -> None:
        """Report every key that was not read as unknown (or as not allowed here)."""
        allowed_elsewhere = allowed_elsewhere or {}
        for key in self.data:
            if key in self._known:
                continue
            line = self.data.key_line(key)
            if key in allowed_elsewhere:
                self.problem(line, f"'{key}' {allowed_elsewhere[key]}")
                continue
            hint = difflib.get_close_matches(str(key), [str(k) for k in self._known], n=1)
            suffix = f" (did you mean '{hint[0]}'?)" if hint else ""
            self.problem(line, f"unknown key '{key}'{suffix}")

    # -- access ---------------------------------------------------------------------------

    def has(self, key: str) -> bool:
        return key in self.data

    def value_line(self, key: str) -> int:
        return self.data.value_line(key)

    def raw(self, key: str, required: bool = True):
        """The value of ``key`` as written, or _MISSING (with a problem when required)."""
        self._known.add(key)
        if key not in self.data:
            if required:
                self.problem(self.line, f"missing required key '{key}'")
            return _MISSING
        return self.data[key]

    def text(
        self,
        key: str,
        required: bool = True,
        default: str | None = "",
        max_length: int | None = None,
    ) -> str | None:
        """A non-empty text (numbers as written count as text); None when wrong."""
        value = self.raw(key, required)
        if value is _MISSING or (value is None and not required):
            return None if required else default
        if value is None:
            self.problem_at(key, f"'{key}' must not be empty")
            return None
        text = scalar_text(value)
        if text is None:
            self.problem_at(key, f"'{key}' must be text, not {describe(value)}")
            return None
        text = text.strip()
        if not text:
            self.problem_at(key, f"'{key}' must not be empty")
            return None
        if max_length and len(text) > max_length:
            self.problem_at(key, f"'{key}' is longer than {max_length} characters")
            return None
        return text

    def key(self, key: str, required: bool = True) -> str | None:
        """A stable key (see KEY_RULE)."""
        text = self.text(key, required, default=None)
        if text is not None and not KEY_PATTERN.match(text):
            self.problem_at(key, f"'{key}' {describe(text)} must be {KEY_RULE}")
            return None
        return text

    def integer(
        self,
        key: str,
        required: bool = True,
        default: int | None = None,
        minimum: int | None = None,
        maximum: int | None = None,
        nullable: bool = False,
    ) -> int | None:
        value = self.raw(key, required)
        if value is _MISSING or (value is None and nullable):
            return default if value is _MISSING else None
        if not isinstance(value, int) or isinstance(value, bool):
            self.problem_at(key, f"'{key}' must be a whole number, not {describe(value)}")
            return default
        return self._in_range(key, int(value), minimum, maximum, default)

    def number(
        self,
        key: str,
        required: bool = True,
        default: float | None = None,
        minimum: float | None = None,
        maximum: float | None = None,
    ) -> float | None:
        value = self.raw(key, required)
        if value is _MISSING:
            return default
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            self.problem_at(key, f"'{key}' must be a number, not {describe(value)}")
            return default
        return self._in_range(key, float(value), minimum, maximum, default)

    def _in_range(self, key, value, minimum, maximum, default):
        if minimum is not None and value < minimum:
            self.problem_at(key, f"'{key}' must be at least {minimum}")
            return default
        if maximum is not None and value > maximum:
            self.problem_at(key, f"'{key}' must be at most {maximum}")
            return default
        return value

    def boolean(
        self,
        key: str,
        required: bool = False,
        default: bool | None = False,
    ) -> bool | None:
        value = self.raw(key, required)
        if value is _MISSING:
            return default
        if not isinstance(value, bool):
            self.problem_at(key, f"'{key}' must be true or false, not {describe(value)}")
            return default
        return value

    def choice(
        self,
        key: str,
        choices: tuple[str, ...],
        required: bool = True,
        default: str | None = None,
    ) -> str | None:
        value = self.raw(key, required)
        if value is _MISSING:
            return default
        if value not in choices or not isinstance(value, str):
            self.problem_at(key, f"'{key}' must be one of {', '.join(choices)}, not {describe(value)}")
            return None
        return value

    def sequence(self, key: str, required: bool = True) -> YList | None:
        """The list under ``key``; None (with a problem) when it is missing or not a list."""
        value = self.raw(key, required)
        if value is _MISSING:
            return None
        if not isinstance(value, YList):
            self.problem_at(key, f"'{key}' must be a list, not {describe(value)}")
            return None
        return value

    def text_list(
        self,
        key: str,
        required: bool = True,
        min_items: int = 0,
        max_items: int | None = None,
        unique: bool = True,
        item_check: Callable[[str], str | None] | None = None,
    ) -> list[str] | None:
        """A list of texts. ``item_check`` returns a message for a bad item, or None."""
        items = self.sequence(key, required)
        if items is None:
            return None if required or self.has(key) else []
        result: list[str] = []
        ok = True
        for index, item in enumerate(items):
            line = items.item_line(index)
            text = scalar_text(item)
            text = text.strip() if text is not None else None
            if not text:
                self.problem(line, f"each item of '{key}' must be non-empty text, not {describe(item)}")
                ok = False
                continue
            message = item_check(text) if item_check else None
            if message:
                self.problem(line, message)
                ok = False
            elif unique and text in result:
                self.problem(line, f"'{text}' is listed twice in '{key}'")
                ok = False
            result.append(text)
        if min_items == max_items and len(items) != min_items:
            self.problem_at(key, f"'{key}' needs exactly {min_items} items")
            return None
        if len(items) < min_items:
            self.problem_at(key, f"'{key}' needs at least {min_items} item(s)")
            ok = False
        if max_items is not None and len(items) > max_items:
            self.problem_at(key, f"'{key}' has more than {max_items} items")
            ok = False
        return result if ok else None

    def key_list(self, key: str, required: bool = True, min_items: int = 0) -> list[str] | None:
        def check(text: str) -> str | None:
            return None if KEY_PATTERN.match(text) else f"'{text}' in '{key}' must be {KEY_RULE}"

        return self.text_list(key, required, min_items=min_items, item_check=check)

    def mapping(self, key: str, required: bool = True) -> Fields | None:
        value = self.raw(key, required)
        if value is _MISSING:
            return None
        return Fields.of(value, self.value_line(key), self.file, self.problems, f"'{key}'")

    def mappings(
        self,
        key: str,
        required: bool = True,
        what: str = "each item",
    ) -> Iterator[Fields]:
        """Fields for each mapping in the list under ``key`` (other items are problems)."""
        items = self.sequence(key, required)
        for index, item in enumerate(items or []):
            fields = Fields.of(item, items.item_line(index), self.file, self.problems, f"{what} of '{key}'")
            if fields is not None:
                yield fields
