"""Every route, with every role: who may open it. A route missing from ROUTES fails the test.

Expected codes: 200 page shown, 302 redirect (to login for anonymous users, or after a
POST), 403 forbidden, 404 for objects that must not even be hinted at, 405 wrong method.
"""
from __future__ import annotations

import pytest

from lms.auth.models import User
from lms.certificates import jobs as certificate_jobs
from lms.certificates import service as certificate_service
from lms.cohorts.models import Cohort
from lms.db import write_transaction
from lms.extensions import db
from lms.learning.models import Lesson, Module
from lms.storage import storage_path
from tests.conftest import login

ROLES = ("anonymous", "trainee", "outsider", "trainer", "organizer")
# trainee: enrolled in the fixture cohort; outsider: a trainee in no cohort.


def row(method, path, *codes):
    return method, path, dict(zip(ROLES, codes, strict=True))


#                                  anonymous trainee outsider trainer organizer
ROUTES = {
    "static": row("GET", "/static/css/app.css", 200, 200, 200, 200, 200),
    "learning.home": row("GET", "/", 302, 200, 200, 200, 200),
    "learning.show_course": row("GET", "/courses/{course}", 302, 200, 403, 200, 200),
    "learning.show_lesson": row("GET", "/courses/{course}/lessons/{lesson}", 302, 200, 403, 200, 200),
    "learning.course_media": row("GET", "/media/course/{course}/{media}", 302, 200, 403, 200, 200),
    "learning.glossary": row("GET", "/courses/{course}/glossary", 302, 200, 403, 200, 200),
    "auth.login": row("GET", "/login", 200, 302, 302, 302, 302),
    "auth.register": row("GET", "/register", 200, 302, 302, 302, 302),
    "auth.logout": row("POST", "/logout", 302, 302, 302, 302, 302),
    "auth.profile": row("GET", "/profile", 302, 200, 200, 200, 200),
    "auth.change_password": row("GET", "/profile/password", 302, 200, 200, 200, 200),
    "auth.set_language": row("POST", "/language", 302, 302, 302, 302, 302),
    "cohorts.list_cohorts": row("GET", "/cohorts/", 302, 403, 403, 200, 200),
    "cohorts.create_cohort": row("GET", "/cohorts/new", 302, 403, 403, 403, 200),
    "cohorts.show_cohort": row("GET", "/cohorts/{cohort}", 302, 403, 403, 200, 200),
    "cohorts.edit_cohort": row("GET", "/cohorts/{cohort}/edit", 302, 403, 403, 403, 200),
    "cohorts.add_members": row("POST", "/cohorts/{cohort}/members", 302, 403, 403, 403, 302),
    "cohorts.remove_member": row(
        "POST", "/cohorts/{cohort}/members/{trainee}/remove", 302, 403, 403, 403, 302
    ),
    "cohorts.export_roster": row("GET", "/cohorts/{cohort}/roster.csv", 302, 403, 403, 200, 200),
    "cohorts.join": row("GET", "/join", 302, 200, 200, 200, 200),
    "cohorts.join_by_link": row("GET", "/join/{token}", 302, 200, 200, 200, 200),
    "users.list_users": row("GET", "/admin/users/", 302, 403, 403, 403, 200),
    "users.show_user": row("GET", "/admin/users/{trainee}", 302, 403, 403, 403, 200),
    "users.set_roles": row("POST", "/admin/users/{trainee}/roles", 302, 403, 403, 403, 302),
    "users.set_active": row("POST", "/admin/users/{trainee}/active", 302, 403, 403, 403, 302),
    "users.reset_password": row(
        "POST", "/admin/users/{trainee}/reset-password", 302, 403, 403, 403, 200
    ),
    "users.import_users": row("GET", "/admin/users/import", 302, 403, 403, 403, 200),
    "users.import_template": row("GET", "/admin/users/import/template.csv", 302, 403, 403, 403, 200),
    "users.preview_import": row("GET", "/admin/users/import/{import_token}", 302, 403, 403, 403, 302),
    "audit.list_entries": row("GET", "/admin/audit/", 302, 403, 403, 403, 200),
    # certificates
    "certificates.my_certificates": row("GET", "/certificates", 302, 200, 200, 200, 200),
    "certificates.download_certificate": row(
        "GET", "/certificates/{certificate}/download", 302, 200, 404, 200, 200
    ),
    "certificates.cohort_certificates": row("GET", "/cohorts/{cohort}/certificates", 302, 403, 403, 200, 200),
    "certificates.trainee_certificates": row(
        "GET", "/cohorts/{cohort}/certificates/{trainee}", 302, 403, 403, 200, 200
    ),
    "certificates.issue_certificate": row(
        "POST", "/cohorts/{cohort}/certificates/{trainee}/issue", 302, 403, 403, 403, 200
    ),
    "certificates.revoke_certificate": row(
        "POST", "/certificates/{certificate}/revoke", 302, 403, 403, 403, 200
    ),
    "certificates.reissue_certificate": row(
        "POST", "/certificates/{certificate}/reissue", 302, 403, 403, 403, 200
    ),
    "certificates.edit_design": row("GET", "/cohorts/{cohort}/certificates/design", 302, 403, 403, 403, 200),
    "certificates.preview_design": row(
        "GET", "/cohorts/{cohort}/certificates/preview.pdf", 302, 403, 403, 403, 200
    ),
    "certificates.start_zip": row("POST", "/cohorts/{cohort}/certificates.zip", 302, 403, 403, 403, 302),
    "certificates.show_job": row("GET", "/certificate-jobs/{job}", 302, 403, 403, 403, 200),
    "certificates.job_status": row("GET", "/certificate-jobs/{job}.json", 302, 403, 403, 403, 200),
    "certificates.download_job": row("GET", "/certificate-jobs/{job}/download", 302, 403, 403, 403, 200),
    "verify.lookup": row("GET", "/verify", 200, 200, 200, 200, 200),
    "verify.check_file": row("POST", "/verify/file", 200, 200, 200, 200, 200),
    "verify.show_certificate": row("GET", "/verify/{cert_token}", 200, 200, 200, 200, 200),
    # last: it changes the invite token used above
    "cohorts.regenerate_code": row("POST", "/cohorts/{cohort}/code", 302, 403, 403, 403, 302),
}


