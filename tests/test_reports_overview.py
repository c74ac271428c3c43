"""Cohort overview: funnel, progress by module, 学时, inactive trainees, comparison, access.

Course: M1 (lessons L1, L2; 1.5 学时), M2 (lesson L3; 2 学时). Cohort members:
    T1  completed L1, L2, L3, last seen 1 day ago      -> 2 modules, 3.5 学时
    T2  completed L1, opened L2, last seen 10 days ago  -> 0 modules, inactive (7 days)
    T3  nothing                                         -> inactive (never active)
    T4  completed L1 but was removed from the cohort    -> not counted anywhere
Funnel: enrolled 3, started 2, completed 1. M1: started 2, completed 1; M2: started 1, completed 1.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from lms.cohorts.models import Cohort, Enrolment, EnrolmentStatus
from lms.db import utcnow
from lms.extensions import db
from lms.reports import funnel as funnel_module
from lms.reports import hours as hours_module
from lms.reports.funnel import funnel, register_stage
from lms.reports.progress import inactive_trainees, module_progress, trainee_progress
from lms.reports.tables import hours_bins
from tests.conftest import login
from tests.dates import site_today
from tests.report_helpers import add_progress, build_course, make_trainee


@pytest.fixture
def progress_world(app, make_user, make_cohort):
    trainer = make_user("trainer")
    with app.app_context():
        built = build_course()
        db.session.commit()
        course_id, m1 = built["course"].id, built["m1"].id
        lessons = [lesson.id for lesson in built["lessons"]]
    cohort_id, _, _ = make_cohort(course_id=course_id, trainer_ids=(trainer.id,), name="一期")
    later_id, _, _ = make_cohort(course_id=course_id, name="二期", starts_on=site_today() + timedelta(days=40))
    now = utcnow()
    with app.app_context():
        t1 = make_trainee(cohort_id, "学员一")
        t2 = make_trainee(cohort_id, "学员二")
        make_trainee(cohort_id, "学员三")
        t4 = make_trainee(cohort_id, "学员四")
        for lesson in lessons:
            add_progress(t1, lesson, last_seen=now - timedelta(days=1), seconds=1200)
        add_progress(t2, lessons[0], last_seen=now - timedelta(days=12))
        add_progress(t2, lessons[1], completed=False, last_seen=now - timedelta(days=10))
        add_progress(t4, lessons[0])
        db.session.query(Enrolment).filter_by(cohort_id=cohort_id, user_id=t4).update(
            {"status": EnrolmentStatus.REMOVED}
        )
        make_trainee(later_id, "二期学员")
        db.session.commit()
    return {
        "cohort": cohort_id,
        "later": later_id,
        "course": course_id,
        "trainer": trainer,
        "t1": t1,
        "t2": t2,
        "m1": m1,
    }


def test_funnel_progress_hours_and_inactive(app, progress_world):
    with app.app_context():
        cohort = db.session.get(Cohort, progress_world["cohort"])
        stages = funnel(cohort)
        assert [(s.key, s.count) for s in stages] == [
            ("enrolled", 3),
            ("started", 2),
            ("completed", 1),
            ("certified", 0),  # registered by lms/wiring.py
        ]
        assert stages[2].share == pytest.approx(1 / 3)
        m1, m2 = module_progress(cohort, 3)
        assert (m1.lessons, m1.started, m1.completed) == (2, 2, 1)
        assert (m2.lessons, m2.started, m2.completed) == (1, 1, 1)
        assert m1.completion == pytest.approx(1 / 3)
        hours = hours_module.hours_by_user(cohort)
        assert hours == {progress_world["t1"]: 3.5}
        rows = {r.name: r for r in trainee_progress(cohort, hours)}
        assert set(rows) == {"学员一", "学员二", "学员三"}
        assert (rows["学员一"].lessons_done, rows["学员一"].modules_done, rows["学员一"].hours) == (
            3,
            2,
            3.5,
        )
        assert rows["学员一"].active_seconds == 3600
        assert (rows["学员二"].lessons_done, rows["学员二"].modules_done) == (1, 0)
        assert rows["学员三"].last_seen_at is None
        inactive = [r.name for r in inactive_trainees(cohort, 7)]
        assert inactive == ["学员三", "学员二"]  # never active first
        assert [r.name for r in inactive_trainees(cohort, 11)] == ["学员三"]


def test_hours_histogram_bins():
    """0 to 3.5 学时 in one-hour bins (a course under eight hours)."""
    assert hours_bins([0.0, 0.0, 3.5], 3.5) == [("0", 2), ("1", 0), ("2", 0), ("3", 1)]
    assert hours_bins([16.0, 7.9], 16) == [
        ("0–2", 0),
        ("2–4", 0),
        ("4–6", 0),
        ("6–8", 1),
        ("8–10", 0),
        ("10–12", 0),
        ("12–14", 0),
        ("14–16", 0),
        ("16–18", 1),
    ]


def test_providers_for_hours_and_certificates_plug_in(app, progress_world):
    """The lead wires credited 学时 and the certificates domain's count into the reports."""
    with app.app_context():
        cohort = db.session.get(Cohort, progress_world["cohort"])
        hours_module.set_hours_provider(lambda c: {progress_world["t2"]: 1.0})
        register_stage("certified", "已发证", lambda c: 1, after="completed")
        try:
            assert hours_module.hours_by_user(cohort) == {progress_world["t2"]: 1.0}
            assert [s.key for s in funnel(cohort)] == [
                "enrolled",
                "started",
                "completed",
                "certified",
            ]
            register_stage("certified", "已发证", lambda c: 0, after="completed")  # replaced, not doubled
            assert [s.count for s in funnel(cohort)][-1] == 0
        finally:
            hours_module.set_hours_provider(None)
            funnel_module._stages = [s for s in funnel_module._stages if s.key != "certified"]


