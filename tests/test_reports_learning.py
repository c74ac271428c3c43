"""Scores, pass rates and pre/post gain on a dataset worked out by hand.

Pre-test and post-test (its parallel form) have two questions per module (M1, M2):

    trainee  pre M1  pre M2  post M1  post M2   province
    P        1 0     0 0     1 1      1 0       云南省
    Q        0 0     1 0     1 0      1 0       云南省
    R        1 1     1 0     1 1      1 1       贵州省
    S        1 0     1 0     (no post-test)     贵州省

Gain g = (post − pre)/(1 − pre), per trainee and module; S has no pair and is left out.
M1: P .5→1 g = 1;  Q 0→.5 g = .5;  R 1→1 undefined (pre already full marks).
    3 pairs, pre mean (.5+0+1)/3 = .5, post mean (1+.5+1)/3 = .833333;
    g: n 2, mean .75, s² = (.0625+.0625)/1 = .125, s = .353553,
    95 % CI .75 ± t(1)·s/√2 = .75 ± 12.7062·.25 = .75 ± 3.176551
M2: P 0→.5 g .5;  Q .5→.5 g 0;  R .5→1 g 1:  mean .5, s² = (0+.25+.25)/2 = .25, s = .5,
    CI .5 ± t(2)·.5/√3 = .5 ± 4.302653·.288675 = .5 ± 1.242070
Whole test: P .25→.75 g 2/3;  Q .25→.5 g 1/3;  R .75→1 g 1:  mean 2/3, s = 1/3,
    CI 2/3 ± 4.302653·(1/3)/√3 = 2/3 ± .828043; pre mean .416667, post mean .75
By province: 云南省 (P, Q) g mean .5, n 2;  贵州省 (R) g 1, n 1, no interval.
Pre-test scores 25, 25, 75, 50 %: mean 43.75, s² = 1718.75/3, s = 23.935678;
pass mark 60: one of four passed.
"""

from __future__ import annotations

import pytest

from lms.assessment.models import Quiz
from lms.extensions import db
from lms.reports.breakdown import dimension
from lms.reports.learning import (
    gain_by_group,
    gain_by_module,
    gain_by_trainee,
    gain_histogram,
    gain_overall,
    pre_post_quizzes,
    quiz_scores,
)
from lms.reports.scope import Scope
from tests.conftest import login
from tests.report_helpers import (
    add_attempt,
    build_course,
    make_question,
    make_quiz,
    make_trainee,
)

DATA = {
    "P": ((1, 0, 0, 0), (1, 1, 1, 0), "云南省"),
    "Q": ((0, 0, 1, 0), (1, 0, 1, 0), "云南省"),
    "R": ((1, 1, 1, 0), (1, 1, 1, 1), "贵州省"),
    "S": ((1, 0, 1, 0), None, "贵州省"),
}


@pytest.fixture
def gain_world(app, make_cohort):
    with app.app_context():
        built = build_course()
        course, m1, m2 = built["course"], built["m1"], built["m2"]
        pre_q = [make_question(course.id, m.id, f"pre-{i}").id for i, m in enumerate([m1, m1, m2, m2])]
        post_q = [make_question(course.id, m.id, f"post-{i}").id for i, m in enumerate([m1, m1, m2, m2])]
        pre = make_quiz(course.id, "pre-test", "pre_test", pre_q)
        post = make_quiz(course.id, "post-test", "post_test", post_q, settings={"parallel_to": "pre-test"})
        db.session.commit()
        ids = {"course": course.id, "pre": pre.id, "post": post.id, "m1": m1.id, "m2": m2.id}
    cohort_id, _, _ = make_cohort(course_id=ids["course"])
    with app.app_context():
        for name, (pre_scores, post_scores, province) in DATA.items():
            uid = make_trainee(cohort_id, f"学员{name}", province=province)
            add_attempt(
                ids["pre"],
                uid,
                cohort_id,
                [(q, float(s), "B") for q, s in zip(pre_q, pre_scores, strict=True)],
            )
            if post_scores:
                add_attempt(
                    ids["post"],
                    uid,
                    cohort_id,
                    [(q, float(s), "B") for q, s in zip(post_q, post_scores, strict=True)],
                )
        db.session.commit()
    ids["cohort"] = cohort_id
    return ids


def _scope(ids):
    return Scope(course_id=ids["course"], cohort_ids=(ids["cohort"],))


