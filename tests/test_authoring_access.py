"""Who may edit what: trainers only the courses assigned to them, organizers everything."""

from __future__ import annotations

from sqlalchemy import select

from lms.assessment.models import Question, QuestionType
from lms.audit.models import AuditEntry
from lms.authoring.models import CourseAuthor
from lms.extensions import db
from lms.learning.models import Lesson, Module
from tests.authoring_helpers import (
    assign_author,
    lesson,
    lesson_form,
    load_course,
    text,
)
from tests.conftest import login


def _other_course(app, make_course) -> dict:
    """A second course with one module, lesson and question."""
    course_id = make_course(key="other-course", title="另一门课程")
    with app.app_context():
        module = Module(course_id=course_id, key="m1", title="专题", content_hash="h")
        db.session.add(module)
        db.session.flush()
        lesson = Lesson(
            course_id=course_id, module_id=module.id, key="l1", title="小节", content_hash="h", body_markdown="正文"
        )
        question = Question(
            course_id=course_id,
            module_id=module.id,
            key="q1",
            qtype=QuestionType.TRUE_FALSE,
            stem="题",
            answer=True,
            content_hash="h",
        )
        db.session.add_all([lesson, question])
        db.session.commit()
        return {"lesson": lesson.id, "module": module.id, "question": question.id}


def test_a_trainer_edits_only_the_courses_assigned_to_them(app, make_user, make_course):
    load_course(app)
    other = _other_course(app, make_course)
    trainer = make_user("trainer")
    client = app.test_client()
    login(client, trainer)
    welcome = lesson(app, "welcome")
    assert "还没有分配给您编辑的课程" in text(client.get("/authoring/"))
    for url in (
        "/authoring/courses/example-course",
        f"/authoring/lessons/{welcome.id}/edit",
        "/authoring/courses/example-course/export.zip",
        f"/authoring/lessons/{welcome.id}/history",
    ):
        assert client.get(url).status_code == 403, url
    assert (
        client.post(f"/authoring/lessons/{welcome.id}/edit", data=lesson_form(welcome, title="越权")).status_code == 403
    )
    assert client.post("/authoring/preview", data={"course": "example-course", "body_markdown": "x"}).status_code == 403

    assign_author(app, "example-course", trainer.id)
    page = text(client.get("/authoring/"))
    assert "示例课程" in page and "另一门课程" not in page
    assert client.get(f"/authoring/lessons/{welcome.id}/edit").status_code == 200
    # Still nothing of the other course, whatever id is tried.
    for url in (
        f"/authoring/lessons/{other['lesson']}/edit",
        f"/authoring/modules/{other['module']}/edit",
        f"/authoring/questions/{other['question']}/edit",
        "/authoring/courses/other-course",
        "/authoring/courses/other-course/questions/new",
        f"/authoring/questions/{other['question']}/history",
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/authoring/lessons/{other['lesson']}/move", data={"direction": "up"}).status_code == 403


def test_a_draft_of_another_course_is_out_of_reach(app, make_user, make_course):
    load_course(app)
    other = _other_course(app, make_course)
    organizer = app.test_client()
    login(organizer, make_user("organizer"))
    response = organizer.post(
        f"/authoring/lessons/{other['lesson']}/edit",
        data={
            "title": "组织者的草稿",
            "kind": "reading",
            "minutes": "5",
            "body_markdown": "正文",
            "base_version": "1",
            "revision": "0",
        },
    )
    draft_url = response.headers["Location"]
    trainer = make_user("trainer")
    assign_author(app, "example-course", trainer.id)
    client = app.test_client()
    login(client, trainer)
    assert client.get(draft_url).status_code == 403
    assert client.post(draft_url + "/discard", data={"revision": "1"}).status_code == 403
    assert client.get(draft_url + "/preview").status_code == 403
    assert client.get("/authoring/drafts/999999").status_code == 404


def test_organizers_assign_authors(app, client, make_user):
    load_course(app)
    trainers = [make_user("trainer", name=f"讲师{n}") for n in range(2)]
    trainee = make_user("trainee", name="学员甲")
    login(client, make_user("organizer"))
    page = text(client.get("/authoring/courses/example-course/authors"))
    assert "讲师0" in page and "讲师1" in page and "学员甲" not in page
    response = client.post(
        "/authoring/courses/example-course/authors",
        data={"trainer_ids": [str(trainers[0].id), str(trainers[1].id)]},
        follow_redirects=True,
    )
    assert "新增 2 人，移除 0 人" in text(response)
    refused = client.post(
        "/authoring/courses/example-course/authors", data={"trainer_ids": [str(trainers[1].id), str(trainee.id)]}
    )
    assert refused.status_code == 200  # a trainee cannot be made an author: nothing changes
    with app.app_context():
        assert len(db.session.scalars(select(CourseAuthor.user_id)).all()) == 2
    client.post("/authoring/courses/example-course/authors", data={"trainer_ids": [str(trainers[1].id)]})
    with app.app_context():
        authors = set(db.session.scalars(select(CourseAuthor.user_id)))
        assert authors == {trainers[1].id}
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "authoring.set_authors").order_by(AuditEntry.id)
        ).all()
        assert [e.details["removed"] for e in entries] == [[], [trainers[0].id]]
    first = app.test_client()
    login(first, trainers[0])
    assert first.get("/authoring/courses/example-course").status_code == 403


def test_only_organizers_manage_authors_and_trainees_never_author(app, make_user):
    load_course(app)
    trainer = make_user("trainer")
    assign_author(app, "example-course", trainer.id)
    client = app.test_client()
    login(client, trainer)
    assert client.get("/authoring/courses/example-course/authors").status_code == 403
    assert "编写人" not in text(client.get("/authoring/courses/example-course")).split("<main")[1]
    trainee = app.test_client()
    login(trainee, make_user("trainee"))
    assert trainee.get("/authoring/").status_code == 403
    assert trainee.get("/authoring/courses/example-course").status_code == 403


def test_the_demo_trainer_authors_the_demo_course(app):
    load_course(app)
    runner = app.test_cli_runner()
    for _ in range(2):  # running it again changes nothing
        assert runner.invoke(args=["lms", "demo"]).exit_code == 0
    with app.app_context():
        from lms.auth.models import User

        trainer = db.session.scalar(select(User).where(User.email == "trainer@demo.lms"))
        assert db.session.scalars(select(CourseAuthor.user_id)).all() == [trainer.id]
