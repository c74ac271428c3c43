"""Exporting a course to files: loading the export gives the same course, edits included."""

from __future__ import annotations

import io
import zipfile

import pytest
from PIL import Image
from sqlalchemy import select

from lms import create_app
from lms.assessment.models import Question, Quiz, QuizItem
from lms.content.loader import validate_courses
from lms.extensions import db
from lms.learning.models import Course, GlossaryTerm, Lesson, Module
from lms.surveys.models import Survey, SurveyItem
from tests.authoring_helpers import (
    REAL_COURSE,
    author_client,
    lesson,
    lesson_form,
    load_course,
    module,
    text,
)
from tests.content_helpers import EXAMPLE, load


def snapshot(key: str) -> dict:
    """Everything a course is, by stable keys (no ids), as plain data."""
    course = db.session.scalar(select(Course).where(Course.key == key))
    cid = course.id
    modules = {
        m.id: m for m in db.session.scalars(select(Module).where(Module.course_id == cid, Module.is_retired.is_(False)))
    }
    lessons = {
        ls.id: ls
        for ls in db.session.scalars(select(Lesson).where(Lesson.course_id == cid, Lesson.is_retired.is_(False)))
    }
    questions = {
        q.id: q
        for q in db.session.scalars(select(Question).where(Question.course_id == cid, Question.is_retired.is_(False)))
    }
    lesson_key = {i: ls.key for i, ls in lessons.items()}
    module_key = {i: m.key for i, m in modules.items()}
    data = {
        "course": (
            course.code,
            course.title,
            course.summary,
            course.objectives,
            course.credit_hours,
            course.settings,
            course.content_hash,
        ),
        "modules": sorted(
            (m.position, m.key, m.title, m.summary, m.objectives, m.credit_hours, m.prerequisites, m.content_hash)
            for m in modules.values()
        ),
        "lessons": sorted(
            (
                module_key[ls.module_id],
                ls.position,
                ls.key,
                ls.title,
                str(ls.kind),
                ls.minutes,
                ls.body_markdown,
                ls.body_html,
                str(ls.toc),
                ls.search_text,
                ls.content_hash,
            )
            for ls in lessons.values()
        ),
        "questions": sorted(
            (
                q.key,
                module_key[q.module_id],
                lesson_key.get(q.lesson_id),
                str(q.qtype),
                q.stem,
                str(q.options),
                str(q.answer),
                q.explanation,
                str(q.difficulty),
                str(q.tags),
                q.content_hash,
            )
            for q in questions.values()
        ),
        "quizzes": [],
        "surveys": [],
        "glossary": [
            (t.position, t.term, t.definition, lesson_key.get(t.lesson_id))
            for t in db.session.scalars(
                select(GlossaryTerm).where(GlossaryTerm.course_id == cid).order_by(GlossaryTerm.position)
            )
        ],
    }
    question_key = {i: q.key for i, q in questions.items()}
    for quiz in db.session.scalars(select(Quiz).where(Quiz.course_id == cid, Quiz.is_retired.is_(False))):
        items = db.session.scalars(
            select(QuizItem.question_id).where(QuizItem.quiz_id == quiz.id).order_by(QuizItem.position)
        ).all()
        data["quizzes"].append(
            (
                quiz.key,
                str(quiz.kind),
                quiz.title,
                module_key.get(quiz.module_id),
                str(quiz.settings),
                [question_key[i] for i in items],
                quiz.content_hash,
            )
        )
    for survey in db.session.scalars(select(Survey).where(Survey.course_id == cid, Survey.is_retired.is_(False))):
        items = db.session.scalars(
            select(SurveyItem).where(SurveyItem.survey_id == survey.id, SurveyItem.is_retired.is_(False))
        ).all()
        data["surveys"].append(
            (
                survey.key,
                str(survey.kind),
                survey.title,
                survey.intro,
                survey.is_anonymous,
                survey.allow_edit,
                str(survey.settings),
                survey.content_hash,
                sorted(
                    (
                        i.position,
                        i.key,
                        i.section,
                        str(i.itype),
                        i.prompt,
                        i.is_required,
                        str(i.spec),
                        module_key.get(i.module_id),
                        i.measure,
                        i.content_hash,
                    )
                    for i in items
                ),
            )
        )
    data["quizzes"].sort()
    data["surveys"].sort()
    return data


def fresh_app(tmp_path, name: str):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / f'{name}.sqlite3'}",
            "LMS_STORAGE_PATH": str(tmp_path / f"{name}-storage"),
        }
    )


def load_into_fresh_database(tmp_path, folder, key: str) -> dict:
    other = fresh_app(tmp_path, "fresh")
    with other.app_context():
        db.create_all()
        load(folder)
        data = snapshot(key)
        db.session.remove()
        db.engine.dispose()
    return data


