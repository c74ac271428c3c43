"""Characters that XML 1.0 forbids, kept out of every text we store.

Word's Shift+Enter (U+000B), a page break (U+000C) and other C0 control characters are
invisible in the editor but make an XLSX cell or an XML export invalid. Every way a text
comes in (question files, the editor, course files) passes it through :func:`xml_safe`;
the XLSX and XML writers do too, so an old value never breaks an export.
"""

from __future__ import annotations

import re

#: line and page breaks that are not XML line breaks; they become one
_BREAKS = re.compile("[\x0b\x0c\u2028\u2029]")
#: everything else XML 1.0 does not allow (tab, line feed and carriage return are fine)
_FORBIDDEN = re.compile("[\x00-\x08\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """``text`` with forbidden line breaks as ``\\n`` and other forbidden characters removed."""
    if not text:
        return text
    return _FORBIDDEN.sub("", _BREAKS.sub("\n", text))


def forbidden_count(text: str) -> int:
    """How many characters :func:`xml_safe` would change."""
    return len(_BREAKS.findall(text or "")) + len(_FORBIDDEN.findall(text or ""))


def xml_safe_value(value):
    """:func:`xml_safe` applied to every text in a value (a text, a list of texts, ...)."""
    if isinstance(value, str):
        return xml_safe(value)
    if isinstance(value, list):
        return [xml_safe_value(v) for v in value]
    return value
