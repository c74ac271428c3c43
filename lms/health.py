"""/healthz: the process answers (for load balancers, and the benchmarks' bare baseline).

It deliberately touches neither the database nor the session: a liveness check.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz():
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
