"""Drafts of lessons and modules: trainees see only what is published, as a new version."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from lms.audit.models import AuditEntry
from lms.authoring.models import ContentDraft
from lms.extensions import db
from lms.learning.models import Course, Lesson, LessonVersion, Module, ModuleVersion
from tests.authoring_helpers import (
    author_client,
    draft_of,
    lesson,
    lesson_form,
    load_course,
    module,
    open_every_module,
    text,
)
from tests.conftest import login
from tests.content_helpers import EXAMPLE, copy_example, edit, load


def _trainee(app, make_user, make_cohort):
    """A trainee enrolled in a cohort of the example course."""
    with app.app_context():
        course_id = db.session.scalar(select(Course.id).where(Course.key == "example-course"))
    _, _, token = make_cohort(course_id=course_id)
    client = app.test_client()
    user = make_user("trainee")
    login(client, user)
    client.post(f"/join/{token}")
    open_every_module(app, client, user.id)  # the example course's prerequisites met
    return client


def test_a_published_draft_is_a_new_version_that_trainees_see(app, make_user, make_cohort):
    load_course(app)
    author, user = author_client(app, make_user)
    trainee = _trainee(app, make_user, make_cohort)
    welcome = lesson(app, "welcome")
    page = author.get(f"/authoring/lessons/{welcome.id}/edit")
    assert page.status_code == 200 and "欢迎" in text(page)

    body = welcome.body_markdown.replace("培训分为", "本次培训修订后分为")
    saved = author.post(f"/authoring/lessons/{welcome.id}/edit", data=lesson_form(welcome, body_markdown=body))
    draft = draft_of(app, "lesson", welcome.id)
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"/drafts/{draft.id}")
    assert draft.revision == 1 and draft.base_version == 1
    lesson_url = "/courses/example-course/lessons/welcome"
    assert "本次培训修订后" not in text(trainee.get(lesson_url))  # a draft is not shown

    # Going back to the lesson's edit page leads to its draft.
    assert author.get(f"/authoring/lessons/{welcome.id}/edit").headers["Location"].endswith(f"/drafts/{draft.id}")
    published = author.post(
        f"/authoring/drafts/{draft.id}",
        data=lesson_form(welcome, body_markdown=body, revision=1, action="publish"),
        follow_redirects=True,
    )
    assert "已发布：学员现在看到的是第 2 版" in text(published)

    shown = text(trainee.get(lesson_url))
    assert "本次培训修订后分为" in shown
    assert re.search(r'<img src="/media/course/example-course/[0-9a-f]{64}\.png"', shown)
    with app.app_context():
        row = db.session.get(Lesson, welcome.id)
        assert row.version == 2 and "本次培训修订后" in row.search_text
        v2 = db.session.scalar(
            select(LessonVersion).where(LessonVersion.lesson_id == welcome.id, LessonVersion.version == 2)
        )
        assert v2.source == "editor" and v2.created_by_id == user.id
        assert v2.content_hash == row.content_hash
        assert v2.data["images"] == {"images/map.png": v2.data["images"]["images/map.png"]}
        assert db.session.scalar(select(func.count(ContentDraft.id))) == 0
        assert (
            db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "authoring.publish_lesson"))
            is not None
        )


def test_publishing_what_is_already_published_makes_no_version(app, client, make_user):
    load_course(app)
    author, _ = author_client(app, make_user)
    welcome = lesson(app, "welcome")
    response = author.post(
        f"/authoring/lessons/{welcome.id}/edit", data=lesson_form(welcome, action="publish"), follow_redirects=True
    )
    assert "没有任何改动" in text(response)
    with app.app_context():
        assert db.session.get(Lesson, welcome.id).version == 1
        assert db.session.scalar(select(func.count(LessonVersion.id)).where(LessonVersion.lesson_id == welcome.id)) == 1


def test_a_new_lesson_is_invisible_until_published(app, make_user, make_cohort):
    load_course(app)
    author, _ = author_client(app, make_user)
    trainee = _trainee(app, make_user, make_cohort)
    practice = module(app, "practice")
    form = author.get(f"/authoring/courses/example-course/lessons/new?module=m{practice.id}")
    assert form.status_code == 200
    response = author.post(
        "/authoring/courses/example-course/lessons/new",
        data=lesson_form(
            key="reflection", module=f"m{practice.id}", title="课后反思", body_markdown="## 反思\n请写下三点体会。"
        ),
    )
    assert response.status_code == 302
    assert trainee.get("/courses/example-course/lessons/reflection").status_code == 404
    assert "课后反思" not in text(trainee.get("/courses/example-course"))
    outline = text(author.get("/authoring/courses/example-course"))
    assert "课后反思" in outline and "新建，未发布" in outline

    draft_id = int(response.headers["Location"].rsplit("/", 1)[1])
    author.post(
        f"/authoring/drafts/{draft_id}",
        data=lesson_form(
            key="reflection", title="课后反思", body_markdown="## 反思\n请写下三点体会。", revision=1, action="publish"
        ),
    )
    page = trainee.get("/courses/example-course/lessons/reflection")
    assert page.status_code == 200 and "请写下三点体会" in text(page)
    with app.app_context():
        new = db.session.scalar(select(Lesson).where(Lesson.key == "reflection"))
        assert new.module_id == practice.id and new.version == 1
        assert new.position == 2  # after the module's two lessons
        assert db.session.scalar(select(LessonVersion.source).where(LessonVersion.lesson_id == new.id)) == "editor"


def test_a_new_lessons_key_must_be_free_and_well_formed(app, make_user):
    load_course(app)
    author, _ = author_client(app, make_user)
    practice = module(app, "practice")
    for key, message in (("welcome", "已被本课程使用"), ("Bad Key", "小写字母")):
        response = author.post(
            "/authoring/courses/example-course/lessons/new",
            data=lesson_form(key=key, module=f"m{practice.id}", title="标题", body_markdown="正文"),
        )
        assert response.status_code == 200 and message in text(response)
    with app.app_context():
        assert db.session.scalar(select(func.count(ContentDraft.id))) == 0


def test_a_new_module_is_published_with_its_lessons(app, make_user, make_cohort):
    load_course(app)
    author, user = author_client(app, make_user)
    trainee = _trainee(app, make_user, make_cohort)
    getting_started = module(app, "getting-started")
    response = author.post(
        "/authoring/courses/example-course/modules/new",
        data={
            "key": "follow-up-practice",
            "title": "跟岗实践",
            "summary": "到帮扶学校跟岗。",
            "objectives": "完成一次跟岗\n写出跟岗报告",
            "credit_hours": "0",
            "prerequisites": "getting-started",
            "revision": "0",
            "action": "save",
        },
    )
    assert response.status_code == 302
    module_draft = int(response.headers["Location"].rsplit("/", 1)[1])
    refused = author.post(
        f"/authoring/drafts/{module_draft}",
        data={
            "title": "跟岗实践",
            "credit_hours": "0",
            "revision": "1",
            "action": "publish",
            "key": "follow-up-practice",
            "prerequisites": "getting-started",
        },
        follow_redirects=True,
    )
    assert "新专题至少需要一个小节" in text(refused)

    lesson_response = author.post(
        "/authoring/courses/example-course/lessons/new",
        data=lesson_form(
            key="shadowing", module=f"d{module_draft}", title="跟岗要求", body_markdown="## 要求\n按时到岗。"
        ),
    )
    lesson_draft = int(lesson_response.headers["Location"].rsplit("/", 1)[1])
    alone = author.post(
        f"/authoring/drafts/{lesson_draft}",
        data=lesson_form(
            key="shadowing", title="跟岗要求", body_markdown="## 要求\n按时到岗。", revision=1, action="publish"
        ),
        follow_redirects=True,
    )
    assert "发布专题时会一并发布" in text(alone)
    assert trainee.get("/courses/example-course/lessons/shadowing").status_code == 404

    author.post(
        f"/authoring/drafts/{module_draft}",
        data={
            "key": "follow-up-practice",
            "title": "跟岗实践",
            "summary": "到帮扶学校跟岗。",
            "objectives": "完成一次跟岗\n写出跟岗报告",
            "credit_hours": "0",
            "prerequisites": "getting-started",
            "revision": "2",
            "action": "publish",
        },
    )
    assert "按时到岗" in text(trainee.get("/courses/example-course/lessons/shadowing"))
    with app.app_context():
        new = db.session.scalar(select(Module).where(Module.key == "follow-up-practice"))
        assert new.position == 2 and new.prerequisites == ["getting-started"]
        assert new.objectives == ["完成一次跟岗", "写出跟岗报告"]
        version = db.session.scalar(select(ModuleVersion).where(ModuleVersion.module_id == new.id))
        assert version.source == "editor" and version.created_by_id == user.id
        assert db.session.scalar(select(func.count(ContentDraft.id))) == 0
    assert getting_started.version == 1


def test_publish_is_refused_while_the_lesson_breaks_the_course_format(app, make_user):
    load_course(app)
    author, _ = author_client(app, make_user)
    welcome = lesson(app, "welcome")
    body = "# 一级标题\n\n<div>原始 HTML</div>\n\n[链接](javascript:alert(1))\n\n![缺图](images/missing.png)"
    response = author.post(
        f"/authoring/lessons/{welcome.id}/edit",
        data=lesson_form(welcome, body_markdown=body, action="publish"),
        follow_redirects=True,
    )
    page = text(response)
    assert "尚未发布" in page
    for message in ("# 保留给小节标题", "不允许使用 HTML", "不允许使用链接", "找不到图片"):
        assert message in page, message
    assert "原始 HTML" in page  # the author's text is kept (saved as the draft)
    with app.app_context():
        assert db.session.get(Lesson, welcome.id).version == 1
    assert draft_of(app, "lesson", welcome.id).body_markdown == body


def test_a_case_lesson_needs_its_four_sections(app, make_user):
    load_course(app)
    author, _ = author_client(app, make_user)
    case = lesson(app, "village-school")
    body = case.body_markdown.replace("## 成效", "## 效果")
    page = text(
        author.post(
            f"/authoring/lessons/{case.id}/edit",
            data=lesson_form(case, body_markdown=body, action="publish"),
            follow_redirects=True,
        )
    )
    assert "案例小节需要" in page and "缺少：成效" in page


def test_the_preview_button_works_without_javascript(app, make_user):
    load_course(app)
    author, _ = author_client(app, make_user)
    welcome = lesson(app, "welcome")
    response = author.post(
        f"/authoring/lessons/{welcome.id}/edit",
        data=lesson_form(welcome, body_markdown="这是**加粗**的预览文字", action="preview"),
    )
    page = text(response)
    assert response.status_code == 200
    assert "这是<strong>加粗</strong>的预览文字" in page  # rendered
    assert "这是**加粗**的预览文字</textarea>" in page  # and the typed text is kept
    assert draft_of(app, "lesson", welcome.id) is None  # nothing saved


def test_the_preview_endpoint_returns_sanitised_html(app, make_user):
    load_course(app)
    author, _ = author_client(app, make_user)
    welcome = lesson(app, "welcome")
    response = author.post(
        "/authoring/preview",
        data={
            "course": "example-course",
            "lesson_id": welcome.id,
            "body_markdown": "## 小标题\n\n![课程地图](images/map.png)\n\n<script>alert(1)</script>",
        },
    )
    html = text(response)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert '<h2 id="h-小标题">小标题</h2>' in html
    assert re.search(r'<img src="/media/course/example-course/[0-9a-f]{64}\.png"', html)
    assert "<script" not in html and "不允许使用 HTML" in html


def test_the_preview_of_a_saved_draft_looks_like_the_lesson_page(app, make_user):
    load_course(app)
    author, _ = author_client(app, make_user)
    welcome = lesson(app, "welcome")
    response = author.post(f"/authoring/lessons/{welcome.id}/edit", data=lesson_form(welcome, title="欢迎（修订稿）"))
    page = author.get(response.headers["Location"] + "/preview")
    assert page.status_code == 200
    assert '<article class="lesson">' in text(page) and "欢迎（修订稿）" in text(page)
    assert "学员在发布之前看不到" in text(page)


def test_modules_and_lessons_move_up_and_down(app, make_user, make_cohort):
    load_course(app)
    author, _ = author_client(app, make_user)
    trainee = _trainee(app, make_user, make_cohort)
    first_steps = lesson(app, "first-steps")
    author.post(f"/authoring/lessons/{first_steps.id}/move", data={"direction": "up"})
    course_page = text(trainee.get("/courses/example-course"))
    assert course_page.index("第一步") < course_page.index("欢迎")
    author.post(f"/authoring/lessons/{first_steps.id}/move", data={"direction": "up"})  # at the top
    with app.app_context():
        positions = dict(db.session.execute(select(Lesson.key, Lesson.position)).all())
        assert positions["first-steps"] == 0 and positions["welcome"] == 1
        assert db.session.get(Lesson, first_steps.id).version == 1  # layout, not content

    # "practice" needs "getting-started" first, so it cannot move above it.
    practice = module(app, "practice")
    refused = author.post(f"/authoring/modules/{practice.id}/move", data={"direction": "up"}, follow_redirects=True)
    assert "不能排在它前面" in text(refused)
    with app.app_context():
        assert db.session.get(Module, practice.id).position == 1


def test_module_changes_are_checked_against_the_course(app, make_user):
    load_course(app)
    author, _ = author_client(app, make_user)
    getting_started = module(app, "getting-started")
    data = {
        "title": "入门",
        "summary": "",
        "objectives": "说出课程的三个环节",
        "credit_hours": "2.5",
        "prerequisites": "pre-test",
        "revision": "0",
        "base_version": "1",
        "action": "publish",
    }
    page = text(author.post(f"/authoring/modules/{getting_started.id}/edit", data=data, follow_redirects=True))
    assert "超过课程的 3 学时" in page
    data.update(credit_hours="1", action="save")
    author.post(
        f"/authoring/drafts/{draft_of(app, 'module', getting_started.id).id}",
        data=data | {"revision": "1", "action": "publish"},
    )
    with app.app_context():
        row = db.session.get(Module, getting_started.id)
        assert row.version == 2 and row.credit_hours == 1.0
        assert (
            db.session.scalar(
                select(ModuleVersion.source).where(ModuleVersion.module_id == row.id, ModuleVersion.version == 2)
            )
            == "editor"
        )


def test_a_draft_older_than_the_published_version_asks_before_publishing(
    app,
    make_user,
    tmp_path,
):
    folder = copy_example(tmp_path)
    load_course(app, folder)
    author, _ = author_client(app, make_user)
    welcome = lesson(app, "welcome")
    author.post(f"/authoring/lessons/{welcome.id}/edit", data=lesson_form(welcome, title="欢迎（编辑器）"))
    # Meanwhile the course files change and are loaded: version 2 from files.
    edit(folder / "modules/01-getting-started/01-welcome.md", "title: 欢迎", "title: 欢迎（文件）")
    with app.app_context():
        load(folder)
    draft = draft_of(app, "lesson", welcome.id)
    page = text(
        author.post(
            f"/authoring/drafts/{draft.id}",
            data=lesson_form(welcome, title="欢迎（编辑器）", revision=1, action="publish"),
            follow_redirects=True,
        )
    )
    assert "已发布的版本在这份草稿开始之后有了变化" in page and "仍然发布" in page
    with app.app_context():
        assert db.session.get(Lesson, welcome.id).title == "欢迎（文件）"
    author.post(
        f"/authoring/drafts/{draft.id}",
        data=lesson_form(welcome, title="欢迎（编辑器）", revision=2, action="publish_anyway"),
    )
    with app.app_context():
        row = db.session.get(Lesson, welcome.id)
        assert (row.title, row.version) == ("欢迎（编辑器）", 3)


def test_discarding_a_draft_keeps_the_published_lesson(app, make_user):
    load_course(app)
    author, _ = author_client(app, make_user)
    welcome = lesson(app, "welcome")
    author.post(f"/authoring/lessons/{welcome.id}/edit", data=lesson_form(welcome, title="草稿标题"))
    draft = draft_of(app, "lesson", welcome.id)
    stale = author.post(f"/authoring/drafts/{draft.id}/discard", data={"revision": "0"})
    assert draft_of(app, "lesson", welcome.id) is not None and stale.status_code == 302
    response = author.post(f"/authoring/drafts/{draft.id}/discard", data={"revision": "1"}, follow_redirects=True)
    assert "草稿已放弃" in text(response)
    assert draft_of(app, "lesson", welcome.id) is None
    assert lesson(app, "welcome").title == "欢迎"


def test_history_lists_versions_with_a_diff(app, make_user):
    load_course(app)
    author, user = author_client(app, make_user)
    welcome = lesson(app, "welcome")
    body = welcome.body_markdown.replace("## 小结", "## 本节小结")
    author.post(
        f"/authoring/lessons/{welcome.id}/edit",
        data=lesson_form(welcome, body_markdown=body, title="欢迎<b>", action="publish"),
    )
    page = text(author.get(f"/authoring/lessons/{welcome.id}/history"))
    assert "课程文件" in page and "编辑器" in page and user.name in page
    assert "<del>- ## 小结</del>" in page and "<ins>+ ## 本节小结</ins>" in page
    assert "欢迎&lt;b&gt;" in page and "欢迎<b>" not in page  # escaped
    first = text(author.get(f"/authoring/lessons/{welcome.id}/history?v=1"))
    assert "第 1 版（最初版本）" in first
    assert author.get(f"/authoring/lessons/{welcome.id}/history?v=9").status_code == 404


def test_the_outline_shows_drafts_and_the_example_loads_untouched(app, make_user):
    load_course(app, EXAMPLE)
    author, _ = author_client(app, make_user)
    welcome = lesson(app, "welcome")
    author.post(f"/authoring/lessons/{welcome.id}/edit", data=lesson_form(welcome))
    outline = text(author.get("/authoring/courses/example-course"))
    assert "继续编辑草稿" in outline and "草稿" in outline
    assert outline.count('class="inline move"') == 6  # 2 modules + 4 lessons


def test_a_new_lesson_can_be_previewed_before_it_has_a_key(app, make_user):
    load_course(app)
    author, _ = author_client(app, make_user)
    practice = module(app, "practice")
    response = author.post(
        "/authoring/courses/example-course/lessons/new",
        data=lesson_form(
            module=f"m{practice.id}", title="草拟中", body_markdown="## 草拟\n先看看*效果*", action="preview"
        ),
    )
    assert response.status_code == 200 and "先看看<em>效果</em>" in text(response)
    saved = author.post(
        "/authoring/courses/example-course/lessons/new",
        data=lesson_form(module=f"m{practice.id}", title="草拟中", body_markdown="正文"),
    )
    assert saved.status_code == 200 and "请为新建内容填写标识" in text(saved)
