"""Reloading course files retires what the files dropped, but not what was imported or
written in the browser since (that content has no file to come from)."""

from __future__ import annotations

from sqlalchemy import select

from lms.assessment.models import Question, QuestionType, QuestionVersion
from lms.db import write_transaction
from lms.extensions import db
from lms.learning.models import Module
from lms.versioning import content_hash
from tests.content_helpers import EXAMPLE, copy_example, load


def test_reload_keeps_imported_questions_and_retires_dropped_file_questions(app, tmp_path):
    course_dir = copy_example(tmp_path)
    with app.app_context():
        report = load(course_dir)[0]
        with write_transaction():
            module = db.session.scalar(select(Module).where(Module.key == "practice"))
            data = {"stem": "导入的题目", "options": ["甲", "乙"], "answer": "A"}
            question = Question(
                course_id=module.course_id,
                module_id=module.id,
                key="imported-1",
                qtype=QuestionType.SINGLE,
                stem="导入的题目",
                options=["甲", "乙"],
                answer="A",
                content_hash=content_hash(data),
            )
            db.session.add(question)
            db.session.flush()
            db.session.add(
                QuestionVersion(
                    question_id=question.id, version=1, data=data, content_hash=question.content_hash, source="import"
                )
            )
        questions = course_dir / "modules" / "02-practice" / "questions.yaml"
        text = questions.read_text(encoding="utf-8")
        dropped = "m02-q05"  # the last question of the module, in no fixed list
        assert report is not None
        load(course_dir)
        assert db.session.scalar(select(Question.is_retired).where(Question.key == "imported-1")) is False
        # a question dropped from the files is still retired
        questions.write_text(text[: text.index("  - id: " + dropped)], encoding="utf-8")
        load(course_dir)
        assert db.session.scalar(select(Question.is_retired).where(Question.key == dropped)) is True
        assert db.session.scalar(select(Question.is_retired).where(Question.key == "imported-1")) is False
    assert EXAMPLE.exists()
