"""A trainer creates a quiz in the browser: a draft nobody sees until it is published, then a
quiz like those loaded from files; publishing a module quiz reaches cohorts that start later."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.assessment.models import Quiz, QuizItem
from lms.audit.models import AuditEntry
from lms.auth.models import User
from lms.cohorts.models import Cohort, Enrolment
from lms.cohorts.service import CohortData, create_cohort
from lms.extensions import db
from lms.learning.models import Course, Module
from lms.learning.standing import course_standing
from tests.authoring_helpers import author_client, load_course, text
from tests.conftest import login
from tests.content_helpers import copy_example
from tests.dates import site_today


@pytest.fixture
def course_without_m02_quiz(app, tmp_path):
    """The example course with no quiz in its second module ("practice")."""
    folder = copy_example(tmp_path)
    (folder / "modules" / "02-practice" / "quiz.yaml").unlink()
    load_course(app, folder.parent)


def _ids(app):
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.key == "example-course"))
        practice = db.session.scalar(select(Module).where(Module.key == "practice"))
        return course.id, practice.id


def _cohort_with(app, trainee_id: int, starts_in_days: int) -> int:
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.key == "example-course"))
        organizer = db.session.scalar(select(User).order_by(User.id))
        today = site_today()
        cohort = create_cohort(
            organizer,
            CohortData(
                course_id=course.id,
                name=f"班{starts_in_days}",
                starts_on=today + timedelta(days=starts_in_days),
                ends_on=today + timedelta(days=60),
                enrol_until=today + timedelta(days=60),
                capacity=None,
            ),
        )
        db.session.add(Enrolment(cohort_id=cohort.id, user_id=trainee_id))
        db.session.commit()
        return cohort.id


def _new_draft(client, module_id: int, title: str = "专题二测验（新）", questions: str = "fixed"):
    return client.post(
        "/authoring/courses/example-course/quizzes/new",
        data={"place": f"module_quiz:{module_id}", "title": title, "questions": questions},
    )


def _draft(app) -> Quiz:
    with app.app_context():
        quiz = db.session.scalar(select(Quiz).where(Quiz.key == "practice-quiz"))
        if quiz is not None:
            db.session.expunge(quiz)
        return quiz


def test_the_new_quiz_page_offers_only_free_places(app, make_user, course_without_m02_quiz):
    author, _user = author_client(app, make_user)
    page = text(author.get("/authoring/courses/example-course/quizzes/new"))
    _course_id, practice_id = _ids(app)
    # the practice module has no quiz; the course has its pre-test, post-test and final exam
    assert f'value="module_quiz:{practice_id}"' in page and "专题测验：实践" in page
    assert 'value="final_exam"' not in page and 'value="pre_test"' not in page
    # a place that is not free is refused with a message, nothing written
    response = author.post(
        "/authoring/courses/example-course/quizzes/new",
        data={"place": "final_exam", "title": "第二场考试", "questions": "fixed"},
    )
    assert response.status_code == 200
    assert "请选择测验的位置" in text(response)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Quiz).where(Quiz.title == "第二场考试")) == 0


def test_a_draft_is_invisible_to_trainees_until_published(app, make_user, course_without_m02_quiz, tmp_path):
    author, _user = author_client(app, make_user)
    _course_id, practice_id = _ids(app)
    response = _new_draft(author, practice_id)
    assert response.status_code == 302 and "/authoring/quizzes/" in response.headers["Location"]
    draft = _draft(app)
    assert draft.is_draft and draft.kind == "module_quiz"
    editor = text(author.get(response.headers["Location"]))
    assert "草稿：学员还看不到此测验" in editor and "发布测验" in editor
    assert "草稿" in text(author.get("/authoring/courses/example-course"))

    trainee = make_user("trainee")
    _cohort_with(app, trainee.id, starts_in_days=0)
    client = app.test_client()
    login(client, trainee)
    assert "专题二测验（新）" not in text(client.get("/courses/example-course"))
    assert client.get("/courses/example-course/quizzes/practice-quiz").status_code == 404
    with app.app_context():
        course = db.session.get(Course, draft.course_id)
        practice = course_standing(trainee.id, course).module(practice_id)
        assert practice.quiz is None

    # publishing an empty quiz is refused with the reason; the draft stays
    published = author.post(
        f"/authoring/quizzes/{draft.id}/publish", data={"version": str(draft.version)}, follow_redirects=True
    )
    assert "测验至少需要一道试题。" in text(published)
    assert _draft(app).is_draft

    # one question added (the editor's fixed list), then published
    added = author.post(
        f"/authoring/quizzes/{draft.id}/items",
        data={"op": "add", "question": "m02-q03", "version": str(draft.version)},
        follow_redirects=True,
    )
    assert "测验已保存为第 2 版" in text(added)
    published = author.post(f"/authoring/quizzes/{draft.id}/publish", data={"version": "2"}, follow_redirects=False)
    assert published.status_code == 302
    assert not _draft(app).is_draft
    # loading the unchanged course files again (as every deploy does) keeps the browser's quiz
    load_course(app, tmp_path / "courses")
    assert not _draft(app).is_retired
    with app.app_context():
        actions = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("authoring.%quiz"))))
        assert {"authoring.create_quiz", "authoring.publish_quiz"} <= actions


def test_publishing_a_module_quiz_reaches_later_cohorts_not_running_ones(app, make_user, course_without_m02_quiz):
    author, _user = author_client(app, make_user)
    course_id, practice_id = _ids(app)
    running, later = make_user("trainee"), make_user("trainee")
    running_cohort = _cohort_with(app, running.id, starts_in_days=-2)
    _cohort_with(app, later.id, starts_in_days=7)
    assert _new_draft(author, practice_id).status_code == 302
    draft = _draft(app)
    author.post(
        f"/authoring/quizzes/{draft.id}/items",
        data={"op": "add", "question": "m02-q03", "version": "1"},
    )
    response = author.post(f"/authoring/quizzes/{draft.id}/publish", data={"version": "2"})
    # a cohort is running: the author is sent to choose whether it gets the change
    assert response.headers["Location"].endswith("/authoring/courses/example-course/structure")
    with app.app_context():
        course = db.session.get(Course, course_id)
        assert db.session.get(Cohort, running_cohort).structure_id is not None
        assert course_standing(running.id, course).module(practice_id).quiz is None
        later_module = course_standing(later.id, course).module(practice_id)
        assert later_module.quiz is not None and later_module.quiz.key == "practice-quiz"


def test_a_draft_can_be_deleted_a_published_quiz_cannot(app, make_user, course_without_m02_quiz):
    author, _user = author_client(app, make_user)
    _course_id, practice_id = _ids(app)
    _new_draft(author, practice_id, questions="draw")
    draft = _draft(app)
    assert draft.settings["draw"] == []
    response = author.post(f"/authoring/quizzes/{draft.id}/discard", data={"version": "1"}, follow_redirects=True)
    assert "测验草稿已删除" in text(response)
    assert _draft(app) is None
    with app.app_context():
        m01 = db.session.scalar(select(Quiz).where(Quiz.key == "m01-quiz"))
        m01_id, m01_version = m01.id, m01.version
        items = db.session.scalar(select(func.count()).select_from(QuizItem).where(QuizItem.quiz_id == m01_id))
    response = author.post(
        f"/authoring/quizzes/{m01_id}/discard", data={"version": str(m01_version)}, follow_redirects=True
    )
    assert "已发布的测验不能删除" in text(response)
    with app.app_context():
        assert db.session.get(Quiz, m01_id) is not None
        assert db.session.scalar(select(func.count()).select_from(QuizItem).where(QuizItem.quiz_id == m01_id)) == items


def test_only_the_course_s_authors_create_quizzes(app, make_user, course_without_m02_quiz):
    _course_id, practice_id = _ids(app)
    for roles in (("trainee",), ("trainer",)):  # a trainer who is not an author of the course
        client = app.test_client()
        login(client, make_user(*roles))
        assert client.get("/authoring/courses/example-course/quizzes/new").status_code == 403
        assert _new_draft(client, practice_id).status_code == 403
    assert _draft(app) is None
