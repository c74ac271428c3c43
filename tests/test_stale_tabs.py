"""Stale tabs: a save must carry the number the server issued; a save from a page that has
not seen the latest save is refused (409, with a reload link), never applied."""

from __future__ import annotations

import pytest

from tests.assessment_helpers import form_data, items_of, make_world, right_answer, start, wrong_answer
from tests.conftest import login


@pytest.fixture
def world(app, make_user, make_cohort, tmp_path):
    return make_world(app, make_user, make_cohort, tmp_path)


def test_an_offline_tab_cannot_overwrite_a_newer_save_with_its_own_numbers(app, world):
    tab_a, tab_b = app.test_client(), app.test_client()
    login(tab_a, world.trainee)
    login(tab_b, world.trainee)
    attempt_id = start(tab_a, world, "m01-quiz")
    for tab in (tab_a, tab_b):  # both pages were loaded with the server's number 1
        assert 'data-seq="0"' in tab.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    items = items_of(app, attempt_id)
    first = items[0]
    # tab A saves twice with the numbers the server issued (1, then 2 from the reply)
    reply = tab_a.post(
        f"/attempts/{attempt_id}/save", json={"seq": 1, "answers": {str(first["id"]): wrong_answer(first)}}
    )
    assert reply.get_json()["seq"] == 1
    reply = tab_a.post(
        f"/attempts/{attempt_id}/save", json={"seq": 2, "answers": {str(first["id"]): right_answer(first)}}
    )
    assert reply.status_code == 200
    # tab B was offline; it counted on by itself from the number its page had: 1, then 2
    for seq in (1, 2):
        stale = tab_b.post(
            f"/attempts/{attempt_id}/save", json={"seq": seq, "answers": {str(first["id"]): wrong_answer(first)}}
        )
        assert stale.status_code == 409
        body = stale.get_json()
        assert body["reason"] == "stale" and "请刷新页面" in body["message"]
        assert body["reload_url"].endswith(f"/attempts/{attempt_id}")
    # a number further ahead than the server issued is refused too
    ahead = tab_b.post(
        f"/attempts/{attempt_id}/save", json={"seq": 4, "answers": {str(first["id"]): wrong_answer(first)}}
    )
    assert ahead.status_code == 409
    assert items_of(app, attempt_id)[0]["response"] == _stored(right_answer(first))
    # the form without script: a stale number is refused with the message, the answer kept
    page = tab_b.post(
        f"/attempts/{attempt_id}/save",
        data=form_data(items, {first["id"]: wrong_answer(first)}, 1),
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "已在另一个窗口或设备上更新" in page
    assert items_of(app, attempt_id)[0]["response"] == _stored(right_answer(first))


def _stored(value):
    if value in ("true", "false"):
        return value == "true"
    return value


def test_answer_sheet_marks_answered_questions_and_counts_the_unanswered(app, world):
    client = app.test_client()
    login(client, world.trainee)
    attempt_id = start(client, world, "m01-quiz")
    items = items_of(app, attempt_id)
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "答题卡" in page and "已答 0 / 3 题" in page and "还有 3 题未作答。" in page
    assert page.count('class="flag"') == 3
    client.post(
        f"/attempts/{attempt_id}/save", json={"seq": 1, "answers": {str(items[0]["id"]): right_answer(items[0])}}
    )
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "已答 1 / 3 题" in page and "还有 2 题未作答。" in page
    assert f'class="sheet-cell is-answered" data-item="{items[0]["id"]}"' in page