def test_gain_by_module_matches_the_hand_computation(app, gain_world):
    with app.app_context():
        pre, post = pre_post_quizzes(gain_world["course"])
        assert (pre.id, post.id) == (gain_world["pre"], gain_world["post"])
        m1, m2 = gain_by_module(_scope(gain_world), pre, post)
        assert (m1.key, m1.pairs) == (gain_world["m1"], 3)
        assert m1.pre == pytest.approx(0.5) and m1.post == pytest.approx(5 / 6)
        assert m1.gain.n == 2 and m1.gain.mean == pytest.approx(0.75)
        assert m1.gain.sd == pytest.approx(0.353553, abs=1e-6)
        assert m1.gain.low == pytest.approx(0.75 - 3.176551, abs=1e-5)
        assert m1.gain.high == pytest.approx(0.75 + 3.176551, abs=1e-5)
        assert m2.gain.n == 3 and m2.gain.mean == pytest.approx(0.5)
        assert m2.gain.low == pytest.approx(0.5 - 1.242070, abs=1e-5)
        overall = gain_overall(_scope(gain_world), pre, post)
        assert overall.pairs == 3
        assert overall.pre == pytest.approx(0.416667, abs=1e-6)
        assert overall.post == pytest.approx(0.75)
        assert overall.gain.mean == pytest.approx(2 / 3)
        assert overall.gain.sd == pytest.approx(1 / 3)
        assert overall.gain.high == pytest.approx(2 / 3 + 0.828043, abs=1e-5)
        only_m2 = gain_overall(_scope(gain_world), pre, post, module_ids=[gain_world["m2"]])
        assert only_m2.gain.mean == pytest.approx(0.5)


def test_gain_by_trainee_group_and_histogram(app, gain_world):
    with app.app_context():
        pre, post = pre_post_quizzes(gain_world["course"])
        trainees = gain_by_trainee(_scope(gain_world), pre, post)
        assert [t.name for t in trainees] == ["学员Q", "学员P", "学员R"]  # lowest gain first
        assert [round(t.gain, 6) for t in trainees] == [0.333333, 0.666667, 1.0]
        groups = {g.label: g for g in gain_by_group(_scope(gain_world), pre, post, dimension("province"))}
        assert groups["云南省"].gain.mean == pytest.approx(0.5) and groups["云南省"].gain.n == 2
        assert groups["贵州省"].gain.mean == pytest.approx(1.0) and groups["贵州省"].gain.low is None
        # bins: <0, [0,.2), [.2,.4), [.4,.6), [.6,.8), [.8,1]
        assert gain_histogram(_scope(gain_world), pre, post) == [0, 0, 1, 0, 1, 1]


def test_quiz_scores_and_pass_rate(app, gain_world):
    with app.app_context():
        pre = db.session.get(Quiz, gain_world["pre"])
        (scores,) = quiz_scores(_scope(gain_world), [pre])
        assert scores.n == 4 and scores.mean == pytest.approx(43.75)
        assert scores.sd == pytest.approx(23.935678, abs=1e-6)
        assert scores.pass_rate == pytest.approx(0.25)
        assert (scores.ever_passed, scores.takers) == (1, 4)
        assert scores.histogram == [0, 0, 2, 0, 0, 1, 0, 1, 0, 0]


def test_learning_page_and_exports(app, gain_world, make_user):
    client = app.test_client()
    login(client, make_user("organizer"))
    page = client.get(f"/reports/cohorts/{gain_world['cohort']}/learning")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "前后测增益" in html and "标准化增益" in html and "0.67" in html and "41.7%" in html
    csv = client.get(f"/reports/cohorts/{gain_world['cohort']}/export/learning/gain-modules.csv")
    lines = csv.get_data().decode("utf-8-sig").splitlines()
    assert lines[1].startswith("整卷,3,41.67,75.0,0.6667")
    assert "95%置信区间，下限" in lines[0]
    assert lines[2].startswith("专题甲,3,50.0,83.33,0.75,-2.4266,3.9266,2")
    by_position = client.get(f"/reports/cohorts/{gain_world['cohort']}/learning?dim=position")
    assert by_position.status_code == 200
    bad = client.get(f"/reports/cohorts/{gain_world['cohort']}/learning?date_from=2026-05-01&date_to=2026-04-01")
    assert bad.status_code == 200 and "结束日期不能早于开始日期" in bad.get_data(as_text=True)
    dated = client.get(f"/reports/cohorts/{gain_world['cohort']}/learning?date_from=2030-01-01")
    assert dated.status_code == 200 and "0.67" not in dated.get_data(as_text=True)
