"""Cross-cutting behaviour: security headers, error pages, languages, config, transactions."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, select, update

from lms import ROOT, create_app
from lms.config import ConfigError
from lms.db import write_transaction
from lms.extensions import db
from tests.conftest import login


def test_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_no_inline_script_or_external_resource_in_templates():
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), f"inline script in {path}"
        assert not re.search(r"\son[a-z]+=", text), f"inline event handler in {path}"
        assert not re.search(r"\bstyle=", text), f"inline style in {path}"
        assert not re.search(r"(src|href)=\"(https?:)?//", text), f"external resource in {path}"
    for path in (ROOT / "static").rglob("*.css"):
        assert "url(http" not in path.read_text() and "@import" not in path.read_text()


def test_error_pages_share_the_layout(client, make_user):
    page = client.get("/no-such-page")
    assert page.status_code == 404
    assert "页面不存在" in page.get_data(as_text=True)
    assert 'class="site-header"' in page.get_data(as_text=True)
    login(client, make_user())
    assert "没有权限" in client.get("/admin/users/").get_data(as_text=True)


@pytest.mark.parametrize("app", [{"LMS_RENDER_500": True}], indirect=True)
def test_unexpected_errors_render_the_500_page(app, client):
    @app.route("/boom")
    def boom():
        raise RuntimeError("kaboom")

    response = client.get("/boom")
    assert response.status_code == 500
    assert "kaboom" not in response.get_data(as_text=True)
    assert "服务器错误" in response.get_data(as_text=True)


def test_language_switch_and_default(client, make_user):
    assert '<html lang="zh-CN">' in client.get("/login").get_data(as_text=True)
    client.post("/language", data={"lang": "en", "next": "/login"})
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page and "Log in" in page
    client.post("/language", data={"lang": "xx"})  # unknown languages are ignored
    assert '<html lang="en">' in client.get("/login").get_data(as_text=True)


def test_times_are_shown_in_shanghai(app, make_user):
    from datetime import UTC, datetime

    with app.test_request_context():
        rendered = app.jinja_env.from_string("{{ t|datetime }}").render(t=datetime(2026, 1, 1, 16, 30, tzinfo=UTC))
    assert rendered == "2026-01-02 00:30"


def test_production_refuses_to_start_without_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("LMS_ENV", "production")
    monkeypatch.delenv("LMS_SECRET_KEY", raising=False)
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(ConfigError):
        create_app()


def test_development_generates_and_keeps_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.delenv("LMS_SECRET_KEY", raising=False)
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path))
    first = create_app().config["SECRET_KEY"]
    assert len(first) >= 40 and first == create_app().config["SECRET_KEY"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_zh_cn_catalogue_is_complete():
    from babel.messages.pofile import read_po

    with open(ROOT / "lms/translations/zh_Hans_CN/LC_MESSAGES/messages.po", "rb") as f:
        catalog = read_po(f)
    missing = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    assert missing == []
    with open(ROOT / "lms/translations/messages.pot", "rb") as f:
        template = read_po(f)
    assert {m.id for m in template if m.id} <= {m.id for m in catalog if m.id}, "run make extract-messages"


def test_write_transaction_serialises_read_then_write(app):
    """8 threads x 15 read-then-write increments: none lost, none fails with "locked"."""
    counter = Table("test_counter", MetaData(), Column("id", Integer, primary_key=True), Column("n", Integer))
    with app.app_context():
        counter.create(db.engine)
        db.session.execute(counter.insert().values(id=1, n=0))
        db.session.commit()
    errors = []

    def work():
        with app.app_context():
            for _ in range(15):
                try:
                    with write_transaction():
                        n = db.session.execute(
                            select(counter.c.n).where(counter.c.id == 1).with_for_update()
                        ).scalar_one()
                        db.session.execute(update(counter).values(n=n + 1))
                except Exception as error:
                    errors.append(repr(error))
            db.session.remove()

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a writer is stuck"
    with app.app_context():
        total = db.session.execute(select(counter.c.n)).scalar_one()
        db.session.rollback()  # end the read, or DROP TABLE waits on our own lock (PostgreSQL)
        counter.drop(db.engine)
    assert errors == []
    assert total == 120
