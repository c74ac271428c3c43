"""A cohort's certificates as one ZIP, built off the request path when there is much to render.

The job's state lives in ``certificate_jobs`` (status, done/total, result, error), so any
app server can show its progress. Where it runs:
- inline, in the request, when at most ``CERT_ZIP_SYNC_LIMIT`` PDFs are still to render and
  the ZIP is small (a couple of seconds at most);
- otherwise on an RQ worker (``flask lms worker``) when ``CERT_JOB_BACKEND`` is "rq" (the
  default with ``LMS_REDIS_URL``), or in a thread of the web process ("thread").
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
import zipfile

from flask import Flask, current_app, has_app_context
from sqlalchemy import func, select, update

from lms.audit.service import record
from lms.auth.models import User
from lms.cohorts.models import Cohort
from lms.db import utcnow, write_transaction
from lms.extensions import db
from lms.storage import storage_path

from .documents import ensure_pdf, pdf_file
from .models import Certificate, CertificateJob, CertificateStatus, JobStatus

log = logging.getLogger(__name__)

QUEUE_NAME = "lms-certificates"
#: Above this many files the ZIP itself is built in the background too.
INLINE_MAX_FILES = 200
JOB_TIMEOUT_SECONDS = 3 * 3600
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


def _valid_certificates(cohort_id: int):
    return (
        select(Certificate)
        .where(
            Certificate.cohort_id == cohort_id,
            Certificate.is_current.is_(True),
            Certificate.status == CertificateStatus.VALID,
        )
        .order_by(Certificate.number)
    )


def start_zip_job(actor: User, cohort: Cohort) -> tuple[CertificateJob, int]:
    """Record a ZIP job for the cohort's valid certificates; add and flush.

    :returns: the job and how many PDFs are still to render.
    """
    total = db.session.scalar(select(func.count()).select_from(_valid_certificates(cohort.id).subquery()))
    missing = db.session.scalar(
        select(func.count()).select_from(
            _valid_certificates(cohort.id).where(Certificate.pdf_sha256.is_(None)).subquery()
        )
    )
    job = CertificateJob(cohort_id=cohort.id, created_by_id=actor.id, total=total, done=total - missing)
    db.session.add(job)
    db.session.flush()
    record(actor, "certificate.zip", cohort, job_id=job.id, total=total)
    return job, missing


def dispatch(job_id: int, total: int, missing: int) -> str:
    """Run the job inline, or hand it to a worker; returns "inline", "thread" or "rq".

    Call it after the job row is committed (a worker must be able to read it).
    """
    config = current_app.config
    if missing <= config["CERT_ZIP_SYNC_LIMIT"] and total <= INLINE_MAX_FILES:
        run_zip_job(job_id)
        return "inline"
    if config["CERT_JOB_BACKEND"] == "rq":
        queue().enqueue(rq_run_zip_job, job_id, job_timeout=JOB_TIMEOUT_SECONDS)
        return "rq"
    app = current_app._get_current_object()
    threading.Thread(target=_run_in_thread, args=(app, job_id), name=f"certificate-zip-{job_id}", daemon=True).start()
    return "thread"


def queue():
    """The RQ queue for certificate jobs, on LMS_REDIS_URL."""
    from redis import Redis
    from rq import Queue

    return Queue(QUEUE_NAME, connection=Redis.from_url(current_app.config["LMS_REDIS_URL"]))


def run_worker(burst: bool = False) -> None:
    """Work the certificate queue in this process (needs an app context and LMS_REDIS_URL).

    A SimpleWorker runs jobs in its own process, keeping the app context and the font cache.
    """
    from rq import SimpleWorker

    q = queue()
    SimpleWorker([q], connection=q.connection).work(burst=burst)


def rq_run_zip_job(job_id: int) -> None:
    """The RQ entry point: run in the worker's app context, or build an app for it."""
    if has_app_context():
        run_zip_job(job_id)
        return
    from lms import create_app

    with create_app().app_context():
        run_zip_job(job_id)


def _run_in_thread(app: Flask, job_id: int) -> None:
    with app.app_context():
        try:
            run_zip_job(job_id)
        finally:
            db.session.remove()


def zip_name(cert: Certificate) -> str:
    """编号_姓名.pdf, with characters that are unsafe in file names removed."""
    name = _UNSAFE.sub("", cert.holder_name).strip() or "certificate"
    return f"{cert.number}_{name}.pdf"


def run_zip_job(job_id: int) -> None:
    """Render what is missing (counting progress), then write the ZIP; commits as it goes.

    Failures are recorded on the job (status failed, the error's text), never raised.
    """
    try:
        with write_transaction():
            job = db.session.get(CertificateJob, job_id)
            if job.status != JobStatus.QUEUED:
                return  # already taken (a retried RQ job, say)
            job.status = JobStatus.RUNNING
            cohort_id = job.cohort_id
        missing = db.session.scalars(
            _valid_certificates(cohort_id).where(Certificate.pdf_sha256.is_(None)).with_only_columns(Certificate.id)
        ).all()
        for cert_id in missing:
            ensure_pdf(cert_id)
            with write_transaction():
                db.session.execute(
                    update(CertificateJob).where(CertificateJob.id == job_id).values(done=CertificateJob.done + 1)
                )
        relative = f"certificate-zips/{job_id}-{secrets.token_urlsafe(12)}.zip"
        count = _write_zip(cohort_id, relative)
        with write_transaction():
            job = db.session.get(CertificateJob, job_id)
            job.status, job.result_path = JobStatus.DONE, relative
            job.done = job.total = count
            job.finished_at = utcnow()
    except Exception as error:  # recorded for the organizer; the traceback goes to the log
        log.exception("certificate ZIP job %s failed", job_id)
        db.session.rollback()
        with write_transaction():
            job = db.session.get(CertificateJob, job_id)
            job.status, job.error = JobStatus.FAILED, f"{type(error).__name__}: {error}"[:2000]
            job.finished_at = utcnow()


def _write_zip(cohort_id: int, relative: str) -> int:
    """Write the cohort's valid certificates into a ZIP (UTF-8 names); return how many."""
    path = storage_path(relative)
    tmp = path.with_name(f".{path.name}.tmp")
    names: set[str] = set()
    count = 0
    certs = db.session.scalars(_valid_certificates(cohort_id)).all()
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as archive:
        for cert in certs:
            source = pdf_file(cert)
            if source is None:
                source = pdf_file(ensure_pdf(cert.id))
            name = zip_name(cert)
            while name in names:  # numbers are unique, so this is only a safety net
                name = name.removesuffix(".pdf") + "_.pdf"
            names.add(name)
            archive.write(source, arcname=name)  # non-ASCII names get the UTF-8 flag
            count += 1
    tmp.replace(path)
    return count
