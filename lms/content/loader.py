"""The course loader behind ``flask lms load-courses``: validate everything, then upsert.

:func:`load_courses` reads every file of every course first; if anything is wrong it raises
:class:`CourseValidationError` listing each problem with its file and line, before any
write. Otherwise it upserts each course by stable key (see :mod:`.upsert`). The caller wraps
the call in :func:`lms.db.write_transaction`, which commits; this module only flushes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .problems import CourseValidationError, Problem
from .spec import CourseSpec
from .tree import read_courses
from .upsert import Changes, upsert_course

__all__ = ["CourseValidationError", "LoadReport", "Problem", "load_courses", "validate_courses"]


@dataclass
class LoadReport:
    """What loading one course found in the files and changed in the database."""

    course_key: str
    modules: int
    lessons: int
    questions: int
    quizzes: int
    surveys: int
    survey_items: int
    terms: int
    changes: Changes = field(default_factory=Changes)

    @classmethod
    def of(cls, spec: CourseSpec, changes: Changes) -> LoadReport:
        return cls(
            course_key=spec.key,
            modules=len(spec.modules),
            lessons=len(spec.lessons()),
            questions=len(spec.questions()),
            quizzes=len(spec.all_quizzes()),
            surveys=len(spec.surveys),
            survey_items=sum(len(s.items) for s in spec.surveys),
            terms=len(spec.glossary),
            changes=changes,
        )

    def summary(self) -> str:
        """One line, e.g. ``demo: 2 modules, ...; 3 created, 1 updated, 0 retired, 9 unchanged``."""
        c = self.changes
        text = (
            f"{self.course_key}: {self.modules} modules, {self.lessons} lessons, "
            f"{self.questions} questions, {self.quizzes} quizzes, {self.surveys} surveys "
            f"({self.survey_items} items), {self.terms} glossary terms; "
            f"{len(c.created)} created, {len(c.updated)} updated, {len(c.retired)} retired, "
            f"{c.unchanged} unchanged"
        )
        if c.restored:
            text += f", {len(c.restored)} restored"
        if c.deleted:
            text += f", {len(c.deleted)} glossary terms deleted"
        if c.kept:
            text += f", {len(c.kept)} browser edits kept"
        text += "."
        if c.conflicts:
            text += (
                f"\n  {len(c.conflicts)} changed both in the files and in the browser, left as they are: "
                + ", ".join(c.conflicts)
                + "\n  Export the course first (flask lms export-course) to keep the browser's version,"
                " or load again with --take-file to take the files'."
            )
        return text


def validate_courses(path: Path) -> list[CourseSpec]:
    """Read and check every course under ``path`` without touching the database.

    :raises CourseValidationError: listing every problem, sorted by file and line.
    """
    courses, problems = read_courses(Path(path))
    if problems:
        raise CourseValidationError(problems.sorted())
    return courses


def load_courses(path: Path, take_file: bool = False) -> list[LoadReport]:
    """Validate the courses under ``path`` (a folder of course folders, or one course folder),
    then upsert them; return one report per course, in folder order.

    Call it inside :func:`lms.db.write_transaction`: nothing is committed here.

    :raises CourseValidationError: when any file has a problem; nothing has been written.
    """
    courses = validate_courses(path)
    reports = []
    for spec in courses:
        _, changes = upsert_course(spec, take_file)
        reports.append(LoadReport.of(spec, changes))
    return reports
