"""Certificate pages: the trainee's list and download, public verification, organizers'
issue/revoke/reissue, the design with its preview, and ZIP downloads (inline, thread, RQ)."""

from __future__ import annotations

import io
import os
import re
import time
import zipfile

import pytest

from lms.auth.models import User
from lms.certificates import jobs
from lms.certificates.documents import pdf_file
from lms.certificates.hooks import issue_if_eligible
from lms.certificates.models import (
    Certificate,
    CertificateJob,
    CertificateStatus,
    JobStatus,
)
from lms.cohorts.models import Cohort
from lms.db import write_transaction
from lms.extensions import db
from tests import certificate_helpers
from tests.certificate_helpers import certificates, pdf_text, png
from tests.conftest import login

# fixtures shared by the certificate tests
cert_world = certificate_helpers.cert_world
requirements = certificate_helpers.requirements


@pytest.fixture
def issued(app, cert_world, requirements):
    """A cohort with three trainees; the first two hold certificates."""
    app.config["CERT_PDF_VARIANT"] = None  # faster renders; PDF/A is tested on its own
    world = cert_world(trainees=3, names=["张小三", "李四", "王五"])
    requirements(met=True)
    with app.test_request_context(base_url="http://verify.example"):
        for trainee in world.trainees[:2]:
            issue_if_eligible(trainee.id, world.cohort_id)
    return world


def verify_page(client, token):
    return client.get(f"/verify/{token}").get_data(as_text=True)


def test_trainee_sees_requirements_then_downloads_the_certificate(app, cert_world, requirements):
    world = cert_world(names=["周学员"])
    trainee = world.trainees[0]
    client = app.test_client()
    login(client, trainee)
    page = client.get("/certificates").get_data(as_text=True)
    assert "完成规定专题学习" in page and "已获 0 / 16 学时" in page and "自动签发" in page

    requirements(met=True)
    with app.test_request_context():
        issue_if_eligible(trainee.id, world.cohort_id)
    [cert] = certificates(app)
    page = client.get("/certificates").get_data(as_text=True)
    assert cert.number in page and "下载 PDF" in page and "有效" in page
    response = client.get(f"/certificates/{cert.id}/download")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert f"{cert.number}.pdf" in response.headers["Content-Disposition"]
    data = response.get_data()
    assert "周学员" in pdf_text(data) and cert.number in pdf_text(data)
    assert client.get(f"/certificates/{cert.id}/download").get_data() == data  # the stored file
    assert certificates(app)[0].downloaded_at is not None


def test_others_cannot_download(app, issued, make_user):
    first, second = certificates(app)
    for user, cert in ((issued.trainees[1], first), (make_user(), second), (make_user("trainer"), second)):
        client = app.test_client()  # another holder, an outsider, a trainer of other cohorts
        login(client, user)
        assert client.get(f"/certificates/{cert.id}/download").status_code == 404


