"""The improvement ledger: actions on findings, linked versions, before/after comparisons.

Question q1 (lesson L1, module M1) is answered on version 1, then revised to version 2 after
the action is recorded:
    v1 answers  1 1 1 0     facility .75, s = .5,     CI .75 ± t(3)·.5/√4 = .75 ± .795612
    v2 answers  1 0 0 0 0   facility .20, s = .447214, CI .2 ± t(4)·.447214/√5 = .2 ± .555289
Completion of L1 by cohort start (change day = the day v2 was made):
    cohort 一期 (started before): 1 of 2 members;  cohort 二期 (starts after): 2 of 2.
"""

from __future__ import annotations

import io
import threading
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from lms.audit.models import AuditEntry
from lms.auth.models import User
from lms.db import utcnow, write_transaction
from lms.extensions import db
from lms.improvement.compare import compare_before_after
from lms.improvement.models import ActionVersionLink, ImprovementAction
from lms.improvement.service import (
    ActionData,
    ImprovementError,
    create_action,
    detected_versions,
    link_version,
)
from lms.learning.models import LessonVersion
from lms.learning.progress_models import LessonProgress
from tests.conftest import login
from tests.dates import site_today
from tests.report_helpers import (
    add_attempt,
    add_progress,
    add_question_version,
    build_course,
    latest_version_id,
    make_question,
    make_quiz,
    make_trainee,
)


@pytest.fixture
def ledger_world(app, make_user, make_cohort):
    organizer, trainer, outsider = (
        make_user("organizer"),
        make_user("trainer"),
        make_user("trainer"),
    )
    with app.app_context():
        built = build_course()
        other = build_course("other-course")
        course, m1, l1 = built["course"], built["m1"], built["lessons"][0]
        q1 = make_question(course.id, m1.id, "q1", lesson_id=l1.id)
        quiz = make_quiz(course.id, "m1-quiz", "module_quiz", [q1.id], module_id=m1.id)
        other_q = make_question(other["course"].id, other["m1"].id, "oq")
        db.session.commit()
        ids = {
            "course": course.id,
            "q1": q1.id,
            "quiz": quiz.id,
            "l1": l1.id,
            "m1": m1.id,
            "v1": latest_version_id(q1.id),
            "other_version": latest_version_id(other_q.id),
            "other_course": other["course"].id,
        }
    today = site_today()
    early, _, _ = make_cohort(
        organizer_id=organizer.id,
        course_id=ids["course"],
        name="一期",
        starts_on=today - timedelta(days=60),
        trainer_ids=(trainer.id,),
    )
    late, _, _ = make_cohort(
        organizer_id=organizer.id,
        course_id=ids["course"],
        name="二期",
        starts_on=today + timedelta(days=30),
    )
    make_cohort(organizer_id=organizer.id, course_id=ids["other_course"], trainer_ids=(outsider.id,))
    ids.update(early=early, late=late, organizer=organizer, trainer=trainer, outsider=outsider)
    return ids


def _action(ids, actor_id, **overrides) -> ImprovementAction:
    data = ActionData(
        course_id=ids["course"],
        finding_kind="item",
        finding_ref=str(ids["q1"]),
        finding_summary="q1 过易",
        planned_change="改写干扰项",
        measure="facility",
        target_kind="question",
        target_key="q1",
        cohort_id=ids["early"],
        owner_id=actor_id,
    )
    for name, value in overrides.items():
        setattr(data, name, value)
    with write_transaction():
        action = create_action(db.session.get(User, actor_id), data)
    return action


def _revise(ids, after) -> int:
    """Version 2 of q1, made just after ``after``, and its answers."""
    from lms.assessment.models import Question

    q1 = db.session.get(Question, ids["q1"])
    v2 = add_question_version(q1, 2, ["甲", "乙", "丙", "丁"], "B", after + timedelta(minutes=1), stem="改写后").id
    for i, score in enumerate([1, 1, 1, 0]):
        add_attempt(
            ids["quiz"],
            make_trainee(ids["early"], f"旧版学员{i}"),
            ids["early"],
            [(ids["q1"], float(score), "B", 1.0, ids["v1"])],
        )
    for i, score in enumerate([1, 0, 0, 0, 0]):
        add_attempt(
            ids["quiz"],
            make_trainee(ids["late"], f"新版学员{i}"),
            ids["late"],
            [(ids["q1"], float(score), "B", 1.0, v2)],
        )
    db.session.commit()
    return v2


