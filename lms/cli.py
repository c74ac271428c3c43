"""The ``flask lms`` command group; each command is a thin call into a service."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from lms import ROOT
from lms.db import write_transaction


@click.group("lms")
def lms_cli():
    """Manage the training platform."""


@lms_cli.command("init")
@click.option("--demo/--no-demo", default=False, help="Also create the demo accounts and cohort.")
@with_appcontext
def init_command(demo: bool):
    """Create or upgrade the database, load every course in courses/, optionally add demo data."""
    from flask_migrate import upgrade

    upgrade()
    click.echo("Database is up to date.")
    _load(ROOT / "courses")
    if demo:
        _demo()


@lms_cli.command("load-courses")
@click.argument("path", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--take-file", is_flag=True, help="Where a file and a browser edit both changed an item, take the file's."
)
@with_appcontext
def load_courses_command(path: Path | None, take_file: bool):
    """Validate and load the courses under PATH (default: courses/), all or nothing.
    Browser edits stay unless their file changed too (reported as conflicts)."""
    _load(path or ROOT / "courses", take_file)


def _load(path: Path, take_file: bool = False) -> None:
    from lms.content.loader import CourseValidationError, load_courses

    try:
        with write_transaction():
            reports = load_courses(path, take_file)
    except CourseValidationError as error:
        click.echo(f"{len(error.problems)} problem(s); nothing was written:", err=True)
        for problem in error.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(1)
    for report in reports:
        click.echo(report.summary())


@lms_cli.command("export-course")
@click.argument("key")
@click.argument("target", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def export_course_command(key: str, target: Path):
    """Write course KEY from the database as course files in TARGET/KEY/ (then validated)."""
    from sqlalchemy import select

    from lms.content.export import CourseExportError, export_course
    from lms.extensions import db
    from lms.learning.models import Course

    course = db.session.scalar(select(Course).where(Course.key == key))
    if course is None:
        raise click.ClickException(f"no course with the key '{key}'")
    try:
        folder = export_course(course, target)
    except CourseExportError as error:
        click.echo(f"{len(error.problems)} problem(s) in the export:", err=True)
        for problem in error.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(1)
    click.echo(f"{key}: written to {folder} and checked by the validator.")


@lms_cli.command("create-user")
@click.option("--name", required=True, help="Real name (姓名).")
@click.option("--phone", default=None)
@click.option("--email", default=None)
@click.option(
    "--role", "roles", multiple=True, type=click.Choice(["trainee", "trainer", "organizer"]), default=["trainee"]
)
@click.option("--work-unit", default="")
@click.password_option()
@with_appcontext
def create_user_command(name, phone, email, roles, work_unit, password):
    """Create an account (phone or e-mail required)."""
    from lms.auth.models import Role
    from lms.auth.service import AccountError, Profile, create_user
    from lms.auth.validators import normalize_email, normalize_phone

    profile = Profile(name=name, phone=normalize_phone(phone), email=normalize_email(email), work_unit=work_unit)
    try:
        with write_transaction():
            user = create_user(profile, password, {Role(r) for r in roles})
    except AccountError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Created user {user.id} ({', '.join(sorted(roles))}).")


@lms_cli.command("import-users")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Import without asking, skipping rows with problems.")
@with_appcontext
def import_users_command(file: Path, yes: bool):
    """Import trainees from a CSV or XLSX file; prints every row's problems first."""
    from lms.auth import importing

    try:
        rows = importing.parse_rows(importing.read_table(file.name, file.read_bytes()))
    except importing.ImportFileError as error:
        raise click.ClickException(str(error)) from error
    for row in rows:
        if row.problems:
            click.echo(f"row {row.line}: {'; '.join(row.problems)}")
    new = sum(r.is_new for r in rows)
    click.echo(f"{new} new, {sum(bool(r.problems) for r in rows)} with problems, {len(rows)} rows.")
    if not yes and not click.confirm("Import now?"):
        return
    with write_transaction():
        result = importing.apply_import(None, rows)
    for user, password in result.created:
        click.echo(f"{user.name}\t{user.phone or user.email}\t{password}")


@lms_cli.command("send-reminders")
@with_appcontext
def send_reminders_command():
    """E-mail trainees whose follow-up survey is due, once each (needs LMS_MAIL_SERVER)."""
    from flask import current_app

    from lms.db import utcnow
    from lms.surveys.reminders import send_reminders

    if not current_app.config.get("MAIL_SERVER"):
        click.echo("No mail server configured (LMS_MAIL_SERVER): no reminders sent.")
        return
    if not current_app.config.get("LMS_BASE_URL"):
        click.echo("Warning: LMS_BASE_URL is not set; links in the e-mails will be paths only.", err=True)
    click.echo(send_reminders(utcnow()).summary())


@lms_cli.command("close-attempts")
@with_appcontext
def close_attempts_command():
    """Close and grade timed attempts whose deadline and grace period have passed (for cron)."""
    from lms.assessment.service import close_overdue_attempts
    from lms.db import utcnow
    from lms.wiring import run_certificate_checks

    with write_transaction():
        closed = close_overdue_attempts(utcnow())
    run_certificate_checks()  # a closed exam may have been the last requirement
    click.echo(f"Closed {closed} overdue attempt(s).")


@lms_cli.command("demo")
@with_appcontext
def demo_command():
    """Create the demo accounts and a demo cohort once; print their credentials."""
    _demo()


def _demo() -> None:
    from lms.demo import ensure_demo_data

    with write_transaction():
        info = ensure_demo_data()
    click.echo("")
    click.echo("Demo accounts (password for all: {})".format(info["password"]))
    for role, login in info["accounts"].items():
        click.echo(f"  {role:<10} {login}")
    if info.get("cohort_code"):
        click.echo(f"Demo cohort: {info['cohort_name']}, enrolment code {info['cohort_code']}")


@lms_cli.command("worker")
@click.option("--burst", is_flag=True, help="Exit once the queue is empty.")
@with_appcontext
def worker_command(burst: bool):
    """Run background jobs (certificate ZIPs) from Redis; needs LMS_REDIS_URL."""
    from flask import current_app

    from lms.certificates.jobs import run_worker

    if not current_app.config["LMS_REDIS_URL"]:
        click.echo("LMS_REDIS_URL is not set: jobs run in the web process; no worker needed.", err=True)
        sys.exit(1)
    run_worker(burst=burst)
