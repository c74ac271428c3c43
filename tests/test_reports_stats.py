"""The statistics helpers: t critical values against printed tables, and the edge cases."""

from __future__ import annotations

import pytest

from lms.reports import stats


@pytest.mark.parametrize(
    ("df", "expected"),
    # two-sided 95 % values from a printed t table
    [
        (1, 12.706),
        (2, 4.303),
        (3, 3.182),
        (4, 2.776),
        (5, 2.571),
        (9, 2.262),
        (10, 2.228),
        (20, 2.086),
        (29, 2.045),
        (30, 2.042),
        (60, 2.000),
        (100, 1.984),
        (1000, 1.962),
    ],
)
def test_t_critical_matches_the_table(df, expected):
    assert stats.t_critical(df) == pytest.approx(expected, abs=5e-4)


def test_t_critical_tends_to_the_normal_value_and_refuses_zero_df():
    assert stats.t_critical(1_000_000) == pytest.approx(1.959964, abs=1e-5)
    assert stats.t_critical(10, 0.99) == pytest.approx(3.169, abs=5e-4)
    with pytest.raises(ValueError):
        stats.t_critical(0)


def test_mean_ci_by_hand():
    """Values 2, 4, 6: mean 4, s² = (56 − 144/3)/2 = 4, s = 2, half-width 4.303·2/√3 = 4.968."""
    ci = stats.mean_ci(3, 12, 56)
    assert (ci.n, ci.mean, ci.sd) == (3, 4, 2)
    assert ci.low == pytest.approx(4 - 4.968275, abs=1e-5)
    assert ci.high == pytest.approx(4 + 4.968275, abs=1e-5)


def test_one_value_or_none_gives_no_interval():
    assert stats.mean_ci(1, 5, 25) == stats.MeanCI(1, 5, None, None, None)
    assert stats.mean_ci(0, None, None) == stats.MeanCI(0, None, None, None, None)
    assert stats.variance(1, 5, 25) is None


def test_no_variance_means_no_correlation():
    # x constant: 1, 1, 1 with y = 1, 2, 3
    assert stats.correlation(3, 3, 6, 3, 14, 6) is None
    assert stats.variance(3, 3, 3) == 0.0
    # perfectly correlated
    assert stats.correlation(3, 6, 6, 14, 14, 14) == pytest.approx(1.0)


def test_normalized_gain_and_nps():
    assert stats.normalized_gain(0.5, 0.75) == pytest.approx(0.5)
    assert stats.normalized_gain(0.6, 0.4) == pytest.approx(-0.5)
    assert stats.normalized_gain(1.0, 1.0) is None  # nothing left to gain
    score = stats.nps(10, 5, 2)  # 50 % promoters − 20 % detractors
    assert score.score == pytest.approx(30.0) and score.passives == 3
    assert stats.nps(0, 0, 0).score is None


def test_cronbach_alpha_and_wilson():
    assert stats.cronbach_alpha(3, [0.2, 0.3, 0.3], 1.3) == pytest.approx(0.576923, abs=1e-6)
    assert stats.cronbach_alpha(1, [0.2], 0.2) is None
    assert stats.cronbach_alpha(2, [0.2, 0.3], 0.0) is None
    low, high = stats.wilson(5, 10)  # Wilson interval for 5/10: 0.2366 to 0.7634
    assert low == pytest.approx(0.2366, abs=1e-4) and high == pytest.approx(0.7634, abs=1e-4)
    assert stats.wilson(0, 0) == (None, None)
    assert stats.wilson(0, 5)[0] == 0.0
