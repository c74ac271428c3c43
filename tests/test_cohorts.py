"""Cohorts: creating them, joining by code or link, rosters and their exports."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from openpyxl import load_workbook
from sqlalchemy import func, select

from lms.cohorts.models import Cohort, Enrolment, EnrolmentStatus
from lms.extensions import db
from tests.conftest import login
from tests.dates import site_today


def enrolments(app, cohort_id) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count(Enrolment.id)).where(
                Enrolment.cohort_id == cohort_id, Enrolment.status == EnrolmentStatus.ACTIVE
            )
        )


def test_organizer_creates_cohort_with_code_and_link(app, client, make_user, make_course):
    organizer = make_user("organizer")
    trainer = make_user("trainer", name="赵讲师")
    course_id = make_course()
    login(client, organizer)
    response = client.post(
        "/cohorts/new",
        data={
            "course_id": course_id,
            "name": "2026年芒市第一期",
            "starts_on": "2026-12-01",
            "ends_on": "2026-12-20",
            "enrol_until": "",
            "capacity": "40",
            "trainer_ids": [trainer.id],
        },
    )
    assert response.status_code == 302
    with app.app_context():
        cohort = db.session.scalar(select(Cohort))
        assert len(cohort.enrol_code) == 8 and cohort.enrol_code.isalnum()
        assert len(cohort.invite_token) >= 43  # 256 random bits
        assert cohort.enrol_until == date(2026, 12, 20)  # defaults to the end date
        assert [t.name for t in cohort.trainers] == ["赵讲师"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert cohort.enrol_code in page and cohort.invite_token in page


def test_cohort_form_rejects_end_before_start(client, make_user, make_course):
    login(client, make_user("organizer"))
    page = client.post(
        "/cohorts/new",
        data={"course_id": make_course(), "name": "x", "starts_on": "2026-12-10", "ends_on": "2026-12-01"},
    ).get_data(as_text=True)
    assert "结束日期不能早于开始日期" in page


def test_trainee_joins_with_code_and_twice_is_harmless(app, client, make_user, make_cohort):
    cohort_id, code, _ = make_cohort()
    login(client, make_user())
    typed = code.lower()[:4] + " " + code.lower()[4:]  # spaces and lower case are fine
    assert client.post("/join", data={"code": typed}).status_code == 302
    assert client.post("/join", data={"code": code}).status_code == 302
    assert enrolments(app, cohort_id) == 1
    assert "已经是" in client.get("/").get_data(as_text=True)


def test_wrong_expired_and_full_codes_get_clear_messages(app, client, make_user, make_cohort):
    login(client, make_user())
    page = client.post("/join", data={"code": "NOSUCH99"}).get_data(as_text=True)
    assert "没有培训班使用这个报名码" in page

    past = site_today() - timedelta(days=10)
    _, expired, _ = make_cohort(starts_on=past, ends_on=past + timedelta(days=5), enrol_until=past)
    assert "报名已于" in client.post("/join", data={"code": expired}).get_data(as_text=True)

    full_id, full, _ = make_cohort(capacity=1)
    other = app.test_client()
    login(other, make_user())
    assert other.post("/join", data={"code": full}).status_code == 302
    assert "培训班已满" in client.post("/join", data={"code": full}).get_data(as_text=True)
    assert enrolments(app, full_id) == 1


def test_join_by_invite_link(app, client, make_user, make_cohort):
    cohort_id, _, token = make_cohort(name="邀请班")
    login(client, make_user())
    assert "邀请班" in client.get(f"/join/{token}").get_data(as_text=True)
    assert client.post(f"/join/{token}").status_code == 302
    assert enrolments(app, cohort_id) == 1
    assert client.get("/join/not-a-real-token-at-all").status_code == 404


def test_anonymous_invite_link_goes_to_login_and_back(client, make_cohort):
    _, _, token = make_cohort()
    response = client.get(f"/join/{token}")
    assert response.status_code == 302
    assert "next=/join/" in response.headers["Location"]


def test_organizer_adds_removes_and_exports_members(app, client, make_user, make_cohort):
    organizer = make_user("organizer")
    cohort_id, _, _ = make_cohort(organizer_id=organizer.id)
    tricky = make_user(name='=HYPERLINK("http://x")', work_unit="+danger")
    plain = make_user(name="李四")
    login(client, organizer)
    client.post(
        f"/cohorts/{cohort_id}/members",
        data={"identifiers": f"{tricky.phone}\n{plain.phone}\n13011112222"},
    )
    assert enrolments(app, cohort_id) == 2
    rows = list(csv.reader(io.StringIO(client.get(f"/cohorts/{cohort_id}/roster.csv").data.decode("utf-8-sig"))))
    assert rows[0][:2] == ["姓名", "手机"]
    names = {row[0] for row in rows[1:]}
    assert '\'=HYPERLINK("http://x")' in names and "李四" in names
    assert any(row[6] == "'+danger" for row in rows[1:])
    book = load_workbook(io.BytesIO(client.get(f"/cohorts/{cohort_id}/roster.xlsx").data))
    assert book.active.cell(row=1, column=1).value == "姓名"
    assert book.active.max_row == 3

    client.post(f"/cohorts/{cohort_id}/members/{plain.id}/remove")
    assert enrolments(app, cohort_id) == 1
    with app.app_context():  # the enrolment is kept, marked removed
        assert db.session.scalar(select(func.count(Enrolment.id))) == 2


def test_trainers_see_only_their_cohorts_and_cannot_manage(client, make_user, make_cohort):
    trainer = make_user("trainer")
    mine, _, _ = make_cohort(trainer_ids=(trainer.id,), name="我的班")
    theirs, _, _ = make_cohort(name="别人的班")
    login(client, trainer)
    listing = client.get("/cohorts/").get_data(as_text=True)
    assert "我的班" in listing and "别人的班" not in listing
    assert client.get(f"/cohorts/{mine}").status_code == 200
    assert client.get(f"/cohorts/{theirs}").status_code == 403
    assert client.get(f"/cohorts/{mine}/edit").status_code == 403
    page = client.get(f"/cohorts/{mine}").get_data(as_text=True)
    assert "报名码" not in page  # codes are for organizers to hand out


def test_regenerating_the_code_retires_the_old_one(app, client, make_user, make_cohort):
    organizer = make_user("organizer")
    cohort_id, old_code, old_token = make_cohort()
    login(client, organizer)
    client.post(f"/cohorts/{cohort_id}/code")
    trainee = app.test_client()
    login(trainee, make_user())
    assert "没有培训班使用这个报名码" in trainee.post("/join", data={"code": old_code}).get_data(as_text=True)
    assert trainee.get(f"/join/{old_token}").status_code == 404


def test_parallel_joins_respect_capacity(app, make_user, make_cohort):
    """Five trainees race for two places: exactly two get in."""
    from concurrent.futures import ThreadPoolExecutor

    _, code, _ = make_cohort(capacity=2)
    clients = []
    for _ in range(5):
        c = app.test_client()
        login(c, make_user())
        clients.append(c)
    with ThreadPoolExecutor(max_workers=5) as pool:
        results = list(pool.map(lambda c: c.post("/join", data={"code": code}).status_code, clients, timeout=120))
    assert results.count(302) == 2
    assert all(status in (200, 302) for status in results)
