"""The hook between publishing in the editor and the improvement ledger (持续改进台账).

When a trainer publishes a change, the form offers the ledger's open improvement actions of
the course; the one chosen is linked to the new version row. The ledger (``lms.improvement``)
is built on another branch: until it is merged, :func:`open_actions` offers nothing and the
form shows no choice. Wiring it is two lines, marked ``WIRE`` below.
"""
from __future__ import annotations

from lms.auth.models import User
from lms.learning.models import Course


def open_actions(course: Course) -> list[tuple[int, str]]:
    """(id, label) of the course's improvement actions a published version may belong to."""
    # WIRE: return the ledger's open actions of ``course`` once lms.improvement is merged.
    return []


def link_published_version(
    action_id: int | None, target_kind: str, version_row_id: int, actor: User,
) -> None:
    """Record that the version ``version_row_id`` of a ``target_kind`` carries out an action.

    :param target_kind: ``lesson``, ``module`` or ``question`` (the ``*_versions`` table).
    """
    if action_id is None:
        return
    # WIRE: lms.improvement.service.link_version(action_id, target_kind, version_row_id, actor)
