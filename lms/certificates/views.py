"""Certificate pages: trainees' own certificates; staff lists, issuing, revoking, designs, ZIPs."""

from __future__ import annotations

import base64
import logging

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.auth.models import Role, User
from lms.cohorts.forms import ConfirmForm
from lms.cohorts.models import Cohort
from lms.cohorts.service import can_manage_cohort, can_view_cohort, cohorts_for_user
from lms.db import write_transaction
from lms.extensions import db
from lms.input_guard import bounded_int
from lms.security import role_required
from lms.storage import storage_path

from . import eligibility, jobs, service
from .documents import ensure_pdf, pdf_file
from .forms import DesignForm, IssueForm, ReissueForm, RevokeForm
from .hooks import verification_base
from .models import Certificate, CertificateJob, CertificateStatus, JobStatus
from .pdf import format_hours, render_pdf
from .service import CertificateError

bp = Blueprint("certificates", __name__)
log = logging.getLogger(__name__)


def _cohort_for_staff(cohort_id: int, manage: bool = False) -> Cohort:
    """The cohort, if the current user may see it (or manage it); 404 or 403 otherwise."""
    cohort = db.get_or_404(Cohort, cohort_id)
    allowed = can_manage_cohort if manage else can_view_cohort
    if not allowed(current_user, cohort):
        abort(403)
    return cohort


def _render_stored(certificate_id: int) -> None:
    """Render a freshly issued certificate's PDF now; on failure it renders on first download."""
    try:
        ensure_pdf(certificate_id)
    except Exception:
        log.exception("rendering certificate %s failed; it will be retried on download", certificate_id)


# --- trainees ------------------------------------------------------------------------------


@bp.route("/certificates")
@login_required
def my_certificates():
    certificates = service.my_certificates(current_user)
    have = {c.cohort_id for c in certificates}
    pending = [
        (cohort, eligibility.evaluate(current_user.id, cohort))
        for cohort in cohorts_for_user(current_user)
        if cohort.id not in have
    ]
    return render_template("certificates/mine.html", certificates=certificates, pending=pending)


@bp.route("/certificates/<int:certificate_id>/download")
@login_required
def download_certificate(certificate_id: int):
    cert = db.get_or_404(Certificate, certificate_id)
    if cert.user_id != current_user.id and not can_view_cohort(current_user, cert.cohort):
        abort(404)
    if not service.can_download(current_user, cert):
        abort(403)  # the holder's own revoked or replaced certificate
    path = pdf_file(cert) or pdf_file(ensure_pdf(cert.id))
    if cert.user_id == current_user.id and cert.downloaded_at is None:
        with write_transaction():
            service.mark_downloaded(service.get_certificate(certificate_id, lock=True), current_user)
    response = send_file(path, mimetype="application/pdf", as_attachment=True, download_name=f"{cert.number}.pdf")
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- staff: lists and one trainee's certificates -------------------------------------------


@bp.route("/cohorts/<int:cohort_id>/certificates")
@role_required(Role.ORGANIZER, Role.TRAINER)
def cohort_certificates(cohort_id: int):
    cohort = _cohort_for_staff(cohort_id)
    rows, pagination = service.cohort_overview(cohort, page=request.args.get("page", 1, type=bounded_int))
    recent_jobs = db.session.scalars(
        db.select(CertificateJob)
        .where(CertificateJob.cohort_id == cohort.id)
        .order_by(CertificateJob.id.desc())
        .limit(3)
    ).all()
    return render_template(
        "certificates/cohort.html",
        cohort=cohort,
        rows=rows,
        pagination=pagination,
        counts=service.cohort_counts(cohort),
        rules=eligibility.required_rules(cohort.course),
        can_manage=can_manage_cohort(current_user, cohort),
        recent_jobs=recent_jobs,
        confirm=ConfirmForm(),
    )


def _trainee_page(cohort: Cohort, user_id: int, status: int = 200, **forms):
    user = db.session.get(User, user_id)
    history = service.history(cohort.id, user_id)
    is_member = user is not None and service.is_member(cohort, user_id)
    if user is None or (not is_member and not history):
        abort(404)
    current = next((c for c in history if c.is_current), None)
    return render_template(
        "certificates/trainee.html",
        cohort=cohort,
        trainee=user,
        is_member=is_member,
        history=history,
        current=current,
        eligibility=eligibility.evaluate(user_id, cohort),
        can_manage=can_manage_cohort(current_user, cohort),
        issue_form=forms.get("issue_form") or IssueForm(formdata=None),
        revoke_form=forms.get("revoke_form") or RevokeForm(formdata=None, prefix="revoke"),
        reissue_form=forms.get("reissue_form") or ReissueForm(formdata=None, prefix="reissue"),
    ), status


