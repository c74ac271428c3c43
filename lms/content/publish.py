"""The one operation that publishes a version of versioned content.

Every writer (the course loader, the question importers, the browser editor, structure
publishing) calls :func:`publish_version` once it has put the new content on the item:
it sets the item's next version number and content hash, flushes, and writes the version
row learners' records will point at. Only ``add`` and ``flush``: the caller owns the
transaction.
"""

from __future__ import annotations

from lms.assessment.models import Question, QuestionVersion
from lms.extensions import db
from lms.learning.models import Lesson, LessonVersion, Module, ModuleVersion
from lms.surveys.models import SurveyItem, SurveyItemVersion

#: item model -> (version row model, its foreign key column)
VERSION_ROWS = {
    Question: (QuestionVersion, "question_id"),
    Lesson: (LessonVersion, "lesson_id"),
    Module: (ModuleVersion, "module_id"),
    SurveyItem: (SurveyItemVersion, "item_id"),
}


def publish_version(
    item,
    digest: str,
    data: dict,
    source: str,
    actor=None,
    bump: bool = True,
):
    """Make ``item``'s current content its next version and store it; return the row.

    :param digest: the content's hash (``content_hash`` of the spec's content).
    :param data: what the version row keeps (the content learners saw).
    :param source: ``files``, ``import`` or ``editor``.
    :param actor: the user (or user id) who published it, None for the files.
    :param bump: False when the caller has already numbered the version (the loader
        numbers items before their ids exist, then publishes them after one flush).
    """
    with db.session.no_autoflush:  # reading the actor must not flush a half-written item
        actor_id = actor if actor is None or isinstance(actor, int) else actor.id
        if bump:
            item.version = (item.version or 0) + 1
        item.content_hash = digest
    db.session.flush()
    row_class, foreign_key = VERSION_ROWS[type(item)]
    row = row_class(
        **{foreign_key: item.id},
        version=item.version,
        content_hash=digest,
        data=data,
        source=source,
        created_by_id=actor_id,
    )
    db.session.add(row)
    db.session.flush()
    return row
