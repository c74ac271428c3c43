"""The survey engine: submitting, editing, anonymity, windows, validation, double submits."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from lms.audit.models import AuditEntry
from lms.auth.models import User
from lms.cohorts.models import Cohort
from lms.db import utcnow, write_transaction
from lms.extensions import db
from lms.surveys import service
from lms.surveys.answers import SurveyInputError, check_answers
from lms.surveys.ids import HIGH, LOW
from lms.surveys.models import (
    SurveyAnswer,
    SurveyKind,
    SurveyParticipation,
    SurveyResponse,
    SurveyWindow,
)
from lms.surveys.windows import local_day, set_window
from tests.dates import site_today
from tests.survey_helpers import (
    SurveyWorld,
    client_for,
    feedback_answers,
    make_survey_world,
    module_answers,
    needs_answers,
)


@pytest.fixture
def sw(app, make_user, make_cohort) -> SurveyWorld:
    return make_survey_world(app, make_user, make_cohort)


def url(sw, key: str, module: str | None = None) -> str:
    base = f"/cohorts/{sw.cohort_id}/surveys/{key}"
    return f"{base}/modules/{module}" if module else base


def rows(app, model, **where):
    with app.app_context():
        query = select(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return db.session.scalars(query).all()


def close_window(app, sw, key: str, opens=None, closes=None):
    """Set a survey's window as the organizer would (UTC datetimes)."""
    with app.app_context(), write_transaction():
        set_window(
            db.session.get(User, sw.organizer.id),
            db.session.get(Cohort, sw.cohort_id),
            db.session.get(service.Survey, sw.surveys[key]),
            opens,
            closes,
        )


def test_named_needs_survey_is_stored_with_the_trainee_and_recommends_modules(app, sw):
    client = client_for(app, sw.trainees[0])
    form = client.get(url(sw, "needs")).get_data(as_text=True)
    assert "培训需求调研" in form and 'name="q-formats.case-discussion"' in form

    response = client.post(url(sw, "needs"), data=needs_answers())
    assert response.status_code == 302
    page = client.get(url(sw, "needs")).get_data(as_text=True)
    assert "您的答卷已提交" in page
    # need 5 for getting-started and confidence 2 for practice: both recommended, need first
    recommended = page.split("推荐专题", 1)[1].split("进入课程", 1)[0]
    assert "入门" in recommended and "实践" in recommended
    assert recommended.index("入门") < recommended.index("实践")

    (stored,) = rows(app, SurveyResponse, survey_id=sw.surveys["needs"])
    assert stored.user_id == sw.trainees[0].id
    assert stored.submitted_at is not None and stored.submitted_on == shanghai_today(app)
    assert LOW <= stored.id <= HIGH
    assert len(rows(app, SurveyParticipation, survey_id=sw.surveys["needs"])) == 1
    answers = rows(app, SurveyAnswer, response_id=stored.id)
    by_row = {(a.row_key, a.value_num) for a in answers}
    assert ("case-discussion", 4) in by_row and ("field-visit", 3) in by_row
    single = next(a for a in answers if a.value_text == "1-3年")  # option 1, stored as 0-based
    assert single.value_num == 1
    # the form shows the stored answers, ready to change
    assert 'value="4" checked' in page and "如何做好控辍保学" in page


def test_editable_survey_can_be_changed_until_it_closes(app, sw):
    client = client_for(app, sw.trainees[0])
    client.post(url(sw, "needs"), data=needs_answers())
    edited = needs_answers(mode="edit", **{"q-years-in-post": "12", "q-problems": "改后的问题"})
    assert client.post(url(sw, "needs"), data=edited).status_code == 302
    (stored,) = rows(app, SurveyResponse, survey_id=sw.surveys["needs"])
    assert stored.updated_at is not None
    texts = {a.value_text for a in rows(app, SurveyAnswer, response_id=stored.id)}
    assert "改后的问题" in texts and "如何做好控辍保学" not in texts
    assert len(rows(app, SurveyResponse, survey_id=sw.surveys["needs"])) == 1

    now = utcnow()
    close_window(app, sw, "needs", now - timedelta(days=5), now - timedelta(minutes=1))
    again = needs_answers(mode="edit", **{"q-problems": "截止后又改"})
    response = client.post(url(sw, "needs"), data=again)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "本问卷已于" in page and "截止" in page
    assert "截止后又改" in page  # what was typed is shown again
    texts = {a.value_text for a in rows(app, SurveyAnswer, response_id=stored.id)}
    assert "截止后又改" not in texts


