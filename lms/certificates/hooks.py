"""Entry points for other domains: issue a certificate the moment the last requirement is met.

The learning, assessment and surveys domains call :func:`issue_if_eligible` after they
commit a lesson completion, a graded attempt or a submitted survey. No cron, no button.
"""

from __future__ import annotations

import logging

from flask import current_app, has_request_context, request
from sqlalchemy.exc import IntegrityError

from lms.cohorts.models import Cohort
from lms.db import write_transaction
from lms.extensions import db

from .documents import ensure_pdf
from .models import Certificate
from .service import auto_issue

log = logging.getLogger(__name__)


def verification_base() -> str:
    """Scheme and host for verification links: PUBLIC_BASE_URL, else the current request's.

    :raises RuntimeError: outside a request when PUBLIC_BASE_URL is not configured.
    """
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base
    if has_request_context():
        return request.host_url
    raise RuntimeError("set LMS_PUBLIC_BASE_URL to issue certificates outside a web request")


def issue_if_eligible(user_id: int, cohort: Cohort | int) -> Certificate | None:
    """Issue (and render) the trainee's certificate if all requirements are now met.

    Idempotent and safe to call in parallel: at most one current certificate exists per
    (cohort, trainee), enforced by a unique index; a losing parallel call returns None.
    Call it after committing the triggering change, outside ``write_transaction()``. It
    never raises into the caller's request: failures are logged (the trainee's action is
    already saved, and the next hook or an organizer can issue later).
    :returns: the new certificate, or None when none was issued.
    """
    cohort_id = cohort if isinstance(cohort, int) else cohort.id
    try:
        base = verification_base()
        with write_transaction():
            cert = auto_issue(user_id, db.session.get(Cohort, cohort_id), base)
            cert_id = cert.id if cert is not None else None
    except IntegrityError:
        return None  # a parallel call issued it first
    except Exception:
        log.exception("issuing a certificate failed (cohort %s, user %s)", cohort_id, user_id)
        return None
    if cert_id is None:
        return None
    try:
        return ensure_pdf(cert_id)
    except Exception:
        # The certificate stands; its PDF is rendered on first download or in a ZIP job.
        log.exception("rendering certificate %s failed", cert_id)
        return db.session.get(Certificate, cert_id)
