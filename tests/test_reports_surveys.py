"""Needs and reaction reports: means, distributions, NPS, breakdowns and anonymity rules.

Needs survey (named), module M1, answers 1-5:
    trainee  province  need  confidence
    U1       云南省     5     2
    U2       云南省     4     3
    U3       贵州省     3     4
    need: mean 4, s² = (1+0+1)/2 = 1, CI 4 ± t(2)·1/√3 = 4 ± 2.484138; confidence mean 3; gap 1
    (4 ≥ REPORTS_NEED_HIGH = 4: a high-demand need)
    by province: 云南省 2 respondents, need 4.5, confidence 2.5; 贵州省 1, need 3, confidence 4

Course feedback (anonymous), six responses in the cohort:
    useful-m1 (likert, module M1): 5 4 4 3 2 5   n 6, Σ 23, Σ² 95, mean 3.833333,
        s² = (95 − 529/6)/5 = 1.366667, s = 1.169045, CI ± 2.570582·s/√6 = ± 1.226836
    recommend (0-10): 10 9 9 8 6 3   promoters 3, passives 1, detractors 2: NPS = (3−2)/6 = 16.67
    overall (likert, the headline: the first 1-5 item not about a module): 4 4 5 3 4 4
        n 6 respondents, Σ 24, Σ² 98, mean 4, s² = (98 − 96)/5 = 0.4, s = 0.632456,
        CI ± 2.570582·s/√6 = ± 0.663721 (pooling every 1-5 answer would say n 24)
    aspects (matrix, a dimension): content 4 and pace 3 or 4, so each respondent's mean is
        3.5 4 3.5 4 3.5 4: n 6, mean 3.75, s² = 6·0.0625/5 = 0.075, s = 0.273861
Module-feedback form about M1 (anonymous), items content / usefulness / delivery:
    R1 5 4 3 · R2 4 4 4 · R3 2 3 4 · R4 5 5 5 · R5 3 2 1 · R6 1 (the others skipped)
    per respondent 4 4 3 5 2 1: n 6, Σ 19, Σ² 71, mean 3.166667,
        s² = (71 − 361/6)/5 = 2.166667 (the pooled 16 answers would say 55/16 = 3.4375)
    M1's satisfaction is the form's (6 respondents); the course feedback's useful-m1 stays
    beside it with its own 6 respondents, never added to them.
A second cohort has three anonymous responses: fewer than SURVEY_MIN_GROUP (5), so nothing
of them is shown.
"""

from __future__ import annotations

import pytest

from lms.extensions import db
from lms.reports.breakdown import dimension
from lms.reports.needs import module_needs, needs_by_group
from lms.reports.reaction import course_nps, course_satisfaction, module_satisfaction, overall_satisfaction
from lms.reports.scope import Scope
from lms.reports.survey_results import survey_results, text_answers
from lms.surveys.models import Survey
from tests.conftest import login
from tests.report_helpers import add_response, build_course, make_survey, make_trainee

USEFUL = [5, 4, 4, 3, 2, 5]
RECOMMEND = [10, 9, 9, 8, 6, 3]
OVERALL = [4, 4, 5, 3, 4, 4]
COMMENTS = ["案例很实用", "", "=SUM(1)希望增加案例", "节奏偏快", "案例分析好", "无"]


