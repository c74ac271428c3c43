"""The audit log page for organizers."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.auth.models import Role
from lms.extensions import db
from lms.security import role_required

from .models import AuditEntry

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")


@bp.route("/")
@role_required(Role.ORGANIZER)
def list_entries():
    query = (
        select(AuditEntry)
        .options(selectinload(AuditEntry.actor))
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    )
    page = db.paginate(query, per_page=50, error_out=False)
    return render_template("audit/list.html", page=page)
