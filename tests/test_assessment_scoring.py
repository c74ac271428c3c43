"""Scoring every question type, the partial-credit rule and answer normalisation."""

from __future__ import annotations

import pytest

from lms.assessment.scoring import (
    clean_response,
    normalize_blank,
    percent_of,
    score_item,
)

SINGLE = {"type": "single", "options": ["a", "b", "c", "d"], "answer": "B"}
MULTIPLE = {"type": "multiple", "options": ["a", "b", "c", "d", "e"], "answer": ["A", "B", "D"]}
TRUE_FALSE = {"type": "true_false", "options": [], "answer": False}
FILL = {"type": "fill_blank", "options": [], "answer": ["95%", "百分之九十五", "Ninety five"]}
SHORT = {"type": "short_answer", "options": [], "answer": "要点：……"}


def test_single_choice():
    assert score_item(SINGLE, "B", 1, "all_or_nothing") == (1.0, True)
    assert score_item(SINGLE, "C", 1, "all_or_nothing") == (0.0, False)
    assert score_item(SINGLE, None, 1, "all_or_nothing") == (0.0, False)


def test_true_false():
    assert score_item(TRUE_FALSE, False, 2, "partial") == (2.0, True)
    assert score_item(TRUE_FALSE, True, 2, "partial") == (0.0, False)
    assert score_item(TRUE_FALSE, None, 2, "partial") == (0.0, False)


@pytest.mark.parametrize("typed", ["95%", "９５％", " 95 % ", "百分之 九十五", "ninety FIVE", "Ninety\u3000five"])
def test_fill_blank_accepts_width_space_and_case_variants(typed):
    assert score_item(FILL, typed, 1, "all_or_nothing") == (1.0, True)


@pytest.mark.parametrize("typed", ["96%", "", "95", "百分之九十"])
def test_fill_blank_refuses_other_answers(typed):
    assert score_item(FILL, typed or None, 1, "all_or_nothing") == (0.0, False)


def test_normalisation_rule():
    assert normalize_blank("ＡＢＣ　１２３") == "abc123"
    assert normalize_blank("不 缩 小") == "不缩小"


def test_multiple_all_or_nothing():
    assert score_item(MULTIPLE, ["A", "B", "D"], 1, "all_or_nothing") == (1.0, True)
    assert score_item(MULTIPLE, ["A", "B"], 1, "all_or_nothing") == (0.0, False)
    assert score_item(MULTIPLE, ["A", "B", "C", "D"], 1, "all_or_nothing") == (0.0, False)


@pytest.mark.parametrize(
    ("chosen", "expected"),
    [
        (["A", "B", "D"], 1.0),  # all three right: 3/3
        (["A", "B"], 2 / 3),  # two right: +2/3
        (["A"], 1 / 3),
        (["A", "B", "C"], 1 / 3),  # two right, one wrong: (2 - 1)/3
        (["A", "C"], 0.0),  # one right, one wrong: 0
        (["C", "E"], 0.0),  # two wrong: floored at 0, never negative
        (["A", "B", "C", "D", "E"], 1 / 3),  # everything: (3 - 2)/3
    ],
)
def test_multiple_partial_credit(chosen, expected):
    result = score_item(MULTIPLE, chosen, 3, "partial")
    assert result.score == pytest.approx(3 * expected, abs=1e-3)
    assert result.is_correct is (chosen == ["A", "B", "D"])


def test_short_answer_is_left_to_a_trainer():
    assert score_item(SHORT, "我的回答", 1, "all_or_nothing") == (None, None)


def test_clean_response_keeps_only_valid_values():
    assert clean_response("single", 4, "C") == "C"
    assert clean_response("single", 4, "E") is None
    assert clean_response("single", 4, ["A", "B"]) is None
    assert clean_response("multiple", 4, ["D", "A", "A", "Z"]) == ["A", "D"]
    assert clean_response("multiple", 4, []) is None
    assert clean_response("true_false", 0, "false") is False
    assert clean_response("true_false", 0, True) is True
    assert clean_response("true_false", 0, "maybe") is None
    assert clean_response("fill_blank", 0, "  95%  ") == "95%"
    assert clean_response("fill_blank", 0, "x" * 500) == "x" * 200
    assert clean_response("short_answer", 0, "   ") is None
    assert clean_response("short_answer", 0, {"a": 1}) is None


def test_percent():
    assert percent_of(7, 10) == 70.0
    assert percent_of(2, 3) == 66.67
    assert percent_of(0, 0) == 0.0
