"""Two trainers editing the same lesson: nobody's text is overwritten without being asked."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

from tests.authoring_helpers import (
    author_client,
    draft_of,
    lesson,
    lesson_form,
    load_course,
    text,
)


def _two_authors(app, make_user):
    load_course(app)
    first, first_user = author_client(app, make_user)
    second, second_user = author_client(app, make_user)
    return first, first_user, second, second_user


def _hidden(page: str, name: str) -> str:
    return re.search(rf'name="{name}" type="hidden" value="([^"]*)"', page)[1]


def test_the_second_save_sees_a_conflict_and_keeps_its_text(app, make_user):
    first, first_user, second, _ = _two_authors(app, make_user)
    welcome = lesson(app, "welcome")
    first.post(
        f"/authoring/lessons/{welcome.id}/edit", data=lesson_form(welcome, body_markdown="## 学习目标\n甲的第一稿")
    )
    draft = draft_of(app, "lesson", welcome.id)
    # Both open the draft at revision 1; the first saves again, then the second saves.
    for client in (first, second):
        assert _hidden(text(client.get(f"/authoring/drafts/{draft.id}")), "revision") == "1"
    first.post(
        f"/authoring/drafts/{draft.id}", data=lesson_form(welcome, body_markdown="## 学习目标\n甲的第二稿", revision=1)
    )
    response = second.post(
        f"/authoring/drafts/{draft.id}", data=lesson_form(welcome, body_markdown="## 学习目标\n乙的修改", revision=1)
    )

    page = text(response)
    assert response.status_code == 409
    assert "您编辑期间，其他人保存了这份草稿" in page and first_user.name in page
    assert "乙的修改</textarea>" in page  # the second author's text is kept in the form
    assert "<del>- 甲的第二稿</del>" in page and "<ins>+ 乙的修改</ins>" in page
    assert "用我的版本覆盖" in page and _hidden(page, "revision") == "2"
    preview = re.search(r'id="preview-body".*?</section>', page, re.DOTALL)[0]
    assert "乙的修改" in preview and "甲的第二稿" not in preview  # the preview is of my text
    assert draft_of(app, "lesson", welcome.id).body_markdown == "## 学习目标\n甲的第二稿"

    # "Overwrite": the conflict form carries the revision it was shown with.
    overwrite = second.post(
        f"/authoring/drafts/{draft.id}", data=lesson_form(welcome, body_markdown="## 学习目标\n乙的修改", revision=2)
    )
    assert overwrite.status_code == 302
    saved = draft_of(app, "lesson", welcome.id)
    assert (saved.body_markdown, saved.revision) == ("## 学习目标\n乙的修改", 3)


def test_two_authors_starting_a_draft_of_the_same_lesson(app, make_user):
    first, _, second, _ = _two_authors(app, make_user)
    welcome = lesson(app, "welcome")
    for client in (first, second):  # both open the published lesson: no draft yet
        assert client.get(f"/authoring/lessons/{welcome.id}/edit").status_code == 200
    first.post(f"/authoring/lessons/{welcome.id}/edit", data=lesson_form(welcome, title="甲的标题"))
    response = second.post(f"/authoring/lessons/{welcome.id}/edit", data=lesson_form(welcome, title="乙的标题"))
    page = text(response)
    assert response.status_code == 409 and "乙的标题" in page
    assert "<del>- title: 甲的标题</del>" in page
    draft = draft_of(app, "lesson", welcome.id)
    assert draft.title == "甲的标题"
    assert f'action="/authoring/drafts/{draft.id}"' in page


def test_a_draft_published_meanwhile_can_be_saved_as_a_new_draft(app, make_user):
    first, _, second, _ = _two_authors(app, make_user)
    welcome = lesson(app, "welcome")
    first.post(f"/authoring/lessons/{welcome.id}/edit", data=lesson_form(welcome, title="甲发布的标题"))
    draft = draft_of(app, "lesson", welcome.id)
    second_page = text(second.get(f"/authoring/drafts/{draft.id}"))
    first.post(
        f"/authoring/drafts/{draft.id}", data=lesson_form(welcome, title="甲发布的标题", revision=1, action="publish")
    )
    response = second.post(
        f"/authoring/drafts/{draft.id}",
        data=lesson_form(
            welcome, title="乙的标题", revision=_hidden(second_page, "revision"), target=_hidden(second_page, "target")
        ),
    )
    page = text(response)
    assert response.status_code == 409 and "这份草稿已被他人发布或放弃" in page
    assert 'value="乙的标题"' in page and "另存为新草稿" in page
    assert f'action="/authoring/lessons/{welcome.id}/edit"' in page
    assert _hidden(page, "base_version") == "2"
    second.post(f"/authoring/lessons/{welcome.id}/edit", data=lesson_form(welcome, title="乙的标题", base_version=2))
    new_draft = draft_of(app, "lesson", welcome.id)
    assert (new_draft.title, new_draft.base_version) == ("乙的标题", 2)


def test_parallel_saves_of_one_revision_store_exactly_one(app, make_user):
    """Five authors save revision 1 at the same moment: one wins, four are told."""
    load_course(app)
    welcome = lesson(app, "welcome")
    clients = [author_client(app, make_user)[0] for _ in range(5)]
    clients[0].post(f"/authoring/lessons/{welcome.id}/edit", data=lesson_form(welcome))
    draft = draft_of(app, "lesson", welcome.id)

    def save(numbered):
        number, client = numbered
        return client.post(
            f"/authoring/drafts/{draft.id}",
            data=lesson_form(welcome, body_markdown=f"第 {number} 位作者的文字", revision=1),
        ).status_code

    with ThreadPoolExecutor(max_workers=5) as pool:
        results = list(pool.map(save, enumerate(clients), timeout=120))
    assert sorted(results) == [302, 409, 409, 409, 409]
    saved = draft_of(app, "lesson", welcome.id)
    assert saved.revision == 2 and saved.body_markdown.endswith("位作者的文字")
