"""研讨与答疑: threads per module and case lesson, replies, trainers' answers, pin and hide."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lms.discussions.models import Post
from lms.discussions.service import PER_PAGE
from lms.extensions import db
from lms.learning.models import Course
from tests.conftest import login
from tests.content_helpers import EXAMPLE, load


@pytest.fixture
def world(app, make_user, make_cohort):
    with app.app_context():
        load(EXAMPLE)
        course_id = db.session.scalar(select(Course.id).where(Course.key == "example-course"))
    trainee, other, trainer = make_user("trainee"), make_user("trainee"), make_user("trainer")
    cohort_id, _, token = make_cohort(course_id=course_id, trainer_ids=(trainer.id,))
    clients = {}
    for name, user in (("trainee", trainee), ("other", other), ("trainer", trainer)):
        clients[name] = app.test_client()
        login(clients[name], user)
        if name != "trainer":
            clients[name].post(f"/join/{token}")
    base = f"/cohorts/{cohort_id}/discuss"
    return clients, base, {"trainee": trainee, "trainer": trainer}


def test_post_reply_and_trainer_answer(app, world):
    clients, base, _users = world
    thread = f"{base}/practice/village-school"
    response = clients["trainee"].post(thread, data={"body": "联合体的**经费**怎么保障？"})
    assert response.status_code == 302
    with app.app_context():
        post_id = db.session.scalar(select(Post.id))
    clients["trainer"].post(thread, data={"body": "由县级统筹。", "parent_id": str(post_id)})
    html = clients["other"].get(thread).get_data(as_text=True)
    assert "<strong>经费</strong>" in html
    assert "由县级统筹。" in html and "讲师" in html
    # the module thread is a different thread
    assert "经费" not in clients["other"].get(f"{base}/practice").get_data(as_text=True)


def test_markdown_is_sanitised_and_empty_posts_are_refused(app, world):
    clients, base, _ = world
    thread = f"{base}/practice"
    clients["trainee"].post(
        thread, data={"body": "<script>alert(1)</script>[x](javascript:alert(1)) <img src=x onerror=alert(1)>"}
    )
    html = clients["other"].get(thread).get_data(as_text=True)
    post = html[html.index('class="posts"') : html.index("</main>")]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in post  # shown as text
    assert "<script" not in post and 'href="javascript' not in post and "<img" not in post
    response = clients["trainee"].post(thread, data={"body": "   "})
    assert response.status_code == 400 and "请先填写内容。" in response.get_data(as_text=True)
    too_long = "长" * 5001
    response = clients["trainee"].post(thread, data={"body": too_long})
    assert response.status_code == 400 and too_long in response.get_data(as_text=True)  # kept


def test_reply_to_another_thread_is_refused(app, world):
    clients, base, _ = world
    clients["trainee"].post(f"{base}/practice", data={"body": "专题讨论"})
    with app.app_context():
        post_id = db.session.scalar(select(Post.id))
    response = clients["trainee"].post(
        f"{base}/practice/village-school", data={"body": "串帖", "parent_id": str(post_id)}
    )
    assert response.status_code == 400
    assert "您回复的帖子已不可用。" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Post.id))) == 1


def test_pin_and_hide(app, world):
    clients, base, _ = world
    thread = f"{base}/practice"
    clients["trainee"].post(thread, data={"body": "第一帖"})
    clients["other"].post(thread, data={"body": "第二帖"})
    with app.app_context():
        first, second = db.session.scalars(select(Post.id).order_by(Post.id)).all()
    # newest first, until the trainer pins the first
    html = clients["trainee"].get(thread).get_data(as_text=True)
    assert html.index("第二帖") < html.index("第一帖")
    assert clients["trainee"].post(f"/discuss/posts/{first}/moderate", data={"action": "pin"}).status_code == 403
    clients["trainer"].post(f"/discuss/posts/{first}/moderate", data={"action": "pin"})
    html = clients["trainee"].get(thread).get_data(as_text=True)
    assert html.index("第一帖") < html.index("第二帖")
    clients["trainer"].post(f"/discuss/posts/{second}/moderate", data={"action": "hide"})
    assert "第二帖" not in clients["trainee"].get(thread).get_data(as_text=True)
    assert "已对学员隐藏" in clients["other"].get(thread).get_data(as_text=True)  # the author sees it, marked
    assert "已对学员隐藏" in clients["trainer"].get(thread).get_data(as_text=True)


def test_pagination(app, world):
    clients, base, users = world
    with app.app_context():
        from lms.cohorts.models import Cohort
        from lms.learning.models import Module

        cohort = db.session.scalar(select(Cohort))
        module = db.session.scalar(select(Module).where(Module.key == "practice"))
        for n in range(PER_PAGE + 3):
            db.session.add(
                Post(
                    cohort_id=cohort.id,
                    module_id=module.id,
                    author_id=users["trainee"].id,
                    body_markdown=f"帖子{n:02d}",
                    body_html=f"<p>帖子{n:02d}号</p>",
                )
            )
        db.session.commit()
    first = clients["other"].get(f"{base}/practice").get_data(as_text=True)
    second = clients["other"].get(f"{base}/practice?page=2").get_data(as_text=True)
    assert "帖子22号" in first and "帖子00号" not in first
    assert "帖子00号" in second and "第2页" in second


def test_outsiders_and_reading_lessons(app, world, make_user):
    clients, base, _ = world
    outsider = app.test_client()
    login(outsider, make_user("trainee"))
    assert outsider.get(f"{base}/practice").status_code == 404
    assert outsider.post(f"{base}/practice", data={"body": "x"}).status_code == 404
    # reading lessons have no thread of their own; unknown modules neither
    assert clients["trainee"].get(f"{base}/getting-started/welcome").status_code == 404
    assert clients["trainee"].get(f"{base}/nope").status_code == 404
