"""The log: one format (UTC, request id), no secrets even when a request fails, security events."""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import text

from lms.auth.models import User
from lms.config import build_config
from lms.extensions import db
from lms.logs import redact
from tests import certificate_helpers
from tests.certificate_helpers import certificates
from tests.conftest import PASSWORD, login

cert_world = certificate_helpers.cert_world
requirements = certificate_helpers.requirements

LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (INFO|WARNING|ERROR) \[([0-9a-f]{16}|[\w.-]+)\] [\w.]+: ")


def _secrets_of(app, user_id: int) -> list[str]:
    with app.app_context():
        user = db.session.get(User, user_id)
        return [user.phone, user.password_hash, user.session_token, PASSWORD]


def test_every_response_carries_a_request_id(client):
    generated = client.get("/login").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{16}", generated)
    assert client.get("/login", headers={"X-Request-ID": "proxy-id.42"}).headers["X-Request-ID"] == "proxy-id.42"
    for unsafe in ("a b", "x" * 65, "<script>", "13812345678"):
        given = client.get("/login", headers={"X-Request-ID": unsafe}).headers["X-Request-ID"]
        assert given != unsafe and re.fullmatch(r"[0-9a-f]{16}", given)


def test_lines_have_utc_time_and_the_request_id(client, make_user, capsys):
    user = make_user()
    response = login(client, user)
    lines = [line for line in capsys.readouterr().err.splitlines() if "event=login.success" in line]
    assert lines, "the login is logged to stderr"
    match = LINE.match(lines[-1])
    assert match, lines[-1]
    assert match.group(2) == response.headers["X-Request-ID"]
    assert lines[-1].endswith(f"lms.events: event=login.success user={user.id}")


@pytest.mark.parametrize("app", [{"TESTING": False}], indirect=True)  # as in production
def test_a_failing_request_logs_no_secret(app, make_user, caplog, capsys):
    user = make_user()
    phone, password_hash, token, password = _secrets_of(app, user.id)

    @app.route("/_fail")
    def fail():  # a statement that fails with personal data among its parameters
        db.session.execute(
            text("SELECT * FROM no_such_table WHERE phone = :phone AND hash = :hash AND token = :token"),
            {"phone": phone, "hash": password_hash, "token": token},
        )

    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["hide_parameters"] is True
    client = app.test_client()
    with caplog.at_level(logging.INFO):
        client.post("/login", data={"identifier": phone, "password": "wrong-" + password})
        login(client, user)
        response = client.get("/_fail")
        assert response.status_code == 500
    logged = caplog.text + capsys.readouterr().err
    assert "unhandled error on GET" in logged and "no_such_table" in logged  # the traceback is there
    for secret in (phone, password_hash, token, password):
        assert secret not in logged
    assert f"event=login.failure user={user.id} reason=password" in logged


def test_redaction_of_what_slipped_through(caplog):
    hashed = "scrypt:32768:8:1$AbCdEf0123456789$" + "0f" * 32
    log = logging.getLogger("lms.test")
    with caplog.at_level(logging.INFO):
        log.warning("user 13812345678 hash %s cookie 7:Zx9_aB3cD4eF5gH6iJ7kL8 password=hunter2", hashed)
        try:
            raise ValueError("token AbCdEfGhIjKlMnOpQrStUv in +8613812345678")
        except ValueError:
            log.exception("failed")
    for secret in ("13812345678", hashed, "Zx9_aB3cD4eF5gH6iJ7kL8", "hunter2", "AbCdEfGhIjKlMnOpQrStUv"):
        assert secret not in caplog.text
    assert "[phone]" in caplog.text and "[password-hash]" in caplog.text and "[token]" in caplog.text
    # words, class names and paths stay readable
    kept = "psycopg.errors.StringDataRightTruncation in lms/certificates/service.py"
    assert redact(kept) == kept
    # as do file and module keys (digits, but each part digits or small letters)
    path = "example-course/modules/01-getting-started/quiz.yaml:1: m03-q21"
    assert redact(path) == path
    assert redact("a 3f9a2b7c-1d4e-4f00-9abc-0123456789ab uuid") == "a [token] uuid"


def test_login_events_name_the_user_by_id_only(client, make_user, caplog):
    user = make_user()
    with caplog.at_level(logging.INFO, logger="lms.events"):
        client.post("/login", data={"identifier": "13700000000", "password": "whatever-1"})
        client.post("/login", data={"identifier": user.phone, "password": "wrong-password"})
        login(client, user)
    events = [r.getMessage() for r in caplog.records if r.name == "lms.events"]
    assert events == [
        "event=login.failure user=unknown reason=no_account",
        f"event=login.failure user={user.id} reason=password",
        f"event=login.success user={user.id}",
    ]


def test_denied_access_and_role_changes_are_logged(client, make_user, caplog):
    organizer, trainee = make_user("organizer"), make_user()
    login(client, trainee)
    with caplog.at_level(logging.INFO, logger="lms.events"):
        assert client.get("/admin/users/").status_code == 403
    assert f"event=access.denied user={trainee.id} method=GET endpoint=users.list_users" in caplog.text
    organizer_client = client.application.test_client()
    login(organizer_client, organizer)
    with caplog.at_level(logging.INFO, logger="lms.events"):
        response = organizer_client.post(f"/admin/users/{trainee.id}/roles", data={"trainee": "y", "trainer": "y"})
        assert response.status_code == 302
    assert (
        f"event=role.change actor={organizer.id} user={trainee.id} before=trainee after=trainee,trainer" in caplog.text
    )


def test_certificate_revocation_is_logged(app, cert_world, requirements, caplog):
    from lms.certificates.hooks import issue_if_eligible

    app.config["CERT_PDF_VARIANT"] = None
    world = cert_world(trainees=1)
    requirements(met=True)
    with app.test_request_context(base_url="http://verify.example"):
        issue_if_eligible(world.trainees[0].id, world.cohort_id)
    cert = certificates(app)[0]
    client = app.test_client()
    login(client, world.organizer)
    with caplog.at_level(logging.INFO, logger="lms.events"):
        response = client.post(f"/certificates/{cert.id}/revoke", data={"revoke-reason": "培训档案造假"})
        assert response.status_code == 302
    assert (
        f"event=certificate.revoke actor={world.organizer.id} certificate={cert.id} holder={world.trainees[0].id}"
        in caplog.text
    )
    assert cert.token not in caplog.text


def test_production_keeps_scrypt_and_tests_use_a_fast_hash(app, tmp_path, make_user):
    assert build_config(str(tmp_path))["PASSWORD_HASH_METHOD"] == "scrypt"
    assert app.config["PASSWORD_HASH_METHOD"] == "pbkdf2:sha256:1000"
    _phone, password_hash, *_ = _secrets_of(app, make_user().id)
    assert password_hash.startswith("pbkdf2:sha256:1000$")