def test_verification_page_shows_a_masked_name_and_the_hash(app, issued):
    cert = certificates(app)[0]
    client = app.test_client()
    response = client.get(f"/verify/{cert.token}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "该证书真实有效" in page and "张*三" in page and "张小三" not in page
    assert cert.number in page and "教育帮扶政策培训" in page and "16" in page
    assert cert.pdf_sha256 in page
    assert response.headers["X-Robots-Tag"].startswith("noindex")
    assert '<meta name="robots" content="noindex' in page
    assert cert.verify_url == f"http://verify.example/verify/{cert.token}"
    missing = client.get("/verify/" + "x" * 32)
    assert missing.status_code == 404 and missing.headers["X-Robots-Tag"].startswith("noindex")


def test_revoking_shows_at_once_without_the_reason(app, issued):
    cert = certificates(app)[0]
    public = app.test_client()
    assert "真实有效" in verify_page(public, cert.token)
    organizer = app.test_client()
    login(organizer, issued.organizer)
    page = organizer.post(f"/certificates/{cert.id}/revoke", data={"revoke-reason": ""}).get_data(as_text=True)
    assert "此字段为必填项" in page or "必填" in page  # the form comes back with its error
    response = organizer.post(f"/certificates/{cert.id}/revoke", data={"revoke-reason": "培训档案造假"})
    assert response.status_code == 302
    page = verify_page(public, cert.token)
    assert "已于" in page and "撤销" in page and "真实有效" not in page
    assert "培训档案造假" not in page
    assert "培训档案造假" in organizer.get(response.headers["Location"]).get_data(as_text=True)
    # The holder can no longer download it.
    holder = app.test_client()
    login(holder, issued.trainees[0])
    assert holder.get(f"/certificates/{cert.id}/download").status_code == 403


def test_reissue_through_the_page(app, issued):
    cert = certificates(app)[0]
    organizer = app.test_client()
    login(organizer, issued.organizer)
    response = organizer.post(f"/certificates/{cert.id}/reissue", data={"reissue-reason": "姓名更正"})
    assert response.status_code == 302
    old, new = certificates(app, user_id=issued.trainees[0].id)
    assert old.status == CertificateStatus.REPLACED and new.status == CertificateStatus.VALID
    page = verify_page(app.test_client(), old.token)
    assert "被替换" in page and new.number in page
    assert new.pdf_sha256  # rendered at reissue


def test_lookup_by_number_and_name(app, issued):
    cert = certificates(app)[0]
    client = app.test_client()
    found = client.post("/verify", data={"number": cert.number.lower(), "name": "张 小三"})
    assert found.status_code == 302 and found.headers["Location"].endswith(f"/verify/{cert.token}")

    wrong_name = client.post("/verify", data={"number": cert.number, "name": "张小四"})
    unknown = client.post("/verify", data={"number": "JYBF-2026-999999", "name": "张小四"})
    assert wrong_name.status_code == unknown.status_code == 200
    bodies = [
        r.get_data(as_text=True).replace(n, "#") for r, n in ((wrong_name, cert.number), (unknown, "JYBF-2026-999999"))
    ]
    assert bodies[0] == bodies[1]  # nothing tells which part was wrong
    assert "未找到与该编号和姓名相符的证书" in bodies[0]


def test_lookup_is_rate_limited(app, issued):
    client = app.test_client()
    statuses = [
        client.post("/verify", data={"number": f"JYBF-2026-{n:06d}", "name": "某某"}).status_code for n in range(11)
    ]
    assert statuses[:10] == [200] * 10 and statuses[10] == 429
    assert client.get("/verify").status_code == 200  # the form itself stays available


def test_checking_a_pdf_file(app, issued):
    cert = certificates(app)[0]
    holder = app.test_client()
    login(holder, issued.trainees[0])
    data = holder.get(f"/certificates/{cert.id}/download").get_data()
    public = app.test_client()
    response = public.post(
        "/verify/file", data={"file": (io.BytesIO(data), "证书.pdf")}, content_type="multipart/form-data"
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(cert.token)
    assert "完全一致" in public.get(response.headers["Location"]).get_data(as_text=True)
    altered = data + b"%"  # one byte more: still opens, different hash
    page = public.post("/verify/file", data={"file": (io.BytesIO(altered), "证书.pdf")}).get_data(as_text=True)
    assert "可能已被改动" in page
    page = public.post("/verify/file", data={"file": (io.BytesIO(b"x"), "photo.jpg")}).get_data(as_text=True)
    assert "请选择证书的 PDF 文件" in page
    app.config["VERIFY_UPLOAD_MAX_BYTES"] = 1000
    page = public.post("/verify/file", data={"file": (io.BytesIO(data), "证书.pdf")}).get_data(as_text=True)
    assert "文件超过" in page


def test_staff_list_and_manual_issue(app, issued, make_user, make_cohort):
    trainer = make_user("trainer")
    with app.app_context():
        cohort = db.session.get(Cohort, issued.cohort_id)
        cohort.trainers.append(db.session.get(User, trainer.id))
        db.session.commit()
    staff = app.test_client()
    login(staff, trainer)
    page = staff.get(f"/cohorts/{issued.cohort_id}/certificates").get_data(as_text=True)
    assert "王五" in page and "已达到 4 / 4 项" in page and certificates(app)[0].number in page
    third = issued.trainees[2]
    assert (
        staff.post(f"/cohorts/{issued.cohort_id}/certificates/{third.id}/issue", data={"reason": "x"}).status_code
        == 403
    )

    organizer = app.test_client()
    login(organizer, issued.organizer)
    url = f"/cohorts/{issued.cohort_id}/certificates/{third.id}"
    page = organizer.post(url + "/issue", data={"reason": "", "credit_hours": "12.5"}).get_data(as_text=True)
    assert "必填" in page and 'value="12.5"' in page  # error shown, typed input kept
    assert organizer.post(url + "/issue", data={"reason": "线下补考合格", "credit_hours": "12.5"}).status_code == 302
    cert = certificates(app, user_id=third.id)[0]
    assert cert.credit_hours == 12.5 and cert.issue_reason == "线下补考合格" and cert.pdf_sha256
    page = organizer.get(url).get_data(as_text=True)
    assert "人工签发" in page and "线下补考合格" in page and "撤销证书" in page
    assert organizer.get(f"/cohorts/{issued.cohort_id}/certificates/999999").status_code == 404


def test_design_with_seal_and_preview(app, cert_world):
    world = cert_world()
    client = app.test_client()
    login(client, world.organizer)
    url = f"/cohorts/{world.cohort_id}/certificates/design"
    page = client.get(url).get_data(as_text=True)
    assert 'value="教育帮扶政策培训项目组"' in page  # the course's issuer by default
    bad = client.post(
        url,
        data={"issuer": "某县教育局", "sig1_name": "赵六", "seal": (io.BytesIO(png(fmt="JPEG")), "seal.png")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "PNG 格式" in bad and "请填写该姓名对应的职务" in bad and 'value="某县教育局"' in bad
    response = client.post(
        url,
        data={
            "title": "培训合格证书",
            "issuer": "某县教育局",
            "sig1_name": "赵六",
            "sig1_title": "局长",
            "seal": (io.BytesIO(png()), "seal.png"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert 'value="培训合格证书"' in page and "data:image/png;base64," in page
    preview = client.get(f"/cohorts/{world.cohort_id}/certificates/preview.pdf")
    assert preview.status_code == 200 and preview.mimetype == "application/pdf"
    text = pdf_text(preview.get_data())
    assert "培训合格证书" in text and "样张" in text and "张三" in text and "局长赵六" in text and "某县教育局" in text


def read_zip(data: bytes) -> list[zipfile.ZipInfo]:
    return zipfile.ZipFile(io.BytesIO(data)).infolist()


def test_zip_inline_for_small_cohorts(app, issued):
    client = app.test_client()
    login(client, issued.organizer)
    response = client.post(f"/cohorts/{issued.cohort_id}/certificates.zip")
    assert response.status_code == 302
    job_url = response.headers["Location"]
    state = client.get(job_url + ".json").get_json()
    assert state["status"] == "done" and state["done"] == state["total"] == 2
    assert "已准备就绪" in client.get(job_url).get_data(as_text=True)
    archive = client.get(state["download_url"])
    assert archive.mimetype == "application/zip"
    infos = read_zip(archive.get_data())
    first, second = certificates(app)
    assert [i.filename for i in infos] == [f"{first.number}_张小三.pdf", f"{second.number}_李四.pdf"]
    assert all(i.flag_bits & 0x800 for i in infos)  # UTF-8 names


def wait_for(client, url, timeout=120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = client.get(url).get_json()
        if state["status"] in ("done", "failed"):
            return state
        time.sleep(0.2)
    raise AssertionError(f"job did not finish: {state}")


def _large_cohort(app, issued):
    """Certificates whose PDFs are not rendered yet, more than the inline limit."""
    app.config["CERT_ZIP_SYNC_LIMIT"] = 1
    with app.app_context():
        for cert in db.session.scalars(db.select(Certificate)):
            pdf_file(cert).unlink()
            cert.pdf_sha256 = cert.pdf_path = None
        db.session.commit()


def test_zip_in_a_background_thread_with_progress(app, issued):
    _large_cohort(app, issued)
    app.config["CERT_JOB_BACKEND"] = "thread"
    client = app.test_client()
    login(client, issued.organizer)
    started = time.monotonic()
    response = client.post(f"/cohorts/{issued.cohort_id}/certificates.zip")
    assert response.status_code == 302 and time.monotonic() - started < 2
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<progress" in page and "certificate-job.js" in page
    state = wait_for(client, response.headers["Location"] + ".json")
    assert state["status"] == "done" and state["done"] == 2, state
    assert len(read_zip(client.get(state["download_url"]).get_data())) == 2
    assert all(c.pdf_sha256 for c in certificates(app))


@pytest.mark.skipif(not os.environ.get("LMS_REDIS_URL"), reason="needs LMS_REDIS_URL (Redis)")
def test_zip_on_an_rq_worker(app, issued):
    _large_cohort(app, issued)
    app.config["CERT_JOB_BACKEND"] = "rq"
    with app.app_context():
        jobs.queue().empty()
    client = app.test_client()
    login(client, issued.organizer)
    response = client.post(f"/cohorts/{issued.cohort_id}/certificates.zip")
    job_id = int(re.search(r"/certificate-jobs/(\d+)", response.headers["Location"]).group(1))
    assert client.get(response.headers["Location"] + ".json").get_json()["status"] == "queued"
    with app.app_context():
        jobs.run_worker(burst=True)  # rq's SimpleWorker, in this process
        job = db.session.get(CertificateJob, job_id)
        assert job.status == JobStatus.DONE and job.done == job.total == 2
    state = client.get(response.headers["Location"] + ".json").get_json()
    assert len(read_zip(client.get(state["download_url"]).get_data())) == 2


def test_failed_job_is_reported(app, issued):
    with app.app_context():
        for cert in db.session.scalars(db.select(Certificate)):
            cert.pdf_sha256 = None  # to be rendered again, which will fail
        db.session.commit()
        with write_transaction():
            organizer, cohort = db.session.get(User, issued.organizer.id), db.session.get(Cohort, issued.cohort_id)
            job_id = jobs.start_zip_job(organizer, cohort)[0].id
        app.config["CERT_PDF_VARIANT"] = "no-such-variant"
        jobs.run_zip_job(job_id)
        job = db.session.get(CertificateJob, job_id)
        assert job.status == JobStatus.FAILED and job.error
    client = app.test_client()
    login(client, issued.organizer)
    assert "生成失败" in client.get(f"/certificate-jobs/{job_id}").get_data(as_text=True)


def test_worker_command_needs_redis(app):
    app.config["LMS_REDIS_URL"] = None
    result = app.test_cli_runner().invoke(args=["lms", "worker", "--burst"])
    assert result.exit_code == 1 and "LMS_REDIS_URL" in result.output


@pytest.mark.skipif(not os.environ.get("LMS_REDIS_URL"), reason="needs LMS_REDIS_URL (Redis)")
def test_worker_command_drains_the_queue(app, issued):
    _large_cohort(app, issued)
    app.config["CERT_JOB_BACKEND"] = "rq"
    with app.app_context():
        jobs.queue().empty()
        with write_transaction():
            organizer, cohort = db.session.get(User, issued.organizer.id), db.session.get(Cohort, issued.cohort_id)
            job_id = jobs.start_zip_job(organizer, cohort)[0].id
        assert jobs.dispatch(job_id, 2, 2) == "rq"
    result = app.test_cli_runner().invoke(args=["lms", "worker", "--burst"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.get(CertificateJob, job_id).status == JobStatus.DONE
