"""A trainee meets the last requirement, the certificate appears by itself and downloads;
its verification link works; an organizer revokes it and the public page says so."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy import select

from lms import ROOT
from lms.auth.models import Role
from lms.auth.service import Profile, create_user
from lms.certificates import eligibility
from lms.certificates.hooks import issue_if_eligible
from lms.certificates.models import Certificate
from lms.cohorts.service import CohortData, add_members, create_cohort
from lms.content.loader import load_courses
from lms.db import write_transaction
from lms.extensions import db
from lms.learning.models import Course
from tests.certificate_helpers import RULES, position_set
from tests.dates import site_today

TRAINEE = {"phone": "13612340001", "password": "trainee-pass-1", "name": "欧阳𠮷"}
ORGANIZER = {"phone": "13612340002", "password": "organizer-pass-1"}


def seed(app) -> tuple[int, int]:
    """The real course (教育帮扶政策培训), a cohort, its organizer and a trainee without a position."""
    with app.app_context():
        with write_transaction():
            load_courses(ROOT / "courses" / "edu-assistance-policy")
        course = db.session.scalar(select(Course).where(Course.key == "edu-assistance-policy"))
        organizer = create_user(
            Profile(name="组织者乙", phone=ORGANIZER["phone"], province="云南省", work_unit="县教育局"),
            ORGANIZER["password"],
            {Role.ORGANIZER},
        )
        trainee = create_user(
            Profile(
                name=TRAINEE["name"],
                phone=TRAINEE["phone"],
                province="云南省",
                city="德宏州",
                county="芒市",
                work_unit="芒市第二小学",
            ),
            TRAINEE["password"],
            {Role.TRAINEE},
        )
        today = site_today()
        cohort = create_cohort(
            organizer,
            CohortData(
                course_id=course.id,
                name="芒市2026年第一期",
                starts_on=today - timedelta(days=20),
                ends_on=today,
                enrol_until=today,
                capacity=None,
            ),
        )
        add_members(organizer, cohort, [trainee])
        db.session.commit()
        return trainee.id, cohort.id


def log_in(page, base, who):
    page.goto(base + "/login")
    page.get_by_label("手机号码或电子邮箱").fill(who["phone"])
    page.get_by_label("密码").fill(who["password"])
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base + "/")


def test_certificate_appears_downloads_verifies_and_is_revoked(page, live_app, tmp_path):
    app, base = live_app.app, live_app.url
    app.config["PUBLIC_BASE_URL"] = base
    trainee_id, cohort_id = seed(app)
    # Every rule of the real course stands in for a real condition the trainee can change
    # in the browser: their position (职务) is filled in.
    saved = eligibility.registered_checks()
    for rule in RULES:
        eligibility.register_check(rule, position_set(rule))
    try:
        log_in(page, base, TRAINEE)
        page.goto(base + "/certificates")
        page.get_by_text("以下结业条件全部达到后，系统将自动签发结业证书").wait_for()
        assert page.locator(".requirements .unmet").count() == 4

        page.goto(base + "/profile")
        page.get_by_label("职务").fill("教师")
        page.get_by_role("button", name="保存").click()
        page.get_by_text("已保存").first.wait_for()
        with app.app_context():  # the hook the learning domain calls after the trainee's action
            cert = issue_if_eligible(trainee_id, cohort_id)
            number, url = cert.number, cert.verify_url

        page.goto(base + "/certificates")
        page.get_by_text(number).wait_for()
        with page.expect_download() as download:
            page.get_by_role("link", name="下载 PDF").click()
        data = Path(download.value.path()).read_bytes()
        reader = PdfReader(io.BytesIO(data))
        text = "".join(reader.pages[0].extract_text().split())
        assert len(reader.pages) == 1
        assert TRAINEE["name"] in text and number in text and url in text  # the QR's URL is printed

        page.goto(url)
        page.get_by_text("该证书真实有效").wait_for()
        body = page.content()
        assert "欧*𠮷" in body and TRAINEE["name"] not in body
        with app.app_context():
            digest = db.session.scalar(select(Certificate.pdf_sha256).where(Certificate.number == number))
        assert digest in body

        # The organizer revokes it; the public page says so at once.
        page.get_by_text("菜单").click()
        page.get_by_role("button", name="退出登录").click()
        log_in(page, base, ORGANIZER)
        page.goto(f"{base}/cohorts/{cohort_id}")
        page.get_by_role("link", name="证书", exact=True).click()
        page.get_by_role("button", name="打包下载全部证书（ZIP）").click()
        page.get_by_text("已准备就绪").wait_for()
        with page.expect_download() as download:
            page.get_by_role("link", name="下载 ZIP").click()
        names = zipfile.ZipFile(download.value.path()).namelist()
        assert names == [f"{number}_{TRAINEE['name']}.pdf"]
        page.get_by_role("link", name=re.compile("证书 · 芒市")).click()
        page.get_by_role("link", name=TRAINEE["name"]).click()
        page.get_by_label("撤销原因").fill("学员申请撤回，另行补考")
        page.get_by_role("button", name="撤销证书").click()
        page.locator(".flash-success", has_text=f"证书 {number} 已撤销").wait_for()

        page.goto(url)
        page.get_by_text(re.compile("该证书已于.*撤销")).wait_for()
        assert "学员申请撤回" not in page.content()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        eligibility.restore_checks(saved)
