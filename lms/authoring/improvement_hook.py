"""The hook between publishing in the editor and the improvement ledger (持续改进台账).

When a trainer publishes a change, the form offers the course's open improvement actions
(planned or in progress); the one chosen is linked to the new version row, so the ledger can
compare the cohorts before and after the change.
"""

from __future__ import annotations

from sqlalchemy import select

from lms.auth.models import User
from lms.extensions import db
from lms.improvement import service as ledger
from lms.improvement.models import ActionStatus, ImprovementAction
from lms.learning.models import Course

#: how many open actions the publish form offers (newest first)
MAX_CHOICES = 50


def open_actions(course: Course) -> list[tuple[int, str]]:
    """(id, label) of the course's improvement actions a published version may belong to."""
    rows = db.session.execute(
        select(ImprovementAction.id, ImprovementAction.finding_summary, ImprovementAction.planned_change)
        .where(
            ImprovementAction.course_id == course.id,
            ImprovementAction.status.in_((ActionStatus.PLANNED, ActionStatus.IN_PROGRESS)),
        )
        .order_by(ImprovementAction.created_at.desc(), ImprovementAction.id.desc())
        .limit(MAX_CHOICES)
    ).all()
    return [(row.id, f"#{row.id} {row.finding_summary[:40]} → {row.planned_change[:40]}") for row in rows]


def link_published_version(
    action_id: int | None,
    target_kind: str,
    version_row_id: int,
    actor: User,
) -> None:
    """Record that the version ``version_row_id`` of a ``target_kind`` carries out an action.

    :param target_kind: ``lesson``, ``module`` or ``question`` (the ``*_versions`` table).
    """
    if action_id is None:
        return
    ledger.link_version(action_id, target_kind, version_row_id, actor, source="editor")
