"""Course files and the browser editor share the content (issue 14, point 5).

Loading unchanged files never undoes a browser edit; an item changed in both since the last
load is reported by item and left alone until the files are taken (``take_file``).
"""

from __future__ import annotations

from sqlalchemy import select

from lms.assessment.models import Question
from lms.auth.models import User
from lms.authoring import drafts
from lms.authoring.questions import QuestionData, update_question
from lms.db import write_transaction
from lms.extensions import db
from lms.learning.models import Module
from tests.content_helpers import copy_example, edit, load

QUESTIONS = "modules/01-getting-started/questions.yaml"


def _browser_edits(editor_id: int) -> None:
    """An editor corrects m01-q01's key (B -> C) and rewrites the practice module's summary."""
    editor = db.session.get(User, editor_id)
    with write_transaction():
        q = db.session.scalar(select(Question).where(Question.key == "m01-q01"))
        update_question(
            editor,
            q.id,
            q.version,
            QuestionData(
                qtype="single",
                stem=q.stem,
                options=list(q.options),
                answer="C",
                explanation=q.explanation,
                lesson_key="welcome",
                difficulty=str(q.difficulty),
                tags=list(q.tags or []),
            ),
        )
    with write_transaction():
        module = db.session.scalar(select(Module).where(Module.key == "practice"))
        details = {
            "summary": "浏览器里改写的简介",
            "objectives": list(module.objectives),
            "credit_hours": module.credit_hours,
            "prerequisites": list(module.prerequisites),
        }
        draft = drafts.start_draft(editor, module, drafts.DraftData(module.title, details=details), module.version)
        drafts.publish_draft(editor, draft.id, draft.revision)


def test_unchanged_files_keep_browser_edits_and_conflicts_change_nothing(app, make_user, tmp_path):
    course_dir = copy_example(tmp_path)
    editor_id = make_user("organizer").id
    with app.app_context():
        load(course_dir)
        _browser_edits(editor_id)
        [report] = load(course_dir)  # what `flask lms init` does after a deploy
        assert report.changes.updated == [] and report.changes.conflicts == []
        assert sorted(report.changes.kept) == ["module:practice", "question:m01-q01"]
        assert db.session.scalar(select(Question.answer).where(Question.key == "m01-q01")) == "C"
        assert db.session.scalar(select(Module.summary).where(Module.key == "practice")) == "浏览器里改写的简介"
        assert "2 browser edits kept" in report.summary()

        # the file changes the same question too: a conflict, reported by item, nothing written
        edit(course_dir / QUESTIONS, "explanation: 见《欢迎》一节。", "explanation: 见第一节。")
        [report] = load(course_dir)
        assert report.changes.conflicts == ["question:m01-q01"]
        assert "question:m01-q01" in report.summary() and "--take-file" in report.summary()
        q = db.session.scalar(select(Question).where(Question.key == "m01-q01"))
        assert (q.answer, q.explanation) == ("C", "见《欢迎》一节。")

        # the trainer chooses the file
        [report] = load(course_dir, take_file=True)
        assert "question:m01-q01" in report.changes.updated
        q = db.session.scalar(select(Question).where(Question.key == "m01-q01"))
        assert (q.answer, q.explanation) == ("B", "见第一节。")
        [report] = load(course_dir)  # and from now on the file and the database agree
        assert report.changes.updated == [] and report.changes.conflicts == []