@bp.route("/cohorts/<int:cohort_id>/certificates/<int:user_id>")
@role_required(Role.ORGANIZER, Role.TRAINER)
def trainee_certificates(cohort_id: int, user_id: int):
    return _trainee_page(_cohort_for_staff(cohort_id), user_id)


def _back(cohort_id: int, user_id: int):
    return redirect(url_for("certificates.trainee_certificates", cohort_id=cohort_id, user_id=user_id))


@bp.route("/cohorts/<int:cohort_id>/certificates/<int:user_id>/issue", methods=["POST"])
@role_required(Role.ORGANIZER)
def issue_certificate(cohort_id: int, user_id: int):
    cohort = _cohort_for_staff(cohort_id, manage=True)
    form = IssueForm()
    if not form.validate_on_submit():
        return _trainee_page(cohort, user_id, issue_form=form)
    hours = float(form.credit_hours.data) if form.credit_hours.data is not None else None
    try:
        with write_transaction():
            cert = service.manual_issue(
                current_user,
                db.session.get(Cohort, cohort_id),
                user_id,
                form.reason.data,
                verification_base(),
                credit_hours=hours,
            )
            cert_id, number = cert.id, cert.number
    except CertificateError as error:
        flash(str(error), "error")
        return _back(cohort_id, user_id)
    _render_stored(cert_id)
    flash(_("Certificate %(number)s issued.", number=number), "success")
    return _back(cohort_id, user_id)


def _certificate_for_manager(certificate_id: int) -> Certificate:
    cert = db.get_or_404(Certificate, certificate_id)
    if not can_manage_cohort(current_user, cert.cohort):
        abort(403)
    return cert


@bp.route("/certificates/<int:certificate_id>/revoke", methods=["POST"])
@role_required(Role.ORGANIZER)
def revoke_certificate(certificate_id: int):
    cert = _certificate_for_manager(certificate_id)
    cohort_id, user_id = cert.cohort_id, cert.user_id
    form = RevokeForm(prefix="revoke")
    if not form.validate_on_submit():
        return _trainee_page(cert.cohort, user_id, revoke_form=form)
    try:
        with write_transaction():
            service.revoke_certificate(current_user, service.get_certificate(certificate_id), form.reason.data)
    except CertificateError as error:
        flash(str(error), "error")
    else:
        flash(_("Certificate %(number)s revoked.", number=cert.number), "success")
    return _back(cohort_id, user_id)


@bp.route("/certificates/<int:certificate_id>/reissue", methods=["POST"])
@role_required(Role.ORGANIZER)
def reissue_certificate(certificate_id: int):
    cert = _certificate_for_manager(certificate_id)
    cohort_id, user_id = cert.cohort_id, cert.user_id
    form = ReissueForm(prefix="reissue")
    if not form.validate_on_submit():
        return _trainee_page(cert.cohort, user_id, reissue_form=form)
    try:
        with write_transaction():
            new = service.reissue_certificate(
                current_user, service.get_certificate(certificate_id), form.reason.data, verification_base()
            )
            new_id, number = new.id, new.number
    except CertificateError as error:
        flash(str(error), "error")
        return _back(cohort_id, user_id)
    _render_stored(new_id)
    flash(_("Certificate reissued as %(number)s; the old one shows as replaced.", number=number), "success")
    return _back(cohort_id, user_id)


# --- staff: design and preview -------------------------------------------------------------


def _seal_preview(seal_file: str | None) -> str | None:
    if not seal_file:
        return None
    path = storage_path("certificate-seals", seal_file)
    if not path.is_file():
        return None
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


@bp.route("/cohorts/<int:cohort_id>/certificates/design", methods=["GET", "POST"])
@role_required(Role.ORGANIZER)
def edit_design(cohort_id: int):
    cohort = _cohort_for_staff(cohort_id, manage=True)
    design = service.design_for(cohort)
    form = DesignForm()
    if request.method == "GET":
        form.title.data, form.issuer.data = design.title, design.issuer
        for (name, title), line in zip(form.signature_fields(), design.signatures, strict=False):
            name.data, title.data = line.name, line.title
    if form.validate_on_submit():
        seal_file = None
        upload = form.seal.data
        if upload is not None and getattr(upload, "filename", ""):
            try:
                seal_file = service.store_seal(service.check_seal(upload.read(service.SEAL_MAX_BYTES + 1)))
            except CertificateError as error:
                form.seal.errors = [str(error)]
        if not form.seal.errors:
            with write_transaction():
                service.update_design(
                    current_user,
                    db.session.get(Cohort, cohort_id),
                    title=form.title.data or "",
                    issuer=form.issuer.data or "",
                    signatures=form.signatures(),
                    seal_file=seal_file,
                    remove_seal=form.remove_seal.data,
                )
            flash(_("Certificate design saved. It applies to certificates issued from now on."), "success")
            return redirect(url_for("certificates.edit_design", cohort_id=cohort_id))
    return render_template(
        "certificates/design.html", cohort=cohort, form=form, seal_uri=_seal_preview(design.seal_file)
    )


