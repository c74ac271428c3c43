"""Certificates (结业证书), their numbering counters, per-cohort designs and bulk ZIP jobs."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Date,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.auth.models import User
from lms.cohorts.models import Cohort
from lms.db import UTCDateTime, str_enum, utcnow
from lms.extensions import db


class CertificateStatus(enum.StrEnum):
    VALID = "valid"
    REVOKED = "revoked"  #: withdrawn by an organizer; stays the trainee's current certificate
    REPLACED = "replaced"  #: superseded by a reissued certificate with a new number and token


class Certificate(db.Model):
    """One issued certificate: what was printed on it, and its PDF (stored once).

    At most one certificate per (cohort, trainee) is *current* (``is_current``): the partial
    unique index below is what keeps two parallel issues from both succeeding. A revoked
    certificate stays current, so automatic issuing does not hand out a new one; a reissued
    or manually superseded one does not.
    """

    __tablename__ = "certificates"
    __table_args__ = (
        UniqueConstraint("course_id", "year", "sequence"),
        Index(
            "uq_certificates_current",
            "cohort_id",
            "user_id",
            unique=True,
            sqlite_where=text("is_current = 1"),
            postgresql_where=text("is_current"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: 证书编号, e.g. JYBF-2026-000123: course code, year of issue, sequence per course and year
    number: Mapped[str] = mapped_column(String(32), unique=True)
    #: the verification token in the QR code: 192 random bits, URL-safe
    token: Mapped[str] = mapped_column(String(64), unique=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    year: Mapped[int] = mapped_column()
    sequence: Mapped[int] = mapped_column()
    # What the certificate says, copied at issue: later edits of names or titles do not
    # change an issued certificate (reissue it instead).
    holder_name: Mapped[str] = mapped_column(String(64))
    course_title: Mapped[str] = mapped_column(String(200))
    cohort_name: Mapped[str] = mapped_column(String(128))
    credit_hours: Mapped[float] = mapped_column(Float)  #: 学时 credited
    cohort_starts_on: Mapped[date] = mapped_column(Date)
    cohort_ends_on: Mapped[date] = mapped_column(Date)
    issued_on: Mapped[date] = mapped_column(Date)  #: the local day of issue, printed
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: title, issuer, signature lines and seal file as they were at issue
    design: Mapped[dict] = mapped_column(JSON, default=dict)
    #: the absolute verification URL printed in the PDF and encoded in its QR code
    verify_url: Mapped[str] = mapped_column(String(400))

    status: Mapped[CertificateStatus] = mapped_column(str_enum(CertificateStatus), default=CertificateStatus.VALID)
    is_current: Mapped[bool] = mapped_column(default=True)
    #: None when issued automatically the moment the last requirement was met
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    issue_reason: Mapped[str] = mapped_column(Text, default="")  #: manual issues and reissues
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoke_reason: Mapped[str] = mapped_column(Text, default="")  #: never shown publicly
    replaced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))

    #: the PDF under the storage folder, rendered once; None until rendered
    pdf_path: Mapped[str | None] = mapped_column(String(255))
    #: SHA-256 of the stored PDF, shown on the verification page
    pdf_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    pdf_size: Mapped[int | None] = mapped_column()
    #: the holder's first download (the dashboard stops offering it then)
    downloaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    cohort: Mapped[Cohort] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    replaced_by: Mapped[Certificate | None] = relationship(remote_side="Certificate.id")

    def __repr__(self) -> str:
        return f"<Certificate {self.number} {self.status}>"


class CertificateCounter(db.Model):
    """The last sequence number used per course and year; locked while a number is taken."""

    __tablename__ = "certificate_counters"

    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last_sequence: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<CertificateCounter {self.course_id}/{self.year}: {self.last_sequence}>"


class CertificateDesign(db.Model):
    """What a cohort's certificates look like; without a row the course's defaults apply."""

    __tablename__ = "certificate_designs"

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True)
    title: Mapped[str] = mapped_column(String(64), default="")
    issuer: Mapped[str] = mapped_column(String(200), default="")  #: issuing organisation
    #: file name of the checked PNG under storage/certificate-seals/, or None
    seal_file: Mapped[str | None] = mapped_column(String(80))
    #: up to three lines: [{"name": ..., "title": ...}]
    signatures: Mapped[list] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    def __repr__(self) -> str:
        return f"<CertificateDesign {self.cohort_id}>"


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class CertificateJob(db.Model):
    """A cohort's certificates as one ZIP, built in the background when there is much to render."""

    __tablename__ = "certificate_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[JobStatus] = mapped_column(str_enum(JobStatus), default=JobStatus.QUEUED)
    done: Mapped[int] = mapped_column(default=0)  #: certificates ready so far
    total: Mapped[int] = mapped_column(default=0)
    #: the ZIP under the storage folder once done
    result_path: Mapped[str | None] = mapped_column(String(255))
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<CertificateJob {self.id} {self.status} {self.done}/{self.total}>"
