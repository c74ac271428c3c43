"""Races against the real database: parallel finishes grade once, parallel starts make one."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from lms.assessment import service
from lms.assessment.models import Attempt, AttemptState
from lms.extensions import db
from tests.assessment_helpers import (
    attempt_row,
    form_data,
    items_of,
    make_world,
    right_answer,
    start,
)
from tests.conftest import login

PARALLEL = 20


def _clients(app, user, n=PARALLEL):
    clients = []
    for _ in range(n):
        client = app.test_client()
        login(client, user)
        clients.append(client)
    return clients


def _together(clients, request):
    """Run ``request(client)`` in one thread per client, released at the same moment."""
    barrier = threading.Barrier(len(clients))

    def run(client):
        barrier.wait(timeout=60)
        return request(client)

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        return list(pool.map(run, clients, timeout=180))


def test_parallel_finishes_grade_once(app, make_user, make_cohort, tmp_path):
    world = make_world(app, make_user, make_cohort, tmp_path)
    clients = _clients(app, world.trainee)
    attempt_id = start(clients[0], world, "pre-test")
    items = items_of(app, attempt_id)
    answers = {i["id"]: right_answer(i) for i in items}
    graded = []
    service.on_attempt_graded.append(lambda attempt: graded.append(attempt.id))
    try:
        statuses = _together(
            clients, lambda c: c.post(f"/attempts/{attempt_id}/finish", data=form_data(items, answers, 1)).status_code
        )
    finally:
        service.on_attempt_graded.clear()
    assert statuses == [302] * PARALLEL
    assert graded == [attempt_id]  # graded exactly once, by one of the twenty requests
    attempt = attempt_row(app, attempt_id)
    assert attempt.state == AttemptState.GRADED and attempt.percent == 100.0
    assert attempt.closed_by == "trainee"


def test_parallel_starts_with_one_attempt_allowed_create_one(app, make_user, make_cohort, tmp_path):
    world = make_world(app, make_user, make_cohort, tmp_path)
    clients = _clients(app, world.trainee)
    statuses = _together(clients, lambda c: c.post(f"/courses/{world.course_key}/quizzes/pre-test/start"))
    assert [r.status_code for r in statuses] == [302] * PARALLEL
    targets = {r.headers["Location"] for r in statuses}
    with app.app_context():
        attempts = db.session.scalars(select(Attempt)).all()
    assert len(attempts) == 1  # every request was sent to the same attempt
    assert targets == {f"/attempts/{attempts[0].id}"}


def test_parallel_starts_and_finishes_by_two_tabs_mixed(app, make_user, make_cohort, tmp_path):
    """Start, then finish from ten tabs while ten more start again: still one attempt, once."""
    world = make_world(app, make_user, make_cohort, tmp_path)
    clients = _clients(app, world.trainee, 10)
    attempt_id = start(clients[0], world, "pre-test")
    items = items_of(app, attempt_id)

    def act(pair):
        index, client = pair
        if index % 2:
            return client.post(f"/attempts/{attempt_id}/finish", data=form_data(items, {}, 1)).status_code
        return client.post(f"/courses/{world.course_key}/quizzes/pre-test/start").status_code

    barrier = threading.Barrier(len(clients))

    def run(pair):
        barrier.wait(timeout=60)
        return act(pair)

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        statuses = list(pool.map(run, enumerate(clients), timeout=180))
    assert set(statuses) == {302}
    with app.app_context():
        assert db.session.scalar(select(func.count(Attempt.id))) == 1