def test_a_second_new_submission_of_an_editable_survey_is_refused_and_offered_as_an_edit(app, sw):
    client = client_for(app, sw.trainees[0])
    client.post(url(sw, "needs"), data=needs_answers())
    response = client.post(url(sw, "needs"), data=needs_answers(**{"q-problems": "第二次提交"}))
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "您已提交过此问卷" in page and "第二次提交" in page
    assert 'name="mode" type="hidden" value="edit"' in page
    assert len(rows(app, SurveyResponse, survey_id=sw.surveys["needs"])) == 1


def test_anonymous_response_keeps_no_link_to_the_trainee(app, sw):
    client = client_for(app, sw.trainees[1])
    assert client.post(url(sw, "feedback"), data=feedback_answers()).status_code == 302

    (response,) = rows(app, SurveyResponse, survey_id=sw.surveys["feedback"])
    assert response.user_id is None
    assert response.submitted_at is None and response.updated_at is None
    assert response.submitted_on == shanghai_today(app)  # the day only, as the site's local date
    assert LOW <= response.id <= HIGH  # random, not the next number of a sequence
    (participation,) = rows(app, SurveyParticipation, survey_id=sw.surveys["feedback"])
    assert participation.user_id == sw.trainees[1].id
    # The raw rows: nothing in the response or its answers names the trainee or a time.
    with app.app_context():
        raw = db.session.execute(text("SELECT * FROM survey_responses")).mappings().one()
        assert raw["user_id"] is None and raw["submitted_at"] is None and raw["updated_at"] is None
        for answer in db.session.execute(text("SELECT * FROM survey_answers")).mappings():
            assert set(answer) == {"id", "response_id", "item_id", "item_version", "row_key", "value_num", "value_text"}
        participation_columns = db.session.execute(text("SELECT * FROM survey_participations")).mappings().one()
        assert set(participation_columns) == {"id", "survey_id", "cohort_id", "user_id", "module_id"}
        assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action.like("survey%"))) == 0
    page = client.get(url(sw, "feedback")).get_data(as_text=True)
    assert "不能查看或修改" in page and "多安排案例研讨" not in page


def test_ids_carry_no_submission_order(app, sw, make_user):
    """Several anonymous submissions: response ids are random, so the order of the ids does not
    give the order of the participations (which could otherwise be matched one to one)."""
    from tests.survey_helpers import enrol

    more = [make_user() for _ in range(9)]
    enrol(app, sw.cohort_id, more)
    in_submission_order: list[int] = []
    seen: set[int] = set()
    for user in [*sw.trainees, *more]:
        assert client_for(app, user).post(url(sw, "feedback"), data=feedback_answers()).status_code == 302
        with app.app_context():
            (new_id,) = set(db.session.scalars(select(SurveyResponse.id))) - seen
        in_submission_order.append(new_id)
        seen.add(new_id)
    with app.app_context():
        answer_ids = db.session.scalars(select(SurveyAnswer.id)).all()
    assert len(seen) == 12 and all(LOW <= i <= HIGH for i in in_submission_order + answer_ids)
    # 12 random ids are in increasing submission order with probability 1/12!: this fails
    # only if ids came from a sequence (or a clock).
    assert in_submission_order != sorted(in_submission_order)


def shanghai_today(app) -> date:
    """The site's local date now, as the application computes it (not the machine's date)."""
    with app.app_context():
        return local_day(utcnow())


def test_anonymous_survey_refuses_a_second_submission_and_keeps_the_typed_text(app, sw):
    client = client_for(app, sw.trainees[0])
    client.post(url(sw, "feedback"), data=feedback_answers())
    again = client.post(url(sw, "feedback"), data=feedback_answers(**{"q-improve": "再写一遍的建议"}))
    page = again.get_data(as_text=True)
    assert again.status_code == 409
    assert "您已提交过此问卷" in page and "再写一遍的建议" in page
    assert "提交</button>" not in page  # nothing to send any more
    assert len(rows(app, SurveyResponse, survey_id=sw.surveys["feedback"])) == 1


