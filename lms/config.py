"""Configuration: defaults, ``LMS_*`` environment variables and the instance folder."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

#: Languages the interface is translated into; the first is the default.
LANGUAGES = {"zh_CN": "简体中文", "en": "English"}


class ConfigError(RuntimeError):
    """The environment does not describe a configuration the app can run with."""


def _secret_key(instance: Path, production: bool) -> str:
    """Return LMS_SECRET_KEY, or a key generated once and kept in the instance folder.

    :raises ConfigError: in production mode when LMS_SECRET_KEY is not set.
    """
    key = os.environ.get("LMS_SECRET_KEY")
    if key:
        return key
    if production:
        raise ConfigError("LMS_SECRET_KEY must be set when LMS_ENV=production.")
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def database_url(raw: str | None, instance: Path) -> str:
    """Normalise a database URL: SQLite in the instance folder by default, psycopg 3 for PostgreSQL."""
    if not raw:
        return f"sqlite:///{instance / 'lms.sqlite3'}"
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix) :]
    return raw


def build_config(instance_path: str) -> dict:
    """Build the configuration from the environment; ``create_app(config)`` overrides it."""
    instance = Path(instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    production = os.environ.get("LMS_ENV", "development") == "production"
    redis_url = os.environ.get("LMS_REDIS_URL") or None
    storage = Path(os.environ.get("LMS_STORAGE_PATH") or instance / "storage")
    return {
        "ENV_PRODUCTION": production,
        "SECRET_KEY": _secret_key(instance, production),
        "SQLALCHEMY_DATABASE_URI": database_url(os.environ.get("LMS_DATABASE_URL"), instance),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "LMS_REDIS_URL": redis_url,
        "LMS_STORAGE_PATH": str(storage),
        "LMS_SITE_NAME": os.environ.get("LMS_SITE_NAME", ""),
        # Rate limiting: counters in Redis when configured, so every worker shares them.
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_KEY_PREFIX": "lms",
        # an unreachable Redis must fail fast (then the in-memory fallback counts), not hang
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1} if redis_url else {},
        "RATELIMIT_HEADERS_ENABLED": True,
        # Redis down: Flask-Limiter's limits go on in each worker's memory (logged), never off.
        "RATELIMIT_SWALLOW_ERRORS": False,
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        # Babel: Chinese first, times shown in Asia/Shanghai.
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("LMS_TIMEZONE", "Asia/Shanghai"),
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).parent / "translations"),
        "LANGUAGES": LANGUAGES,
        # A CSRF token lives as long as the session: trainees keep lesson pages open for hours.
        "WTF_CSRF_TIME_LIMIT": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # __Host- cookies are only accepted over HTTPS, for this host, path /: production only.
        "SESSION_COOKIE_NAME": "__Host-session" if production else "session",
        "REMEMBER_COOKIE_NAME": "__Host-remember_token" if production else "remember_token",
        # Login sessions (auth/login_sessions.py): idle and absolute limits, remembered devices.
        "SESSION_IDLE_MINUTES": int(os.environ.get("LMS_SESSION_IDLE_MINUTES") or 30),
        "SESSION_ATTEMPT_IDLE_MINUTES": int(os.environ.get("LMS_SESSION_ATTEMPT_IDLE_MINUTES") or 180),
        "SESSION_LIFETIME_HOURS": int(os.environ.get("LMS_SESSION_LIFETIME_HOURS") or 12),
        "REMEMBER_DAYS": int(os.environ.get("LMS_REMEMBER_DAYS") or 14),
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        # werkzeug's method string; tests set a cheap one (pbkdf2:sha256:1000).
        "PASSWORD_HASH_METHOD": "scrypt",
        # How many reverse proxies (nginx, a load balancer) stand in front of the app: their
        # X-Forwarded-For/-Proto/-Host are trusted that many hops deep. 0: none are trusted.
        "TRUSTED_PROXIES": int(os.environ.get("LMS_TRUSTED_PROXIES", "0")),
        # Text responses are gzip-compressed when the client accepts it (nginx may do it instead).
        "COMPRESS_ALGORITHM": ["gzip"],
        "COMPRESS_MIN_SIZE": 1024,
        "COMPRESS_MIMETYPES": [
            "text/html",
            "text/css",
            "text/csv",
            "text/plain",
            "application/javascript",
            "text/javascript",
            "application/json",
            "image/svg+xml",
        ],
        # Login throttling per account (auth/throttle.py): at most this many evaluated attempts
        # a minute; after LOGIN_FREE_FAILURES failures one attempt per back-off delay, doubling
        # from LOGIN_BACKOFF_SECONDS up to LOGIN_BACKOFF_MAX_SECONDS (slows, never locks out).
        "LOGIN_ATTEMPTS_PER_MINUTE": 5,
        "LOGIN_FREE_FAILURES": 5,
        "LOGIN_BACKOFF_SECONDS": 30,
        "LOGIN_BACKOFF_MAX_SECONDS": 15 * 60,
        "LOGIN_LIMITS_PER_ADDRESS": "30 per minute",
        "JOIN_CODE_LIMITS": "10 per minute;60 per hour",
        # Password reset by e-mail (auth/password_reset.py): a link lasts this long and works
        # once; an account gets at most this many links an hour; an address may ask this often.
        "PASSWORD_RESET_MINUTES": 30,
        "PASSWORD_RESET_MAILS_PER_HOUR": 3,
        "PASSWORD_RESET_LIMITS_PER_ADDRESS": "5 per 15 minutes",
        # Surveys: anonymous results of smaller groups are not shown.
        "SURVEY_MIN_GROUP": int(os.environ.get("LMS_SURVEY_MIN_GROUP", "5")),
        "SUGGESTION_LIMITS": "5 per hour;20 per day",
        # E-mail (reminders, password reset links); none are sent without a server. Links in
        # e-mails start with LMS_BASE_URL (required for reset links in production).
        "LMS_BASE_URL": os.environ.get("LMS_BASE_URL", "").rstrip("/"),
        "MAIL_SERVER": os.environ.get("LMS_MAIL_SERVER") or None,
        "MAIL_PORT": int(os.environ.get("LMS_MAIL_PORT", "25")),
        "MAIL_USE_TLS": os.environ.get("LMS_MAIL_USE_TLS", "") == "1",  # STARTTLS
        "MAIL_USE_SSL": os.environ.get("LMS_MAIL_USE_SSL", "") == "1",  # SMTP over TLS (465)
        "MAIL_USERNAME": os.environ.get("LMS_MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("LMS_MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": os.environ.get("LMS_MAIL_SENDER", "noreply@localhost"),
        # Timed attempts: saves are accepted this long after the deadline (a slow network),
        # then the attempt is closed on the server with what was saved.
        "ATTEMPT_GRACE_SECONDS": int(os.environ.get("LMS_ATTEMPT_GRACE_SECONDS", "30")),
        # 学时 rule defaults where neither the course nor its cohort sets them: the share of a
        # lesson's stated minutes that must be active study before it can be completed, and
        # the quiet time after which the lesson page asks "您还在学习吗？" and stops the clock.
        "CREDIT_MIN_ACTIVE_FRACTION": float(os.environ.get("LMS_CREDIT_MIN_ACTIVE_FRACTION", "0.5")),
        "CREDIT_IDLE_MINUTES": int(os.environ.get("LMS_CREDIT_IDLE_MINUTES", "5")),
        # Certificates: the verification link printed in the PDF and the QR code is built from
        # PUBLIC_BASE_URL when set (e.g. https://peixun.example.cn), else from the request's host.
        "PUBLIC_BASE_URL": os.environ.get("LMS_PUBLIC_BASE_URL") or None,
        # A cohort ZIP with more PDFs still to render than this is built in the background.
        "CERT_ZIP_SYNC_LIMIT": int(os.environ.get("LMS_CERT_ZIP_SYNC_LIMIT") or 8),
        # "rq" (a `flask lms worker` process and Redis) or "thread" (inside the web process).
        "CERT_JOB_BACKEND": "rq" if redis_url else "thread",
        "CERT_PDF_VARIANT": "pdf/a-3b",
        "VERIFY_LIMITS": "10 per minute;100 per hour",
        "VERIFY_UPLOAD_MAX_BYTES": 5 * 1024 * 1024,
    }