def test_versions_are_detected_linked_once_and_compared(app, ledger_world):
    with app.app_context():
        organizer = db.session.get(User, ledger_world["organizer"].id)
        action = _action(ledger_world, organizer.id)
        assert compare_before_after(action, organizer) is None  # nothing changed yet
        v2 = _revise(ledger_world, action.created_at)
        action = db.session.get(ImprovementAction, action.id)
        assert [v.row_id for v in detected_versions(action)] == [v2]
        detected = compare_before_after(action, organizer)
        assert detected.change.row_id == v2 and not detected.change.linked
        with write_transaction():
            first = link_version(action.id, "question", v2, organizer)
        with write_transaction():
            again = link_version(action.id, "question", v2, organizer)
        assert first.id == again.id
        action = db.session.get(ImprovementAction, action.id)
        assert detected_versions(action) == []
        result = compare_before_after(action, organizer)
        assert result.change.linked and result.version == 2
        assert (result.before_versions, result.after_versions) == ([1], [2])
        facility = result.metrics[0]
        assert facility.key == "facility" and result.primary is facility
        assert facility.before.n == 4
        assert facility.before.value == pytest.approx(0.75)
        assert facility.before.high == pytest.approx(0.75 + 0.795612, abs=1e-5)
        assert facility.after.n == 5
        assert facility.after.value == pytest.approx(0.2)
        assert facility.after.low == pytest.approx(0.2 - 0.555289, abs=1e-5)
        assert facility.difference == pytest.approx(-0.55)
        assert facility.too_small  # 4 answers before: fewer than MIN_N
        assert "Too few records" in facility.sentence or "记录太少" in facility.sentence
        assert result.options == [("B", 4, 5)]
        with pytest.raises(ImprovementError), write_transaction():
            link_version(action.id, "question", ledger_world["other_version"], organizer)
        with pytest.raises(ImprovementError), write_transaction():
            link_version(action.id, "quiz", v2, organizer)
        actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions.count("improvement.link_version") == 1 and "improvement.create" in actions


def test_completion_is_compared_by_the_version_each_record_was_made_on(app, ledger_world):
    with app.app_context():
        organizer = db.session.get(User, ledger_world["organizer"].id)
        action = _action(
            ledger_world,
            organizer.id,
            target_kind="lesson",
            target_key="l1",
            measure="completion",
            finding_kind="module",
            finding_ref="",
        )
        a, b = make_trainee(ledger_world["early"], "甲"), make_trainee(ledger_world["early"], "乙")
        c, d = make_trainee(ledger_world["early"], "丙"), make_trainee(ledger_world["late"], "丁")
        for user in (a, c, d):
            add_progress(user, ledger_world["l1"])
        add_progress(b, ledger_world["l1"], completed=False)
        # c's record is on version 2 though c's cohort started earlier: dates do not decide
        for row in db.session.scalars(select(LessonProgress).where(LessonProgress.user_id.in_([c, d]))):
            row.lesson_version = 2
        change = LessonVersion(
            lesson_id=ledger_world["l1"],
            version=2,
            content_hash="h2",
            data={},
            created_at=utcnow() + timedelta(minutes=5),
        )
        db.session.add(change)
        db.session.commit()
        result = compare_before_after(db.session.get(ImprovementAction, action.id), organizer)
        completion = result.primary
        assert completion.key == "completion"
        assert (completion.before.n, completion.before.value) == (2, 0.5)
        assert (completion.after.n, completion.after.value) == (2, 1.0)
        assert completion.before.low == pytest.approx(0.0945, abs=1e-4)  # Wilson, 1 of 2


