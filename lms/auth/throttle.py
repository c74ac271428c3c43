"""Login throttling per account: atomic counters, bounded exponential back-off, known devices.

- **One counter per account.** The key is a keyed hash of the account's id (found with the
  same normalisation login uses: spaces, hyphens, +86, full-width digits, e-mail case), so
  every spelling of a phone and the account's e-mail share it; an identifier that matches no
  account is keyed by its normalised form. No phone, e-mail or id reaches the store.
- **Increment, then check.** Every decision is an atomic INCR whose result decides, so
  parallel requests cannot all pass a check made before any of them counted.
- **Slow down, do not lock out.** At most ``LOGIN_ATTEMPTS_PER_MINUTE`` evaluated attempts a
  minute (this bounds a parallel burst before the failures are counted). After ``LOGIN_FREE_FAILURES`` failures, one attempt is evaluated per back-off
  delay (``LOGIN_BACKOFF_SECONDS`` doubling per failure, at most
  ``LOGIN_BACKOFF_MAX_SECONDS``); refused attempts are not failures. A success clears the
  account's counters. A browser where the account signed in before carries a signed device
  cookie and counts on its own key, so an attacker's failures do not slow the owner there
  (OWASP's "device cookies").
- **The store.** Redis when configured (shared by the workers), else memory. When Redis
  cannot be reached, the counters go on in this worker's memory and an error is logged;
  throttling is never switched off.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import time
from dataclasses import dataclass

from flask import Flask, current_app, g, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits.storage import MemoryStorage, storage_from_string

from .validators import looks_like_email, normalize_email, normalize_phone

FAILURES_KEEP_SECONDS = 24 * 3600
DEVICE_COOKIE_DAYS = 180
#: how long the shared store is left alone after an error before it is tried again
RETRY_AFTER_ERROR_SECONDS = 30


class FallbackStore:
    """A ``limits`` storage that falls back to this worker's memory while the primary fails."""

    def __init__(self, uri: str, options: dict | None = None):
        self.memory = MemoryStorage()
        self.primary = None if uri.startswith("memory://") else storage_from_string(uri, **(options or {}))
        self._down_until = 0.0
        self._lock = threading.Lock()

    def _run(self, method: str, *args):
        if self.primary is not None and time.monotonic() >= self._down_until:
            try:
                return getattr(self.primary, method)(*args)
            except Exception as error:  # redis.ConnectionError, TimeoutError, ...
                retry = current_app.config.get("THROTTLE_STORE_RETRY_SECONDS", RETRY_AFTER_ERROR_SECONDS)
                with self._lock:
                    self._down_until = time.monotonic() + retry
                current_app.logger.error(
                    "login throttle store unreachable (%s); counting in this worker's memory",
                    type(error).__name__,
                )
        return getattr(self.memory, method)(*args)

    def incr(self, key: str, expiry: int) -> int:
        return self._run("incr", key, expiry)

    def get(self, key: str) -> int:
        return self._run("get", key)

    def get_expiry(self, key: str) -> float:
        return self._run("get_expiry", key)

    def clear(self, key: str) -> None:
        self._run("clear", key)

    def reset(self) -> None:
        self.memory.reset()
        if self.primary is not None:
            try:
                self.primary.reset()
            except Exception:
                current_app.logger.error("login throttle store unreachable; not reset")


def init_throttle(app: Flask) -> None:
    uri = app.config["RATELIMIT_STORAGE_URI"]
    options = app.config.get("RATELIMIT_STORAGE_OPTIONS") or {}
    app.extensions["lms_login_throttle"] = FallbackStore(uri, options)
    # First in the list, so it runs last: after Flask-Limiter has written its own Retry-After.
    app.after_request_funcs.setdefault(None, []).insert(0, _retry_after_header)


def _retry_after_header(response):
    wait = g.pop("retry_after", None)
    if wait is not None:
        response.headers["Retry-After"] = str(wait)
    return response


def store() -> FallbackStore:
    return current_app.extensions["lms_login_throttle"]


@dataclass
class Verdict:
    allowed: bool
    wait_seconds: int = 0


def _digest(text: str) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, text.encode(), hashlib.sha256).hexdigest()[:32]


def account_key(user_id: int | None, identifier: str) -> str:
    """The counter key for a login attempt on ``identifier`` (``user_id`` when it matched)."""
    if user_id is not None:
        subject = f"user:{user_id}"
    else:
        normal = normalize_email(identifier) if looks_like_email(identifier) else normalize_phone(identifier)
        subject = "identifier:" + (normal or identifier.strip().casefold())
    key = "login:" + _digest(subject)
    device = _device_nonce(user_id)
    return f"{key}:device:{_digest(device)}" if device else key


def _wait(key: str) -> int:
    return max(1, math.ceil(store().get_expiry(key) - time.time()))


def begin(key: str) -> Verdict:
    """Decide whether this attempt is evaluated; counts it when it is."""
    config = current_app.config
    failures = store().get(f"{key}:fail")
    free = config["LOGIN_FREE_FAILURES"]
    if failures >= free:
        delay = min(config["LOGIN_BACKOFF_SECONDS"] * 2 ** (failures - free), config["LOGIN_BACKOFF_MAX_SECONDS"])
        if store().incr(f"{key}:gate", int(delay)) > 1:  # someone used this back-off slot
            return Verdict(False, _wait(f"{key}:gate"))
        return Verdict(True)  # the slot bounds the rate from here on
    if store().incr(f"{key}:minute", 60) > config["LOGIN_ATTEMPTS_PER_MINUTE"]:
        return Verdict(False, _wait(f"{key}:minute"))
    return Verdict(True)


def record(key: str, succeeded: bool) -> None:
    """After an evaluated attempt: a success clears the counters, a failure adds one."""
    if succeeded:
        for part in ("fail", "gate", "minute"):
            store().clear(f"{key}:{part}")
    else:
        store().incr(f"{key}:fail", FAILURES_KEEP_SECONDS)


# Known devices: a signed cookie naming the account and a random nonce, set at each sign-in.


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="login-device")


def device_cookie_name() -> str:
    return "__Host-device" if current_app.config.get("ENV_PRODUCTION") else "device"


def _device_nonce(user_id: int | None) -> str | None:
    raw = request.cookies.get(device_cookie_name())
    if not raw or user_id is None:
        return None
    try:
        owner, nonce = _serializer().loads(raw, max_age=DEVICE_COOKIE_DAYS * 86400)
    except (BadSignature, ValueError, TypeError):
        return None
    return nonce if owner == user_id else None


def set_device_cookie(response, user_id: int) -> None:
    value = _serializer().dumps([user_id, secrets.token_urlsafe(12)])
    response.set_cookie(
        device_cookie_name(),
        value,
        max_age=DEVICE_COOKIE_DAYS * 86400,
        secure=bool(current_app.config.get("ENV_PRODUCTION")),
        httponly=True,
        samesite="Lax",
        path="/",
    )