@pytest.mark.parametrize("key, answers", [("feedback", feedback_answers), ("needs", needs_answers)])
def test_parallel_double_submit_stores_one_response(app, sw, key, answers):
    clients = [client_for(app, sw.trainees[0]) for _ in range(6)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        codes = list(pool.map(lambda c: c.post(url(sw, key), data=answers()).status_code, clients, timeout=120))
    assert codes.count(302) == 1 and codes.count(409) == 5, codes
    assert len(rows(app, SurveyResponse, survey_id=sw.surveys[key])) == 1
    assert len(rows(app, SurveyParticipation, survey_id=sw.surveys[key])) == 1


def test_the_database_refuses_a_second_named_response_or_participation(app, sw):
    """The unique constraints behind the service's checks, including the whole-course case
    (module_id NULL), which a plain unique constraint would let through."""
    with app.app_context():
        for model, extra in ((SurveyResponse, {"submitted_on": site_today()}), (SurveyParticipation, {})):
            fields = {"survey_id": sw.surveys["needs"], "cohort_id": sw.cohort_id, "user_id": sw.trainees[0].id}
            db.session.add(model(**fields, **extra))
            db.session.commit()
            db.session.add(model(**fields, **extra))
            with pytest.raises(IntegrityError):
                db.session.commit()
            db.session.rollback()


def test_closed_and_not_yet_open_surveys_are_refused_with_the_day(app, sw):
    client = client_for(app, sw.trainees[0])
    now = utcnow()
    close_window(app, sw, "feedback", now + timedelta(days=3), now + timedelta(days=10))
    response = client.post(url(sw, "feedback"), data=feedback_answers(**{"q-improve": "提前写好的建议"}))
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and "本问卷将于" in page and "开放" in page
    assert "提前写好的建议" in page

    close_window(app, sw, "feedback", now - timedelta(days=10), now - timedelta(days=1))
    response = client.post(url(sw, "feedback"), data=feedback_answers())
    assert response.status_code == 409 and "本问卷已于" in response.get_data(as_text=True)
    assert rows(app, SurveyResponse, survey_id=sw.surveys["feedback"]) == []
    assert rows(app, SurveyParticipation, survey_id=sw.surveys["feedback"]) == []
    assert "本问卷已于" in client.get(url(sw, "feedback")).get_data(as_text=True)


def test_default_windows_follow_the_cohort(app, sw, make_cohort):
    today = site_today()
    past_id, _, _ = make_cohort(
        course_id=sw.course_id,
        starts_on=today - timedelta(days=30),
        ends_on=today - timedelta(days=2),
        enrol_until=today - timedelta(days=30),
    )
    future_id, _, _ = make_cohort(
        course_id=sw.course_id, starts_on=today + timedelta(days=5), ends_on=today + timedelta(days=30)
    )
    with app.app_context():
        from lms.surveys.windows import effective_window

        def survey(key):
            return db.session.get(service.Survey, sw.surveys[key])

        past, future = db.session.get(Cohort, past_id), db.session.get(Cohort, future_id)
        now = utcnow()
        assert effective_window(past, survey("feedback")).state(now) == "closed"
        assert effective_window(future, survey("feedback")).state(now) == "upcoming"
        # the needs survey is open before training starts
        assert effective_window(future, survey("needs")).state(now) == "open"
        assert effective_window(past, survey("needs")).state(now) == "closed"


def test_missing_and_out_of_range_answers_are_explained_and_nothing_typed_is_lost(app, sw):
    client = client_for(app, sw.trainees[0])
    bad = needs_answers(
        **{
            "q-need-getting-started": None,  # required, left out
            "q-years-in-post": "99",  # 0..60
            "q-confidence-practice": "9",  # not on the 5-point scale
            "q-formats.field-visit": None,  # a matrix row left out
            "q-problems": "我写的问题不能丢",
        }
    )
    response = client.post(url(sw, "needs"), data=bad)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "请回答此题" in page
    assert "请输入 0 到 60 之间的数字" in page
    assert "请从所列选项中选择" in page
    assert "请为每一行选择评分" in page
    assert "我写的问题不能丢" in page and 'value="99"' in page
    assert 'value="4" checked' in page  # the matrix row that was rated stays rated
    assert rows(app, SurveyResponse) == []

    response = client.post(url(sw, "needs"), data=needs_answers(**{"q-years-in-post": "五年"}))
    assert "请输入数字" in response.get_data(as_text=True)
    response = client.post(url(sw, "needs"), data=needs_answers(**{"q-years-in-post": "１２"}))
    assert response.status_code == 302  # full-width digits are a number


def test_the_service_checks_answers_itself(app, sw):
    with app.app_context():
        survey = db.session.get(service.Survey, sw.surveys["feedback"])
        items = service.current_items(survey)
        with pytest.raises(SurveyInputError) as failure:
            check_answers(
                items,
                {
                    "overall": "6",
                    "aspects": {"systematic": "5", "relevant": "0"},
                    "useful-modules": ["7"],
                    "recommend": "11",
                },
            )
        assert set(failure.value.errors) == {"overall", "aspects", "useful-modules", "recommend"}
        rows_ = check_answers(
            items,
            {
                "overall": "5",
                "aspects": {"systematic": "5", "relevant": "1"},
                "useful-modules": ["1", "0", "1"],
                "recommend": "0",
            },
        )
        chosen = sorted((r.value_num, r.value_text) for r in rows_ if r.value_text)
        assert chosen == [(0, "入门"), (1, "实践")]


def test_module_feedback_is_answered_once_per_module(app, sw):
    client = client_for(app, sw.trainees[0])
    chooser = client.get(url(sw, "module-feedback")).get_data(as_text=True)
    assert "/modules/getting-started" in chooser and "/modules/practice" in chooser
    assert client.post(url(sw, "module-feedback", "getting-started"), data=module_answers("5")).status_code == 302
    assert client.post(url(sw, "module-feedback", "practice"), data=module_answers("3")).status_code == 302
    again = client.post(url(sw, "module-feedback", "getting-started"), data=module_answers("1"))
    assert again.status_code == 409
    responses = rows(app, SurveyResponse, survey_id=sw.surveys["module-feedback"])
    assert sorted(r.module_id for r in responses) == sorted(sw.modules.values())
    assert all(r.user_id is None for r in responses)
    parts = rows(app, SurveyParticipation, survey_id=sw.surveys["module-feedback"])
    assert sorted(p.module_id for p in parts) == sorted(sw.modules.values())
    assert "已评价" in client.get(url(sw, "module-feedback")).get_data(as_text=True)
    # the module-feedback survey is not answered without a module, and other surveys not per module
    assert client.post(url(sw, "module-feedback"), data=module_answers()).status_code == 404
    assert client.get(url(sw, "feedback", "practice")).status_code == 404
    assert client.get(url(sw, "module-feedback", "no-such-module")).status_code == 404


def test_outsiders_get_404_and_staff_see_a_preview_they_cannot_submit(app, sw):
    outsider = client_for(app, sw.outsider)
    assert outsider.get(url(sw, "needs")).status_code == 404
    assert outsider.post(url(sw, "needs"), data=needs_answers()).status_code == 404
    trainer = client_for(app, sw.trainer)
    page = trainer.get(url(sw, "needs")).get_data(as_text=True)
    assert "预览" in page and "提交</button>" not in page
    assert trainer.post(url(sw, "needs"), data=needs_answers()).status_code == 403
    assert client_for(app, sw.trainees[0]).get(f"/cohorts/{sw.cohort_id}/surveys/nope").status_code == 404
    assert rows(app, SurveyResponse) == []


def test_hooks_run_in_the_transaction_on_first_submission_and_has_submitted(app, sw):
    calls = []

    def hook(record, user_id):
        calls.append((type(record).__name__, user_id, db.session().in_transaction()))

    service.on_survey_submitted.append(hook)
    try:
        client = client_for(app, sw.trainees[2])
        client.post(url(sw, "feedback"), data=feedback_answers())
        client.post(url(sw, "needs"), data=needs_answers())
        client.post(url(sw, "needs"), data=needs_answers(mode="edit"))  # an edit: no hook
    finally:
        service.on_survey_submitted.remove(hook)
    user_id = sw.trainees[2].id
    assert calls == [("SurveyParticipation", user_id, True), ("SurveyResponse", user_id, True)]
    with app.app_context():
        assert service.has_submitted(user_id, sw.cohort_id, SurveyKind.FEEDBACK)
        assert service.has_submitted(user_id, sw.cohort_id, "needs")
        assert not service.has_submitted(user_id, sw.cohort_id, "follow_up")
        assert not service.has_submitted(sw.trainees[0].id, sw.cohort_id, "feedback")


def test_a_failing_hook_rolls_the_submission_back(app, sw):
    def hook(record, user_id):
        raise RuntimeError("certificate service down")

    service.on_survey_submitted.append(hook)
    try:
        with app.app_context(), pytest.raises(RuntimeError), write_transaction():
            service.submit_response(
                db.session.get(User, sw.trainees[0].id),
                db.session.get(Cohort, sw.cohort_id),
                db.session.get(service.Survey, sw.surveys["feedback"]),
                {
                    "overall": "3",
                    "aspects": {"systematic": "3", "relevant": "3"},
                    "useful-modules": ["0"],
                    "recommend": "5",
                },
                datetime.now(UTC),
            )
    finally:
        service.on_survey_submitted.remove(hook)
    assert rows(app, SurveyResponse) == [] and rows(app, SurveyParticipation) == []


def test_organizer_sets_and_resets_a_window_from_the_list_page(app, sw):
    organizer = client_for(app, sw.organizer)
    survey_id = sw.surveys["feedback"]
    page = organizer.get(f"/cohorts/{sw.cohort_id}/surveys").get_data(as_text=True)
    assert "修改起止时间" in page and "培训评估问卷" in page
    response = organizer.post(
        f"/cohorts/{sw.cohort_id}/surveys/feedback/window",
        data={f"w{survey_id}-opens_at": "2030-01-01T08:00", f"w{survey_id}-closes_at": "2030-01-10T18:00"},
    )
    assert response.status_code == 302
    (window,) = rows(app, SurveyWindow, survey_id=survey_id)
    assert window.opens_at == datetime(2030, 1, 1, 0, 0, tzinfo=UTC)  # 08:00 Beijing time
    assert window.closes_at == datetime(2030, 1, 10, 10, 0, tzinfo=UTC)
    page = organizer.get(f"/cohorts/{sw.cohort_id}/surveys").get_data(as_text=True)
    assert "2030-01-01 08:00" in page

    response = organizer.post(
        f"/cohorts/{sw.cohort_id}/surveys/feedback/window",
        data={f"w{survey_id}-opens_at": "2030-01-10T08:00", f"w{survey_id}-closes_at": "2030-01-01T08:00"},
    )
    assert "问卷的截止时间必须晚于开放时间" in organizer.get(response.headers["Location"]).get_data(as_text=True)
    organizer.post(f"/cohorts/{sw.cohort_id}/surveys/feedback/window", data={})
    assert rows(app, SurveyWindow, survey_id=survey_id) == []
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.action.like("survey.%")).order_by(AuditEntry.id)
        ).all()
    assert actions == ["survey.window_set", "survey.window_reset"]
    # trainers see the list but cannot change dates
    trainer = client_for(app, sw.trainer)
    assert "修改起止时间" not in trainer.get(f"/cohorts/{sw.cohort_id}/surveys").get_data(as_text=True)
    assert trainer.post(f"/cohorts/{sw.cohort_id}/surveys/feedback/window", data={}).status_code == 403


def test_trainee_survey_list_shows_each_status(app, sw):
    client = client_for(app, sw.trainees[0])
    client.post(url(sw, "needs"), data=needs_answers())
    page = client.get(f"/cohorts/{sw.cohort_id}/surveys").get_data(as_text=True)
    assert "已提交" in page and "仍可修改" in page  # the needs survey
    assert "尚未到填写时间" in page  # the follow-up: nothing completed yet
    assert "已评价 0 / 2 个专题" in page