@pytest.fixture
def survey_world(app, make_cohort):
    with app.app_context():
        built = build_course()
        course, m1 = built["course"], built["m1"]
        needs = make_survey(
            course.id,
            "needs",
            "needs",
            [
                {"key": "need-m1", "itype": "likert", "module_id": m1.id, "measure": "need"},
                {"key": "conf-m1", "itype": "likert", "module_id": m1.id, "measure": "confidence"},
                {"key": "role", "itype": "single", "spec": {"options": ["教师", "校长", "干部"]}},
                {
                    "key": "topics",
                    "itype": "multiple",
                    "spec": {"options": ["政策", "案例", "管理"]},
                },
                {"key": "wish", "itype": "text"},
            ],
        )
        feedback = make_survey(
            course.id,
            "feedback",
            "feedback",
            [
                {"key": "overall", "itype": "likert", "prompt": "总体满意度"},
                {"key": "useful-m1", "itype": "likert", "module_id": m1.id},
                {
                    "key": "aspects",
                    "itype": "matrix",
                    "spec": {
                        "rows": [
                            {"id": "content", "label": "内容"},
                            {"id": "pace", "label": "节奏"},
                        ]
                    },
                },
                {"key": "recommend", "itype": "rating10"},
                {"key": "improve", "itype": "text", "prompt": "改进建议"},
            ],
            anonymous=True,
        )
        db.session.commit()
        ids = {"course": course.id, "needs": needs.id, "feedback": feedback.id, "m1": m1.id}
    cohort_id, _, _ = make_cohort(course_id=ids["course"])
    small_cohort, _, _ = make_cohort(course_id=ids["course"])
    with app.app_context():
        for name, province, need, conf, role, topics in [
            ("U1", "云南省", 5, 2, 0, [0, 1]),
            ("U2", "云南省", 4, 3, 1, [1]),
            ("U3", "贵州省", 3, 4, 0, [1, 2]),
        ]:
            uid = make_trainee(cohort_id, name, province=province)
            add_response(
                ids["needs"],
                cohort_id,
                uid,
                {
                    "need-m1": float(need),
                    "conf-m1": float(conf),
                    "role": float(role),
                    "topics": [float(t) for t in topics],
                    "wish": f"{name}希望多讲案例",
                },
            )
        for i in range(6):
            add_response(
                ids["feedback"],
                cohort_id,
                None,
                {
                    "overall": float(OVERALL[i]),
                    "useful-m1": float(USEFUL[i]),
                    "aspects": {"content": 4.0, "pace": float(3 + i % 2)},
                    "recommend": float(RECOMMEND[i]),
                    "improve": COMMENTS[i],
                },
            )
        for _ in range(3):
            add_response(
                ids["feedback"],
                small_cohort,
                None,
                {
                    "useful-m1": 1.0,
                    "recommend": 0.0,
                    "improve": "小班的意见",
                },
            )
        db.session.commit()
    ids.update(cohort=cohort_id, small=small_cohort)
    return ids


def _scope(ids, cohort="cohort"):
    return Scope(course_id=ids["course"], cohort_ids=(ids[cohort],))


def test_needs_by_module_and_group(app, survey_world):
    with app.app_context():
        surveys = [db.session.get(Survey, survey_world["needs"])]
        (m1,) = module_needs(_scope(survey_world), surveys)
        assert (m1.need.n, m1.need.mean, m1.need.sd) == (3, 4.0, 1.0)
        assert m1.need.low == pytest.approx(4 - 2.484138, abs=1e-5)
        assert m1.confidence.mean == pytest.approx(3.0) and m1.gap == pytest.approx(1.0)
        assert m1.need_counts == [0, 0, 1, 1, 1] and m1.high_demand
        groups = {g.label: g for g in needs_by_group(_scope(survey_world), surveys, dimension("province"))}
        assert groups["云南省"].respondents == 2
        assert groups["云南省"].cells[survey_world["m1"]] == pytest.approx((4.5, 2.5))
        assert groups["贵州省"].cells[survey_world["m1"]] == pytest.approx((3.0, 4.0))
        results = survey_results(_scope(survey_world), surveys[0])
        by_key = {i.key: i for i in results.items}
        assert [b.count for b in by_key["role"].parts[0].bars] == [2, 1, 0]
        # multiple choice: shares of the three respondents, so they may add up past 100 %
        assert [b.count for b in by_key["topics"].parts[0].bars] == [1, 3, 1]
        assert by_key["topics"].parts[0].bars[1].share == pytest.approx(1.0)
        assert by_key["wish"].texts == 3


