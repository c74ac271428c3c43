"""Static files under content-hashed URLs, compressed responses, and client addresses behind a proxy."""

from __future__ import annotations

import gzip
import re

import pytest

from lms import assets


def stylesheet_url(client) -> str:
    page = client.get("/login").get_data(as_text=True)
    match = re.search(r'href="(/static/[0-9a-f]{12}/css/app\.css)"', page)
    assert match, "the page links its stylesheet under a content-hashed URL"
    return match.group(1)


def test_pages_link_assets_by_content_hash_and_they_are_cached_for_a_year(client):
    url = stylesheet_url(client)
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert b".site-header" in response.data  # the real stylesheet
    # An old page asking for an outdated digest gets the current file, not cached for long.
    stale = client.get("/static/000000000000/css/app.css")
    assert stale.status_code == 200 and stale.headers["Cache-Control"] == "no-cache"
    assert stale.data == response.data
    # The plain path still works (bookmarks, the certificate renderer reads files directly).
    assert client.get("/static/css/app.css").status_code == 200
    assert client.get("/static/000000000000/../../setup.cfg").status_code == 404
    assert client.get("/static/000000000000/no-such-file.css").status_code == 404


def test_a_changed_file_gets_a_new_url(app, tmp_path):
    folder = tmp_path / "static"
    (folder / "css").mkdir(parents=True)
    sheet = folder / "css" / "app.css"
    sheet.write_text("body { color: black; }")
    app.static_folder = str(folder)
    with app.test_request_context():
        first = assets.asset_digest("css/app.css")
        sheet.write_text("body { color: navy; }  /* changed */")
        second = assets.asset_digest("css/app.css")
        assert first and second and first != second
        assert assets.asset_digest("../setup.cfg") is None


def test_text_responses_are_gzipped_when_the_client_accepts_it(client):
    plain = client.get("/login")
    assert "Content-Encoding" not in plain.headers
    zipped = client.get("/login", headers={"Accept-Encoding": "gzip, deflate"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert gzip.decompress(zipped.data) == plain.data
    css = client.get(stylesheet_url(client), headers={"Accept-Encoding": "gzip"})
    assert css.headers["Content-Encoding"] == "gzip" and b".site-header" in gzip.decompress(css.data)


def failed_logins(client, address: str, count: int) -> list[int]:
    """Wrong passwords for unknown accounts (so only the per-address limit applies)."""
    codes = []
    for n in range(count):
        response = client.post(
            "/login",
            data={"identifier": f"nobody{address}-{n}@example.org", "password": "wrong-password"},
            headers={"X-Forwarded-For": address},
        )
        codes.append(response.status_code)
    return codes


@pytest.mark.parametrize("app", [{"TRUSTED_PROXIES": 1, "LOGIN_LIMITS_PER_ADDRESS": "2 per minute"}], indirect=True)
def test_behind_a_trusted_proxy_each_client_address_has_its_own_limit(client):
    assert failed_logins(client, "203.0.113.7", 3)[-1] == 429
    assert 429 not in failed_logins(client, "198.51.100.20", 2)  # another trainee, same proxy


@pytest.mark.parametrize("app", [{"TRUSTED_PROXIES": 0, "LOGIN_LIMITS_PER_ADDRESS": "2 per minute"}], indirect=True)
def test_without_a_trusted_proxy_forwarded_addresses_are_ignored(client):
    """A client cannot dodge the limit by sending its own X-Forwarded-For."""
    assert failed_logins(client, "203.0.113.7", 2) == [200, 200]
    assert failed_logins(client, "198.51.100.20", 1) == [429]
