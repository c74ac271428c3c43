"""Publishing in the editor can carry out an improvement action: the ledger links the version."""

from __future__ import annotations

from sqlalchemy import select

from lms.assessment.models import Question, QuestionVersion
from lms.auth.models import User
from lms.authoring.improvement_hook import link_published_version, open_actions
from lms.db import write_transaction
from lms.extensions import db
from lms.improvement.models import ActionStatus, ActionVersionLink, ImprovementAction
from lms.learning.models import Course
from tests.content_helpers import EXAMPLE, load


def test_open_actions_are_offered_and_the_published_version_is_linked(app, make_user):
    organizer = make_user("organizer")
    with app.app_context():
        load(EXAMPLE)
        course = db.session.scalar(select(Course))
        with write_transaction():
            open_one = ImprovementAction(
                course_id=course.id,
                finding_kind="item",
                finding_summary="第3题过易",
                planned_change="改写干扰项",
                measure="facility",
            )
            closed = ImprovementAction(
                course_id=course.id,
                finding_kind="item",
                finding_summary="已完成",
                planned_change="无",
                measure="facility",
                status=ActionStatus.DONE,
            )
            db.session.add_all([open_one, closed])
        offered = open_actions(course)
        assert [action_id for action_id, _ in offered] == [open_one.id]
        assert "第3题过易" in offered[0][1]
        version = db.session.scalar(select(QuestionVersion).join(Question).where(Question.key == "m01-q03"))
        with write_transaction():
            actor = db.session.get(User, organizer.id)
            link_published_version(open_one.id, "question", version.id, actor)
            link_published_version(None, "question", version.id, actor)  # none chosen: nothing
        links = db.session.scalars(select(ActionVersionLink)).all()
        assert [(link.action_id, link.version_row_id, link.source) for link in links] == [
            (open_one.id, version.id, "editor")
        ]