@pytest.mark.parametrize("source", [REAL_COURSE, EXAMPLE], ids=["real-course", "example"])
def test_an_exported_course_loads_back_as_the_same_course(app, tmp_path, source):
    from lms.content.export import export_course

    with app.app_context():
        [report] = load(source)
        before = snapshot(report.course_key)
        course = db.session.scalar(select(Course).where(Course.key == report.course_key))
        folder = export_course(course, tmp_path / "export")
        assert folder.name == report.course_key
        [spec] = validate_courses(folder)  # the validator reads it without a problem
        assert len(spec.lessons()) == report.lessons
        # Loading the export over the course it came from writes nothing at all.
        [again] = load(folder)
        assert (again.changes.created, again.changes.updated, again.changes.retired) == ([], [], [])
        assert again.changes.unchanged == (
            1
            + report.modules
            + report.lessons
            + report.questions
            + report.quizzes
            + report.surveys
            + report.survey_items
            + report.terms
        )
    assert load_into_fresh_database(tmp_path, folder, report.course_key) == before


def _png(colour=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), colour).save(buffer, "PNG")
    return buffer.getvalue()


def test_changes_made_in_the_editor_are_in_the_export(app, make_user, tmp_path):
    load_course(app)
    author, _ = author_client(app, make_user)
    upload = author.post(
        "/authoring/courses/example-course/images",
        data={"image": (io.BytesIO(_png()), "chart.png"), "alt": "示意图"},
        headers={"Accept": "application/json"},
    )
    markdown = upload.get_json()["markdown"]
    welcome = lesson(app, "welcome")
    body = welcome.body_markdown + f"\n\n## 新增图示\n{markdown}\n"
    author.post(
        f"/authoring/lessons/{welcome.id}/edit", data=lesson_form(welcome, body_markdown=body, action="publish")
    )
    practice = module(app, "practice")
    author.post(
        "/authoring/courses/example-course/lessons/new",
        data=lesson_form(
            key="field-notes",
            module=f"m{practice.id}",
            title="田野笔记",
            kind="discussion",
            body_markdown="## 讨论\n记录一次家访。",
            action="publish",
        ),
    )
    author.post(
        "/authoring/courses/example-course/questions/new",
        data={
            "module": str(practice.id),
            "key": "m02-q06",
            "qtype": "single",
            "stem": "家访的目的?",
            "option_a": "了解家庭情况",
            "option_b": "收取费用",
            "answer_single": "A",
            "lesson": "field-notes",
            "difficulty": "easy",
            "tags": "家访",
        },
    )
    first_steps = lesson(app, "first-steps")
    author.post(f"/authoring/lessons/{first_steps.id}/move", data={"direction": "up"})
    with app.app_context():
        before = snapshot("example-course")
    assert "field-notes" in str(before["lessons"]) and "m02-q06" in str(before["questions"])

    response = author.get("/authoring/courses/example-course/export.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "example-course.zip" in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = archive.namelist()
    assert "example-course/modules/01-getting-started/01-first-steps.md" in names
    assert "example-course/modules/01-getting-started/02-welcome.md" in names
    assert "example-course/modules/02-practice/03-field-notes.md" in names
    image = markdown.split("(", 1)[1].rstrip(")")
    assert archive.read(f"example-course/modules/01-getting-started/{image}") == _png()
    archive.extractall(tmp_path / "unzipped")
    assert load_into_fresh_database(tmp_path, tmp_path / "unzipped", "example-course") == before


def test_the_export_command(app, tmp_path):
    load_course(app)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lms", "export-course", "example-course", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "checked by the validator" in result.output
    assert (tmp_path / "out/example-course/modules/02-practice/quiz.yaml").is_file()
    again = runner.invoke(args=["lms", "export-course", "example-course", str(tmp_path / "out")])
    assert again.exit_code == 1 and "is not empty" in again.output
    missing = runner.invoke(args=["lms", "export-course", "no-such-course", str(tmp_path / "x")])
    assert missing.exit_code != 0 and "no course" in missing.output


def test_an_export_that_would_not_load_is_refused(app, make_user, tmp_path):
    """An image gone from storage: the export says so instead of writing a broken course."""
    load_course(app)
    author, _ = author_client(app, make_user)
    with app.app_context():
        from lms.storage import storage_path

        for path in storage_path("course-media", "example-course", "x").parent.iterdir():
            path.unlink()
    response = author.get("/authoring/courses/example-course/export.zip", follow_redirects=True)
    assert "无法导出为有效的课程文件" in text(response) and "map.png" in text(response)
    result = app.test_cli_runner().invoke(args=["lms", "export-course", "example-course", str(tmp_path / "out")])
    assert result.exit_code == 1 and "missing from the storage folder" in result.output
