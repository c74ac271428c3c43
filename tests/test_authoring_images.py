"""Image uploads in the editor: checked by their content, stored like the loader's images."""

from __future__ import annotations

import hashlib
import io
import os

import pytest
from PIL import Image

from tests.authoring_helpers import author_client, load_course, text
from tests.conftest import login

URL = "/authoring/courses/example-course/images"
JSON = {"Accept": "application/json"}


def image_bytes(fmt: str, size=(16, 10)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 120, 200)).save(buffer, fmt)
    return buffer.getvalue()


@pytest.mark.parametrize("fmt, ext", [("PNG", "png"), ("JPEG", "jpg"), ("GIF", "gif"), ("WEBP", "webp")])
def test_images_are_stored_under_their_hash_and_served(app, make_user, fmt, ext):
    load_course(app)
    author, _ = author_client(app, make_user)
    data = image_bytes(fmt)
    response = author.post(URL, data={"image": (io.BytesIO(data), f"upload.{ext}"), "alt": "示意 [图]"}, headers=JSON)
    assert response.status_code == 200, text(response)
    sha = hashlib.sha256(data).hexdigest()
    assert response.get_json() == {
        "markdown": f"![示意 图](images/{sha}.{ext})",
        "url": f"/media/course/example-course/{sha}.{ext}",
    }
    served = author.get(f"/media/course/example-course/{sha}.{ext}")
    assert served.status_code == 200 and served.data == data


def test_without_javascript_the_upload_says_what_to_paste(app, make_user):
    load_course(app)
    author, _ = author_client(app, make_user)
    response = author.post(
        URL, data={"image": (io.BytesIO(image_bytes("PNG")), "a.png"), "next": "/authoring/lessons/1/edit"}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/authoring/lessons/1/edit")
    page = text(author.get(response.headers["Location"]))
    assert "图片已上传" in page and "![图片](images/" in page
    outside = author.post(
        URL, data={"image": (io.BytesIO(image_bytes("PNG")), "a.png"), "next": "https://evil.example/"}
    )
    assert outside.headers["Location"].endswith("/authoring/courses/example-course")


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "请选择图片文件"),
        (b"just some text pretending to be an image", "不是可识别的图片"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "不是可识别的图片"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "不是可识别的图片"),
        ("bmp", "只能上传 PNG、JPEG、GIF 或 WebP"),
        ("huge", "超过 2 MB"),
    ],
    ids=["empty", "text", "broken-png", "svg", "bmp", "too-large"],
)
def test_what_is_not_an_accepted_image_is_refused(app, make_user, data, message):
    load_course(app)
    author, _ = author_client(app, make_user)
    if data == "bmp":
        data = image_bytes("BMP")
    elif data == "huge":
        data = image_bytes("PNG", size=(8, 8)) + os.urandom(2 * 1024 * 1024)
    response = author.post(URL, data={"image": (io.BytesIO(data), "x.png")}, headers=JSON)
    assert response.status_code == 400 and message in response.get_json()["error"]
    from lms.storage import storage_path

    with app.app_context():
        stored = list(storage_path("course-media", "example-course", "x").parent.iterdir())
    assert len(stored) == 1  # only the map.png the course loaded


def test_only_authors_of_the_course_may_upload(app, client, make_user):
    load_course(app)
    login(client, make_user("trainer"))  # a trainer, but not an author of this course
    response = client.post(URL, data={"image": (io.BytesIO(image_bytes("PNG")), "a.png")}, headers=JSON)
    assert response.status_code == 403
