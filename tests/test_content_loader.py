"""The course loader: the real course, the example course, no-op reloads and versioning."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event, select

from lms import ROOT
from lms.assessment.models import Question, QuestionVersion, Quiz, QuizItem
from lms.extensions import db
from lms.learning.models import Course, GlossaryTerm, Lesson, LessonVersion, Module, ModuleVersion
from lms.surveys.models import Survey, SurveyItem, SurveyItemVersion
from tests.content_helpers import EXAMPLE, copy_example, edit, load, row_counts


def _one(model, **where):
    return db.session.scalars(select(model).filter_by(**where)).one()


def _terms() -> list[str]:
    return list(db.session.scalars(select(GlossaryTerm.term).order_by(GlossaryTerm.position)))


def _versions(row_class, foreign_key: str, item_id: int) -> list:
    column = getattr(row_class, foreign_key)
    return db.session.scalars(select(row_class).where(column == item_id).order_by(row_class.version)).all()


def test_real_course_loads_and_covers_every_module(ctx):
    [report] = load(ROOT / "courses")
    course = _one(Course, key="edu-assistance-policy")
    modules = db.session.scalars(select(Module).where(Module.course_id == course.id).order_by(Module.position)).all()
    assert len(modules) == report.modules == 10
    folders = sorted(p.name for p in (ROOT / "courses/edu-assistance-policy/modules").iterdir())
    assert [m.key for m in modules] == [name.split("-", 1)[1] for name in folders]
    questions = db.session.scalars(select(Question).where(Question.course_id == course.id)).all()
    assert len(questions) >= 100
    for module in modules:
        lessons = db.session.scalars(select(Lesson).where(Lesson.module_id == module.id)).all()
        assert lessons, module.key
        assert all(lesson.body_html and lesson.search_text for lesson in lessons)
        assert sum(q.module_id == module.id for q in questions) >= 8, module.key
    quizzes = db.session.scalars(select(Quiz).where(Quiz.course_id == course.id)).all()
    kinds = {quiz.kind.value for quiz in quizzes}
    assert kinds == {"pre_test", "module_quiz", "post_test", "final_exam"}
    surveys = db.session.scalars(select(Survey).where(Survey.course_id == course.id)).all()
    assert {s.kind.value for s in surveys} == {"needs", "feedback", "module_feedback", "follow_up"}
    assert report.changes.created and not report.changes.updated and not report.changes.retired
    assert "edu-assistance-policy: 10 modules" in report.summary()


def test_example_course_loads_every_kind_of_content(ctx, app):
    [report] = load(EXAMPLE)
    assert (report.modules, report.lessons, report.questions, report.quizzes, report.surveys) == (2, 4, 11, 5, 4)
    course = _one(Course, key="example-course")
    assert course.code == "EXMP" and course.settings["certificate"]["final_exam"] is True

    welcome = _one(Lesson, key="welcome")
    assert welcome.version == 1 and welcome.kind.value == "reading"
    assert [h["text"] for h in welcome.toc] == ["学习目标", "课程地图", "小结"]
    assert '<h2 id="h-学习目标">' in welcome.body_html
    [version] = _versions(LessonVersion, "lesson_id", welcome.id)
    assert version.version == 1 and version.data["body_html"] == welcome.body_html

    # The image is stored by content hash and the link rewritten to the media URL.
    media = Path(app.config["LMS_STORAGE_PATH"]) / "course-media" / "example-course"
    [stored] = list(media.iterdir())
    assert f'src="/media/course/example-course/{stored.name}"' in welcome.body_html
    original = EXAMPLE / "modules/01-getting-started/images/map.png"
    assert stored.read_bytes() == original.read_bytes()

    types = {q.qtype.value for q in db.session.scalars(select(Question))}
    assert types == {"single", "multiple", "true_false", "fill_blank", "short_answer"}
    assert _one(Question, key="m01-q03").answer == ["A", "B", "D"]
    assert _one(Question, key="m01-q02").answer is True
    assert _one(Question, key="m01-q05").lesson_id == _one(Lesson, key="first-steps").id

    quiz = _one(Quiz, key="m01-quiz")
    items = db.session.scalars(select(QuizItem).where(QuizItem.quiz_id == quiz.id).order_by(QuizItem.position)).all()
    assert [db.session.get(Question, i.question_id).key for i in items] == ["m01-q03", "m01-q04", "m01-q05"]
    final = _one(Quiz, key="final-exam")
    assert final.settings["pass_mark"] == 70 and len(final.settings["draw"]) == 2
    assert _one(Quiz, key="pre-test").settings["pass_mark"] == 60  # the course default

    item_types = {i.itype.value for i in db.session.scalars(select(SurveyItem))}
    assert item_types == {"likert", "single", "multiple", "rating10", "matrix", "number", "text"}
    need = _one(SurveyItem, key="need-getting-started")
    assert need.measure == "need" and need.module_id == _one(Module, key="getting-started").id
    assert _terms() == ["四个不摘", "控辍保学"]
    # Every versioned item has exactly one version row.
    assert len(db.session.scalars(select(QuestionVersion)).all()) == 11
    assert len(db.session.scalars(select(SurveyItemVersion)).all()) == 17
    assert len(db.session.scalars(select(ModuleVersion)).all()) == 2


def test_loading_twice_changes_nothing(ctx):
    load(ROOT / "courses")
    load(EXAMPLE)
    before = row_counts()
    course = _one(Course, key="example-course")
    stamp, lesson_ids = course.updated_at, sorted(db.session.scalars(select(Lesson.id)))
    db.session.expire_all()

    writes: list[str] = []

    def record(conn, cursor, statement, *args):
        if statement.split()[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        reports = load(ROOT / "courses") + load(EXAMPLE)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert writes == []
    assert all(
        not (r.changes.created or r.changes.updated or r.changes.retired) and r.changes.unchanged for r in reports
    )
    assert row_counts() == before
    db.session.expire_all()
    assert _one(Course, key="example-course").updated_at == stamp
    assert sorted(db.session.scalars(select(Lesson.id))) == lesson_ids
    assert all(v.version == 1 for v in db.session.scalars(select(Lesson)))


def test_lesson_edit_bumps_only_that_lesson(ctx, tmp_path):
    course_dir = copy_example(tmp_path)
    load(course_dir)
    before = row_counts()
    edit(
        course_dir / "modules/01-getting-started/02-first-steps.md",
        "四个不摘是过渡期的核心要求。",
        "四个不摘是过渡期内必须坚持的核心要求。",
    )
    [report] = load(course_dir)

    assert (
        report.changes.updated == ["lesson:first-steps"] and not report.changes.created and not report.changes.retired
    )
    lesson = _one(Lesson, key="first-steps")
    assert lesson.version == 2 and "必须坚持" in lesson.body_html
    old, new = _versions(LessonVersion, "lesson_id", lesson.id)
    assert (old.version, new.version) == (1, 2)
    assert "必须坚持" not in old.data["body_markdown"] and "必须坚持" in new.data["body_markdown"]
    assert old.content_hash != new.content_hash == lesson.content_hash
    others = db.session.scalars(select(Lesson).where(Lesson.key != "first-steps")).all()
    assert {lesson.version for lesson in others} == {1}
    assert {m.version for m in db.session.scalars(select(Module))} == {1}
    after = row_counts()
    assert after.pop("lesson_versions") == before.pop("lesson_versions") + 1
    assert after == before


def test_question_edit_bumps_only_that_question(ctx, tmp_path):
    course_dir = copy_example(tmp_path)
    load(course_dir)
    edit(
        course_dir / "modules/01-getting-started/questions.yaml",
        "资助标准不降低、覆盖范围____。",
        "资助标准不降低，覆盖范围____。",
    )
    [report] = load(course_dir)
    assert report.changes.updated == ["question:m01-q04"]
    question = _one(Question, key="m01-q04")
    assert question.version == 2
    versions = _versions(QuestionVersion, "question_id", question.id)
    assert [v.data["stem"][-10:] for v in versions] == ["、覆盖范围____。", "，覆盖范围____。"]
    others = db.session.scalars(select(Question).where(Question.id != question.id)).all()
    assert {q.version for q in others} == {1}
    # The quiz that lists it still lists the same question row.
    assert _one(Quiz, key="m01-quiz").version == 1


def test_module_and_survey_item_edits_bump_their_own_version(ctx, tmp_path):
    course_dir = copy_example(tmp_path)
    load(course_dir)
    edit(course_dir / "modules/02-practice/module.yaml", "credit_hours: 1.5", "credit_hours: 1")
    edit(course_dir / "surveys/feedback.yaml", "prompt: 您的改进建议", "prompt: 您对培训的改进建议")
    [report] = load(course_dir)
    assert sorted(report.changes.updated) == ["module:practice", "survey item:improve"]
    module = _one(Module, key="practice")
    assert module.version == 2 and module.credit_hours == 1
    versions = _versions(ModuleVersion, "module_id", module.id)
    assert [v.data["credit_hours"] for v in versions] == [1.5, 1]
    improve = _one(SurveyItem, key="improve")
    assert improve.version == 2 and len(_versions(SurveyItemVersion, "item_id", improve.id)) == 2
    assert _one(Survey, key="feedback").version == 1


def test_removed_lesson_and_question_are_retired_then_restored(ctx, tmp_path):
    course_dir = copy_example(tmp_path)
    load(course_dir)
    lesson_file = course_dir / "modules/02-practice/02-discussion.md"
    saved = lesson_file.read_text(encoding="utf-8")
    lesson_file.unlink()
    questions = course_dir / "modules/02-practice/questions.yaml"
    edit(questions, "lesson: discussion", "lesson: village-school")
    edit(
        course_dir / "modules/01-getting-started/questions.yaml",
        "  - id: m01-q06\n    type: single\n    stem: 教育扶贫通过什么实现长效脱贫?\n"
        "    options: [发放补贴, 知识和技能提升]\n    answer: B\n    lesson: welcome\n",
        "",
    )
    before = row_counts()
    [report] = load(course_dir)

    assert sorted(report.changes.retired) == ["lesson:discussion", "question:m01-q06"]
    assert report.changes.updated == ["question:m02-q05"]
    lesson = _one(Lesson, key="discussion")
    assert lesson.is_retired and lesson.version == 1
    assert _one(Question, key="m01-q06").is_retired
    after = row_counts()
    assert after.pop("question_versions") == before.pop("question_versions") + 1
    # the module lost a lesson: a new module version records its new structure
    assert after.pop("module_versions") == before.pop("module_versions") + 1
    assert after == before  # nothing deleted

    lesson_file.write_text(saved, encoding="utf-8")
    [report] = load(course_dir)
    assert report.changes.restored == ["lesson:discussion"] and not report.changes.retired
    assert not _one(Lesson, key="discussion").is_retired


def test_moving_a_lesson_changes_its_position_not_its_version(ctx, tmp_path):
    course_dir = copy_example(tmp_path)
    load(course_dir)
    folder = course_dir / "modules/01-getting-started"
    (folder / "01-welcome.md").rename(folder / "03-welcome.md")
    [report] = load(course_dir)
    assert not report.changes.updated and not report.changes.created
    welcome = _one(Lesson, key="welcome")
    assert (welcome.position, welcome.version) == (1, 1)
    assert _one(Lesson, key="first-steps").position == 0


def test_glossary_terms_are_upserted_and_removed(ctx, tmp_path):
    course_dir = copy_example(tmp_path)
    load(course_dir)
    edit(
        course_dir / "glossary.yaml",
        "  - term: 控辍保学\n    definition: 控制学生辍学、保障适龄儿童少年就学。\n",
        "  - term: 过渡期\n    definition: 五年过渡期。\n",
    )
    [report] = load(course_dir)
    assert report.changes.deleted == ["term:控辍保学"] and "term:过渡期" in report.changes.created
    assert _terms() == ["四个不摘", "过渡期"]


def test_quiz_edit_replaces_its_items(ctx, tmp_path):
    course_dir = copy_example(tmp_path)
    load(course_dir)
    edit(
        course_dir / "modules/01-getting-started/quiz.yaml",
        "questions: [m01-q03, m01-q04, m01-q05]",
        "questions: [m01-q05, m01-q03]",
    )
    [report] = load(course_dir)
    assert report.changes.updated == ["quiz:m01-quiz"]
    quiz = _one(Quiz, key="m01-quiz")
    items = db.session.scalars(select(QuizItem).where(QuizItem.quiz_id == quiz.id).order_by(QuizItem.position)).all()
    assert quiz.version == 2
    assert [db.session.get(Question, i.question_id).key for i in items] == ["m01-q05", "m01-q03"]


def test_cli_loads_and_reports(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lms", "load-courses", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert "example-course: 2 modules, 4 lessons, 11 questions" in result.output
