"""Certificate rules: issuing (automatic and manual), revoking, reissuing, designs, listings.

Functions take plain data and an explicit acting user, add and flush, and never commit;
callers run them inside ``write_transaction()``. Rendering the PDF is slow (~0.2 s), so it
happens after the commit, in ``documents.ensure_pdf``.
"""

from __future__ import annotations

import hashlib
import io
import secrets
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from lms.audit.service import record
from lms.auth.models import User
from lms.cohorts.models import Cohort, Enrolment, EnrolmentStatus
from lms.cohorts.service import can_manage_cohort, can_view_cohort, today_local
from lms.db import utcnow
from lms.extensions import db
from lms.logs import security_event
from lms.storage import storage_path
from lms.todo import DueItem

from . import eligibility
from .models import Certificate, CertificateDesign, CertificateStatus
from .numbering import lock_counter, next_number
from .pdf import CertificateView, SignatureLine

SAMPLE_NAME = "张三"
MAX_SIGNATURES = 3
SEAL_MAX_BYTES = 512 * 1024
SEAL_MAX_SIDE = 2000


class CertificateError(ValueError):
    """An issue, revoke or reissue that the rules do not allow; the message is for the user."""


# --- reading -------------------------------------------------------------------------------


def get_certificate(certificate_id: int, lock: bool = False) -> Certificate | None:
    query = select(Certificate).where(Certificate.id == certificate_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.session.scalar(query)


def current_certificate(cohort_id: int, user_id: int, lock: bool = False) -> Certificate | None:
    """The trainee's current certificate in the cohort (valid or revoked), if any."""
    query = select(Certificate).where(
        Certificate.cohort_id == cohort_id,
        Certificate.user_id == user_id,
        Certificate.is_current.is_(True),
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.session.scalar(query)


def find_by_token(token: str) -> Certificate | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(Certificate).where(Certificate.token == token))


def find_by_number_and_name(number: str, name: str) -> Certificate | None:
    """The certificate with this 证书编号 whose holder's full name is ``name`` (both exact)."""
    number = (number or "").strip().upper()
    name = "".join((name or "").split())
    if not number or not name or len(number) > 32:
        return None
    cert = db.session.scalar(select(Certificate).where(Certificate.number == number))
    if cert is None or "".join(cert.holder_name.split()) != name:
        return None
    return cert


def find_by_sha256(digest: str) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(Certificate.pdf_sha256 == digest))


def history(cohort_id: int, user_id: int) -> list[Certificate]:
    """All of a trainee's certificates in a cohort, newest first."""
    return db.session.scalars(
        select(Certificate)
        .where(Certificate.cohort_id == cohort_id, Certificate.user_id == user_id)
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    ).all()


def my_certificates(user: User) -> list[Certificate]:
    """The user's current certificates (valid or revoked), newest first."""
    return db.session.scalars(
        select(Certificate)
        .where(Certificate.user_id == user.id, Certificate.is_current.is_(True))
        .order_by(Certificate.issued_at.desc())
    ).all()


def is_member(cohort: Cohort, user_id: int) -> bool:
    return (
        db.session.scalar(
            select(func.count(Enrolment.id)).where(
                Enrolment.cohort_id == cohort.id,
                Enrolment.user_id == user_id,
                Enrolment.status == EnrolmentStatus.ACTIVE,
            )
        )
        > 0
    )


@dataclass
class TraineeRow:
    user_id: int
    name: str
    work_unit: str
    certificate: Certificate | None
    eligibility: eligibility.Eligibility | None


def cohort_overview(cohort: Cohort, page: int = 1, per_page: int = 50):
    """One page of the cohort's active trainees with their current certificate and eligibility.

    Eligibility is evaluated only for trainees without a current certificate.
    :returns: (rows, pagination)
    """
    query = (
        select(User)
        .join(Enrolment, Enrolment.user_id == User.id)
        .where(Enrolment.cohort_id == cohort.id, Enrolment.status == EnrolmentStatus.ACTIVE)
        .order_by(User.name, User.id)
    )
    pagination = db.paginate(query, page=page, per_page=per_page, error_out=False)
    ids = [u.id for u in pagination.items]
    certs = {
        c.user_id: c
        for c in db.session.scalars(
            select(Certificate).where(
                Certificate.cohort_id == cohort.id,
                Certificate.is_current.is_(True),
                Certificate.user_id.in_(ids),
            )
        )
    }
    rows = [
        TraineeRow(
            u.id,
            u.name,
            u.work_unit,
            certs.get(u.id),
            None if u.id in certs else eligibility.evaluate(u.id, cohort),
        )
        for u in pagination.items
    ]
    return rows, pagination


