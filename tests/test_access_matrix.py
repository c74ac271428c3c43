"""Every route, with every role: who may open it. A route missing from ROUTES fails the test.

Expected codes: 200 page shown, 302 redirect (to login for anonymous users, or after a
POST), 403 forbidden, 404 for objects that must not even be hinted at, 405 wrong method.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.assessment.models import (
    AttemptItem,
    Question,
    QuestionType,
    QuestionVersion,
    Quiz,
    QuizItem,
    QuizKind,
)
from lms.assessment.service import finish_attempt, start_attempt
from lms.auth.models import User
from lms.authoring.models import ContentDraft, CourseAuthor, DraftKind
from lms.certificates import jobs as certificate_jobs
from lms.certificates import service as certificate_service
from lms.cohorts.models import Cohort
from lms.db import utcnow, write_transaction
from lms.discussions.models import Post
from lms.extensions import db
from lms.learning.models import Lesson, Module
from lms.storage import storage_path
from lms.suggestions.models import Suggestion
from lms.surveys.models import ItemType, Survey, SurveyItem, SurveyKind
from tests.conftest import login
from tests.dates import site_today

ROLES = ("anonymous", "trainee", "outsider", "trainer", "organizer")
# trainee: enrolled in the fixture cohort; outsider: a trainee in no cohort.


def row(method, path, *codes):
    return method, path, dict(zip(ROLES, codes, strict=True))


#                                  anonymous trainee outsider trainer organizer
ROUTES = {
    "static": row("GET", "/static/css/app.css", 200, 200, 200, 200, 200),
    "health.healthz": row("GET", "/healthz", 200, 200, 200, 200, 200),
    "learning.home": row("GET", "/", 302, 200, 200, 200, 200),
    "learning.show_course": row("GET", "/courses/{course}", 302, 200, 403, 200, 200),
    "learning.show_lesson": row("GET", "/courses/{course}/lessons/{lesson}", 302, 200, 403, 200, 200),
    "learning.course_media": row("GET", "/media/course/{course}/{media}", 302, 200, 403, 200, 200),
    "learning.glossary": row("GET", "/courses/{course}/glossary", 302, 200, 403, 200, 200),
    "learning.complete_lesson": row("POST", "/courses/{course}/lessons/{lesson}/complete", 302, 302, 403, 302, 302),
    "learning.lesson_heartbeat": row("POST", "/courses/{course}/lessons/{lesson}/beat", 302, 400, 403, 400, 400),
    "learning.search_course": row("GET", "/courses/{course}/search?q=x", 302, 200, 403, 200, 200),
    "learning.my_record": row("GET", "/courses/{course}/record", 302, 200, 403, 200, 200),
    "learning.member_record": row("GET", "/cohorts/{cohort}/members/{trainee}/record", 302, 403, 403, 200, 200),
    "learning.my_hours_statement": row("GET", "/courses/{course}/record/hours.pdf", 302, 200, 403, 200, 200),
    "learning.member_hours_statement": row(
        "GET", "/cohorts/{cohort}/members/{trainee}/record/hours.pdf", 302, 403, 403, 200, 200
    ),
    "learning.cohort_progress": row("GET", "/cohorts/{cohort}/progress", 302, 403, 403, 200, 200),
    "discussions.show_thread": row("GET", "/cohorts/{cohort}/discuss/m1", 302, 200, 404, 200, 200),
    "discussions.moderate_post": row("POST", "/discuss/posts/{post}/moderate", 302, 403, 404, 400, 400),
    "auth.login": row("GET", "/login", 200, 302, 302, 302, 302),
    "auth.register": row("GET", "/register", 200, 302, 302, 302, 302),
    "auth.forgot_password": row("GET", "/password/forgot", 200, 302, 302, 302, 302),
    "auth.reset_password": row("GET", "/password/reset/not-a-token", 400, 400, 400, 400, 400),
    "auth.logout": row("POST", "/logout", 302, 302, 302, 302, 302),
    "auth.profile": row("GET", "/profile", 302, 200, 200, 200, 200),
    "auth.change_password": row("GET", "/profile/password", 302, 200, 200, 200, 200),
    "auth.set_language": row("POST", "/language", 302, 302, 302, 302, 302),
    "auth.end_session": row("POST", "/profile/sessions/999999/end", 302, 404, 404, 404, 404),
    "auth.end_all_sessions": row("POST", "/profile/sessions/end-all", 302, 302, 302, 302, 302),
    "cohorts.list_cohorts": row("GET", "/cohorts/", 302, 403, 403, 200, 200),
    "cohorts.create_cohort": row("GET", "/cohorts/new", 302, 403, 403, 403, 200),
    "cohorts.show_cohort": row("GET", "/cohorts/{cohort}", 302, 403, 403, 200, 200),
    "cohorts.edit_cohort": row("GET", "/cohorts/{cohort}/edit", 302, 403, 403, 403, 200),
    "cohorts.add_members": row("POST", "/cohorts/{cohort}/members", 302, 403, 403, 403, 302),
    "cohorts.remove_member": row("POST", "/cohorts/{cohort}/members/{trainee}/remove", 302, 403, 403, 403, 302),
    "cohorts.export_roster": row("GET", "/cohorts/{cohort}/roster.csv", 302, 403, 403, 200, 200),
    "cohorts.join": row("GET", "/join", 302, 200, 200, 200, 200),
    "cohorts.join_by_link": row("GET", "/join/{token}", 302, 200, 200, 200, 200),
    "users.list_users": row("GET", "/admin/users/", 302, 403, 403, 403, 200),
    "users.show_user": row("GET", "/admin/users/{trainee}", 302, 403, 403, 403, 200),
    "users.set_roles": row("POST", "/admin/users/{trainee}/roles", 302, 403, 403, 403, 302),
    "users.set_active": row("POST", "/admin/users/{trainee}/active", 302, 403, 403, 403, 302),
    "users.reset_password": row("POST", "/admin/users/{trainee}/reset-password", 302, 403, 403, 403, 200),
    "users.import_users": row("GET", "/admin/users/import", 302, 403, 403, 403, 200),
    "users.import_template": row("GET", "/admin/users/import/template.csv", 302, 403, 403, 403, 200),
    "users.preview_import": row("GET", "/admin/users/import/{import_token}", 302, 403, 403, 403, 302),
    "audit.list_entries": row("GET", "/admin/audit/", 302, 403, 403, 403, 200),
    # surveys and the suggestion box
    "surveys.list_surveys": row("GET", "/cohorts/{cohort}/surveys", 302, 200, 404, 200, 200),
    "surveys.fill_survey": row("GET", "/cohorts/{cohort}/surveys/needs", 302, 200, 404, 200, 200),
    "surveys.fill_module_survey": row(
        "GET", "/cohorts/{cohort}/surveys/module-feedback/modules/m1", 302, 200, 404, 200, 200
    ),
    "surveys.show_results": row("GET", "/cohorts/{cohort}/surveys/needs/results", 302, 403, 403, 200, 200),
    "surveys.export_results": row("GET", "/cohorts/{cohort}/surveys/needs/results.csv", 302, 403, 403, 200, 200),
    "surveys.set_survey_window": row("POST", "/cohorts/{cohort}/surveys/needs/window", 302, 403, 403, 403, 302),
    "suggestions.new_suggestion": row("GET", "/suggestions/new", 302, 200, 200, 200, 200),
    "suggestions.my_suggestions": row("GET", "/suggestions/mine", 302, 200, 200, 200, 200),
    "suggestions.list_suggestions": row("GET", "/admin/suggestions", 302, 403, 403, 403, 200),
    "suggestions.show_suggestion": row("GET", "/admin/suggestions/{suggestion}", 302, 403, 403, 403, 200),
    # question bank: list, import (upload, preview, confirm), exports
    "bank.list_questions": row("GET", "/courses/{course}/bank", 302, 403, 403, 200, 200),
    "bank.import_questions": row("GET", "/courses/{course}/bank/import", 302, 403, 403, 200, 200),
    "bank.preview_import": row("GET", "/courses/{course}/bank/import/{import_token}", 302, 403, 403, 302, 302),
    "bank.confirm_import": row("POST", "/courses/{course}/bank/import/{import_token}/confirm", 302, 403, 403, 302, 302),
    "bank.export_xlsx": row("GET", "/courses/{course}/bank/export.xlsx", 302, 403, 403, 200, 200),
    "bank.export_gift": row("GET", "/courses/{course}/bank/export.gift", 302, 403, 403, 200, 200),
    "bank.export_xml": row("GET", "/courses/{course}/bank/export.xml", 302, 403, 403, 200, 200),
    "bank.download_template": row("GET", "/courses/{course}/bank/template.xlsx", 302, 403, 403, 200, 200),
    # assessment (world: a finished attempt awaiting grading, one in progress)
    "assessment.show_quiz": row("GET", "/courses/{course}/quizzes/q1", 302, 200, 403, 200, 200),
    "assessment.take_attempt": row("GET", "/attempts/{open_attempt}", 302, 200, 404, 302, 302),
    "assessment.save_attempt": row("POST", "/attempts/{open_attempt}/save", 302, 302, 404, 403, 403),
    "assessment.finish_attempt": row("POST", "/attempts/{open_attempt}/finish", 302, 302, 404, 403, 403),
    "assessment.show_result": row("GET", "/attempts/{done_attempt}/result", 302, 200, 404, 200, 200),
    "assessment.start_attempt": row("POST", "/courses/{course}/quizzes/q1/start", 302, 302, 403, 403, 403),
    "assessment.confirm_start": row("GET", "/courses/{course}/quizzes/q1/start", 302, 302, 403, 302, 302),
    # 学时 rules: organizers only
    "credit.course_rule": row("GET", "/courses/{course}/credit-rule", 302, 403, 403, 403, 200),
    "credit.cohort_rule": row("GET", "/cohorts/{cohort}/credit-rule", 302, 403, 403, 403, 200),
    "assessment.list_cohort_attempts": row("GET", "/cohorts/{cohort}/attempts", 302, 403, 403, 200, 200),
    "assessment.export_cohort_attempts": row("GET", "/cohorts/{cohort}/attempts.csv", 302, 403, 403, 200, 200),
    "assessment.grading_queue": row("GET", "/grading", 302, 403, 403, 200, 200),
    "assessment.grade_item": row("POST", "/grading/{short_item}", 302, 403, 403, 302, 302),
    "assessment.regrade_question": row("GET", "/questions/{question}/regrade", 302, 403, 403, 200, 200),
    # certificates
    "certificates.my_certificates": row("GET", "/certificates", 302, 200, 200, 200, 200),
    "certificates.download_certificate": row("GET", "/certificates/{certificate}/download", 302, 200, 404, 200, 200),
    "certificates.cohort_certificates": row("GET", "/cohorts/{cohort}/certificates", 302, 403, 403, 200, 200),
    "certificates.trainee_certificates": row(
        "GET", "/cohorts/{cohort}/certificates/{trainee}", 302, 403, 403, 200, 200
    ),
    "certificates.issue_certificate": row(
        "POST", "/cohorts/{cohort}/certificates/{trainee}/issue", 302, 403, 403, 403, 200
    ),
    "certificates.revoke_certificate": row("POST", "/certificates/{certificate}/revoke", 302, 403, 403, 403, 200),
    "certificates.reissue_certificate": row("POST", "/certificates/{certificate}/reissue", 302, 403, 403, 403, 200),
    "certificates.edit_design": row("GET", "/cohorts/{cohort}/certificates/design", 302, 403, 403, 403, 200),
    "certificates.preview_design": row("GET", "/cohorts/{cohort}/certificates/preview.pdf", 302, 403, 403, 403, 200),
    "certificates.start_zip": row("POST", "/cohorts/{cohort}/certificates.zip", 302, 403, 403, 403, 302),
    "certificates.show_job": row("GET", "/certificate-jobs/{job}", 302, 403, 403, 403, 200),
    "certificates.job_status": row("GET", "/certificate-jobs/{job}.json", 302, 403, 403, 403, 200),
    "certificates.download_job": row("GET", "/certificate-jobs/{job}/download", 302, 403, 403, 403, 200),
    "verify.lookup": row("GET", "/verify", 200, 200, 200, 200, 200),
    "verify.check_file": row("POST", "/verify/file", 200, 200, 200, 200, 200),
    "verify.show_certificate": row("GET", "/verify/{cert_token}", 200, 200, 200, 200, 200),
    # reports and the improvement ledger
    "reports.index": row("GET", "/reports/", 302, 403, 403, 200, 200),
    "reports.compare": row("GET", "/reports/compare?cohort={cohort}", 302, 403, 403, 200, 200),
    "reports.export_compare": row("GET", "/reports/compare.xlsx?cohort={cohort}", 302, 403, 403, 200, 200),
    "reports.overview": row("GET", "/reports/cohorts/{cohort}", 302, 403, 403, 200, 200),
    "reports.needs": row("GET", "/reports/cohorts/{cohort}/needs", 302, 403, 403, 200, 200),
    "reports.learning": row("GET", "/reports/cohorts/{cohort}/learning", 302, 403, 403, 200, 200),
    "reports.item_analysis": row("GET", "/reports/cohorts/{cohort}/quizzes/{quiz}/items", 302, 403, 403, 200, 200),
    "reports.reaction": row("GET", "/reports/cohorts/{cohort}/reaction", 302, 403, 403, 200, 200),
    "reports.module_health": row("GET", "/reports/cohorts/{cohort}/modules/{module}", 302, 403, 403, 200, 200),
    "reports.export_table": row("GET", "/reports/cohorts/{cohort}/export/overview/funnel.csv", 302, 403, 403, 200, 200),
    "reports.show_question": row("GET", "/reports/questions/{question}", 302, 403, 403, 200, 200),
    "improvement.list_actions": row("GET", "/improvements/", 302, 403, 403, 200, 200),
    "improvement.export_actions": row("GET", "/improvements/actions.csv", 302, 403, 403, 200, 200),
    "improvement.new_action": row("GET", "/improvements/new", 302, 403, 403, 200, 200),
    "improvement.show_action": row("GET", "/improvements/{action}", 302, 403, 403, 200, 200),
    "improvement.edit_action": row("POST", "/improvements/{action}/edit", 302, 403, 403, 200, 200),
    "improvement.link_version": row("POST", "/improvements/{action}/versions", 302, 403, 403, 302, 302),
    # authoring (the trainer is an author of the fixture course)
    "authoring.list_courses": row("GET", "/authoring/", 302, 403, 403, 200, 200),
    "authoring.show_course": row("GET", "/authoring/courses/{course}", 302, 403, 403, 200, 200),
    "authoring.edit_authors": row("GET", "/authoring/courses/{course}/authors", 302, 403, 403, 403, 200),
    "authoring.export_course": row("GET", "/authoring/courses/{course}/export.zip", 302, 403, 403, 200, 200),
    "authoring.course_structure": row("GET", "/authoring/courses/{course}/structure", 302, 403, 403, 200, 200),
    "authoring.move_module": row("POST", "/authoring/modules/{module_id}/move", 302, 403, 403, 302, 302),
    "authoring.move_lesson": row("POST", "/authoring/lessons/{lesson_id}/move", 302, 403, 403, 302, 302),
    "authoring.preview": row("POST", "/authoring/preview", 302, 403, 403, 400, 400),
    "authoring.upload_image": row("POST", "/authoring/courses/{course}/images", 302, 403, 403, 302, 302),
    "authoring.show_history": row("GET", "/authoring/lessons/{lesson_id}/history", 302, 403, 403, 200, 200),
    # the lesson has a draft, so its edit page leads to the draft
    "authoring.edit_lesson": row("GET", "/authoring/lessons/{lesson_id}/edit", 302, 403, 403, 302, 302),
    "authoring.edit_module": row("GET", "/authoring/modules/{module_id}/edit", 302, 403, 403, 200, 200),
    "authoring.new_lesson": row("GET", "/authoring/courses/{course}/lessons/new", 302, 403, 403, 200, 200),
    "authoring.new_module": row("GET", "/authoring/courses/{course}/modules/new", 302, 403, 403, 200, 200),
    "authoring.edit_draft": row("GET", "/authoring/drafts/{draft_id}", 302, 403, 403, 200, 200),
    "authoring.preview_draft": row("GET", "/authoring/drafts/{draft_id}/preview", 302, 403, 403, 200, 200),
    "authoring.discard_draft": row("POST", "/authoring/drafts/{draft_id}/discard", 302, 403, 403, 302, 302),
    "authoring.edit_question": row("GET", "/authoring/questions/{question_id}/edit", 302, 403, 403, 200, 200),
    "authoring.new_question": row("GET", "/authoring/courses/{course}/questions/new", 302, 403, 403, 200, 200),
    "authoring.edit_quiz": row("GET", "/authoring/quizzes/{quiz_id}/edit", 302, 403, 403, 200, 200),
    "authoring.change_quiz_items": row("POST", "/authoring/quizzes/{quiz_id}/items", 302, 403, 403, 302, 302),
    "authoring.new_quiz": row("GET", "/authoring/courses/{course}/quizzes/new", 302, 403, 403, 200, 200),
    # the matrix's quiz is published and the posted version is stale: refused, back to the editor
    "authoring.publish_quiz": row("POST", "/authoring/quizzes/{quiz_id}/publish", 302, 403, 403, 302, 302),
    "authoring.discard_quiz": row("POST", "/authoring/quizzes/{quiz_id}/discard", 302, 403, 403, 302, 302),
    "authoring.edit_survey": row("GET", "/authoring/surveys/{survey_id}", 302, 403, 403, 200, 200),
    "authoring.new_survey_item": row("GET", "/authoring/surveys/{survey_id}/items/new", 302, 403, 403, 200, 200),
    "authoring.edit_survey_item": row("GET", "/authoring/survey-items/{survey_item_id}/edit", 302, 403, 403, 200, 200),
    "authoring.move_survey_item": row("POST", "/authoring/survey-items/{survey_item_id}/move", 302, 403, 403, 302, 302),
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
        db.session.add(
            Lesson(course_id=cohort.course_id, module_id=module.id, key="l1", title="小节", content_hash="h")
        )
        course_key = cohort.course.key
        module_id = module.id
        db.session.commit()
    client = app.test_client()
    login(client, users["trainee"])
    client.post(f"/join/{token}")
    with app.app_context():  # discussions
        post = Post(
            cohort_id=cohort_id,
            module_id=module_id,
            author_id=users["trainee"].id,
            body_markdown="问",
            body_html="<p>问</p>",
        )
        db.session.add(post)
        db.session.commit()
        post_id = post.id
    values = {
        "course": course_key,
        "lesson": "l1",
        "cohort": cohort_id,
        "token": token,
        "trainee": users["trainee"].id,
        "import_token": "x" * 32,
        "media": media,
        "post": post_id,
    }
    # surveys and the suggestion box: a named needs survey, an anonymous module rating, a suggestion
    with app.app_context():
        cohort = db.session.get(Cohort, cohort_id)
        needs = Survey(
            course_id=cohort.course_id,
            key="needs",
            kind=SurveyKind.NEEDS,
            title="需求调研",
            content_hash="h",
            allow_edit=True,
        )
        rating = Survey(
            course_id=cohort.course_id,
            key="module-feedback",
            kind=SurveyKind.MODULE_FEEDBACK,
            title="专题评价",
            content_hash="h",
            is_anonymous=True,
        )
        db.session.add_all([needs, rating])
        db.session.flush()
        for survey in (needs, rating):
            db.session.add(
                SurveyItem(
                    survey_id=survey.id,
                    key="q1",
                    itype=ItemType.LIKERT,
                    prompt="评价",
                    section="评价",
                    content_hash="h",
                )
            )
        suggestion = Suggestion(author_id=users["trainee"].id, subject="建议", body="内容", created_on=site_today())
        db.session.add(suggestion)
        db.session.commit()
        suggestion_id = suggestion.id
    values["suggestion"] = suggestion_id
    # assessment: two quizzes; the trainee finished one (a short answer awaits grading) and
    # has an attempt in progress at the other
    values.update(_assessment_world(app, cohort_id, users["trainee"].id))
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
    # reports and the improvement ledger: a question on a quiz, and an action on it
    from lms.assessment.models import Question, QuestionVersion, Quiz, QuizItem
    from lms.improvement.models import ImprovementAction

    with app.app_context():
        module = db.session.scalar(db.select(Module).where(Module.key == "m1"))
        question = Question(
            course_id=module.course_id,
            module_id=module.id,
            key="report-q1",
            qtype="single",
            stem="题干",
            options=["甲", "乙"],
            answer="A",
            content_hash="h",
        )
        db.session.add(question)
        db.session.flush()
        db.session.add(QuestionVersion(question_id=question.id, version=1, content_hash="h", data={}))
        quiz = Quiz(course_id=module.course_id, key="report-quiz", kind="final_exam", title="考试", content_hash="h")
        db.session.add(quiz)
        db.session.flush()
        db.session.add(QuizItem(quiz_id=quiz.id, question_id=question.id))
        action = ImprovementAction(
            course_id=module.course_id,
            finding_kind="item",
            finding_summary="过易",
            planned_change="改写",
            measure="facility",
        )
        db.session.add(action)
        db.session.commit()
        values.update(module=module.id, question=question.id, quiz=quiz.id, action=action.id)
    # authoring: the trainer authors the course; a question, and a draft of the lesson
    with app.app_context():
        lesson = db.session.scalar(select(Lesson).where(Lesson.key == "l1"))
        lesson.body_markdown, lesson.minutes = "正文", 5  # a lesson the export can write
        db.session.add(CourseAuthor(course_id=lesson.course_id, user_id=users["trainer"].id))
        question = Question(
            course_id=lesson.course_id,
            module_id=lesson.module_id,
            key="q1",
            qtype=QuestionType.TRUE_FALSE,
            stem="题",
            answer=True,
            content_hash="h",
        )
        draft = ContentDraft(
            course_id=lesson.course_id,
            target_kind=DraftKind.LESSON,
            target_id=lesson.id,
            key="l1",
            title="小节",
            base_version=1,
            details={"kind": "reading", "minutes": 5},
        )
        quiz = Quiz(
            course_id=lesson.course_id,
            key="final-exam",
            kind=QuizKind.FINAL_EXAM,
            title="结业考试",
            content_hash="h",
            settings={
                "time_limit_minutes": None,
                "max_attempts": None,
                "pass_mark": 60,
                "shuffle_questions": False,
                "shuffle_options": False,
                "review": "after_close",
                "draw": None,
            },
        )
        survey = Survey(
            course_id=lesson.course_id, key="feedback", kind=SurveyKind.FEEDBACK, title="培训评估问卷", content_hash="h"
        )
        db.session.add_all([question, draft, quiz, survey])
        db.session.flush()
        db.session.add(QuizItem(quiz_id=quiz.id, question_id=question.id, position=0))
        items = [
            SurveyItem(
                survey_id=survey.id,
                key=f"i{n}",
                position=n,
                section="部分",
                itype=ItemType.TEXT,
                prompt="建议",
                content_hash="h",
            )
            for n in range(2)
        ]
        db.session.add_all(items)
        db.session.commit()
        values.update(
            lesson_id=lesson.id,
            module_id=lesson.module_id,
            question_id=question.id,
            draft_id=draft.id,
            quiz_id=quiz.id,
            survey_id=survey.id,
            survey_item_id=items[0].id,
        )
    return users, values


def _assessment_world(app, cohort_id: int, trainee_id: int) -> dict:
    with app.app_context():
        cohort = db.session.get(Cohort, cohort_id)
        module = db.session.scalar(db.select(Module).where(Module.course_id == cohort.course_id))
        questions = []
        for key, qtype, options, answer in (
            ("q-single", "single", ["甲", "乙"], "A"),
            ("q-short", "short_answer", [], "要点"),
        ):
            data = {"key": key, "type": qtype, "stem": "题干", "options": options, "answer": answer, "explanation": ""}
            question = Question(
                course_id=cohort.course_id,
                module_id=module.id,
                key=key,
                qtype=qtype,
                stem="题干",
                options=options,
                answer=answer,
                content_hash="h",
            )
            db.session.add(question)
            db.session.flush()
            db.session.add(QuestionVersion(question_id=question.id, version=1, content_hash="h", data=data))
            questions.append(question)
        quizzes = []
        for key in ("q1", "q2"):
            quiz = Quiz(
                course_id=cohort.course_id,
                key=key,
                kind="final_exam",
                title="测验",
                settings={"max_attempts": 1},
                content_hash="h",
            )
            db.session.add(quiz)
            db.session.flush()
            for position, question in enumerate(questions):
                db.session.add(QuizItem(quiz_id=quiz.id, question_id=question.id, position=position))
            quizzes.append(quiz)
        cohort.course.settings = {**(cohort.course.settings or {}), "sequence": "free"}  # no order here
        db.session.commit()
        trainee = db.session.get(User, trainee_id)
        with write_transaction():
            done, _ = start_attempt(trainee, quizzes[0], cohort, utcnow())
            done_id = done.id
        with write_transaction():
            finish_attempt(done_id, utcnow())
        with write_transaction():
            open_attempt, _ = start_attempt(trainee, quizzes[1], cohort, utcnow())
        short_item = db.session.scalar(
            db.select(AttemptItem.id).where(AttemptItem.attempt_id == done_id, AttemptItem.position == 1)
        )
        return {
            "open_attempt": open_attempt.id,
            "done_attempt": done_id,
            "short_item": short_item,
            "question": questions[0].id,
        }


def test_every_route_is_listed(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - ROUTES.keys() == set(), "add the new routes to ROUTES"
    assert ROUTES.keys() - endpoints == set(), "remove routes that no longer exist"


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(app, world, role):
    users, values = world
    failures = []
    for method, path, expected in ROUTES.values():
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
    """With CSRF protection on (as in production), a POST without a token is refused, on
    every route of the URL map that accepts POST (pages with a form included)."""
    _users, values = world
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    post_endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in (rule.methods or ())}
    assert len(post_endpoints) > 60
    for endpoint in sorted(post_endpoints):
        _method, path, _ = ROUTES[endpoint]
        response = client.post(path.format(**values), data={})
        assert response.status_code == 400, endpoint
        assert "表单已过期" in response.get_data(as_text=True), endpoint


# Trainers who do not teach the course, and a trainee who also trains it: what the matrix's
# single trainer (of the fixture cohort) cannot show.
OUTSIDER_ROLES = ("trainer_no_cohort", "trainer_other_course", "trainee_and_trainer")
#                           no cohort  other course  trainee+trainer
OUTSIDER_ROUTES = [
    ("GET", "/questions/{question}/regrade", 403, 403, 403),
    ("POST", "/questions/{question}/regrade", 403, 403, 403),
    ("GET", "/reports/questions/{question}", 403, 403, 403),
    ("GET", "/courses/{course}/bank", 403, 403, 403),
    ("GET", "/courses/{course}/bank/export.xlsx", 403, 403, 403),
    ("GET", "/courses/{course}/bank/export.gift", 403, 403, 403),
    ("POST", "/courses/{course}/lessons/{lesson}/complete", 403, 403, 302),
    ("POST", "/courses/{course}/lessons/{lesson}/beat", 403, 403, 400),
    ("GET", "/cohorts/{cohort}/attempts", 403, 403, 403),
    ("GET", "/attempts/{done_attempt}/result", 404, 404, 404),
    ("POST", "/grading/{short_item}", 404, 404, 404),
    ("GET", "/cohorts/{cohort}/progress", 404, 404, 404),
]


@pytest.fixture
def outsiders(app, world, make_user, make_cohort):
    _users, values = world
    with app.app_context():
        course_id = db.session.get(Cohort, values["cohort"]).course_id
    no_cohort = make_user("trainer")
    other_course = make_user("trainer")
    make_cohort(trainer_ids=(other_course.id,))  # a cohort of another course
    dual = make_user("trainee", "trainer")
    make_cohort(course_id=course_id, trainer_ids=(dual.id,))  # trains one cohort of the course ...
    with app.app_context():  # ... and takes it in the fixture cohort
        from lms.cohorts.models import Enrolment

        db.session.add(Enrolment(cohort_id=values["cohort"], user_id=dual.id))
        db.session.commit()
    return dict(zip(OUTSIDER_ROLES, (no_cohort, other_course, dual), strict=True)), values


def test_trainers_outside_the_course_and_trainees_who_train_it(app, outsiders):
    users, values = outsiders
    failures = []
    for n, role in enumerate(OUTSIDER_ROLES):
        client = app.test_client()
        login(client, users[role])
        for method, path, *codes in OUTSIDER_ROUTES:
            url = path.format(**values)
            status = client.open(url, method=method).status_code
            if status != codes[n]:
                failures.append(f"{method} {url} as {role}: {status}, expected {codes[n]}")
    assert not failures, "\n".join(failures)


def test_a_trainer_with_no_cohort_cannot_regrade_in_the_service(app, outsiders):
    from lms.access import AccessDenied
    from lms.assessment.grading import regrade_question

    users, values = outsiders
    with app.test_request_context():
        question = db.session.get(Question, values["question"])
        version = db.session.scalar(select(QuestionVersion).where(QuestionVersion.question_id == question.id))
        with pytest.raises(AccessDenied), write_transaction():
            regrade_question(db.session.get(User, users["trainer_no_cohort"].id), question, version, utcnow())
