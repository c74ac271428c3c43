"""Images uploaded in the editor: checked by their content, stored like the loader's images.

Only PNG, JPEG, GIF and WebP are accepted (no SVG from the browser: it can carry script), at
most 2 MB, and Pillow must be able to open and verify the file. The file is stored under its
SHA-256 in the course's media folder and linked from Markdown as ``images/<sha256>.<ext>``.
"""

from __future__ import annotations

import io
import warnings

from flask_babel import gettext as _
from PIL import Image

from lms.content.images import image_format, media_url, store_image_bytes

from .rendering import uploaded_src
from .service import AuthoringError

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
#: Pillow's format name -> the extension stored
FORMATS = {"PNG": "png", "JPEG": "jpg", "GIF": "gif", "WEBP": "webp"}


class ImageRejected(AuthoringError):
    """The upload is not an image we accept."""


def check_upload(data: bytes) -> str:
    """The extension to store the image under.

    :raises ImageRejected: when the file is empty, too large, not an image, or of another type.
    """
    if not data:
        raise ImageRejected(_("Choose an image file."))
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImageRejected(_("The image is larger than 2 MB. Make it smaller and try again."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                name = image.format
                image.verify()
    except Exception:
        raise ImageRejected(_("The file is not a readable image.")) from None
    ext = FORMATS.get(name or "")
    # The loader recognises images by their first bytes: it must agree, or an export would fail.
    if ext is None or image_format(data) != ext:
        raise ImageRejected(_("Only PNG, JPEG, GIF and WebP images can be uploaded."))
    return ext


def store_upload(course_key: str, data: bytes, alt: str) -> dict:
    """Check and store an uploaded image; return its Markdown reference and public URL.

    :raises ImageRejected: see :func:`check_upload`.
    """
    ext = check_upload(data)
    sha256 = store_image_bytes(data, ext, course_key)
    alt = " ".join((alt or "").translate({ord(c): None for c in "[]\\"}).split()) or _("Image")
    return {
        "markdown": f"![{alt}]({uploaded_src(sha256, ext)})",
        "url": media_url(course_key, sha256, ext),
    }
