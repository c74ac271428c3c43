"""Recording organizers' actions."""

from __future__ import annotations

from lms.auth.models import User
from lms.extensions import db

from .models import AuditEntry


def record(actor: User | None, action: str, target=None, **details) -> AuditEntry:
    """Add an audit entry for ``action`` by ``actor`` on ``target`` (a model instance) and flush."""
    entry = AuditEntry(
        actor_id=actor.id if actor else None,
        action=action,
        target_type=target.__tablename__ if target is not None else "",
        target_id=getattr(target, "id", None),
        details=details,
    )
    db.session.add(entry)
    db.session.flush()
    return entry
