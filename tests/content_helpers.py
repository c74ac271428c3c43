"""Helpers for the content loader tests: copy the example course, edit it, count rows."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import func, select

from lms.assessment.models import Question, QuestionVersion, Quiz, QuizItem
from lms.content.loader import load_courses
from lms.db import write_transaction
from lms.extensions import db
from lms.learning.models import Course, GlossaryTerm, Lesson, LessonVersion, Module, ModuleVersion
from lms.surveys.models import Survey, SurveyItem, SurveyItemVersion

DATA = Path(__file__).parent / "data" / "courses"
EXAMPLE = DATA / "example-course"
CONTENT_MODELS = (
    Course,
    Module,
    ModuleVersion,
    Lesson,
    LessonVersion,
    Question,
    QuestionVersion,
    Quiz,
    QuizItem,
    Survey,
    SurveyItem,
    SurveyItemVersion,
    GlossaryTerm,
)


def copy_example(tmp_path: Path) -> Path:
    """A private copy of the example course under ``tmp_path/courses/``; returns its folder."""
    target = tmp_path / "courses" / "example-course"
    shutil.copytree(EXAMPLE, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    """Replace ``old`` (which must occur exactly once) with ``new`` in a file."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def line_of(path: Path, marker: str) -> int:
    """The 1-based line of the first line containing ``marker``."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if marker in line:
            return number
    raise AssertionError(f"{marker!r} not in {path}")


def load(path: Path, take_file: bool = False):
    """Load like ``flask lms load-courses`` does: in one committed write transaction."""
    with write_transaction():
        return load_courses(path, take_file)


def row_counts() -> dict[str, int]:
    return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model)) for model in CONTENT_MODELS}
