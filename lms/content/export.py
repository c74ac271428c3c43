"""Write a course from the database back into the course file format (docs/course-format.md).

The export is what the loader reads: loading it into an empty database gives the same
course, and loading it over the course it came from changes nothing. That is how changes
made in the browser editor get back into ``courses/`` (and into version control). Retired
items are left out, as they are no longer in the files. Lesson images are copied from the
storage folder into each module's ``images/`` folder under the names the lessons link to.
"""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

import yaml
from sqlalchemy import select

from lms.assessment.models import Question, Quiz, QuizItem
from lms.extensions import db
from lms.learning.models import Course, GlossaryTerm, Lesson, LessonVersion, Module
from lms.storage import storage_path
from lms.surveys.models import Survey, SurveyItem

from .images import EXTENSIONS
from .loader import validate_courses
from .problems import CourseValidationError
from .tree import COURSE_FILE, QUIZ_FILES, SURVEY_FILES

QUIZ_FILE_OF = {kind: name for name, kind in QUIZ_FILES.items()}
SURVEY_FILE_OF = {kind: name for name, kind in SURVEY_FILES.items()}


class CourseExportError(RuntimeError):
    """The course cannot be written as valid files; ``problems`` says why."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


class _Dumper(yaml.SafeDumper):
    """Written the way the course files are written by hand: lists indented under their key,
    short lists of words on one line, text with line breaks as a literal block, whole
    numbers without a decimal point (the loader reads numbers as numbers either way)."""

    def increase_indent(self, flow: bool = False, indentless: bool = False):
        return super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str):
    style = None
    if "\n" in value:
        style = "|"
    elif len(value) > 60 and value == value.strip():
        style = ">"  # a paragraph on its own indented line, like ``summary: >-`` by hand
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_float(dumper: yaml.SafeDumper, value: float):
    if value.is_integer():
        return dumper.represent_int(int(value))
    return dumper.represent_float(value)


def _represent_list(dumper: yaml.SafeDumper, value: list):
    short = (
        value
        and all(isinstance(v, str) and len(v) <= 16 and "," not in v for v in value)
        and sum(len(v) + 2 for v in value) <= 60
    )
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=bool(short))


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(float, _represent_float)
_Dumper.add_representer(list, _represent_list)


def dump_yaml(data: dict) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, default_flow_style=False, width=100)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _prefix(position: int, count: int) -> str:
    return str(position + 1).zfill(max(2, len(str(count))))


def _optional(data: dict, **values) -> dict:
    """``data`` plus the values that are not empty (optional keys are left out when empty)."""
    data.update({k: v for k, v in values.items() if v not in (None, "", [], {})})
    return data


def export_course(course: Course, target: Path) -> Path:
    """Write ``course`` as ``target/<course-key>/`` and check it with the loader's validator.

    :returns: the course folder written.
    :raises CourseExportError: when the folder exists and is not empty, an image is missing
        from storage, or the written files do not pass validation.
    """
    folder = Path(target) / course.key
    if folder.exists() and any(folder.iterdir()):
        raise CourseExportError([f"{folder} exists and is not empty"])
    _CourseWriter(course, folder).write()
    try:
        validate_courses(folder)
    except CourseValidationError as error:
        raise CourseExportError([str(p) for p in error.problems]) from None
    return folder


def export_course_zip(course: Course) -> bytes:
    """The course folder as a ZIP archive (entries start with ``<course-key>/``)."""
    with tempfile.TemporaryDirectory(prefix="lms-export-") as tmp:
        folder = export_course(course, Path(tmp))
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(folder.parent).as_posix())
        return buffer.getvalue()


class _CourseWriter:
    def __init__(self, course: Course, folder: Path):
        self.course = course
        self.folder = folder
        cid = course.id
        self.modules = db.session.scalars(
            select(Module)
            .where(Module.course_id == cid, Module.is_retired.is_(False))
            .order_by(Module.position, Module.id)
        ).all()
        self.module_keys = {m.id: m.key for m in self.modules}
        self.lessons = db.session.scalars(
            select(Lesson)
            .where(Lesson.course_id == cid, Lesson.is_retired.is_(False))
            .order_by(Lesson.position, Lesson.id)
        ).all()
        self.lesson_keys = {
            row.id: row.key for row in db.session.execute(select(Lesson.id, Lesson.key).where(Lesson.course_id == cid))
        }
        self.question_keys = {
            row.id: row.key
            for row in db.session.execute(select(Question.id, Question.key).where(Question.course_id == cid))
        }

    def write(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.write_course()
        self.write_glossary()
        quizzes = db.session.scalars(
            select(Quiz).where(Quiz.course_id == self.course.id, Quiz.live()).order_by(Quiz.id)
        ).all()
        module_quiz = {q.module_id: q for q in quizzes if q.module_id is not None}
        for position, module in enumerate(self.modules):
            name = f"{_prefix(position, len(self.modules))}-{module.key}"
            self.write_module(self.folder / "modules" / name, module, module_quiz.get(module.id))
        for quiz in quizzes:
            if quiz.module_id is None:
                self.write_quiz(self.folder / "quizzes" / QUIZ_FILE_OF[str(quiz.kind)], quiz)
        self.write_surveys()

    def write_course(self) -> None:
        c, settings = self.course, self.course.settings or {}
        data = _optional(
            {"key": c.key, "code": c.code, "title": c.title}, summary=c.summary, objectives=list(c.objectives or [])
        )
        data["credit_hours"] = c.credit_hours
        data = _optional(data, completion=settings.get("completion"))
        if settings.get("certificate"):
            cert = dict(settings["certificate"])
            if not cert.get("issuer"):
                cert.pop("issuer", None)
            data["certificate"] = cert
        if settings.get("quiz_defaults"):
            data["quiz_defaults"] = dict(settings["quiz_defaults"])
        _write(self.folder / COURSE_FILE, dump_yaml(data))

    def write_glossary(self) -> None:
        terms = db.session.scalars(
            select(GlossaryTerm)
            .where(GlossaryTerm.course_id == self.course.id)
            .order_by(GlossaryTerm.position, GlossaryTerm.id)
        ).all()
        if not terms:
            return
        items = [
            _optional({"term": t.term, "definition": t.definition}, lesson=self.lesson_keys.get(t.lesson_id))
            for t in terms
        ]
        _write(self.folder / "glossary.yaml", dump_yaml({"terms": items}))

    # -- modules and lessons -----------------------------------------------------------------

    def write_module(self, folder: Path, module: Module, quiz: Quiz | None) -> None:
        data = _optional(
            {"key": module.key, "title": module.title}, summary=module.summary, objectives=list(module.objectives or [])
        )
        data["credit_hours"] = module.credit_hours
        _optional(data, prerequisites=list(module.prerequisites or []))
        _write(folder / "module.yaml", dump_yaml(data))
        lessons = [ls for ls in self.lessons if ls.module_id == module.id]
        images: dict[str, str] = {}  # the module's images/ folder: src -> SHA-256
        for position, lesson in enumerate(lessons):
            body = self.copy_images(folder, lesson, images)
            front = {"key": lesson.key, "title": lesson.title, "kind": str(lesson.kind), "minutes": lesson.minutes}
            text = f"---\n{dump_yaml(front)}---\n\n{body}\n"
            _write(folder / f"{_prefix(position, len(lessons))}-{lesson.key}.md", text)
        questions = db.session.scalars(
            select(Question)
            .where(Question.module_id == module.id, Question.is_retired.is_(False))
            .order_by(Question.id)
        ).all()
        if questions:
            items = [self.question_data(q) for q in questions]
            _write(folder / "questions.yaml", dump_yaml({"questions": items}))
        if quiz is not None:
            self.write_quiz(folder / "quiz.yaml", quiz)

    def copy_images(self, folder: Path, lesson: Lesson, taken: dict[str, str]) -> str:
        """Copy the lesson's images into the module's images/ folder; return its Markdown.

        Two lessons of a module linking the same name to different pictures (possible only
        after editing in the browser) get the second one under its content-addressed name.
        """
        data = (
            db.session.scalar(
                select(LessonVersion.data).where(
                    LessonVersion.lesson_id == lesson.id, LessonVersion.version == lesson.version
                )
            )
            or {}
        )
        body = lesson.body_markdown
        for src, sha256 in sorted((data.get("images") or {}).items()):
            ext = EXTENSIONS.get(PurePosixPath(src).suffix.lower().lstrip("."))
            stored = storage_path("course-media", self.course.key, f"{sha256}.{ext}")
            if ext is None or not stored.is_file():
                raise CourseExportError([f"lesson '{lesson.key}': image '{src}' is missing from the storage folder"])
            name = src
            if taken.get(src, sha256) != sha256:
                name = f"images/{sha256}.{ext}"
                body = re.sub(r"\]\(" + re.escape(src) + r"(?=[\s)])", f"]({name}", body)
            taken[name] = sha256
            target = folder / name
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(stored.read_bytes())
        return body

    def question_data(self, q: Question) -> dict:
        data = {"id": q.key, "type": str(q.qtype), "stem": q.stem}
        if str(q.qtype) in ("single", "multiple"):
            data["options"] = list(q.options or [])
        data["answer"] = q.answer
        _optional(data, explanation=q.explanation, lesson=self.lesson_keys.get(q.lesson_id))
        data["difficulty"] = str(q.difficulty)
        return _optional(data, tags=list(q.tags or []))

    # -- quizzes and surveys -------------------------------------------------------------

    def write_quiz(self, path: Path, quiz: Quiz) -> None:
        s = quiz.settings or {}
        data = {"key": quiz.key, "kind": str(quiz.kind), "title": quiz.title}
        if quiz.module_id is not None:
            data["module"] = self.module_keys[quiz.module_id]
        if s.get("draw") is not None:
            data["draw"] = [
                _optional(
                    {"module": r["module"], "count": r["count"]},
                    exclude_tags=list(r.get("exclude_tags") or []),
                    tags=list(r.get("tags") or []),
                )
                for r in s["draw"]
            ]
        else:
            items = db.session.scalars(
                select(QuizItem.question_id).where(QuizItem.quiz_id == quiz.id).order_by(QuizItem.position)
            ).all()
            data["questions"] = [self.question_keys[qid] for qid in items]
        _optional(data, time_limit_minutes=s.get("time_limit_minutes"), max_attempts=s.get("max_attempts"))
        data["pass_mark"] = s.get("pass_mark")
        data["shuffle_questions"] = bool(s.get("shuffle_questions"))
        data["shuffle_options"] = bool(s.get("shuffle_options"))
        review = s.get("review")
        if review:  # absent: the quiz kind's default review options
            data["review"] = review if isinstance(review, str) else {k: list(v) for k, v in review.items()}
        _optional(data, parallel_to=s.get("parallel_to"))
        _write(path, dump_yaml(data))

    def write_surveys(self) -> None:
        surveys = db.session.scalars(
            select(Survey).where(Survey.course_id == self.course.id, Survey.is_retired.is_(False)).order_by(Survey.id)
        ).all()
        for survey in surveys:
            items = db.session.scalars(
                select(SurveyItem)
                .where(SurveyItem.survey_id == survey.id, SurveyItem.is_retired.is_(False))
                .order_by(SurveyItem.position, SurveyItem.id)
            ).all()
            sections: list[dict] = []
            for item in items:
                if not sections or sections[-1]["title"] != item.section:
                    sections.append({"title": item.section, "items": []})
                sections[-1]["items"].append(self.survey_item_data(item))
            data = _optional({"key": survey.key, "kind": str(survey.kind), "title": survey.title}, intro=survey.intro)
            data["anonymous"] = survey.is_anonymous
            data["allow_edit"] = survey.allow_edit
            _optional(data, **(survey.settings or {}))
            data["sections"] = sections
            _write(self.folder / "surveys" / SURVEY_FILE_OF[str(survey.kind)], dump_yaml(data))

    def survey_item_data(self, item: SurveyItem) -> dict:
        data = {"id": item.key, "type": str(item.itype), "prompt": item.prompt}
        if not item.is_required:
            data["required"] = False
        spec = item.spec or {}
        for name in ("options", "labels", "rows", "min", "max"):
            if spec.get(name) is not None:
                data[name] = spec[name]
        return _optional(data, module=self.module_keys.get(item.module_id), measure=item.measure)
