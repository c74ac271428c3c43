"""Write validated course data by stable key, versioning what changed.

Every versioned item (module, lesson, question, quiz, survey, survey item) is compared by
content hash: a new item gets version 1, a changed one gets the next version, and both get a
version row holding the content learners see (quizzes and surveys have no version table).
An unchanged item is not written at all, so loading the same files twice is a true no-op.
Files and the browser share the items: each item keeps the hash its file had at the last
load (``loaded_hash``). A file unchanged since then never undoes a browser edit; an item
changed both in its file and in the browser is reported as a conflict and left alone until
the trainer exports the course first or loads with ``take_file``.
Items no longer in the files are retired, never deleted, because learners may have records
on them; glossary terms, which nobody has records on, are deleted. Only ``add`` and
``flush`` are used: the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete, select, tuple_

from lms.assessment.models import (
    Difficulty,
    Question,
    QuestionType,
    QuestionVersion,
    Quiz,
    QuizItem,
    QuizKind,
)
from lms.extensions import db
from lms.learning.models import (
    Course,
    GlossaryTerm,
    Lesson,
    LessonKind,
    LessonVersion,
    Module,
    ModuleVersion,
)
from lms.surveys.models import ItemType, Survey, SurveyItem, SurveyItemVersion, SurveyKind
from lms.versioning import content_hash

from .images import store_image
from .publish import publish_version
from .spec import CourseSpec
from .structure import record_structure, snapshot_before_writing


@dataclass
class Changes:
    """What one load did, as ``kind:key`` labels (``unchanged`` is only counted)."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)  #: content changed: a new version
    retired: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)  #: back in the files after retirement
    deleted: list[str] = field(default_factory=list)  #: glossary terms only
    #: changed in the files and in the browser since the last load: left as they are
    conflicts: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  #: browser edits an unchanged file left alone
    unchanged: int = 0