def cohort_counts(cohort: Cohort) -> dict[str, int]:
    """How many current certificates of the cohort are valid and revoked."""
    rows = db.session.execute(
        select(Certificate.status, func.count(Certificate.id))
        .where(Certificate.cohort_id == cohort.id, Certificate.is_current.is_(True))
        .group_by(Certificate.status)
    ).all()
    counts = {str(status): n for status, n in rows}
    return {"valid": counts.get("valid", 0), "revoked": counts.get("revoked", 0)}


# --- access --------------------------------------------------------------------------------


def can_download(user: User, cert: Certificate) -> bool:
    """The holder may download a valid certificate; staff of the cohort any of its certificates."""
    if can_view_cohort(user, cert.cohort):
        return True
    return cert.user_id == user.id and cert.status == CertificateStatus.VALID


def can_issue(user: User, cohort: Cohort) -> bool:
    return can_manage_cohort(user, cohort)


# --- design --------------------------------------------------------------------------------


@dataclass
class DesignData:
    title: str = ""
    issuer: str = ""
    signatures: list[SignatureLine] = field(default_factory=list)
    seal_file: str | None = None


def design_for(cohort: Cohort) -> DesignData:
    """The cohort's design, with the course's issuer and the default title filling the gaps."""
    row = db.session.get(CertificateDesign, cohort.id)
    rules = eligibility.certificate_rules(cohort.course)
    data = DesignData(title="", issuer=rules.get("issuer") or "")  # no title: the default
    if row is not None:
        data.title = row.title or ""
        data.issuer = row.issuer or data.issuer
        data.seal_file = row.seal_file
        data.signatures = [SignatureLine(s["name"], s["title"]) for s in row.signatures or []]
    return data


def check_seal(raw: bytes) -> bytes:
    """Check an uploaded seal by its content and return it re-encoded as a clean PNG.

    :raises CertificateError: when it is too large, not a PNG, or too many pixels wide.
    """
    from PIL import Image, UnidentifiedImageError

    if len(raw) > SEAL_MAX_BYTES:
        raise CertificateError(_("The seal image must be at most 512 KB."))
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            if probe.format != "PNG":
                raise CertificateError(_("The seal image must be a PNG file."))
            probe.verify()
        with Image.open(io.BytesIO(raw)) as image:
            if max(image.size) > SEAL_MAX_SIDE:
                raise CertificateError(_("The seal image must be at most 2000 pixels wide and high."))
            image.load()
            out = io.BytesIO()
            image.convert("RGBA").save(out, "PNG", optimize=True)
    except CertificateError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise CertificateError(_("The seal image must be a PNG file.")) from None
    return out.getvalue()


def store_seal(png: bytes) -> str:
    """Keep a checked seal under storage/certificate-seals/ by its hash; return the file name."""
    name = hashlib.sha256(png).hexdigest() + ".png"
    path = storage_path("certificate-seals", name)
    if not path.exists():
        path.write_bytes(png)
    return name


def update_design(
    actor: User,
    cohort: Cohort,
    *,
    title: str,
    issuer: str,
    signatures: list[tuple[str, str]],
    seal_file: str | None = None,
    remove_seal: bool = False,
) -> CertificateDesign:
    """Save the cohort's design; it applies to certificates issued from now on."""
    row = db.session.get(CertificateDesign, cohort.id)
    if row is None:
        row = CertificateDesign(cohort_id=cohort.id, signatures=[])
        db.session.add(row)
    row.title = title.strip()
    row.issuer = issuer.strip()
    row.signatures = [{"name": name.strip(), "title": role.strip()} for name, role in signatures[:MAX_SIGNATURES]]
    if seal_file:
        row.seal_file = seal_file
    elif remove_seal:
        row.seal_file = None
    row.updated_by_id = actor.id
    row.updated_at = utcnow()
    db.session.flush()
    record(actor, "certificate.design", cohort, seal=bool(row.seal_file), lines=len(row.signatures))
    return row


# --- issuing -------------------------------------------------------------------------------


def verification_url(base: str, token: str) -> str:
    """The public verification page of ``token`` under ``base`` (scheme and host)."""
    return f"{base.rstrip('/')}/verify/{token}"


