"""Public verification (证书查验): by QR token, by number and full name, or by the PDF itself.

No login. Pages are not indexed; names are partly masked; a revocation shows its date but
never its reason. Lookups are rate-limited per address and answer "not found" the same way
whatever was wrong, so the form cannot be used to find out which numbers or names exist.
"""

from __future__ import annotations

import hashlib

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _

from lms.extensions import db, limiter

from . import service
from .forms import FileCheckForm, LookupForm
from .models import Certificate, CertificateStatus
from .pdf import format_hours

bp = Blueprint("verify", __name__)


@bp.after_request
def _not_indexed(response):
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _limits() -> str:
    return current_app.config["VERIFY_LIMITS"]


def _lookup_page(form=None, file_form=None, not_found=False, no_match=None, status=200):
    return render_template(
        "certificates/verify_lookup.html",
        form=form or LookupForm(formdata=None),
        file_form=file_form or FileCheckForm(formdata=None),
        not_found=not_found,
        no_match=no_match,
    ), status


@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit(_limits, methods=["POST"], scope="verify-lookup")
def lookup():
    form = LookupForm()
    if form.validate_on_submit():
        cert = service.find_by_number_and_name(form.number.data, form.name.data)
        if cert is not None:
            return redirect(url_for("verify.show_certificate", token=cert.token))
        return _lookup_page(form=form, not_found=True)
    return _lookup_page(form=form)


@bp.route("/verify/file", methods=["POST"])
@limiter.limit(_limits, scope="verify-file")
def check_file():
    """Hash an uploaded PDF in memory and look the hash up; nothing is stored."""
    file_form = FileCheckForm()
    if not file_form.validate_on_submit():
        return _lookup_page(file_form=file_form)
    limit = current_app.config["VERIFY_UPLOAD_MAX_BYTES"]
    data = file_form.file.data.read(limit + 1)
    if len(data) > limit:
        file_form.file.errors.append(_("The file is larger than %(mb)d MB.", mb=limit // (1024 * 1024)))
        return _lookup_page(file_form=file_form)
    digest = hashlib.sha256(data).hexdigest()
    cert = service.find_by_sha256(digest)
    if cert is None:
        return _lookup_page(file_form=file_form, no_match=digest)
    flash(_("The file is exactly the PDF issued with this certificate."), "success")
    return redirect(url_for("verify.show_certificate", token=cert.token))


@bp.route("/verify/<token>")
def show_certificate(token: str):
    cert = service.find_by_token(token)
    if cert is None:
        abort(404)
    replacement = (
        db.session.get(Certificate, cert.replaced_by_id)
        if cert.status == CertificateStatus.REPLACED and cert.replaced_by_id
        else None
    )
    return render_template(
        "certificates/verify_show.html",
        cert=cert,
        masked_name=service.mask_name(cert.holder_name),
        hours=format_hours(cert.credit_hours),
        issuer=(cert.design or {}).get("issuer") or "",
        replacement=replacement,
    )