def test_anonymous_needs_have_no_breakdown(app, survey_world):
    with app.app_context():
        needs = db.session.get(Survey, survey_world["needs"])
        needs.is_anonymous = True
        db.session.flush()
        assert needs_by_group(_scope(survey_world), [needs], dimension("work_unit")) == []
        # three anonymous respondents are fewer than the minimum group: nothing is shown
        assert module_needs(_scope(survey_world), [needs]) == []
        assert survey_results(_scope(survey_world), needs).suppressed
        db.session.rollback()


def test_reaction_figures_match_the_hand_computation(app, survey_world):
    with app.app_context():
        (sat,) = module_satisfaction(_scope(survey_world))
        assert (sat.respondents, sat.score.n) == (6, 6)
        assert sat.score.mean == pytest.approx(3.833333, abs=1e-6)
        assert sat.score.sd == pytest.approx(1.169045, abs=1e-6)
        assert sat.score.high == pytest.approx(3.833333 + 1.226836, abs=1e-5)
        assert sat.counts == [0, 1, 1, 2, 2] and not sat.suppressed
        score = course_nps(_scope(survey_world))
        assert (score.n, score.promoters, score.passives, score.detractors) == (6, 3, 1, 2)
        assert score.score == pytest.approx(100 / 6)
        assert sat.from_form is False and sat.form is None  # no module form answered yet
        overall = overall_satisfaction(_scope(survey_world))
        assert (overall.n, overall.mean) == (6, 4.0)
        assert overall.sd == pytest.approx(0.632456, abs=1e-6)
        assert (overall.low, overall.high) == pytest.approx((4 - 0.663721, 4 + 0.663721), abs=1e-5)
        course = course_satisfaction(_scope(survey_world))
        assert (course.respondents, course.overall_prompt) == (6, "总体满意度")
        (aspects,) = course.dimensions
        assert (aspects.prompt, aspects.statements, aspects.score.n) == ("aspects", 2, 6)
        assert aspects.score.mean == pytest.approx(3.75)
        assert aspects.score.sd == pytest.approx(0.273861, abs=1e-6)
        results = survey_results(_scope(survey_world), db.session.get(Survey, survey_world["feedback"]))
        by_key = {i.key: i for i in results.items}
        assert by_key["recommend"].nps.score == pytest.approx(100 / 6)
        content, pace = by_key["aspects"].parts
        assert (content.label, content.mean.mean) == ("内容", 4.0)
        assert pace.mean.mean == pytest.approx(3.5)
        assert by_key["improve"].texts == 5  # one blank answer is not a comment


MODULE_FORM = [(5, 4, 3), (4, 4, 4), (2, 3, 4), (5, 5, 5), (3, 2, 1), (1,)]


def test_a_module_is_rated_per_respondent_from_its_own_form(app, survey_world):
    with app.app_context():
        form = make_survey(
            survey_world["course"],
            "module-feedback",
            "module_feedback",
            [{"key": k, "itype": "likert"} for k in ("content", "usefulness", "delivery")],
            anonymous=True,
        )
        for ratings in MODULE_FORM:
            answers = dict(zip(("content", "usefulness", "delivery"), map(float, ratings), strict=False))
            add_response(form.id, survey_world["cohort"], None, answers, module_id=survey_world["m1"])
        (sat,) = module_satisfaction(_scope(survey_world))
        assert sat.from_form and (sat.respondents, sat.score.n) == (6, 6)
        assert sat.score.mean == pytest.approx(19 / 6)
        assert sat.score.sd == pytest.approx(2.166667**0.5, abs=1e-6)
        assert sat.counts == [2, 2, 3, 5, 4]  # the 16 answers, for the distribution
        assert (sat.course_item.respondents, sat.course_item.score.mean) == (6, pytest.approx(23 / 6))
        db.session.rollback()


