"""Security headers, role checks and safe redirects."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import Flask, abort, request
from flask_login import current_user

from lms.auth.models import Role
from lms.extensions import login_manager

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def init_security(app: Flask) -> None:
    app.after_request(_set_security_headers)


def _set_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    # Signed-in pages and downloads (rosters hold phones) must not stay in a shared cache or
    # the browser's back-button history after logout.
    # Content-addressed files (static assets, course images named by their hash) keep their
    # immutable caching: they hold no personal data and their URL changes with their bytes.
    immutable = "immutable" in headers.get("Cache-Control", "")
    if request.endpoint != "static" and not immutable and current_user.is_authenticated:
        headers["Cache-Control"] = "no-store"
        headers.pop("Expires", None)
    return response


def role_required(*roles: Role):
    """Allow the view only to signed-in, active users holding one of ``roles``.

    Anonymous users are sent to the login page; signed-in users without the role get 403.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        wrapper.required_roles = roles
        return wrapper

    return decorator


def safe_next_url(target: str | None) -> str | None:
    """Return ``target`` if it is a path on this site, else None (no open redirects)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target
