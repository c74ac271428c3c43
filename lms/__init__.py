"""The training-course LMS: ``create_app`` builds the Flask application."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from .input_guard import init_input_guard
from .logs import init_logging
from .wiring import connect_domains

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Build the app: configuration, extensions, blueprints, error handlers, CLI.

    :param config: settings that override the environment (tests pass their database here).
    """
    app = Flask(
        __name__,
        instance_path=os.environ.get("LMS_INSTANCE_PATH") or str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    register_config(app, config)
    init_logging(app)
    register_extensions(app)
    init_input_guard(app)  # before the blueprints: their rules take its int converter
    register_blueprints(app)
    register_navigation(app)
    connect_domains(app)
    register_request_hooks(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


def register_config(app: Flask, overrides: dict | None) -> None:
    from .config import build_config

    app.config.update(build_config(app.instance_path))
    app.config.update(overrides or {})
    if not (app.debug or app.testing):
        # Production: a failing statement's message must not carry its parameters (phone
        # numbers, password hashes, session tokens).
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options.setdefault("hide_parameters", True)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    Path(app.config["LMS_STORAGE_PATH"]).mkdir(parents=True, exist_ok=True)


def register_extensions(app: Flask) -> None:
    from . import models  # noqa: F401  (every model registered before mappers configure)
    from .auth.session import init_login
    from .auth.throttle import init_throttle
    from .extensions import babel, csrf, db, limiter, migrate
    from .i18n import init_i18n

    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(Path(__file__).parent / "migrations"), render_as_batch=True, compare_type=True
    )
    csrf.init_app(app)
    limiter.init_app(app)
    init_throttle(app)
    init_login(app)
    init_i18n(app, babel)


def register_blueprints(app: Flask) -> None:
    from .assessment.bank_views import bp as bank_bp
    from .assessment.views import bp as assessment_bp
    from .audit.views import bp as audit_bp
    from .auth.admin_views import bp as users_bp
    from .auth.views import bp as auth_bp
    from .authoring.views import bp as authoring_bp
    from .certificates.verify_views import bp as verify_bp
    from .certificates.views import bp as certificates_bp
    from .cohorts.views import bp as cohorts_bp
    from .discussions.views import bp as discussions_bp
    from .health import bp as health_bp
    from .improvement.views import bp as improvement_bp
    from .learning import record_views  # noqa: F401  (its routes are on the learning blueprint)
    from .learning.credit_views import bp as credit_bp
    from .learning.views import bp as learning_bp
    from .reports.views import bp as reports_bp
    from .suggestions.views import bp as suggestions_bp
    from .surveys.views import bp as surveys_bp

    for bp in (
        auth_bp,
        users_bp,
        cohorts_bp,
        learning_bp,
        credit_bp,
        discussions_bp,
        audit_bp,
        health_bp,
        surveys_bp,
        suggestions_bp,
        bank_bp,
        assessment_bp,
        certificates_bp,
        verify_bp,
        reports_bp,
        improvement_bp,
        authoring_bp,
    ):
        app.register_blueprint(bp)


def register_navigation(app: Flask) -> None:
    from .navigation import init_navigation

    init_navigation(app)


def register_request_hooks(app: Flask) -> None:
    from .assets import init_assets
    from .security import init_security

    init_security(app)
    init_assets(app)


def register_errorhandlers(app: Flask) -> None:
    from .errors import init_errors

    init_errors(app)


def register_commands(app: Flask) -> None:
    from .cli import lms_cli

    app.cli.add_command(lms_cli)