@bp.route("/cohorts/<int:cohort_id>/certificates/preview.pdf")
@role_required(Role.ORGANIZER)
def preview_design(cohort_id: int):
    cohort = _cohort_for_staff(cohort_id, manage=True)
    pdf = render_pdf(service.sample_view(cohort, verification_base()))
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": "inline; filename=preview.pdf", "Cache-Control": "no-store"},
    )


# --- staff: the cohort's certificates as one ZIP ---------------------------------------------


@bp.route("/cohorts/<int:cohort_id>/certificates.zip", methods=["POST"])
@role_required(Role.ORGANIZER)
def start_zip(cohort_id: int):
    cohort = _cohort_for_staff(cohort_id, manage=True)
    ConfirmForm().validate_on_submit()  # CSRF is checked for every POST before this
    if service.cohort_counts(cohort)["valid"] == 0:
        flash(_("This cohort has no valid certificates yet."), "error")
        return redirect(url_for("certificates.cohort_certificates", cohort_id=cohort_id))
    with write_transaction():
        job, missing = jobs.start_zip_job(current_user, db.session.get(Cohort, cohort_id))
        job_id, total = job.id, job.total
    jobs.dispatch(job_id, total, missing)
    return redirect(url_for("certificates.show_job", job_id=job_id))


def _job_for_manager(job_id: int) -> CertificateJob:
    job = db.get_or_404(CertificateJob, job_id)
    if not can_manage_cohort(current_user, db.session.get(Cohort, job.cohort_id)):
        abort(403)
    return job


def _job_message(job: CertificateJob) -> str:
    if job.status == JobStatus.DONE:
        return _("Ready.")
    if job.status == JobStatus.FAILED:
        return _("Failed: %(error)s", error=job.error)
    return _("Preparing the certificates. This page updates by itself.")


def _job_json(job: CertificateJob) -> dict:
    return {
        "status": str(job.status),
        "message": _job_message(job),
        "count_text": _("%(done)d of %(total)d certificates ready", done=job.done, total=job.total),
        "done": job.done,
        "total": job.total,
        "percent": round(100 * job.done / job.total) if job.total else 100,
        "download_url": url_for("certificates.download_job", job_id=job.id) if job.status == JobStatus.DONE else None,
        "error": job.error or None,
    }


@bp.route("/certificate-jobs/<int:job_id>")
@role_required(Role.ORGANIZER)
def show_job(job_id: int):
    job = _job_for_manager(job_id)
    return render_template(
        "certificates/job.html", job=job, cohort=db.session.get(Cohort, job.cohort_id), state=_job_json(job)
    )


@bp.route("/certificate-jobs/<int:job_id>.json")
@role_required(Role.ORGANIZER)
def job_status(job_id: int):
    response = jsonify(_job_json(_job_for_manager(job_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/certificate-jobs/<int:job_id>/download")
@role_required(Role.ORGANIZER)
def download_job(job_id: int):
    job = _job_for_manager(job_id)
    if job.status != JobStatus.DONE or not job.result_path:
        abort(404)
    path = storage_path(job.result_path)
    if not path.is_file():
        abort(404)
    cohort = db.session.get(Cohort, job.cohort_id)
    return send_file(
        path,
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"certificates-{cohort.course.code}-{cohort.id}.zip",
    )


def holder_statuses() -> dict:
    """Status labels shared by the templates."""
    return {
        CertificateStatus.VALID: _("Valid"),
        CertificateStatus.REVOKED: _("Revoked"),
        CertificateStatus.REPLACED: _("Replaced"),
    }


@bp.app_template_filter("hours")
def hours_filter(value: float) -> str:
    return format_hours(value or 0)


@bp.app_context_processor
def inject_status_labels():
    return {"certificate_status_label": lambda status: holder_statuses().get(status, str(status))}
