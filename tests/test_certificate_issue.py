"""Certificates: eligibility, automatic and manual issue, numbering under concurrency,
revoking and reissuing."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlalchemy import func, select

from lms.assessment.models import Attempt, AttemptState, Quiz, QuizKind
from lms.audit.models import AuditEntry
from lms.auth.models import User
from lms.certificates import eligibility, service
from lms.certificates.hooks import issue_if_eligible
from lms.certificates.models import Certificate, CertificateStatus
from lms.certificates.pdf import render_html
from lms.certificates.service import CertificateError
from lms.cohorts.models import Cohort
from lms.cohorts.service import CohortData, add_members, create_cohort
from lms.db import write_transaction
from lms.extensions import db
from lms.surveys.models import Survey, SurveyKind, SurveyParticipation
from tests import certificate_helpers
from tests.certificate_helpers import certificates, constant, position_set
from tests.dates import site_today

BASE = "https://peixun.example.cn"

# fixtures shared by the certificate tests
cert_world = certificate_helpers.cert_world
requirements = certificate_helpers.requirements


@pytest.fixture
def app_base(app):
    app.config["PUBLIC_BASE_URL"] = BASE
    return app


def issue(app, user_id: int, cohort_id: int):
    with app.app_context():
        cert = issue_if_eligible(user_id, cohort_id)
        return cert.number if cert is not None else None


def test_rules_without_a_registered_check_cannot_be_met(app, cert_world, requirements):
    world = cert_world()
    requirements(final_exam=constant("final_exam", True), feedback=constant("feedback", True))
    for rule in ("required_modules", "min_credit_hours"):  # registered by lms/wiring.py
        eligibility.unregister_check(rule)  # the fixture restores them afterwards
    with app.app_context():
        result = eligibility.evaluate(world.trainees[0].id, db.session.get(Cohort, world.cohort_id))
    assert not result.met
    by_key = {s.key: s for s in result.statuses}
    assert list(by_key) == ["required_modules", "final_exam", "feedback", "min_credit_hours"]
    assert by_key["required_modules"].detail == "暂无法核验"
    assert by_key["required_modules"].label == "完成规定专题学习"
    assert not by_key["min_credit_hours"].met and by_key["final_exam"].met


def test_rules_follow_the_course_settings(app, cert_world):
    world = cert_world()
    with app.app_context():
        course = db.session.get(Cohort, world.cohort_id).course
        course.settings = {"certificate": {"required_modules": [], "final_exam": True}}
        assert eligibility.required_rules(course) == ["final_exam"]
        course.settings = {}
        assert eligibility.required_rules(course) == ["required_modules"]


def test_certificate_is_issued_the_moment_the_last_requirement_is_met(app_base, cert_world, requirements):
    app = app_base
    world = cert_world(names=["李四"])
    trainee = world.trainees[0]
    requirements(met=True, feedback=position_set("feedback"))
    assert issue(app, trainee.id, world.cohort_id) is None
    assert certificates(app) == []

    with app.app_context():  # the trainee does the last thing (a real change in the database)
        db.session.get(User, trainee.id).position = "教师"
        db.session.commit()
    number = issue(app, trainee.id, world.cohort_id)
    assert re.fullmatch(rf"JYBF-{site_today().year}-000001", number)
    # Calling the hook again (another lesson completed, say) changes nothing.
    assert issue(app, trainee.id, world.cohort_id) is None
    [cert] = certificates(app)
    assert cert.holder_name == "李四" and cert.status == CertificateStatus.VALID
    assert cert.issued_by_id is None and cert.credit_hours == 16
    assert cert.verify_url == f"{BASE}/verify/{cert.token}"
    assert cert.pdf_sha256 and len(cert.pdf_sha256) == 64  # rendered and stored at issue
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(AuditEntry.action == "certificate.issue_auto")) == 1


def test_parallel_hooks_issue_one_certificate(app_base, cert_world, requirements):
    """Lesson completion, graded exam and survey hooks firing at once: one certificate."""
    app = app_base
    world = cert_world()
    requirements(met=True)
    app.config["CERT_PDF_VARIANT"] = None
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: issue(app, world.trainees[0].id, world.cohort_id), range(6), timeout=180))
    assert sum(r is not None for r in results) == 1
    assert len(certificates(app)) == 1


def test_twenty_parallel_issues_number_without_gaps(app_base, cert_world, requirements):
    app = app_base
    world = cert_world(trainees=20)
    requirements(met=True)

    def issue_row(user_id):  # the numbering path only; PDFs are rendered elsewhere
        with app.app_context(), write_transaction():
            cert = service.auto_issue(user_id, db.session.get(Cohort, world.cohort_id), BASE)
            return cert.number

    with ThreadPoolExecutor(max_workers=20) as pool:
        numbers = list(pool.map(issue_row, [t.id for t in world.trainees], timeout=180))
    year = site_today().year
    assert sorted(numbers) == [f"JYBF-{year}-{n:06d}" for n in range(1, 21)]
    tokens = [c.token for c in certificates(app)]
    assert len(set(tokens)) == 20
    assert all(len(t) >= 32 and re.fullmatch(r"[A-Za-z0-9_-]+", t) for t in tokens)  # >= 192 bits


def test_sequences_are_per_course(app_base, cert_world, requirements):
    app = app_base
    first, second = cert_world(code="JYBF"), cert_world(code="XCJS")
    requirements(met=True)
    app.config["CERT_PDF_VARIANT"] = None
    assert issue(app, first.trainees[0].id, first.cohort_id).endswith("-000001")
    assert issue(app, second.trainees[0].id, second.cohort_id).startswith("XCJS-")
    assert issue(app, second.trainees[0].id, second.cohort_id) is None


def test_removed_members_and_outsiders_are_not_issued(app_base, cert_world, requirements, make_user):
    app = app_base
    world = cert_world()
    requirements(met=True)
    outsider = make_user()
    assert issue(app, outsider.id, world.cohort_id) is None


def test_revoked_certificate_is_not_issued_again_but_can_be_by_hand(app_base, cert_world, requirements):
    app = app_base
    world = cert_world()
    requirements(met=True)
    trainee = world.trainees[0]
    first = issue(app, trainee.id, world.cohort_id)
    with app.app_context():
        organizer = db.session.get(User, world.organizer.id)
        cert = service.current_certificate(world.cohort_id, trainee.id)
        with pytest.raises(CertificateError):
            service.revoke_certificate(organizer, cert, "  ")
        with write_transaction():
            service.revoke_certificate(organizer, cert, "材料不实")
    assert issue(app, trainee.id, world.cohort_id) is None  # not handed out again

    with app.app_context():
        organizer = db.session.get(User, world.organizer.id)
        cohort = db.session.get(Cohort, world.cohort_id)
        with write_transaction():
            new = service.manual_issue(organizer, cohort, trainee.id, "复核后重新认定", BASE, credit_hours=12)
            number = new.number
    old, new = certificates(app)
    assert old.number == first and old.status == CertificateStatus.REVOKED and not old.is_current
    assert new.number == number != first and new.is_current and new.credit_hours == 12
    assert new.issued_by_id == world.organizer.id and new.issue_reason == "复核后重新认定"


def test_manual_issue_bypasses_requirements_needs_a_reason_and_is_audited(app_base, cert_world, requirements):
    app = app_base
    world = cert_world()
    requirements(met=False)
    trainee = world.trainees[0]
    with app.app_context():
        organizer = db.session.get(User, world.organizer.id)
        cohort = db.session.get(Cohort, world.cohort_id)
        with pytest.raises(CertificateError, match="请填写原因"):
            service.manual_issue(organizer, cohort, trainee.id, "", BASE)
        with write_transaction():
            cert = service.manual_issue(organizer, cohort, trainee.id, "线下补考合格", BASE)
        assert cert.credit_hours == 16  # the course's credit hours by default
        with pytest.raises(CertificateError, match="补发"):
            service.manual_issue(organizer, cohort, trainee.id, "再发一次", BASE)
        db.session.rollback()
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "certificate.issue_manual"))
        assert entry.actor_id == organizer.id and entry.details["reason"] == "线下补考合格"


def test_reissue_marks_the_old_one_replaced(app_base, cert_world, requirements):
    app = app_base
    world = cert_world(names=["王五"])
    requirements(met=True)
    trainee = world.trainees[0]
    issue(app, trainee.id, world.cohort_id)
    with app.app_context():
        db.session.get(User, trainee.id).name = "王小五"  # a corrected name
        db.session.commit()
        organizer = db.session.get(User, world.organizer.id)
        cert = service.current_certificate(world.cohort_id, trainee.id)
        with write_transaction():
            service.reissue_certificate(organizer, cert, "姓名更正", BASE)
        with pytest.raises(CertificateError):
            service.reissue_certificate(organizer, service.get_certificate(cert.id), "again", BASE)
    old, new = certificates(app)
    assert old.status == CertificateStatus.REPLACED and not old.is_current
    assert old.replaced_by_id == new.id and old.replaced_at is not None
    assert new.status == CertificateStatus.VALID and new.is_current
    assert new.number != old.number and new.token != old.token
    assert (old.holder_name, new.holder_name) == ("王五", "王小五")


def test_one_current_certificate_is_enforced_by_the_database(app, cert_world):
    from sqlalchemy.exc import IntegrityError

    world = cert_world()
    with app.app_context():
        cohort = db.session.get(Cohort, world.cohort_id)
        user = db.session.get(User, world.trainees[0].id)
        with write_transaction():
            service._new_certificate(cohort, user, verify_base=BASE, credit_hours=1, actor=None)
        with pytest.raises(IntegrityError), write_transaction():
            service._new_certificate(cohort, user, verify_base=BASE, credit_hours=1, actor=None)


def test_credit_hours_come_from_the_registered_source(app_base, cert_world, requirements):
    app = app_base
    world = cert_world()
    requirements(met=True)
    eligibility.register_credit_hours_source(lambda user_id, cohort: 14.5)
    try:
        issue(app, world.trainees[0].id, world.cohort_id)
    finally:
        eligibility.register_credit_hours_source(None)
    assert certificates(app)[0].credit_hours == 14.5


def test_final_exam_and_feedback_checks_read_attempts_and_participation(app, cert_world):
    world = cert_world()
    trainee = world.trainees[0].id
    with app.app_context():
        cohort = db.session.get(Cohort, world.cohort_id)
        exam = Quiz(
            course_id=cohort.course_id, key="final", kind=QuizKind.FINAL_EXAM, title="结业考试", content_hash="h"
        )
        survey = Survey(
            course_id=cohort.course_id, key="fb", kind=SurveyKind.FEEDBACK, title="培训评估", content_hash="h"
        )
        db.session.add_all([exam, survey])
        db.session.flush()
        check = eligibility.registered_checks()
        assert check["final_exam"](trainee, cohort).detail == "尚未参加"
        assert not check["feedback"](trainee, cohort).met

        db.session.add(
            Attempt(
                quiz_id=exam.id,
                user_id=trainee,
                cohort_id=cohort.id,
                number=1,
                state=AttemptState.GRADED,
                percent=40,
                passed=False,
            )
        )
        db.session.flush()
        assert check["final_exam"](trainee, cohort).detail == "尚未通过（最高 40%）"
        db.session.add(
            Attempt(
                quiz_id=exam.id, user_id=trainee, cohort_id=cohort.id, number=2, state=AttemptState.AWAITING_GRADING
            )
        )
        db.session.flush()
        assert check["final_exam"](trainee, cohort).detail == "等待讲师阅卷"
        db.session.add(
            Attempt(
                quiz_id=exam.id,
                user_id=trainee,
                cohort_id=cohort.id,
                number=3,
                state=AttemptState.GRADED,
                percent=85,
                passed=True,
            )
        )
        db.session.add(SurveyParticipation(survey_id=survey.id, cohort_id=cohort.id, user_id=trainee))
        db.session.flush()
        passed = check["final_exam"](trainee, cohort)
        assert passed.met and passed.detail == "已通过（85%）"
        assert check["feedback"](trainee, cohort).met
        # An attempt in another cohort does not count for this one.
        other = create_cohort(
            db.session.get(User, world.organizer.id),
            CohortData(
                course_id=cohort.course_id,
                name="二期",
                starts_on=date(2026, 12, 1),
                ends_on=date(2026, 12, 9),
                enrol_until=date(2026, 12, 9),
                capacity=None,
            ),
        )
        add_members(db.session.get(User, world.organizer.id), other, [db.session.get(User, trainee)])
        assert not check["final_exam"](trainee, other).met
        db.session.rollback()


def test_a_certificate_issued_while_the_cohort_runs_states_the_day_of_issue(app_base, cert_world, requirements):
    app = app_base
    world = cert_world()  # the cohort runs from 2 to 20 November 2026
    requirements(met=True)
    trainee = world.trainees[0]
    with time_machine.travel(datetime(2026, 11, 10, 2, 0, tzinfo=UTC), tick=False):  # 10:00 in Shanghai
        issue(app, trainee.id, world.cohort_id)
    with app.test_request_context():
        view = service.view_of(service.current_certificate(world.cohort_id, trainee.id))
        assert (view.starts_on, view.ends_on) == (date(2026, 11, 2), date(2026, 11, 10))
        assert "于2026年11月2日至2026年11月10日参加" in render_html(view, "data:,", None)
        # issued after the cohort ended: its last day
        assert service.studied_until(date(2026, 11, 2), date(2026, 11, 20), date(2026, 12, 5)) == date(2026, 11, 20)
        db.session.rollback()


def test_mask_name():
    assert service.mask_name("张三") == "张*"
    assert service.mask_name("张小三") == "张*三"
    assert service.mask_name("欧阳小明") == "欧**明"
    assert service.mask_name("李") == "*"


def test_due_items_offer_the_certificate_until_downloaded(app_base, cert_world, requirements):
    app = app_base
    world = cert_world()
    requirements(met=True)
    trainee = world.trainees[0]
    with app.test_request_context():
        cohort = db.session.get(Cohort, world.cohort_id)
        assert service.due_items(trainee.id, cohort) == []
    issue(app, trainee.id, world.cohort_id)
    with app.test_request_context():
        cohort = db.session.get(Cohort, world.cohort_id)
        [item] = service.due_items(trainee.id, cohort)
        cert = service.current_certificate(cohort.id, trainee.id)
        assert item.kind == "certificate" and item.title == "证书可下载"
        assert item.url == f"/certificates/{cert.id}/download" and cert.number in item.note
        service.mark_downloaded(cert, db.session.get(User, trainee.id))
        assert service.due_items(trainee.id, cohort) == []
        db.session.rollback()


def test_certificate_count(app_base, cert_world, requirements):
    app = app_base
    world = cert_world(trainees=2)
    requirements(met=True)
    app.config["CERT_PDF_VARIANT"] = None
    for t in world.trainees:
        issue(app, t.id, world.cohort_id)
    with app.app_context():
        assert service.cohort_counts(db.session.get(Cohort, world.cohort_id)) == {"valid": 2, "revoked": 0}
        assert db.session.scalar(select(func.count(Certificate.id))) == 2
