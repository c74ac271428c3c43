"""Static files under content-hashed URLs, cached for a year; compression; trusted proxies.

``url_for('static', filename='css/app.css')`` builds ``/static/<digest>/css/app.css``, where the
digest is taken from the file's bytes: a changed file gets a new URL, so browsers (and nginx,
see ``deploy/nginx.conf``) may keep every asset as immutable. The plain ``/static/<path>`` route
Flask registers stays for old links and is revalidated as before.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from flask import Flask, abort, current_app, send_from_directory
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import BaseConverter

from lms.extensions import compress

DIGEST_LENGTH = 12
ONE_YEAR = 365 * 24 * 3600

TEXT_TYPES = ("text/", "application/javascript", "application/json", "image/svg+xml")


class DigestConverter(BaseConverter):
    """Exactly a digest, so that ``/static/css/app.css`` still reaches the plain rule."""

    regex = f"[0-9a-f]{{{DIGEST_LENGTH}}}"


# filename -> (mtime_ns, size, digest); a stat per URL keeps it right while files change in development.
_digests: dict[str, tuple[int, int, str]] = {}


def init_assets(app: Flask) -> None:
    if app.static_folder:
        # One view for both static rules: the plain one Flask made, and the hashed one.
        app.view_functions["static"] = send_asset
        app.url_map.converters["asset_digest"] = DigestConverter
        app.add_url_rule(
            f"{app.static_url_path}/<asset_digest:digest>/<path:filename>", endpoint="static", view_func=send_asset
        )
        app.url_defaults(_add_digest)
    compress.init_app(app)
    proxies = app.config.get("TRUSTED_PROXIES", 0)
    if proxies:
        # Behind nginx the client address is the one the last `proxies` hops forwarded.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies)


def asset_digest(filename: str) -> str | None:
    """The content digest of a file below the static folder, or None if there is no such file."""
    folder = Path(current_app.static_folder).resolve()
    path = (folder / filename).resolve()
    if not path.is_relative_to(folder):
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    cached = _digests.get(str(path))
    if cached and cached[:2] == (stat.st_mtime_ns, stat.st_size):
        return cached[2]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:DIGEST_LENGTH]
    _digests[str(path)] = (stat.st_mtime_ns, stat.st_size, digest)
    return digest


def _add_digest(endpoint: str, values: dict) -> None:
    if endpoint == "static" and "filename" in values and "digest" not in values:
        digest = asset_digest(values["filename"])
        if digest:
            values["digest"] = digest


def send_asset(filename: str, digest: str | None = None):
    if digest is None:
        return current_app.send_static_file(filename)
    current = asset_digest(filename)
    if current is None:
        abort(404)
    immutable = digest == current
    response = send_from_directory(current_app.static_folder, filename, max_age=ONE_YEAR if immutable else 0)
    if response.mimetype.startswith(TEXT_TYPES):
        # Small text files: read them into the response so that Flask-Compress can gzip it.
        response.direct_passthrough = False
        response.make_sequence()
    if immutable:
        response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
    else:
        # An old page asking for an asset that has changed since: the current file, not cached.
        response.headers["Cache-Control"] = "no-cache"
    return response
