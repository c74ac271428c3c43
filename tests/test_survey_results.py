"""Survey results for organizers and trainers: figures, the anonymity threshold, exports,
and the needs survey's recommendations and module demand."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from lms.auth.models import User
from lms.cohorts.models import Cohort
from lms.db import utcnow, write_transaction
from lms.extensions import db
from lms.learning.models import Module
from lms.surveys import service
from lms.surveys.models import Survey
from lms.surveys.needs import module_demand, recommended_module_ids
from tests.survey_helpers import SurveyWorld, client_for, enrol, make_survey_world


@pytest.fixture
def sw(app, make_user, make_cohort) -> SurveyWorld:
    return make_survey_world(app, make_user, make_cohort)


def submit(app, sw, user_id: int, key: str, values: dict, module_key: str | None = None) -> None:
    with app.app_context(), write_transaction():
        cohort = db.session.get(Cohort, sw.cohort_id)
        module = service.get_module(cohort.course_id, module_key) if module_key else None
        service.submit_response(
            db.session.get(User, user_id),
            cohort,
            db.session.get(Survey, sw.surveys[key]),
            values,
            utcnow(),
            module=module,
        )


def feedback(overall: str, recommend: str = "9", improve: str = "") -> dict:
    return {
        "overall": overall,
        "aspects": {"systematic": overall, "relevant": "4"},
        "useful-modules": ["0"],
        "recommend": recommend,
        "improve": improve,
    }


def needs(need: str, confidence: str, problems: str = "问题") -> dict:
    return {
        "background-years": "0",
        "years-in-post": "3",
        "need-getting-started": need,
        "confidence-practice": confidence,
        "formats": {"case-discussion": "5", "field-visit": "1"},
        "problems": problems,
    }


@pytest.fixture
def crowd(app, sw, make_user):
    """Seven more trainees in the cohort (ten in all)."""
    more = [make_user() for _ in range(7)]
    enrol(app, sw.cohort_id, more)
    return [u.id for u in [*sw.trainees, *more]]


def results_page(app, sw, key: str, who=None, **params) -> str:
    client = client_for(app, who or sw.organizer)
    response = client.get(f"/cohorts/{sw.cohort_id}/surveys/{key}/results", query_string=params)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_anonymous_results_appear_only_from_five_respondents(app, sw, crowd):
    for user_id, overall in zip(crowd[:4], "1234", strict=True):
        submit(app, sw, user_id, "feedback", feedback(overall, improve=f"建议{overall}"))
    page = results_page(app, sw, "feedback")
    assert "结果不予显示" in page and "回收率 40.0%" in page
    assert "建议1" not in page and "平均" not in page
    client = client_for(app, sw.organizer)
    export = client.get(f"/cohorts/{sw.cohort_id}/surveys/feedback/results.csv")
    assert export.status_code == 302  # nothing to export yet

    submit(app, sw, crowd[4], "feedback", feedback("5", recommend="3", improve="建议5"))
    page = results_page(app, sw, "feedback")
    assert "结果不予显示" not in page
    assert "5 人作答 · 平均 3.0" in page  # overall: 1..5
    assert all(f"建议{n}" in page for n in range(1, 6))
    # recommend: 9, 9, 9, 9, 3 -> 80% promoters, 20% detractors
    assert "NPS 60.0" in page


def test_module_breakdown_hides_small_modules_and_the_total_that_would_reveal_them(app, sw, crowd):
    for user_id in crowd[:5]:
        submit(app, sw, user_id, "module-feedback", {"content": "4", "comment": ""}, "getting-started")
    for user_id in crowd[:2]:
        submit(app, sw, user_id, "module-feedback", {"content": "1", "comment": "太难"}, "practice")
    page = results_page(app, sw, "module-feedback")
    breakdown = page.split("分专题统计", 1)[1]
    assert "4.0" in breakdown and "不显示" in breakdown
    # all modules together minus module 1 would give module 2's two answers: hidden too
    assert "结果不予显示" in page and "太难" not in page
    assert "结果不予显示" not in results_page(app, sw, "module-feedback", module="getting-started")
    assert "结果不予显示" in results_page(app, sw, "module-feedback", module="practice")

    for user_id in crowd[2:5]:
        submit(app, sw, user_id, "module-feedback", {"content": "2", "comment": "太难"}, "practice")
    page = results_page(app, sw, "module-feedback")
    assert "结果不予显示" not in page and "太难" in page


def test_named_results_show_names_with_open_answers_and_a_threshold_does_not_apply(app, sw):
    submit(app, sw, sw.trainees[0].id, "needs", needs("5", "1", problems="控辍保学怎么做"))
    page = results_page(app, sw, "needs")
    assert "控辍保学怎么做" in page and "测试用户" in page
    assert "回收率 33.3%" in page


def test_trainers_see_their_cohorts_results_only(app, sw, make_user, make_cohort):
    submit(app, sw, sw.trainees[0].id, "needs", needs("5", "1"))
    results_page(app, sw, "needs", who=sw.trainer)
    stranger = client_for(app, make_user("trainer"))
    assert stranger.get(f"/cohorts/{sw.cohort_id}/surveys/needs/results").status_code == 403
    assert stranger.get(f"/cohorts/{sw.cohort_id}/surveys/needs/results.csv").status_code == 403
    trainee = client_for(app, sw.trainees[0])
    assert trainee.get(f"/cohorts/{sw.cohort_id}/surveys/needs/results").status_code == 403


def test_exports_neutralise_formulas(app, sw, crowd):
    for user_id in crowd[:5]:
        submit(app, sw, user_id, "feedback", feedback("4", improve='=HYPERLINK("http://x")'))
    submit(app, sw, crowd[5], "needs", needs("4", "3", problems="+1 呼叫"))
    client = client_for(app, sw.organizer)
    body = client.get(f"/cohorts/{sw.cohort_id}/surveys/feedback/results.csv").get_data()
    table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert table[0][:4] == ["板块", "题目", "子项", "选项"]
    texts = [row[-1] for row in table[1:] if row[-1]]
    assert texts == ['\'=HYPERLINK("http://x")'] * 5
    means = {row[1]: row[7] for row in table if row[3] == "平均分" and not row[2]}
    assert means["您对本次培训的总体满意程度"] == "4.0"

    xlsx = client.get(f"/cohorts/{sw.cohort_id}/surveys/needs/results.xlsx")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.get_data())).active
    values = [cell.value for row in sheet.iter_rows() for cell in row if cell.value]
    assert "'+1 呼叫" in values and "+1 呼叫" not in values


def test_recommended_modules_follow_the_documented_rule(app, sw, make_user):
    a, b, c = sw.trainees
    submit(app, sw, a.id, "needs", needs("5", "5"))  # high need only
    submit(app, sw, b.id, "needs", needs("3", "2"))  # low confidence only
    submit(app, sw, c.id, "needs", needs("3", "3"))  # neither
    with app.app_context():
        m1, m2 = sw.modules["getting-started"], sw.modules["practice"]
        assert recommended_module_ids(a.id, sw.course_id) == [m1]
        assert recommended_module_ids(b.id, sw.course_id) == [m2]
        assert recommended_module_ids(c.id, sw.course_id) == []
        assert recommended_module_ids(make_user().id, sw.course_id) == []
    # editing the answers changes the recommendation
    client = client_for(app, c)
    edit = {
        "mode": "edit",
        "q-background-years": "0",
        "q-years-in-post": "3",
        "q-need-getting-started": "4",
        "q-confidence-practice": "1",
        "q-formats.case-discussion": "3",
        "q-formats.field-visit": "3",
    }
    assert client.post(f"/cohorts/{sw.cohort_id}/surveys/needs", data=edit).status_code == 302
    with app.app_context():
        assert recommended_module_ids(c.id, sw.course_id) == [m1, m2]  # need 4 first, then confidence-only
        db.session.execute(update(Module).where(Module.id == m1).values(is_retired=True))
        db.session.commit()
        assert recommended_module_ids(c.id, sw.course_id) == [m2]


def test_module_demand_is_one_aggregate_and_respects_anonymity(app, sw, crowd):
    for user_id, (need, confidence) in zip(crowd[:4], [("5", "1"), ("4", "2"), ("3", "3"), ("2", "4")], strict=True):
        submit(app, sw, user_id, "needs", needs(need, confidence))
    with app.app_context():
        m1, m2 = sw.modules["getting-started"], sw.modules["practice"]
        assert module_demand(sw.cohort_id) == [(m1, 4, 3.5, None), (m2, 4, None, 2.5)]
        # the same answers in an anonymous needs survey: fewer than five respondents, nothing
        db.session.execute(update(Survey).where(Survey.id == sw.surveys["needs"]).values(is_anonymous=True))
        db.session.commit()
        assert module_demand(sw.cohort_id) == []
