"""Images linked from lessons: checked at validation, copied to storage when loading.

A lesson links ``images/<file>`` relative to its module folder. The loader stores each image
once, named by its SHA-256, under ``<LMS_STORAGE_PATH>/course-media/<course-key>/`` and
rewrites the link to ``/media/course/<course-key>/<sha256>.<ext>``.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from lms.storage import storage_path

MAX_IMAGE_BYTES = 5 * 1024 * 1024
EXTENSIONS = {"png": "png", "jpg": "jpg", "jpeg": "jpg", "gif": "gif", "svg": "svg", "webp": "webp"}
_SVG_ACTIVE = re.compile(
    rb"<\s*(script|foreignObject|iframe|embed|object)\b|\bon[a-z]+\s*=|javascript:|"
    rb"(xlink:)?href\s*=\s*[\"'](?!#|data:image/)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ImageRef:
    """An image a lesson links to, checked and identified by its content."""

    src: str  #: as written in the lesson
    path: Path
    sha256: str
    ext: str

    def url(self, course_key: str) -> str:
        return media_url(course_key, self.sha256, self.ext)

    def storage_parts(self, course_key: str) -> tuple[str, str, str]:
        return ("course-media", course_key, f"{self.sha256}.{self.ext}")


def _format_of(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    head = data[:1024].lstrip().lower()
    if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in data[:4096].lower()):
        return "svg"
    return None


def image_format(data: bytes) -> str | None:
    """The image format its bytes say (png, jpg, gif, webp or svg), or None."""
    return _format_of(data)


def media_url(course_key: str, sha256: str, ext: str) -> str:
    """The public URL of a stored course image."""
    return f"/media/course/{course_key}/{sha256}.{ext}"


def check_image(module_dir: Path, src: str) -> tuple[ImageRef | None, str | None]:
    """Check an image link of a lesson in ``module_dir``; return the image or a problem."""
    rel = PurePosixPath(src)
    if (
        ":" in src
        or "?" in src
        or "#" in src
        or "\\" in src
        or rel.is_absolute()
        or ".." in rel.parts
        or len(rel.parts) < 2
        or rel.parts[0] != "images"
    ):
        return None, f"image '{src}' must be a file under the module's images/ folder"
    ext = EXTENSIONS.get(rel.suffix.lower().lstrip("."))
    if ext is None:
        return None, f"image '{src}' must be a PNG, JPEG, GIF, SVG or WebP file"
    images_dir = (module_dir / "images").resolve()
    path = (module_dir / rel).resolve()
    if not path.is_relative_to(images_dir) or not path.is_file():
        return None, f"image '{src}' does not exist"
    data = path.read_bytes()
    if len(data) > MAX_IMAGE_BYTES:
        return None, f"image '{src}' is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MB"
    if _format_of(data) != ext:
        return None, f"image '{src}' is not a valid {ext.upper()} file"
    if ext == "svg" and _SVG_ACTIVE.search(data):
        return None, f"image '{src}' contains scripts or external references"
    return ImageRef(src, path, hashlib.sha256(data).hexdigest(), ext), None


def store_image(image: ImageRef, course_key: str) -> None:
    """Copy the image into the storage folder unless it is there already (same name, same bytes)."""
    target = storage_path(*image.storage_parts(course_key))
    if not target.exists():
        partial = target.with_suffix(target.suffix + ".part")
        shutil.copyfile(image.path, partial)
        partial.replace(target)  # atomic, so a reader never sees half a file


def store_image_bytes(data: bytes, ext: str, course_key: str) -> str:
    """Store checked image bytes the way the loader stores course images; return the SHA-256.

    Used by the browser editor's uploads, so an uploaded image and a loaded one live side by
    side under the same content-addressed names.
    """
    sha256 = hashlib.sha256(data).hexdigest()
    target = storage_path("course-media", course_key, f"{sha256}.{ext}")
    if not target.exists():
        # A private temporary name: two uploads of the same picture must not share it.
        partial = target.with_name(f".{target.name}.{secrets.token_hex(6)}.part")
        partial.write_bytes(data)
        partial.replace(target)
    return sha256
