"""Normalising and checking phone numbers and e-mail addresses."""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email

_PHONE_SEPARATORS = re.compile(r"[\s\-()]")
_MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９＋", "0123456789+")


def normalize_phone(raw: str | None) -> str | None:
    """Return an 11-digit mainland mobile number, or None when ``raw`` is not one.

    Spaces, hyphens, brackets, full-width digits and a +86 / 86 prefix are accepted.
    """
    if not raw:
        return None
    value = _PHONE_SEPARATORS.sub("", raw.translate(_FULLWIDTH_DIGITS))
    for prefix in ("+86", "0086", "86"):
        if value.startswith(prefix) and len(value) == len(prefix) + 11:
            value = value[len(prefix) :]
            break
    return value if _MAINLAND_MOBILE.match(value) else None


def normalize_email(raw: str | None) -> str | None:
    """Return the lower-cased e-mail address, or None when ``raw`` is not a valid address."""
    if not raw or not raw.strip():
        return None
    try:
        result = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError:
        return None
    return result.normalized.lower()


def looks_like_email(identifier: str) -> bool:
    return "@" in identifier
