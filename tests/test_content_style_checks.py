"""The loader's copy-editing and test-design checks (lms/content/style_checks.py).

The fixture ``tests/data/style-checks/style-course`` holds one of each defect; the example
course and a copy of it with one defect added show that the loader stops on the errors
(with file and line) and only logs the key-balance warning.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from lms.content.loader import CourseValidationError, load_courses
from lms.content.problems import Problems
from lms.content.style_checks import check_course
from tests.content_helpers import EXAMPLE, copy_example, edit, line_of

FIXTURES = Path(__file__).parent / "data" / "style-checks"
STYLE = FIXTURES / "style-course"
INTRO = "style-course/modules/01-basics/01-intro.md"
QUESTIONS = "style-course/modules/01-basics/questions.yaml"


def _check(folder: Path, base: Path) -> tuple[list[str], list[str]]:
    problems = Problems()
    warnings = check_course(folder, base, problems)
    return [str(p) for p in problems.sorted()], warnings


def test_each_defect_of_the_fixture_is_reported_with_its_file_and_line():
    problems, _ = _check(STYLE, FIXTURES)
    where = sorted({p.rsplit(": ", 1)[0].split(": ASCII")[0].split(": question")[0] for p in problems})
    assert where == [
        f"{INTRO}:13",  # 95%,说明
        f"{INTRO}:15",  # 帮扶,乡村 and "四个不摘"
        f"{INTRO}:17",  # 《纲要》(2011—2020年)
        f"{INTRO}:3",  # title: 导学:课程结构 (front matter)
        f"{QUESTIONS}:12",  # pre-test stem shows the post-test answer
        f"{QUESTIONS}:17",  # post-test stem shows the pre-test answer
        f"{QUESTIONS}:27",  # 问句?答句
        f"{QUESTIONS}:5",  # 50万 after ____万人次
    ]
    assert len(problems) == 11


def test_ascii_punctuation_names_the_mark_and_its_context():
    problems, _ = _check(STYLE, FIXTURES)
    line_15 = [p for p in problems if p.startswith(f"{INTRO}:15:")]
    assert f"{INTRO}:15: ASCII punctuation ',' in Chinese text: use the full-width form (教育帮扶,乡村振兴)" in line_15
    assert sum("'\"'" in p for p in line_15) == 2
    assert any("'(' in Chinese text" in p for p in problems if p.startswith(f"{INTRO}:17:"))
    assert any("')' in Chinese text" in p for p in problems if p.startswith(f"{INTRO}:17:"))


def test_code_links_urls_lists_and_yaml_syntax_are_not_prose():
    problems, _ = _check(STYLE, FIXTURES)
    for line in (9, 10, 12, 20):  # link target, inline code and URL, "1. ...", code block
        assert not [p for p in problems if p.startswith(f"{INTRO}:{line}:")]
    # options: [省、市级, 县级, ...] is a YAML flow list: its commas are syntax
    assert not [p for p in problems if p.startswith(f"{QUESTIONS}:22:")]


def test_a_fill_blank_answer_must_not_repeat_the_unit_after_the_blank():
    problems, _ = _check(STYLE, FIXTURES)
    units = [p for p in problems if "repeats" in p]
    assert units == [
        f"{QUESTIONS}:5: question 'q-unit': the answer '50万' repeats '万', which the stem already prints "
        "after the blank; accept the answer without it"
    ]  # q-unit-ok (过渡期为____年, answers 5 and 五) passes


def test_pre_and_post_test_may_not_print_each_others_answers():
    problems, _ = _check(STYLE, FIXTURES)
    leaks = [p for p in problems if "gives itself away" in p]
    assert leaks == [
        f"{QUESTIONS}:12: question 'q-pre' (pre-test) prints '不降低', an answer of 'q-post' (post-test): "
        "the pair gives itself away",
        f"{QUESTIONS}:17: question 'q-post' (post-test) prints '不缩小', an answer of 'q-pre' (pre-test): "
        "the pair gives itself away",
    ]


def test_key_balance_is_a_warning_counted_over_the_quizs_draw_pool(caplog):
    with caplog.at_level(logging.WARNING, logger="lms.content.style_checks"):
        _, warnings = _check(STYLE, FIXTURES)
    expected = (
        "style-course/modules/01-basics/quiz.yaml:1: 专题一测验: 3 of its 4 single-choice items have the key A "
        "(about 1.0 expected); spread the keys"
    )
    assert warnings == [expected]  # the pre- and post-test hold no single-choice item
    assert expected in caplog.messages


def test_the_example_course_passes_every_style_check():
    assert _check(EXAMPLE, EXAMPLE.parent) == ([], [])


def test_the_loader_stops_on_a_style_error_and_writes_nothing(tmp_path, app):
    course = copy_example(tmp_path)
    lesson = course / "modules/02-practice/02-discussion.md"
    edit(lesson, "结合本地实际，交流", "结合本地实际,交流")
    with app.app_context(), pytest.raises(CourseValidationError) as caught:
        load_courses(tmp_path / "courses")
    line = line_of(lesson, "结合本地实际,交流")
    assert [str(p) for p in caught.value.problems] == [
        f"example-course/modules/02-practice/02-discussion.md:{line}: ASCII punctuation ',' in Chinese text: "
        "use the full-width form (本地实际,交流一项)"
    ]


def test_the_loader_loads_despite_a_balance_warning(tmp_path, app, caplog):
    course = copy_example(tmp_path)
    module = course / "modules/01-getting-started"
    extra = "".join(
        f"  - id: m01-q0{n}\n    type: single\n    stem: 第{n}题\n    options: [甲, 乙, 丙, 丁]\n    answer: B\n"
        for n in (7, 8)
    )
    (module / "questions.yaml").write_text((module / "questions.yaml").read_text(encoding="utf-8") + extra)
    edit(module / "quiz.yaml", "[m01-q03, m01-q04, m01-q05]", "[m01-q06, m01-q07, m01-q08]")
    with app.app_context(), caplog.at_level(logging.WARNING, logger="lms.content.style_checks"):
        reports = load_courses(tmp_path / "courses")
    assert reports[0].course_key == "example-course"
    assert reports[0].questions == 13  # the example has 11
    assert sorted(caplog.messages) == [
        "example-course/modules/01-getting-started/quiz.yaml:1: 专题一测验: 3 of its 3 single-choice items "
        "have the key B (about 1.0 expected); spread the keys",
        # the final exam draws from the same three (m01-q01 is in the pre-test)
        "example-course/quizzes/final-exam.yaml:1: 结业考试: 3 of its 3 single-choice items "
        "have the key B (about 1.0 expected); spread the keys",
    ]
