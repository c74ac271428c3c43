"""Lesson images: served to people who may see the course, under their content hash."""

from __future__ import annotations

import re

from tests.conftest import login
from tests.content_helpers import EXAMPLE, load


def test_lesson_image_is_served_from_storage(app, client, make_user):
    with app.app_context():
        load(EXAMPLE)
    login(client, make_user("trainer"))
    page = client.get("/courses/example-course/lessons/welcome").get_data(as_text=True)
    [src] = re.findall(r'src="(/media/course/example-course/[0-9a-f]{64}\.png)"', page)
    image = client.get(src)
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert image.data == (EXAMPLE / "modules/01-getting-started/images/map.png").read_bytes()
    assert "immutable" in image.headers["Cache-Control"]
    assert client.get("/media/course/example-course/../secret_key").status_code == 404
    assert client.get("/media/course/example-course/" + "0" * 64 + ".png").status_code == 404
    assert client.get("/media/course/no-such-course/" + src.rsplit("/", 1)[1]).status_code == 404