@pytest.fixture
def world(app, make_user, make_cohort):
    """One course with a lesson, one cohort with a trainee and a trainer, and an outsider."""
    users = {
        "trainee": make_user("trainee"),
        "outsider": make_user("trainee"),
        "trainer": make_user("trainer"),
        "organizer": make_user("organizer"),
    }
    cohort_id, _, token = make_cohort(trainer_ids=(users["trainer"].id,))
    media = "0" * 64 + ".png"
    with app.app_context():
        cohort = db.session.get(Cohort, cohort_id)
        storage_path("course-media", cohort.course.key, media).write_bytes(b"\x89PNG\r\n\x1a\n")
        module = Module(course_id=cohort.course_id, key="m1", title="专题", content_hash="h")
        db.session.add(module)
        db.session.flush()
        db.session.add(Lesson(course_id=cohort.course_id, module_id=module.id, key="l1", title="小节", content_hash="h"))
        course_key = cohort.course.key
        db.session.commit()
    client = app.test_client()
    login(client, users["trainee"])
    client.post(f"/join/{token}")
    values = {
        "course": course_key, "lesson": "l1", "cohort": cohort_id, "token": token,
        "trainee": users["trainee"].id, "import_token": "x" * 32, "media": media,
    }  # fmt: skip
    # certificates: the trainee's certificate (issued by hand) and a finished ZIP job
    with app.test_request_context():
        organizer = db.session.get(User, users["organizer"].id)
        with write_transaction():
            cohort = db.session.get(Cohort, cohort_id)
            cert = certificate_service.manual_issue(organizer, cohort, users["trainee"].id, "测试", "http://localhost")
            values.update(certificate=cert.id, cert_token=cert.token)
        with write_transaction():
            values["job"] = certificate_jobs.start_zip_job(organizer, db.session.get(Cohort, cohort_id))[0].id
        certificate_jobs.run_zip_job(values["job"])
    return users, values


def test_every_route_is_listed(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - ROUTES.keys() == set(), "add the new routes to ROUTES"
    assert ROUTES.keys() - endpoints == set(), "remove routes that no longer exist"


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(app, world, role):
    users, values = world
    failures = []
    for endpoint, (method, path, expected) in ROUTES.items():
        client = app.test_client()
        if role != "anonymous":
            login(client, users[role])
        url = path.format(**values)
        response = client.open(url, method=method)
        if response.status_code != expected[role]:
            failures.append(f"{method} {url} as {role}: {response.status_code}, expected {expected[role]}")
        if role == "anonymous" and expected[role] == 302 and method == "GET":
            assert "/login" in response.headers["Location"], url
    assert not failures, "\n".join(failures)


def test_every_post_route_demands_a_csrf_token(app, world):
    """With CSRF protection on (as in production), a POST without a token is refused."""
    users, values = world
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    for endpoint, (method, path, _) in ROUTES.items():
        if method != "POST" and endpoint not in ("auth.login", "auth.register", "cohorts.join"):
            continue
        response = client.post(path.format(**values), data={})
        assert response.status_code == 400, endpoint
        assert "表单已过期" in response.get_data(as_text=True)
