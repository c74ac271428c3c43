"""Broken course trees: each gives its message with file and line, and nothing is written.

Every case copies the example course, breaks one thing, and expects a problem
``<file>:<line>: <message>`` where the line is the one holding ``marker`` in the broken file.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from lms.content.loader import CourseValidationError, Problem, load_courses
from tests.content_helpers import EXAMPLE, copy_example, edit, line_of, load, row_counts

M1 = "modules/01-getting-started"
M2 = "modules/02-practice"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass
class Case:
    id: str
    file: str  #: relative to the course folder
    old: str
    new: str
    marker: str | None  #: text on the expected line (None: the problem concerns the whole file)
    message: str  #: expected to be contained in the problem's message


CASES = [
    Case(
        "unknown-key",
        f"{M1}/questions.yaml",
        "    difficulty: hard\n",
        "    difficulty: hard\n    hint: none\n",
        "hint: none",
        "unknown key 'hint'",
    ),
    Case(
        "misspelt-key",
        f"{M1}/module.yaml",
        "summary:",
        "sumary:",
        "sumary:",
        "unknown key 'sumary' (did you mean 'summary'?)",
    ),
    Case(
        "missing-answer",
        f"{M1}/questions.yaml",
        "    answer: B\n    lesson: welcome\n",
        "    lesson: welcome\n",
        "id: m01-q06",
        "missing required key 'answer'",
    ),
    Case(
        "answer-not-among-options",
        f"{M2}/questions.yaml",
        "answer: B",
        "answer: D",
        "answer: D",
        "answer 'D' is not among the options A-C",
    ),
    Case(
        "multiple-answer-not-among-options",
        f"{M2}/questions.yaml",
        "answer: [A, B]",
        "answer: [A, E]",
        "answer: [A, E]",
        "answer E is not among the options A-C",
    ),
    Case(
        "true-false-answer-not-bool",
        f"{M1}/questions.yaml",
        "answer: true",
        "answer: maybe",
        "answer: maybe",
        "'answer' must be true or false, not 'maybe'",
    ),
    Case(
        "duplicate-question-id",
        f"{M2}/questions.yaml",
        "id: m02-q05",
        "id: m01-q01",
        "id: m01-q01",
        "duplicate question id 'm01-q01' (first used at example-course/modules/01-getting-started/questions.yaml:2)",
    ),
    Case(
        "duplicate-yaml-key",
        f"{M1}/module.yaml",
        "credit_hours: 1.5\n",
        "credit_hours: 1.5\ncredit_hours: 2\n",
        "credit_hours: 2",
        "duplicate key 'credit_hours'",
    ),
    Case(
        "fill-blank-without-blank",
        f"{M1}/questions.yaml",
        "覆盖范围____。",
        "覆盖范围不变。",
        "覆盖范围不变",
        "a fill_blank stem must mark exactly one blank with ____",
    ),
    Case(
        "bad-enum",
        f"{M1}/01-welcome.md",
        "kind: reading",
        "kind: lecture",
        "kind: lecture",
        "'kind' must be one of reading, case, discussion, not 'lecture'",
    ),
    Case(
        "not-a-number",
        f"{M1}/01-welcome.md",
        "minutes: 10",
        "minutes: ten",
        "minutes: ten",
        "'minutes' must be a whole number, not 'ten'",
    ),
    Case(
        "lesson-key-not-file-name",
        f"{M2}/02-discussion.md",
        "key: discussion",
        "key: debate",
        "key: debate",
        "lesson key 'debate' does not match the file name",
    ),
    Case(
        "module-key-not-folder-name",
        f"{M2}/module.yaml",
        "key: practice",
        "key: exercise",
        "key: exercise",
        "module key 'exercise' does not match its folder's name (NN-practice)",
    ),
    Case(
        "broken-image-link",
        f"{M1}/01-welcome.md",
        "(images/map.png)",
        "(images/missing.png)",
        "images/missing.png",
        "image 'images/missing.png' does not exist",
    ),
    Case(
        "image-outside-images-folder",
        f"{M1}/01-welcome.md",
        "(images/map.png)",
        "(../02-practice/module.yaml)",
        "../02-practice",
        "must be a file under the module's images/ folder",
    ),
    Case(
        "remote-image",
        f"{M1}/01-welcome.md",
        "(images/map.png)",
        "(https://example.org/x.png)",
        "https://example.org/x.png",
        "must be a file under the module's images/ folder",
    ),
    Case(
        "raw-html-block",
        f"{M1}/02-first-steps.md",
        "## 小结\n",
        "<script>alert('x')</script>\n\n## 小结\n",
        "<script>",
        "raw HTML is not allowed in lessons: '<script>alert('x')</script>'",
    ),
    Case(
        "raw-html-inline",
        f"{M1}/01-welcome.md",
        "**需求调研**",
        '<b onclick="steal()">需求调研</b>',
        "onclick",
        "raw HTML is not allowed in lessons: '<b onclick=\"steal()\">'",
    ),
    Case(
        "javascript-link",
        f"{M1}/01-welcome.md",
        "(https://www.moe.gov.cn/)",
        "(javascript:alert(1))",
        "javascript:",
        "link 'javascript:alert(1)' is not allowed",
    ),
    Case(
        "case-lesson-missing-section",
        f"{M2}/01-village-school.md",
        "## 成效",
        "## 效果",
        "kind: case",
        "a case lesson needs the ## sections 背景, 主要做法, 成效, 讨论题; missing: 成效",
    ),
    Case(
        "question-unknown-lesson",
        f"{M1}/questions.yaml",
        "    lesson: first-steps\n    difficulty: hard",
        "    lesson: nowhere\n    difficulty: hard",
        "lesson: nowhere",
        "lesson 'nowhere' does not exist",
    ),
    Case(
        "question-lesson-other-module",
        f"{M1}/questions.yaml",
        "    lesson: first-steps\n    difficulty: hard",
        "    lesson: village-school\n    difficulty: hard",
        "lesson: village-school",
        "lesson 'village-school' is not in module 'getting-started'",
    ),
    Case(
        "glossary-unknown-lesson",
        "glossary.yaml",
        "lesson: first-steps",
        "lesson: last-steps",
        "lesson: last-steps",
        "lesson 'last-steps' does not exist",
    ),
    Case(
        "quiz-unknown-question",
        f"{M1}/quiz.yaml",
        "m01-q05]",
        "m01-q99]",
        "m01-q99",
        "question 'm01-q99' does not exist",
    ),
    Case(
        "module-quiz-question-from-other-module",
        f"{M1}/quiz.yaml",
        "m01-q05]",
        "m02-q05]",
        "m02-q05",
        "question 'm02-q05' is not in module 'getting-started'",
    ),
    Case(
        "pre-post-overlap",
        "quizzes/post-test.yaml",
        "[m01-q02, m02-q02]",
        "[m01-q01, m02-q02]",
        "questions:",
        "the pre-test and post-test share questions: m01-q01",
    ),
    Case(
        "pre-post-blueprint",
        "quizzes/post-test.yaml",
        "[m01-q02, m02-q02]",
        "[m01-q02, m01-q06]",
        "questions:",
        "the post-test's questions per module differ from the pre-test's (pre vs post): "
        "getting-started 1 vs 2; practice 1 vs 0",
    ),
    Case(
        "draw-too-many",
        "quizzes/final-exam.yaml",
        "count: 3",
        "count: 5",
        "count: 5",
        "cannot draw 5 questions from module 'getting-started': only 4 left after excluding tags",
    ),
    Case(
        "draw-misspelt-tag",
        "quizzes/final-exam.yaml",
        "count: 2\n    exclude_tags: [pre-test, post-test]",
        "count: 2\n    exclude_tags: [pretest, post-test]",
        "[pretest",
        "no question has the tag 'pretest'",
    ),
    Case(
        "draw-without-rules",
        f"{M2}/quiz.yaml",
        "draw:\n  - module: practice\n    count: 2\n    exclude_tags: [pre-test, post-test]\n",
        "draw: []\n",
        "draw: []",
        "'draw' needs at least one rule",
    ),
    Case(
        "draw-unknown-module",
        "quizzes/final-exam.yaml",
        "module: practice",
        "module: theory",
        "module: theory",
        "module 'theory' does not exist",
    ),
    Case(
        "quiz-kind-not-file",
        "quizzes/final-exam.yaml",
        "kind: final_exam",
        "kind: pre_test",
        "kind: pre_test",
        "this file holds a final_exam quiz, not pre_test",
    ),
    Case(
        "quiz-questions-and-draw",
        f"{M1}/quiz.yaml",
        "review: immediately",
        "review: immediately\ndraw: []",
        "key: m01-quiz",
        "a quiz needs either 'questions' or 'draw' (not both)",
    ),
    Case(
        "unknown-prerequisite",
        f"{M2}/module.yaml",
        "[getting-started]",
        "[theory]",
        "prerequisites:",
        "prerequisite module 'theory' does not exist",
    ),
    Case(
        "later-prerequisite",
        f"{M1}/module.yaml",
        "[pre-test]",
        "[practice]",
        "prerequisites:",
        "prerequisite 'practice' must be an earlier module",
    ),
    Case(
        "duplicate-survey-item",
        "surveys/needs.yaml",
        "id: years-in-post",
        "id: background-years  # again",
        "# again",
        "duplicate item id 'background-years'",
    ),
    Case(
        "survey-unknown-module",
        "surveys/needs.yaml",
        "module: practice",
        "module: theory",
        "module: theory",
        "module 'theory' does not exist",
    ),
    Case(
        "survey-option-on-wrong-type",
        "surveys/feedback.yaml",
        "        prompt: 您对本次培训的总体满意程度\n",
        "        prompt: 您对本次培训的总体满意程度\n        options: [好, 不好]\n",
        "options: [好, 不好]",
        "'options' is not used by likert items",
    ),
    Case(
        "measure-outside-needs",
        "surveys/feedback.yaml",
        "        prompt: 您对本次培训的总体满意程度\n",
        "        prompt: 您对本次培训的总体满意程度\n        measure: need\n",
        "measure: need",
        "'measure' is only for items of the needs survey",
    ),
    Case(
        "likert-labels-count",
        "surveys/needs.yaml",
        "labels: [非常不需要, 不太需要, 一般, 比较需要, 非常需要]",
        "labels: [不需要, 需要]",
        "labels: [不需要, 需要]",
        "'labels' needs exactly 5 items",
    ),
    Case(
        "course-code",
        "course.yaml",
        "code: EXMP",
        "code: exmp1",
        "code: exmp1",
        "'code' must be 2 to 8 upper-case letters (A-Z)",
    ),
    Case(
        "credit-hours-short",
        "course.yaml",
        "\ncredit_hours: 3\n",
        "\ncredit_hours: 2\n",
        "credit_hours: 2",
        "'credit_hours' 2 is less than the modules' total 3",
    ),
    Case(
        "certificate-unknown-module",
        "course.yaml",
        "required_modules: all",
        "required_modules: [getting-started, theory]",
        "required_modules",
        "required module 'theory' does not exist",
    ),
    Case("invalid-yaml", f"{M1}/module.yaml", "title: 入门", "title: [入门", None, "invalid YAML"),
    Case(
        "front-matter-missing",
        f"{M2}/02-discussion.md",
        "---\nkey: discussion",
        "key: discussion",
        "key: discussion",
        "a lesson starts with front matter between two '---' lines",
    ),
]


def _problems(course_dir: Path) -> list[Problem]:
    with pytest.raises(CourseValidationError) as raised:
        load(course_dir)
    return raised.value.problems


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_broken_tree_reports_its_problem_and_writes_nothing(ctx, tmp_path, case):
    course_dir = copy_example(tmp_path)
    load(course_dir)  # a loaded course, so "nothing written" also means "nothing changed"
    before = row_counts()
    target = course_dir / case.file
    edit(target, case.old, case.new)

    problems = _problems(course_dir)
    texts = [str(p) for p in problems]
    file = f"example-course/{case.file}"
    if case.marker is None:
        assert any(p.file == file and case.message in p.message for p in problems), texts
    else:
        expected = f"{file}:{line_of(target, case.marker)}: "
        assert any(t.startswith(expected) and case.message in t for t in texts), (expected, texts)
    assert problems == sorted(problems)
    assert row_counts() == before


def test_every_problem_is_reported_at_once(ctx, tmp_path):
    course_dir = copy_example(tmp_path)
    edit(course_dir / f"{M1}/questions.yaml", "answer: true", "answer: 1")
    edit(course_dir / f"{M2}/questions.yaml", "answer: B", "answer: Z")
    edit(course_dir / "surveys/follow-up.yaml", "type: rating10", "type: stars")
    problems = _problems(course_dir)
    assert [p.file for p in problems] == [
        f"example-course/{M1}/questions.yaml",
        f"example-course/{M2}/questions.yaml",
        "example-course/surveys/follow-up.yaml",
    ]
    assert row_counts()["courses"] == 0


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("fake.png", b"not a picture", "image 'images/fake.png' is not a valid PNG file"),
        (
            "bad.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "image 'images/bad.svg' contains scripts or external references",
        ),
        ("notes.txt", b"text", "image 'images/notes.txt' must be a PNG, JPEG, GIF, SVG or WebP file"),
    ],
)
def test_bad_image_files_are_rejected(ctx, tmp_path, name, content, message):
    course_dir = copy_example(tmp_path)
    (course_dir / M1 / "images" / name).write_bytes(content)
    lesson = course_dir / M1 / "01-welcome.md"
    edit(lesson, "(images/map.png)", f"(images/{name})")
    problems = [str(p) for p in _problems(course_dir)]
    assert f"example-course/{M1}/01-welcome.md:{line_of(lesson, name)}: {message}" in problems


def test_file_level_problems(ctx, tmp_path):
    course_dir = copy_example(tmp_path)
    (course_dir / M1 / "question.yaml").write_text("questions: []\n", encoding="utf-8")
    (course_dir / M2 / "module.yaml").unlink()
    (course_dir / "surveys" / "exit.yaml").write_text("key: exit\n", encoding="utf-8")
    (course_dir / M1 / "03-extra.md").write_bytes(b"\xff\xfe broken")
    problems = {str(p) for p in _problems(course_dir)}
    assert {
        f"example-course/{M1}/question.yaml: unexpected file: a module folder holds module.yaml, "
        "NN-<lesson-key>.md lessons, questions.yaml, quiz.yaml and images/",
        f"example-course/{M2}: the module has no module.yaml",
        "example-course/surveys/exit.yaml: unexpected file: surveys/ holds needs.yaml, "
        "feedback.yaml, module-feedback.yaml, follow-up.yaml",
        f"example-course/{M1}/03-extra.md: the file is not UTF-8 text",
    } <= problems


def test_certificate_needs_final_exam_and_feedback(ctx, tmp_path):
    course_dir = copy_example(tmp_path)
    (course_dir / "quizzes/final-exam.yaml").unlink()
    (course_dir / "surveys/feedback.yaml").unlink()
    problems = [str(p) for p in _problems(course_dir)]
    course = course_dir / "course.yaml"
    assert (
        f"example-course/course.yaml:{line_of(course, 'final_exam:')}: the certificate "
        "needs a final exam: add quizzes/final-exam.yaml"
    ) in problems
    assert (
        f"example-course/course.yaml:{line_of(course, 'feedback:')}: the certificate "
        "needs the feedback survey: add surveys/feedback.yaml"
    ) in problems


def test_duplicate_course_keys_and_stray_folders(ctx, tmp_path):
    course_dir = copy_example(tmp_path)
    shutil.copytree(course_dir, course_dir.parent / "z-copy")
    (course_dir.parent / "notes").mkdir()
    problems = {str(p) for p in _problems(course_dir.parent)}
    assert "z-copy/course.yaml:1: duplicate course key 'example-course' (also in example-course)" in problems
    assert "notes: not a course folder: it has no course.yaml" in problems


def test_validation_happens_before_any_write(ctx, tmp_path):
    # A folder with a valid course and a broken one: the valid one is not written either.
    good = copy_example(tmp_path)
    broken = good.parent / "broken-course"
    shutil.copytree(EXAMPLE, broken)
    edit(broken / "course.yaml", "key: example-course", "key: broken-course")
    edit(broken / "course.yaml", "title: 示例课程", "title: ''")
    with pytest.raises(CourseValidationError):
        load_courses(good.parent)
    assert row_counts()["courses"] == 0


def test_cli_exits_non_zero_on_a_broken_tree(app, tmp_path):
    course_dir = copy_example(tmp_path)
    edit(course_dir / f"{M2}/questions.yaml", "answer: B", "answer: D")
    result = app.test_cli_runner().invoke(args=["lms", "load-courses", str(course_dir)])
    assert result.exit_code != 0
    assert "nothing was written" in result.output
    assert f"example-course/{M2}/questions.yaml:" in result.output
    with app.app_context():
        assert row_counts()["courses"] == 0
