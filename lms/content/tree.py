"""Read and validate whole course trees (folders), collecting every problem.

:func:`read_courses` accepts a folder of course folders or one course folder; it returns
the plain data of each course, or the problems that stop the load. Nothing here writes.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from .fields import Fields
from .problems import Problems
from .reader import parse_yaml, read_text, split_front_matter
from .schema import (
    Context,
    Index,
    file_fields,
    read_course,
    read_glossary,
    read_lesson,
    read_module,
    read_questions,
    read_quiz,
    read_survey,
)
from .spec import CourseSpec, ModuleSpec
from .style_checks import check_course as check_style

COURSE_FILE = "course.yaml"
MODULE_FOLDER = re.compile(r"^(\d+)-([a-z][a-z0-9-]*)$")
LESSON_FILE = re.compile(r"^(\d+)-([a-z][a-z0-9-]*)\.md$")
MODULE_FILES = {"module.yaml", "questions.yaml", "quiz.yaml", "images"}
QUIZ_FILES = {"pre-test.yaml": "pre_test", "post-test.yaml": "post_test", "final-exam.yaml": "final_exam"}
SURVEY_FILES = {
    "needs.yaml": "needs",
    "feedback.yaml": "feedback",
    "module-feedback.yaml": "module_feedback",
    "follow-up.yaml": "follow_up",
}


def _visible(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if not p.name.startswith("."))


def course_folders(path: Path) -> tuple[Path, list[Path]]:
    """The folder problems are reported relative to, and the course folders under ``path``."""
    path = path.resolve()
    if (path / COURSE_FILE).is_file():
        return path.parent, [path]
    return path, [p for p in _visible(path) if p.is_dir()]


def read_courses(path: Path) -> tuple[list[CourseSpec], Problems]:
    """Read every course under ``path``; the courses are only usable when no problem is found."""
    problems = Problems()
    if not path.is_dir():
        problems.add(path.name, 0, "not a folder")
        return [], problems
    base, folders = course_folders(path)
    courses: list[CourseSpec] = []
    first_folder: dict[str, str] = {}
    for folder in folders:
        rel = folder.relative_to(base).as_posix()
        if not (folder / COURSE_FILE).is_file():
            problems.add(rel, 0, f"not a course folder: it has no {COURSE_FILE}")
            continue
        course = CourseReader(folder, base, problems).read()
        if course is None:
            continue
        if course.key in first_folder:
            problems.add(
                f"{rel}/{COURSE_FILE}",
                1,
                f"duplicate course key '{course.key}' (also in {first_folder[course.key]})",
            )
        first_folder.setdefault(course.key, rel)
        courses.append(course)
    if not folders:
        problems.add(path.name, 0, f"no course found (a course folder holds {COURSE_FILE})")
    return courses, problems


class CourseReader:
    """Reads one course folder into a :class:`CourseSpec`, adding problems as it goes."""

    def __init__(self, folder: Path, base: Path, problems: Problems):
        self.folder = folder
        self.base = base
        self.problems = problems
        self.errors_before = len(problems)
        self.module_keys: list[str] = []

    def rel(self, path: Path) -> str:
        return path.relative_to(self.base).as_posix()

    def fields(self, path: Path) -> Fields | None:
        text, error = read_text(path)
        if error:
            self.problems.add(self.rel(path), 0, error)
            return None
        parsed = parse_yaml(text)
        return file_fields(parsed.data, parsed.errors, self.rel(path), self.problems)

    def read(self) -> CourseSpec | None:
        f = self.fields(self.folder / COURSE_FILE)
        ctx = Context(self.problems, self.folder.name)
        course = read_course(f, ctx) if f is not None else None
        if course is not None:
            ctx.course_key = course.key
        pass_mark = course.settings["quiz_defaults"]["pass_mark"] if course else 60
        modules = self.read_modules(ctx, pass_mark)
        quizzes = self.read_quizzes(ctx, pass_mark)
        surveys = self.read_surveys(ctx)
        glossary_path = self.folder / "glossary.yaml"
        glossary = []
        if glossary_path.is_file():
            g = self.fields(glossary_path)
            glossary = read_glossary(g, ctx) if g is not None else []
        index = Index(
            module_keys=self.module_keys,
            modules={m.key: m for m in modules},
            quizzes={q.key: q for q in [m.quiz for m in modules if m.quiz] + quizzes},
            quiz_kinds={"module_quiz"} | self._kinds_present("quizzes", QUIZ_FILES),
            survey_kinds=self._kinds_present("surveys", SURVEY_FILES),
            known=ctx.known,
        )
        ctx.run_checks(index)
        if len(self.problems) == self.errors_before:  # style checks only on well-formed files
            check_style(self.folder, self.base, self.problems)
        if course is None or len(self.problems) > self.errors_before:
            return None
        course.folder = self.folder
        course.modules, course.quizzes, course.surveys = modules, quizzes, surveys
        course.glossary = glossary
        return course

    # -- modules --------------------------------------------------------------------------

    def read_modules(self, ctx: Context, pass_mark: int) -> list[ModuleSpec]:
        root = self.folder / "modules"
        if not root.is_dir():
            self.problems.add(self.rel(self.folder), 0, "the course has no modules/ folder")
            return []
        numbered: list[tuple[int, str, Path]] = []
        for entry in _visible(root):
            match = MODULE_FOLDER.match(entry.name)
            if not entry.is_dir() or not match:
                self.problems.add(self.rel(entry), 0, "unexpected entry: module folders are named NN-<module-key>")
                continue
            numbered.append((int(match[1]), match[2], entry))
        self._check_prefixes(numbered, "module folder")
        self.module_keys = [key for _, key, _ in sorted(numbered)]
        modules = []
        for position, (_, key, folder) in enumerate(sorted(numbered)):
            module = self.read_module(ctx, key, folder, pass_mark)
            if module is not None:
                module.position = position
                modules.append(module)
        if not numbered:
            self.problems.add(self.rel(root), 0, "the course has no modules")
        return modules

    def _check_prefixes(self, numbered: list[tuple[int, str, Path]], what: str) -> None:
        counts = Counter(number for number, _, _ in numbered)
        for number, _, path in numbered:
            if counts[number] > 1:
                self.problems.add(
                    self.rel(path),
                    0,
                    f"two {what}s share the number {number:02d}: the order is unclear",
                )

    def read_module(
        self,
        ctx: Context,
        folder_key: str,
        folder: Path,
        pass_mark: int,
    ) -> ModuleSpec | None:
        lessons_found: list[tuple[int, str, Path]] = []
        for entry in _visible(folder):
            match = LESSON_FILE.match(entry.name)
            if match and entry.is_file():
                lessons_found.append((int(match[1]), match[2], entry))
            elif entry.name not in MODULE_FILES or entry.is_dir() != (entry.name == "images"):
                self.problems.add(
                    self.rel(entry),
                    0,
                    "unexpected file: a module folder holds module.yaml, NN-<lesson-key>.md "
                    "lessons, questions.yaml, quiz.yaml and images/",
                )
        self._check_prefixes(lessons_found, "lesson file")
        module_file = folder / "module.yaml"
        if not module_file.is_file():
            self.problems.add(self.rel(folder), 0, "the module has no module.yaml")
            module = None
        else:
            f = self.fields(module_file)
            module = read_module(f, ctx, folder_key) if f is not None else None
        key = module.key if module else folder_key

        lessons = []
        for position, (_, lesson_key, path) in enumerate(sorted(lessons_found)):
            text, error = read_text(path)
            if error:
                self.problems.add(self.rel(path), 0, error)
                continue
            lesson = read_lesson(split_front_matter(text), self.rel(path), self.problems, ctx, lesson_key, folder, key)
            if lesson is not None:
                lesson.position, lesson.module_key = position, key
                lessons.append(lesson)
        if not lessons_found:
            self.problems.add(self.rel(folder), 0, "the module has no lessons (NN-<key>.md)")

        questions = []
        if (folder / "questions.yaml").is_file():
            f = self.fields(folder / "questions.yaml")
            questions = read_questions(f, ctx, key) if f is not None else []
        quiz = None
        if (folder / "quiz.yaml").is_file():
            f = self.fields(folder / "quiz.yaml")
            quiz = read_quiz(f, ctx, "module_quiz", key, pass_mark) if f is not None else None
        if module is None:
            return None
        module.folder, module.lessons, module.questions, module.quiz = (folder, lessons, questions, quiz)
        return module

    # -- quizzes and surveys --------------------------------------------------------------

    def read_quizzes(self, ctx: Context, pass_mark: int) -> list:
        quizzes = []
        for path, kind in self._named_files("quizzes", QUIZ_FILES):
            f = self.fields(path)
            quiz = read_quiz(f, ctx, kind, None, pass_mark) if f is not None else None
            if quiz is not None:
                quizzes.append(quiz)
        return quizzes

    def read_surveys(self, ctx: Context) -> list:
        surveys = []
        for path, kind in self._named_files("surveys", SURVEY_FILES):
            f = self.fields(path)
            survey = read_survey(f, ctx, kind) if f is not None else None
            if survey is not None:
                surveys.append(survey)
        return surveys

    def _kinds_present(self, folder_name: str, names: dict[str, str]) -> set[str]:
        """The kinds of the files present, valid or not (for "is there a final exam?")."""
        return {kind for _, kind in self._named_files(folder_name, names, report=False)}

    def _named_files(
        self,
        folder_name: str,
        names: dict[str, str],
        report: bool = True,
    ) -> list[tuple[Path, str]]:
        folder = self.folder / folder_name
        if not folder.is_dir():
            return []
        found = []
        for entry in _visible(folder):
            if entry.name in names and entry.is_file():
                found.append((entry, names[entry.name]))
            elif report:
                self.problems.add(self.rel(entry), 0, f"unexpected file: {folder_name}/ holds {', '.join(names)}")
        # Files in the documented order, so quizzes and surveys are stored in that order.
        order = list(names)
        return sorted(found, key=lambda item: order.index(item[0].name))
