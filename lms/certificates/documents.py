"""Certificate PDFs on disk: rendered once, stored under the storage folder, hash in the DB.

``ensure_pdf`` runs its own short transactions and renders outside them (a render takes
~0.2 s; holding the write lock that long would stall every other writer on SQLite). Files
are named by their hash, so two parallel renders of one certificate never overwrite each
other: the first to record its hash wins and the other deletes its file.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

from lms.db import write_transaction
from lms.extensions import db
from lms.storage import storage_path

from .models import Certificate
from .pdf import render_pdf
from .service import get_certificate, view_of

log = logging.getLogger(__name__)


class StoredFileLost(RuntimeError):
    """The stored PDF is gone and a new render no longer matches the recorded hash."""


def pdf_file(cert: Certificate) -> Path | None:
    """The stored PDF of ``cert``, or None when it has not been rendered (or went missing)."""
    if not cert.pdf_path:
        return None
    path = storage_path(cert.pdf_path)
    return path if path.is_file() else None


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def ensure_pdf(certificate_id: int) -> Certificate:
    """Render and store the certificate's PDF unless it is stored already; return the row.

    Call it outside ``write_transaction()`` (it commits).
    :raises StoredFileLost: when the file is missing and a new render differs from the
        recorded hash (what the verification page shows must not change).
    """
    cert = db.session.get(Certificate, certificate_id)
    if cert.pdf_sha256 and pdf_file(cert) is not None:
        return cert
    data = render_pdf(view_of(cert))
    digest = hashlib.sha256(data).hexdigest()
    if cert.pdf_sha256 and cert.pdf_sha256 != digest:
        log.error("certificate %s: stored PDF missing and a re-render differs", cert.number)
        raise StoredFileLost(cert.number)
    relative = f"certificates/{cert.cohort_id}/{cert.number}-{digest[:16]}.pdf"
    _write_atomically(storage_path(relative), data)
    with write_transaction():
        fresh = get_certificate(certificate_id, lock=True)
        if fresh.pdf_sha256 is None:
            fresh.pdf_path, fresh.pdf_sha256, fresh.pdf_size = relative, digest, len(data)
    if fresh.pdf_path != relative:  # another render won the race
        storage_path(relative).unlink(missing_ok=True)
    return fresh
