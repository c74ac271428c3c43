"""The suggestion box: named and anonymous suggestions, triage, replies, access, rate limit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.audit.models import AuditEntry
from lms.extensions import db
from lms.suggestions.models import Suggestion, SuggestionStatus
from lms.surveys.ids import HIGH, LOW
from tests.survey_helpers import SurveyWorld, client_for, make_survey_world


@pytest.fixture
def sw(app, make_user, make_cohort) -> SurveyWorld:
    return make_survey_world(app, make_user, make_cohort)


def suggestions(app):
    with app.app_context():
        return db.session.scalars(select(Suggestion)).all()


def test_named_suggestion_is_triaged_and_the_author_reads_the_reply(app, sw):
    trainee = client_for(app, sw.trainees[0])
    form = trainee.get("/suggestions/new").get_data(as_text=True)
    assert "示例课程 · 入门" in form  # a module of the trainee's course can be chosen
    response = trainee.post(
        "/suggestions/new",
        data={
            "about": f"m{sw.modules['practice']}",
            "subject": "案例太少",
            "body": "希望增加西部县的案例。",
        },
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/suggestions/mine")
    (stored,) = suggestions(app)
    assert stored.author_id == sw.trainees[0].id and stored.created_at is not None
    assert stored.module_id == sw.modules["practice"] and stored.course_id == sw.course_id
    assert stored.status == SuggestionStatus.NEW
    mine = trainee.get("/suggestions/mine").get_data(as_text=True)
    assert "案例太少" in mine and "新提交" in mine

    organizer = client_for(app, sw.organizer)
    listing = organizer.get("/admin/suggestions").get_data(as_text=True)
    assert "案例太少" in listing and sw.trainees[0].name in listing
    assert "案例太少" not in organizer.get("/admin/suggestions?status=closed").get_data(as_text=True)
    assert "案例太少" in organizer.get("/admin/suggestions?status=new&who=named").get_data(as_text=True)
    assert "案例太少" not in organizer.get("/admin/suggestions?who=anonymous").get_data(as_text=True)
    detail = organizer.get(f"/admin/suggestions/{stored.id}").get_data(as_text=True)
    assert "希望增加西部县的案例。" in detail and "示例课程 · 实践" in detail

    response = organizer.post(
        f"/admin/suggestions/{stored.id}",
        data={
            "status": "acted_on",
            "reply": "已在第二期增加两个西部县案例。",
        },
    )
    assert response.status_code == 302
    (stored,) = suggestions(app)
    assert stored.status == SuggestionStatus.ACTED_ON and stored.updated_at is not None
    mine = trainee.get("/suggestions/mine").get_data(as_text=True)
    assert "已在第二期增加两个西部县案例。" in mine and "已采纳落实" in mine
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-2:] == ["suggestion.status", "suggestion.reply"]

    # other trainees see none of it
    other = client_for(app, sw.trainees[1])
    assert "案例太少" not in other.get("/suggestions/mine").get_data(as_text=True)
    assert other.get(f"/admin/suggestions/{stored.id}").status_code == 403
    assert client_for(app, sw.trainer).get("/admin/suggestions").status_code == 403


def test_anonymous_suggestion_stores_no_author_and_no_time(app, sw):
    trainee = client_for(app, sw.trainees[0])
    response = trainee.post("/suggestions/new", data={"subject": "匿名反映", "body": "食堂太远", "anonymous": "y"})
    assert response.status_code == 302
    (stored,) = suggestions(app)
    assert stored.author_id is None and stored.is_anonymous
    assert stored.created_at is None and stored.created_on is not None
    assert LOW <= stored.id <= HIGH
    assert "匿名反映" not in trainee.get("/suggestions/mine").get_data(as_text=True)
    organizer = client_for(app, sw.organizer)
    assert "匿名反映" in organizer.get("/admin/suggestions?who=anonymous").get_data(as_text=True)
    detail = organizer.get(f"/admin/suggestions/{stored.id}").get_data(as_text=True)
    assert "匿名" in detail and sw.trainees[0].name not in detail
    organizer.post(f"/admin/suggestions/{stored.id}", data={"status": "new", "reply": "收到"})
    (stored,) = suggestions(app)
    assert stored.status == SuggestionStatus.ACKNOWLEDGED  # a reply acknowledges it


def test_bad_input_keeps_what_was_typed(app, sw):
    trainee = client_for(app, sw.trainees[0])
    page = trainee.post("/suggestions/new", data={"subject": "", "body": "我写了很长的建议"}).get_data(as_text=True)
    assert "此项为必填项" in page
    assert "我写了很长的建议" in page
    # a course the trainee does not belong to cannot be named (a hand-made request)
    page = trainee.post(
        "/suggestions/new",
        data={
            "subject": "x",
            "body": "y",
            "about": "c999999",
        },
    ).get_data(as_text=True)
    assert "请从列出的课程或专题中选择" in page
    assert suggestions(app) == []
    outsider = client_for(app, sw.outsider)  # in no cohort: only the general choice
    assert "示例课程" not in outsider.get("/suggestions/new").get_data(as_text=True)


@pytest.mark.parametrize("app", [{"SUGGESTION_LIMITS": "2 per hour"}], indirect=True)
def test_suggestions_are_rate_limited_per_user(app, sw):
    trainee = client_for(app, sw.trainees[0])
    assert trainee.post("/suggestions/new", data={"subject": "s1", "body": "b", "anonymous": "y"}).status_code == 302
    assert trainee.post("/suggestions/new", data={"subject": "", "body": "b"}).status_code == 200  # not counted
    assert trainee.post("/suggestions/new", data={"subject": "s2", "body": "b"}).status_code == 302
    assert trainee.post("/suggestions/new", data={"subject": "s3", "body": "b"}).status_code == 429
    other = client_for(app, sw.trainees[1])  # another user has their own allowance
    assert other.post("/suggestions/new", data={"subject": "t", "body": "b"}).status_code == 302
    assert len(suggestions(app)) == 3