def test_only_staff_of_the_course_record_and_see_actions(app, ledger_world, make_user):
    with app.app_context():
        outsider = ledger_world["outsider"].id
        with pytest.raises(ImprovementError):
            _action(ledger_world, outsider)
        with pytest.raises(ImprovementError):
            _action(ledger_world, ledger_world["organizer"].id, target_key="no-such-question")
        action_id = _action(ledger_world, ledger_world["trainer"].id).id
    trainer = app.test_client()
    login(trainer, ledger_world["trainer"])
    assert trainer.get(f"/improvements/{action_id}").status_code == 200
    stranger = app.test_client()
    login(stranger, ledger_world["outsider"])
    assert stranger.get(f"/improvements/{action_id}").status_code == 404
    assert "改写干扰项" not in stranger.get("/improvements/").get_data(as_text=True)
    assert stranger.post(f"/improvements/{action_id}/versions", data={"version": "x"}).status_code == 404
    trainee = app.test_client()
    login(trainee, make_user("trainee"))
    assert trainee.get("/improvements/").status_code == 403
    assert trainee.get(f"/improvements/{action_id}").status_code == 403


def test_recording_an_action_from_a_finding_through_the_pages(app, ledger_world):
    client = app.test_client()
    login(client, ledger_world["organizer"])
    form = client.get(f"/improvements/new?finding=item:{ledger_world['q1']}&cohort={ledger_world['early']}")
    html = form.get_data(as_text=True)
    assert form.status_code == 200 and "q1: q1 的题干" in html and 'value="q1"' in html
    data = {
        "course_id": ledger_world["course"],
        "finding_kind": "item",
        "finding_ref": str(ledger_world["q1"]),
        "cohort_id": str(ledger_world["early"]),
        "finding_summary": "q1 过易，区分度低",
        "target_kind": "question",
        "target_key": "q9",
        "planned_change": "重写选项",
        "expected_effect": "得分率降到80%以下",
        "measure": "facility",
        "status": "planned",
        "owner_id": ledger_world["trainer"].id,
    }
    suggestion = client.get("/improvements/new?finding=suggestion:7&summary=希望提供课件下载")
    text = suggestion.get_data(as_text=True)
    assert "希望提供课件下载" in text and 'value="suggestion"' in text and 'value="7"' in text
    bad = client.post("/improvements/new", data=data)
    assert bad.status_code == 200 and "本课程中没有该标识对应的内容" in bad.get_data(as_text=True)
    assert "重写选项" in bad.get_data(as_text=True)  # what was typed is kept
    data["target_key"] = "q1"
    created = client.post("/improvements/new", data=data)
    assert created.status_code == 302
    url = created.headers["Location"]
    page = client.get(url).get_data(as_text=True)
    assert "重写选项" in page and "该内容尚无新版本" in page
    edited = client.post(url + "/edit", data={**data, "status": "done", "measure": "satisfaction"})
    assert edited.status_code == 302
    with app.app_context():
        action = db.session.scalar(select(ImprovementAction))
        assert (action.status, action.measure, action.owner_id) == (
            "done",
            "satisfaction",
            ledger_world["trainer"].id,
        )
        assert action.cohort_id == ledger_world["early"] and action.target_id == ledger_world["q1"]
        v2 = _revise(ledger_world, action.created_at)
    page = client.get(url).get_data(as_text=True)
    assert "关联此版本" in page and "已检测到，尚未关联" in page
    assert client.post(url + "/versions", data={"version": f"question:{v2}"}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ActionVersionLink)) == 1
    assert client.post(url + "/versions", data={"version": "question:999999"}).status_code == 302
    listing = client.get("/improvements/?status=done").get_data(as_text=True)
    assert "重写选项" in listing
    assert "重写选项" not in client.get("/improvements/?status=planned").get_data(as_text=True)
    sheet = load_workbook(io.BytesIO(client.get("/improvements/actions.xlsx").data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][5] == "重写选项" and rows[1][8] == "已完成" and rows[1][10] == 1


def test_parallel_links_make_one_row(app, ledger_world):
    """Four editors link the same version at once: one link, no error."""
    with app.app_context():
        organizer_id = ledger_world["organizer"].id
        action_id = _action(ledger_world, organizer_id).id
        v2 = _revise(ledger_world, db.session.get(ImprovementAction, action_id).created_at)
    errors = []
    barrier = threading.Barrier(4)

    def work():
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                with write_transaction():
                    link_version(action_id, "question", v2, db.session.get(User, organizer_id), "editor")
            except Exception as error:
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ActionVersionLink)) == 1
