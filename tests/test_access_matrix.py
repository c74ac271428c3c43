"""Every route, with every role: who may open it. A route missing from ROUTES fails the test.

Expected codes: 200 page shown, 302 redirect (to login for anonymous users, or after a
POST), 403 forbidden, 404 for objects that must not even be hinted at, 405 wrong method.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.assessment.models import Question, QuestionType, Quiz, QuizItem, QuizKind
from lms.authoring.models import ContentDraft, CourseAuthor, DraftKind
from lms.cohorts.models import Cohort
from lms.extensions import db
from lms.learning.models import Lesson, Module
from lms.storage import storage_path
from lms.surveys.models import ItemType, Survey, SurveyItem, SurveyKind
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
    # authoring (the trainer is an author of the fixture course)
    "authoring.list_courses": row("GET", "/authoring/", 302, 403, 403, 200, 200),
    "authoring.show_course": row("GET", "/authoring/courses/{course}", 302, 403, 403, 200, 200),
    "authoring.edit_authors": row(
        "GET", "/authoring/courses/{course}/authors", 302, 403, 403, 403, 200
    ),
    "authoring.export_course": row(
        "GET", "/authoring/courses/{course}/export.zip", 302, 403, 403, 200, 200
    ),
    "authoring.move_module": row(
        "POST", "/authoring/modules/{module_id}/move", 302, 403, 403, 302, 302
    ),
    "authoring.move_lesson": row(
        "POST", "/authoring/lessons/{lesson_id}/move", 302, 403, 403, 302, 302
    ),
    "authoring.preview": row("POST", "/authoring/preview", 302, 403, 403, 400, 400),
    "authoring.upload_image": row(
        "POST", "/authoring/courses/{course}/images", 302, 403, 403, 302, 302
    ),
    "authoring.show_history": row(
        "GET", "/authoring/lessons/{lesson_id}/history", 302, 403, 403, 200, 200
    ),
    # the lesson has a draft, so its edit page leads to the draft
    "authoring.edit_lesson": row(
        "GET", "/authoring/lessons/{lesson_id}/edit", 302, 403, 403, 302, 302
    ),
    "authoring.edit_module": row(
        "GET", "/authoring/modules/{module_id}/edit", 302, 403, 403, 200, 200
    ),
    "authoring.new_lesson": row(
        "GET", "/authoring/courses/{course}/lessons/new", 302, 403, 403, 200, 200
    ),
    "authoring.new_module": row(
        "GET", "/authoring/courses/{course}/modules/new", 302, 403, 403, 200, 200
    ),
    "authoring.edit_draft": row("GET", "/authoring/drafts/{draft_id}", 302, 403, 403, 200, 200),
    "authoring.preview_draft": row(
        "GET", "/authoring/drafts/{draft_id}/preview", 302, 403, 403, 200, 200
    ),
    "authoring.discard_draft": row(
        "POST", "/authoring/drafts/{draft_id}/discard", 302, 403, 403, 302, 302
    ),
    "authoring.edit_question": row(
        "GET", "/authoring/questions/{question_id}/edit", 302, 403, 403, 200, 200
    ),
    "authoring.new_question": row(
        "GET", "/authoring/courses/{course}/questions/new", 302, 403, 403, 200, 200
    ),
    "authoring.edit_quiz": row("GET", "/authoring/quizzes/{quiz_id}/edit", 302, 403, 403, 200, 200),
    "authoring.change_quiz_items": row(
        "POST", "/authoring/quizzes/{quiz_id}/items", 302, 403, 403, 302, 302
    ),
    "authoring.edit_survey": row("GET", "/authoring/surveys/{survey_id}", 302, 403, 403, 200, 200),
    "authoring.new_survey_item": row(
        "GET", "/authoring/surveys/{survey_id}/items/new", 302, 403, 403, 200, 200
    ),
    "authoring.edit_survey_item": row(
        "GET", "/authoring/survey-items/{survey_item_id}/edit", 302, 403, 403, 200, 200
    ),
    "authoring.move_survey_item": row(
        "POST", "/authoring/survey-items/{survey_item_id}/move", 302, 403, 403, 302, 302
    ),
    "authoring.remove_survey_item": row(
        "POST", "/authoring/survey-items/{survey_item_id}/remove", 302, 403, 403, 302, 302
    ),
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
    # authoring: the trainer authors the course; a question, and a draft of the lesson
    with app.app_context():
        lesson = db.session.scalar(select(Lesson).where(Lesson.key == "l1"))
        lesson.body_markdown, lesson.minutes = "正文", 5  # a lesson the export can write
        db.session.add(CourseAuthor(course_id=lesson.course_id, user_id=users["trainer"].id))
        question = Question(course_id=lesson.course_id, module_id=lesson.module_id, key="q1",
                            qtype=QuestionType.TRUE_FALSE, stem="题", answer=True,
                            content_hash="h")
        draft = ContentDraft(course_id=lesson.course_id, target_kind=DraftKind.LESSON,
                             target_id=lesson.id, key="l1", title="小节", base_version=1,
                             details={"kind": "reading", "minutes": 5})
        quiz = Quiz(course_id=lesson.course_id, key="final-exam", kind=QuizKind.FINAL_EXAM,
                    title="结业考试", content_hash="h", settings={
                        "time_limit_minutes": None, "max_attempts": None, "pass_mark": 60,
                        "shuffle_questions": False, "shuffle_options": False,
                        "review": "after_close", "draw": None})
        survey = Survey(course_id=lesson.course_id, key="feedback", kind=SurveyKind.FEEDBACK,
                        title="培训评估问卷", content_hash="h")
        db.session.add_all([question, draft, quiz, survey])
        db.session.flush()
        db.session.add(QuizItem(quiz_id=quiz.id, question_id=question.id, position=0))
        items = [SurveyItem(survey_id=survey.id, key=f"i{n}", position=n, section="部分",
                            itype=ItemType.TEXT, prompt="建议", content_hash="h")
                 for n in range(2)]
        db.session.add_all(items)
        db.session.commit()
        values.update(lesson_id=lesson.id, module_id=lesson.module_id, question_id=question.id,
                      draft_id=draft.id, quiz_id=quiz.id, survey_id=survey.id,
                      survey_item_id=items[0].id)
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