def _new_certificate(
    cohort: Cohort,
    user: User,
    *,
    verify_base: str,
    credit_hours: float | None,
    actor: User | None,
    reason: str = "",
) -> Certificate:
    """Number, token and printed content of a new current certificate; added and flushed.

    The caller has made sure no other current certificate exists for (cohort, user).
    """
    now = utcnow()
    issued_on = today_local(now)
    sequence, number = next_number(cohort.course, issued_on.year)
    token = secrets.token_urlsafe(24)  # 192 random bits
    design = design_for(cohort)
    if credit_hours is None:
        credit_hours = eligibility.credited_hours(user.id, cohort)
    cert = Certificate(
        number=number,
        token=token,
        cohort_id=cohort.id,
        user_id=user.id,
        course_id=cohort.course_id,
        year=issued_on.year,
        sequence=sequence,
        holder_name=user.name,
        course_title=cohort.course.title,
        cohort_name=cohort.name,
        credit_hours=float(credit_hours),
        cohort_starts_on=cohort.starts_on,
        cohort_ends_on=cohort.ends_on,
        issued_on=issued_on,
        issued_at=now,
        design={
            "title": design.title,
            "issuer": design.issuer,
            "seal_file": design.seal_file,
            "signatures": [{"name": s.name, "title": s.title} for s in design.signatures],
        },
        verify_url=verification_url(verify_base, token),
        status=CertificateStatus.VALID,
        is_current=True,
        issued_by_id=actor.id if actor else None,
        issue_reason=reason,
    )
    db.session.add(cert)
    db.session.flush()
    return cert


def auto_issue(user_id: int, cohort: Cohort, verify_base: str) -> Certificate | None:
    """Issue the trainee's certificate if every requirement is met and none exists yet.

    Idempotent: a trainee with a current certificate (valid or revoked) gets nothing new,
    so a revoked certificate is not handed out again by the next completed lesson.
    :returns: the new certificate, or None.
    """
    if current_certificate(cohort.id, user_id) is not None or not is_member(cohort, user_id):
        return None
    if not eligibility.evaluate(user_id, cohort).met:
        return None
    # Lock the course's counter, then look again: of two parallel calls (PostgreSQL) the
    # second sees the first one's certificate here instead of failing on the unique index.
    lock_counter(cohort.course_id, today_local(utcnow()).year)
    if current_certificate(cohort.id, user_id) is not None:
        return None
    cert = _new_certificate(
        cohort, db.session.get(User, user_id), verify_base=verify_base, credit_hours=None, actor=None
    )
    record(None, "certificate.issue_auto", cert, user_id=user_id, number=cert.number)
    return cert


def manual_issue(
    actor: User,
    cohort: Cohort,
    user_id: int,
    reason: str,
    verify_base: str,
    credit_hours: float | None = None,
) -> Certificate:
    """An organizer issues a certificate regardless of eligibility, giving a reason (audited).

    A current revoked certificate is superseded (it stays revoked); a current valid one must
    be reissued instead.
    :raises CertificateError: no reason, not a member, or a valid certificate exists.
    """
    reason = (reason or "").strip()
    if not reason:
        raise CertificateError(_("Give a reason."))
    if not is_member(cohort, user_id):
        raise CertificateError(_("This person is not a member of the cohort."))
    lock_counter(cohort.course_id, today_local(utcnow()).year)
    current = current_certificate(cohort.id, user_id, lock=True)
    if current is not None and current.status == CertificateStatus.VALID:
        raise CertificateError(
            _("%(name)s already has a valid certificate. Reissue it instead.", name=current.holder_name)
        )
    if current is not None:
        current.is_current = False
        db.session.flush()
    user = db.session.get(User, user_id)
    cert = _new_certificate(
        cohort, user, verify_base=verify_base, credit_hours=credit_hours, actor=actor, reason=reason
    )
    record(actor, "certificate.issue_manual", cert, user_id=user_id, number=cert.number, reason=reason)
    return cert


def revoke_certificate(actor: User, cert: Certificate, reason: str) -> Certificate:
    """Revoke a valid certificate; the verification page shows it at once (without the reason).

    :raises CertificateError: no reason, or the certificate is not valid.
    """
    reason = (reason or "").strip()
    if not reason:
        raise CertificateError(_("Give a reason."))
    cert = get_certificate(cert.id, lock=True)
    if cert.status != CertificateStatus.VALID:
        raise CertificateError(_("Only a valid certificate can be revoked."))
    cert.status = CertificateStatus.REVOKED
    cert.revoked_at = utcnow()
    cert.revoked_by_id = actor.id
    cert.revoke_reason = reason
    db.session.flush()
    record(actor, "certificate.revoke", cert, number=cert.number, reason=reason)
    security_event("certificate.revoke", actor=actor.id, certificate=cert.id, holder=cert.user_id)
    return cert


