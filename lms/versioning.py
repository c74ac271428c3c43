"""Content versions: every change to a versioned item keeps a snapshot of what learners saw.

A versioned item (module, lesson, question, survey item, ...) carries its current content,
a ``version`` number and the ``content_hash`` of that content. Its ``*_versions`` table keeps
one row per version with the content as JSON; learner records point at those rows.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from .db import UTCDateTime, utcnow


def content_hash(data: object) -> str:
    """A stable SHA-256 of JSON-able content (key order does not matter)."""
    encoded = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


class VersionedMixin:
    """Columns of an item whose content is versioned."""

    version: Mapped[int] = mapped_column(default=1)
    content_hash: Mapped[str] = mapped_column(String(64))
    #: retired items stay in the database (learners have records on them) but are not shown
    is_retired: Mapped[bool] = mapped_column(default=False)
    #: the hash of the item's content in the course files when they were last loaded ("" if
    #: it never came from files): an unchanged file never undoes a browser edit, and a file
    #: and a browser edit that both changed the item since are a conflict
    loaded_hash: Mapped[str] = mapped_column(String(64), default="")


class VersionRowMixin:
    """Columns of one stored version of a versioned item."""

    version: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict] = mapped_column(JSON)  #: the item's content at this version
    source: Mapped[str] = mapped_column(String(16), default="files")  #: files or editor
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @declared_attr
    def created_by_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