def test_overview_page_charts_and_downloads(app, progress_world, make_user):
    client = app.test_client()
    login(client, make_user("organizer"))
    base = f"/reports/cohorts/{progress_world['cohort']}"
    html = client.get(base).get_data(as_text=True)
    assert "学习进程漏斗" in html and "学员一" in html and "学员四" not in html
    assert html.count('role="img"') == 3 and "style=" not in html
    assert "连续7天未学习的学员" in html
    assert "连续11天未学习的学员" in client.get(base + "?days=11").get_data(as_text=True)
    assert client.get(base + "?days=abc").status_code == 200  # bad input is ignored, not a 500
    csv = client.get(f"{base}/export/overview/modules.csv").get_data().decode("utf-8-sig").splitlines()
    assert csv[1] == "专题甲,2,2,66.67,1,33.33"
    for name in ("funnel", "trainees", "inactive", "hours"):
        assert client.get(f"{base}/export/overview/{name}.xlsx").status_code == 200
    health = client.get(f"{base}/modules/{progress_world['m1']}")
    assert health.status_code == 200 and "专题健康卡" in health.get_data(as_text=True)
    assert client.get(f"{base}/modules/999").status_code == 404


def test_cohorts_side_by_side(app, progress_world, make_user):
    client = app.test_client()
    login(client, make_user("organizer"))
    ids = (progress_world["cohort"], progress_world["later"])
    page = client.get(f"/reports/compare?cohort={ids[0]}&cohort={ids[1]}&cohort=abc")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "一期" in html and "二期" in html
    csv = client.get(f"/reports/compare.csv?cohort={ids[0]}&cohort={ids[1]}").get_data().decode("utf-8-sig")
    first, second = csv.splitlines()[1:3]
    assert first.startswith("一期,") and ",3,2,1,0,33.33," in first
    assert second.startswith("二期,") and ",1,0,0,0,0.0," in second
    assert client.get("/reports/compare.csv").status_code == 404


def test_trainers_see_only_their_cohorts(app, progress_world, make_user):
    trainer = app.test_client()
    login(trainer, progress_world["trainer"])
    assert trainer.get(f"/reports/cohorts/{progress_world['cohort']}").status_code == 200
    assert trainer.get(f"/reports/cohorts/{progress_world['later']}").status_code == 403
    assert trainer.get(f"/reports/cohorts/{progress_world['later']}/export/overview/trainees.csv").status_code == 403
    index = trainer.get("/reports/").get_data(as_text=True)
    assert "一期" in index and "二期" not in index
    compared = trainer.get(f"/reports/compare?cohort={progress_world['later']}").get_data(as_text=True)
    assert "二期" not in compared
    trainee = app.test_client()
    login(trainee, make_user("trainee"))
    assert trainee.get("/reports/").status_code == 403
    assert trainee.get(f"/reports/cohorts/{progress_world['cohort']}").status_code == 403
    assert app.test_client().get("/reports/").status_code == 302