def _assign(obj, **values) -> bool:
    """Set the attributes that differ (so an equal value never causes an UPDATE)."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


@dataclass
class _PendingVersion:
    item: object
    row_class: type
    foreign_key: str
    data: dict


class _Writer:
    """Upserts the items of one course and queues their version rows until ids exist."""

    def __init__(self, course: Course, take_file: bool = False):
        self.course = course
        self.take_file = take_file  #: conflicts are settled in favour of the files
        self.changes = Changes()
        self._versions: list[_PendingVersion] = []

    def versioned(
        self,
        kind: str,
        existing,
        new: tuple[type, dict],
        content: dict,
        columns: dict,
        layout: dict,
        version_row: tuple[type, str] | None = None,
        snapshot: dict | None = None,
    ):
        """Create or update one versioned item; return it.

        :param new: the model and the identifying columns, used when ``existing`` is None.
        :param columns: the columns that hold the content (written only when it changed).
        :param layout: position and parent columns (written whenever they differ; no version).
        """
        digest = content_hash(content)
        label = f"{kind}:{content['key']}"
        if existing is None:
            model, identity = new
            item = model(**identity)
            _assign(item, **columns, **layout)
            item.version, item.content_hash, item.is_retired = 1, digest, False
            item.loaded_hash = digest
            db.session.add(item)
            self.changes.created.append(label)
        elif existing.content_hash == digest or self._keeps(existing, digest, label):
            item = existing
            item.loaded_hash = digest if existing.content_hash == digest else item.loaded_hash
            _assign(item, **layout)
            if item.is_retired:
                item.is_retired = False
                self.changes.restored.append(label)
            elif existing.content_hash == digest:
                self.changes.unchanged += 1
            return item
        else:
            item = existing
            _assign(item, **columns, **layout, is_retired=False)
            item.version, item.content_hash, item.loaded_hash = item.version + 1, digest, digest
            self.changes.updated.append(label)
        if version_row is not None:
            row_class, foreign_key = version_row
            self._versions.append(_PendingVersion(item, row_class, foreign_key, snapshot or content))
        return item

    def _keeps(self, item, digest: str, label: str) -> bool:
        """Whether an item whose content differs from the file keeps its content: the file
        has not changed since the last load (a browser edit stays), or both changed (a
        conflict, reported; nothing changes until the files are taken with ``take_file``)."""
        edited = item.content_hash != item.loaded_hash
        if not edited or self.take_file:
            return False
        if item.loaded_hash == digest:
            self.changes.kept.append(label)
        else:
            self.changes.conflicts.append(label)
        return True

    def retire(self, kind: str, items, version_row: tuple | None = None) -> None:
        """Retire items no longer in the files. With ``version_row``, items whose current
        version was written in the browser or imported (not from files) are left alone."""
        # made or edited in the browser since the last load: not the files' to remove
        items = [item for item in items if not item.is_retired and item.content_hash == item.loaded_hash]
        if version_row is not None and items:
            row_class, foreign_key = version_row
            column = getattr(row_class, foreign_key)
            from_elsewhere = set(
                db.session.scalars(
                    select(column).where(
                        column.in_([item.id for item in items]),
                        row_class.source != "files",
                        tuple_(column, row_class.version).in_([(item.id, item.version) for item in items]),
                    )
                )
            )
            items = [item for item in items if item.id not in from_elsewhere]
        for item in items:
            if not item.is_retired:
                item.is_retired = True
                self.changes.retired.append(f"{kind}:{item.key}")

    def flush(self) -> None:
        """Flush, then add the queued version rows now that their items have ids."""
        db.session.flush()
        for pending in self._versions:
            publish_version(pending.item, pending.item.content_hash, pending.data, "files", bump=False)
        self._versions.clear()


def _by_key(model, *where) -> dict:
    return {row.key: row for row in db.session.scalars(select(model).where(*where))}


def upsert_course(spec: CourseSpec, take_file: bool = False) -> tuple[Course, Changes]:
    """Write one validated course; return its row and what changed.

    :param take_file: where the files and a browser edit both changed an item since the
        last load, write the file's content (otherwise the item is reported and left alone).
    """
    course = db.session.scalar(select(Course).where(Course.key == spec.key))
    columns = {
        "code": spec.code,
        "title": spec.title,
        "summary": spec.summary,
        "objectives": spec.objectives,
        "credit_hours": spec.credit_hours,
        "settings": spec.settings,
        "content_hash": content_hash(spec.content()),
    }
    created = course is None
    if created:
        course = Course(key=spec.key)
        db.session.add(course)
    changed = _assign(course, **columns)
    writer = _Writer(course, take_file)
    if created:
        writer.changes.created.append(f"course:{spec.key}")
    elif changed:
        writer.changes.updated.append(f"course:{spec.key}")
    else:
        writer.changes.unchanged += 1
    db.session.flush()
    snapshot_before_writing(course)

    modules = _write_modules(writer, spec)
    lessons = _write_lessons(writer, spec, modules)
    questions = _write_questions(writer, spec, modules, lessons)
    _write_quizzes(writer, spec, modules, questions)
    _write_surveys(writer, spec, modules)
    _write_glossary(writer, spec, lessons)
    for lesson in spec.lessons():
        for image in lesson.images:
            store_image(image, spec.key)
    record_structure(course, "files")
    return course, writer.changes


def _write_modules(writer: _Writer, spec: CourseSpec) -> dict[str, Module]:
    course = writer.course
    existing = _by_key(Module, Module.course_id == course.id)
    result = {}
    for m in spec.modules:
        result[m.key] = writer.versioned(
            "module",
            existing.pop(m.key, None),
            (Module, {"course_id": course.id, "key": m.key}),
            m.content(),
            columns={
                "title": m.title,
                "summary": m.summary,
                "objectives": m.objectives,
                "credit_hours": m.credit_hours,
                "prerequisites": m.prerequisites,
            },
            layout={"position": m.position},
            version_row=(ModuleVersion, "module_id"),
        )
    writer.retire("module", existing.values(), (ModuleVersion, "module_id"))
    writer.flush()
    return result


def _write_lessons(writer: _Writer, spec: CourseSpec, modules: dict) -> dict[str, Lesson]:
    course = writer.course
    existing = _by_key(Lesson, Lesson.course_id == course.id)
    result = {}
    for lesson in spec.lessons():
        result[lesson.key] = writer.versioned(
            "lesson",
            existing.pop(lesson.key, None),
            (Lesson, {"course_id": course.id, "key": lesson.key}),
            lesson.content(),
            columns={
                "title": lesson.title,
                "kind": LessonKind(lesson.kind),
                "minutes": lesson.minutes,
                "body_markdown": lesson.body_markdown,
                "body_html": lesson.body_html,
                "toc": lesson.toc,
                "search_text": lesson.search_text,
            },
            layout={"position": lesson.position, "module_id": modules[lesson.module_key].id},
            version_row=(LessonVersion, "lesson_id"),
            snapshot=lesson.snapshot(),
        )
    writer.retire("lesson", existing.values(), (LessonVersion, "lesson_id"))
    writer.flush()
    return result


def _write_questions(
    writer: _Writer,
    spec: CourseSpec,
    modules: dict,
    lessons: dict,
) -> dict[str, Question]:
    course = writer.course
    existing = _by_key(Question, Question.course_id == course.id)
    result = {}
    for q in spec.questions():
        result[q.key] = writer.versioned(
            "question",
            existing.pop(q.key, None),
            (Question, {"course_id": course.id, "key": q.key}),
            q.content(),
            columns={
                "qtype": QuestionType(q.qtype),
                "stem": q.stem,
                "options": q.options,
                "answer": q.answer,
                "explanation": q.explanation,
                "difficulty": Difficulty(q.difficulty),
                "tags": q.tags,
            },
            layout={
                "module_id": modules[q.module_key].id,
                "lesson_id": lessons[q.lesson_key].id if q.lesson_key else None,
            },
            version_row=(QuestionVersion, "question_id"),
        )
    writer.retire("question", existing.values(), (QuestionVersion, "question_id"))
    writer.flush()
    return result


def _write_quizzes(writer: _Writer, spec: CourseSpec, modules: dict, questions: dict) -> None:
    course = writer.course
    existing = _by_key(Quiz, Quiz.course_id == course.id)
    refill: list[tuple[Quiz, list[str], bool]] = []
    for q in spec.all_quizzes():
        before = existing.get(q.key)
        old_version = (before.version, before.content_hash) if before else None
        quiz = writer.versioned(
            "quiz",
            existing.pop(q.key, None),
            (Quiz, {"course_id": course.id, "key": q.key}),
            q.content(),
            columns={"kind": QuizKind(q.kind), "title": q.title, "settings": q.settings},
            layout={"module_id": modules[q.module_key].id if q.module_key else None},
        )
        if old_version != (quiz.version, quiz.content_hash):
            refill.append((quiz, q.questions, old_version is not None))
    writer.retire("quiz", existing.values())
    writer.flush()
    # A changed quiz gets a fresh list: delete first, so (quiz, question) stays unique.
    for quiz, keys, had_items in refill:
        if had_items:
            db.session.execute(delete(QuizItem).where(QuizItem.quiz_id == quiz.id))
        for position, key in enumerate(keys):
            db.session.add(QuizItem(quiz_id=quiz.id, question_id=questions[key].id, position=position))
    db.session.flush()


def _write_surveys(writer: _Writer, spec: CourseSpec, modules: dict) -> None:
    course = writer.course
    existing = _by_key(Survey, Survey.course_id == course.id)
    surveys = []
    for s in spec.surveys:
        survey = writer.versioned(
            "survey",
            existing.pop(s.key, None),
            (Survey, {"course_id": course.id, "key": s.key}),
            s.content(),
            columns={
                "kind": SurveyKind(s.kind),
                "title": s.title,
                "intro": s.intro,
                "is_anonymous": s.anonymous,
                "allow_edit": s.allow_edit,
                "settings": s.settings,
            },
            layout={},
        )
        surveys.append((survey, s))
    retired_surveys = list(existing.values())
    writer.retire("survey", retired_surveys)
    writer.flush()
    for survey, s in surveys:
        items = _by_key(SurveyItem, SurveyItem.survey_id == survey.id)
        for item in s.items:
            writer.versioned(
                "survey item",
                items.pop(item.key, None),
                (SurveyItem, {"survey_id": survey.id, "key": item.key}),
                item.content() | {"survey": s.key},
                columns={
                    "itype": ItemType(item.itype),
                    "prompt": item.prompt,
                    "is_required": item.required,
                    "spec": item.spec,
                    "measure": item.measure,
                },
                layout={
                    "position": item.position,
                    "section": item.section,
                    "module_id": modules[item.module_key].id if item.module_key else None,
                },
                version_row=(SurveyItemVersion, "item_id"),
            )
        writer.retire("survey item", items.values(), (SurveyItemVersion, "item_id"))
    for survey in retired_surveys:
        writer.retire("survey item", db.session.scalars(select(SurveyItem).where(SurveyItem.survey_id == survey.id)))
    writer.flush()


def _write_glossary(writer: _Writer, spec: CourseSpec, lessons: dict) -> None:
    course = writer.course
    existing = {t.term: t for t in db.session.scalars(select(GlossaryTerm).where(GlossaryTerm.course_id == course.id))}
    for t in spec.glossary:
        lesson_id = lessons[t.lesson_key].id if t.lesson_key else None
        term = existing.pop(t.term, None)
        if term is None:
            db.session.add(
                GlossaryTerm(
                    course_id=course.id, term=t.term, definition=t.definition, lesson_id=lesson_id, position=t.position
                )
            )
            writer.changes.created.append(f"term:{t.term}")
        else:
            edited = (term.definition, term.lesson_id) != (t.definition, lesson_id)
            _assign(term, definition=t.definition, lesson_id=lesson_id, position=t.position)
            if edited:
                writer.changes.updated.append(f"term:{t.term}")
            else:
                writer.changes.unchanged += 1
    for term in existing.values():
        db.session.delete(term)
        writer.changes.deleted.append(f"term:{term.term}")
    db.session.flush()
