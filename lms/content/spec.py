"""Plain data read from valid course files: what the upsert step writes.

Each versioned item has a ``content()`` method giving the plain data its content hash and
version snapshot are made from. Positions, the section of a survey item and similar layout
are not part of the content: moving an item does not give it a new version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .images import ImageRef


@dataclass
class LessonSpec:
    key: str
    title: str
    kind: str
    minutes: int
    body_markdown: str
    position: int = 0
    module_key: str = ""
    images: list[ImageRef] = field(default_factory=list)
    body_html: str = ""
    toc: list[dict] = field(default_factory=list)
    search_text: str = ""

    def content(self) -> dict:
        # Images count by their bytes: replacing a picture is an edit of the lesson.
        images = {image.src: image.sha256 for image in self.images}
        return {
            "key": self.key,
            "module": self.module_key,
            "title": self.title,
            "kind": self.kind,
            "minutes": self.minutes,
            "body_markdown": self.body_markdown,
            "images": images,
        }

    def snapshot(self) -> dict:
        """The content plus what learners were shown (stored in the version row)."""
        return self.content() | {"body_html": self.body_html, "toc": self.toc}


@dataclass
class QuestionSpec:
    key: str
    qtype: str
    stem: str
    options: list[str]
    answer: object
    explanation: str
    lesson_key: str | None
    difficulty: str
    tags: list[str]
    module_key: str = ""

    def content(self) -> dict:
        return {
            "key": self.key,
            "module": self.module_key,
            "lesson": self.lesson_key,
            "type": self.qtype,
            "stem": self.stem,
            "options": self.options,
            "answer": self.answer,
            "explanation": self.explanation,
            "difficulty": self.difficulty,
            "tags": self.tags,
        }


@dataclass
class QuizSpec:
    key: str
    kind: str
    title: str
    module_key: str | None
    questions: list[str]
    #: time limit, attempts, pass mark (resolved), shuffling, review, draw, parallel_to
    settings: dict

    def content(self) -> dict:
        return {
            "key": self.key,
            "kind": self.kind,
            "title": self.title,
            "module": self.module_key,
            "questions": self.questions,
            "settings": self.settings,
        }


@dataclass
class ModuleSpec:
    key: str
    title: str
    summary: str
    objectives: list[str]
    credit_hours: float
    prerequisites: list[str]
    position: int = 0
    folder: Path | None = None
    lessons: list[LessonSpec] = field(default_factory=list)
    questions: list[QuestionSpec] = field(default_factory=list)
    quiz: QuizSpec | None = None

    def content(self) -> dict:
        return {
            "key": self.key,
            "title": self.title,
            "summary": self.summary,
            "objectives": self.objectives,
            "credit_hours": self.credit_hours,
            "prerequisites": self.prerequisites,
        }


@dataclass
class SurveyItemSpec:
    key: str
    itype: str
    prompt: str
    required: bool
    spec: dict  #: options, labels, rows, min/max
    module_key: str | None
    measure: str | None
    section: str = ""
    position: int = 0

    def content(self) -> dict:
        return {
            "key": self.key,
            "type": self.itype,
            "prompt": self.prompt,
            "required": self.required,
            "spec": self.spec,
            "module": self.module_key,
            "measure": self.measure,
        }


@dataclass
class SurveySpec:
    key: str
    kind: str
    title: str
    intro: str
    anonymous: bool
    allow_edit: bool
    settings: dict
    items: list[SurveyItemSpec] = field(default_factory=list)

    def content(self) -> dict:
        return {
            "key": self.key,
            "kind": self.kind,
            "title": self.title,
            "intro": self.intro,
            "anonymous": self.anonymous,
            "allow_edit": self.allow_edit,
            "settings": self.settings,
        }


@dataclass
class TermSpec:
    term: str
    definition: str
    lesson_key: str | None
    position: int = 0


@dataclass
class CourseSpec:
    key: str
    code: str
    title: str
    summary: str
    objectives: list[str]
    credit_hours: float
    settings: dict  #: completion, certificate, quiz_defaults
    folder: Path | None = None
    modules: list[ModuleSpec] = field(default_factory=list)
    quizzes: list[QuizSpec] = field(default_factory=list)  #: pre/post tests, final exam
    surveys: list[SurveySpec] = field(default_factory=list)
    glossary: list[TermSpec] = field(default_factory=list)

    def content(self) -> dict:
        return {
            "key": self.key,
            "code": self.code,
            "title": self.title,
            "summary": self.summary,
            "objectives": self.objectives,
            "credit_hours": self.credit_hours,
            "settings": self.settings,
        }

    def all_quizzes(self) -> list[QuizSpec]:
        """Every quiz: the module quizzes in module order, then the course-level ones."""
        return [m.quiz for m in self.modules if m.quiz] + self.quizzes

    def lessons(self) -> list[LessonSpec]:
        return [lesson for module in self.modules for lesson in module.lessons]

    def questions(self) -> list[QuestionSpec]:
        return [q for module in self.modules for q in module.questions]