def test_the_reaction_page_says_what_each_figure_averages(app, survey_world, make_user):
    client = app.test_client()
    login(client, make_user("organizer"))
    base = f"/reports/cohorts/{survey_world['cohort']}"
    html = client.get(f"{base}/reaction").get_data(as_text=True)
    assert "总体满意度（1-5）" in html and "4.00" in html
    assert "“总体满意度”，6 人作答" in html
    assert "各维度满意度" in html and "3.75" in html
    assert "先求每位作答者所评各项的平均分，再对作答者求平均" in html
    sheet = client.get(f"{base}/export/reaction/satisfaction-course.csv").get_data().decode("utf-8-sig")
    lines = sheet.splitlines()
    assert lines[1] == "总体满意度,总体满意度,6,4.0,3.3363,4.6637"
    assert lines[2] == "aspects,每位作答者 2 项的平均分,6,3.75,3.4626,4.0374"


def test_small_anonymous_groups_are_hidden(app, survey_world):
    with app.app_context():
        (sat,) = module_satisfaction(_scope(survey_world, "small"))
        assert sat.suppressed and sat.score.mean is None and sat.counts == [0] * 5
        assert course_nps(_scope(survey_world, "small")) is None
        feedback = db.session.get(Survey, survey_world["feedback"])
        assert survey_results(_scope(survey_world, "small"), feedback).suppressed
        assert text_answers(_scope(survey_world, "small"), [feedback]) == (0, [])


@pytest.mark.parametrize("app", [{"SURVEY_MIN_GROUP": 3}], indirect=True)
def test_the_minimum_group_is_configurable(app, survey_world):
    with app.app_context():
        (sat,) = module_satisfaction(_scope(survey_world, "small"))
        assert not sat.suppressed and sat.score.mean == 1.0


def test_comments_filter_and_pages(app, survey_world, make_user):
    with app.app_context():
        feedback = db.session.get(Survey, survey_world["feedback"])
        total, found = text_answers(_scope(survey_world), [feedback], search="案例")
        assert total == 3 and sorted(a.text for a in found) == sorted(
            ["案例很实用", "=SUM(1)希望增加案例", "案例分析好"]
        )
        assert text_answers(_scope(survey_world), [feedback], search="%")[0] == 0  # no wildcard
    client = app.test_client()
    login(client, make_user("organizer"))
    base = f"/reports/cohorts/{survey_world['cohort']}"
    html = client.get(f"{base}/reaction?q=节奏").get_data(as_text=True)
    assert "节奏偏快" in html and "案例很实用" not in html
    assert "/improvements/new?finding=comment:" in html  # a comment is a finding to act on
    assert "16.67" in html and "3.83" in html  # NPS and module satisfaction
    small = client.get(f"/reports/cohorts/{survey_world['small']}/reaction").get_data(as_text=True)
    assert "小班的意见" not in small and "匿名结果不予显示" in small
    csv = client.get(f"{base}/export/reaction/comments.csv?q=SUM").get_data().decode("utf-8-sig")
    assert ",'=SUM(1)希望增加案例" in csv  # neutralised: a spreadsheet shows it as text
    needs = client.get(f"{base}/needs").get_data(as_text=True)
    assert "各专题的学习需求与掌握信心" in needs and "4.00" in needs and "U1希望多讲案例" in needs
    assert "/improvements/new?finding=need%3A" in needs or "/improvements/new?finding=need:" in needs
    groups = client.get(f"{base}/export/needs/needs-groups.csv?dim=province").get_data().decode("utf-8-sig")
    assert "云南省,2,4.5,2.5" in groups


def test_a_course_scope_that_would_reveal_a_small_cohort_by_difference_is_hidden(app, survey_world):
    """Course (6 + 3) minus the large cohort (6, shown) would give the small cohort's 3."""
    with app.app_context():
        feedback = db.session.get(Survey, survey_world["feedback"])
        both = Scope(course_id=survey_world["course"], cohort_ids=(survey_world["cohort"], survey_world["small"]))
        assert not survey_results(_scope(survey_world), feedback).suppressed
        assert survey_results(both, feedback).suppressed
        assert text_answers(both, [feedback]) == (0, [])
        assert course_nps(both) is None