def reissue_certificate(
    actor: User, cert: Certificate, reason: str, verify_base: str, credit_hours: float | None = None
) -> Certificate:
    """Replace a valid certificate by a new one (new number and token, the holder's current
    name, the cohort's current design); the old one then shows as replaced.

    :raises CertificateError: no reason, or the certificate is not the valid current one.
    """
    reason = (reason or "").strip()
    if not reason:
        raise CertificateError(_("Give a reason."))
    lock_counter(cert.cohort.course_id, today_local(utcnow()).year)
    old = get_certificate(cert.id, lock=True)
    if old.status != CertificateStatus.VALID or not old.is_current:
        raise CertificateError(_("Only a valid certificate can be reissued."))
    old.is_current = False
    db.session.flush()
    new = _new_certificate(
        old.cohort,
        db.session.get(User, old.user_id),
        verify_base=verify_base,
        credit_hours=old.credit_hours if credit_hours is None else credit_hours,
        actor=actor,
        reason=reason,
    )
    old.status = CertificateStatus.REPLACED
    old.replaced_at = new.issued_at
    old.replaced_by_id = new.id
    db.session.flush()
    record(actor, "certificate.reissue", new, replaces=old.number, number=new.number, reason=reason)
    return new


def mark_downloaded(cert: Certificate, user: User) -> None:
    """Remember the holder's first download (the dashboard stops offering it)."""
    if cert.user_id == user.id and cert.downloaded_at is None:
        cert.downloaded_at = utcnow()
        db.session.flush()


# --- what is printed and shown -------------------------------------------------------------


def studied_until(starts_on: date, ends_on: date, issued_on: date) -> date:
    """The last day of the study a certificate states: the cohort's last day, or the day of issue
    when the trainee finished while the cohort ran (a certificate never claims days to come)."""
    return issued_on if starts_on <= issued_on < ends_on else ends_on


def view_of(cert: Certificate) -> CertificateView:
    design = cert.design or {}
    return CertificateView(
        title=design.get("title") or "",
        holder_name=cert.holder_name,
        course_title=cert.course_title,
        cohort_name=cert.cohort_name,
        credit_hours=cert.credit_hours,
        starts_on=cert.cohort_starts_on,
        ends_on=studied_until(cert.cohort_starts_on, cert.cohort_ends_on, cert.issued_on),
        issued_on=cert.issued_on,
        issued_at=cert.issued_at,
        issuer=design.get("issuer") or "",
        number=cert.number,
        verify_url=cert.verify_url,
        course_code=cert.number.split("-", 1)[0],
        signatures=[SignatureLine(s["name"], s["title"]) for s in design.get("signatures") or []],
        seal_file=design.get("seal_file"),
    )


def sample_view(cohort: Cohort, verify_base: str) -> CertificateView:
    """A certificate as the cohort's design would print it, for a sample name (the preview)."""
    design = design_for(cohort)
    now = utcnow()
    return CertificateView(
        title=design.title,
        holder_name=SAMPLE_NAME,
        course_title=cohort.course.title,
        cohort_name=cohort.name,
        credit_hours=float(cohort.course.credit_hours or 0),
        starts_on=cohort.starts_on,
        ends_on=studied_until(cohort.starts_on, cohort.ends_on, today_local(now)),
        issued_on=today_local(now),
        issued_at=now,
        issuer=design.issuer,
        number=f"{cohort.course.code}-{today_local(now).year}-000000",
        verify_url=verification_url(verify_base, "sample"),
        course_code=cohort.course.code,
        signatures=design.signatures,
        seal_file=design.seal_file,
        is_sample=True,
    )


def mask_name(name: str) -> str:
    """Show a name partly: 张三 -> 张*, 张小三 -> 张*三, 欧阳小明 -> 欧**明."""
    chars = list((name or "").strip())
    if len(chars) <= 1:
        return "*"
    if len(chars) == 2:
        return chars[0] + "*"
    return chars[0] + "*" * (len(chars) - 2) + chars[-1]


def due_items(user_id: int, cohort: Cohort) -> list[DueItem]:
    """The dashboard's "证书可下载" item: a valid certificate the holder has not downloaded yet.

    Once downloaded it is no longer due; it stays on the "my certificates" page.
    """
    from flask import url_for

    cert = current_certificate(cohort.id, user_id)
    if cert is None or cert.status != CertificateStatus.VALID or cert.downloaded_at is not None:
        return []
    return [
        DueItem(
            kind="certificate",
            title=_("Certificate ready to download"),
            url=url_for("certificates.download_certificate", certificate_id=cert.id),
            note=_("No. %(number)s", number=cert.number),
        )
    ]
