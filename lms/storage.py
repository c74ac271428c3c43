"""The storage folder for generated and uploaded files (shared by every app server)."""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path

from flask import current_app

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def storage_path(*parts: str) -> Path:
    """A path under the storage folder; the folder of the last part is created."""
    path = Path(current_app.config["LMS_STORAGE_PATH"]).joinpath(*parts)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def save_pending(kind: str, data: dict) -> str:
    """Keep ``data`` (e.g. an import preview) until it is confirmed; return its random token."""
    token = secrets.token_urlsafe(24)
    storage_path("pending", kind, f"{token}.json").write_text(json.dumps(data, ensure_ascii=False))
    return token


def load_pending(kind: str, token: str) -> dict | None:
    """The data saved under ``token``, or None if the token is malformed, unknown or used."""
    if not _TOKEN.match(token or ""):
        return None
    path = storage_path("pending", kind, f"{token}.json")
    return json.loads(path.read_text()) if path.exists() else None


def discard_pending(kind: str, token: str) -> None:
    if _TOKEN.match(token or ""):
        storage_path("pending", kind, f"{token}.json").unlink(missing_ok=True)
