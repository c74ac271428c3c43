"""The certificate PDF: a Jinja template rendered by WeasyPrint behind a locked-down fetcher.

- Fonts come from the system through fontconfig, named by family (Noto Serif CJK SC, with
  Noto Sans CJK SC as fallback; both cover rare characters such as 𠮷). An ``@font-face``
  pointing at the ``.ttc`` collections would copy 26 MB per render configuration and may
  pick the Japanese face of the collection, so the CSS names the families instead.
- The fetcher refuses every URL except the certificate stylesheet folder, the system font
  folders and the exact ``data:`` URIs this module embeds (QR code, seal). User text goes
  through Jinja autoescaping, so a name or title cannot add markup, links or attachments.
- One ``FontConfiguration`` per thread is reused across renders (about 25% faster).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import mimetypes
import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import segno
from flask import current_app, render_template
from flask_babel import force_locale, to_user_timezone
from flask_babel import gettext as _

from lms.storage import storage_path

log = logging.getLogger(__name__)

#: Folders whose files a certificate may load, besides the stylesheet folder.
FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))
_local = threading.local()


class RefusedURL(ValueError):
    """The certificate tried to load something from outside its own files."""


@dataclass
class SignatureLine:
    name: str
    title: str


@dataclass
class CertificateView:
    """Everything printed on one certificate (or on a sample for the design preview)."""

    title: str  #: empty for the default title (结业证书)
    holder_name: str
    course_title: str
    cohort_name: str
    credit_hours: float
    starts_on: date
    ends_on: date
    issued_on: date
    issued_at: datetime
    issuer: str
    number: str
    verify_url: str
    course_code: str
    signatures: list[SignatureLine] = field(default_factory=list)
    seal_file: str | None = None
    is_sample: bool = False

    @property
    def hours_text(self) -> str:
        return format_hours(self.credit_hours)


def format_hours(hours: float) -> str:
    """16.0 -> "16", 1.5 -> "1.5"."""
    return f"{hours:.2f}".rstrip("0").rstrip(".")


def qr_data_uri(url: str) -> str:
    """The verification URL as an SVG QR code (error correction M), as a data: URI."""
    return segno.make(url, error="m", micro=False).svg_data_uri(scale=4, border=0, dark="#000")


def seal_data_uri(seal_file: str | None) -> str | None:
    """The stored seal PNG as a data: URI, or None when there is none (or it went missing)."""
    if not seal_file:
        return None
    path = storage_path("certificate-seals", seal_file)
    if not path.is_file():
        log.warning("certificate seal %s is missing from storage", seal_file)
        return None
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def stylesheet_dir() -> Path:
    return Path(current_app.static_folder) / "certificates"


def _fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class SafeFetcher(URLFetcher):
        """Serves files from ``roots`` and the exact ``embedded`` data: URIs; refuses the rest."""

        def __init__(self, roots: list[Path], embedded: set[str]):
            super().__init__(timeout=1, allowed_protocols={"file", "data"}, fail_on_errors=False)
            self.roots = [root.resolve() for root in roots]
            self.embedded = set(embedded)
            self.refused: list[str] = []

        def fetch(self, url: str, headers=None):
            scheme = url.split(":", 1)[0].lower()
            if scheme == "data" and url in self.embedded:
                return super().fetch(url, headers)
            if scheme == "file":
                path = Path(url2pathname(urlsplit(url).path)).resolve()
                if path.is_file() and any(path.is_relative_to(root) for root in self.roots):
                    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                    return URLFetcherResponse(path.as_uri(), body=path.read_bytes(), headers={"Content-Type": mime})
            self.refused.append(url[:200])
            log.warning("certificate PDF: refused to fetch %s", url[:200])
            raise RefusedURL(f"not allowed in a certificate: {url[:200]}")

    return SafeFetcher


def make_fetcher(embedded: set[str] = frozenset()):
    """The URL fetcher for one render: the stylesheet folder, the font folders, ``embedded``."""
    return _fetcher_class()([stylesheet_dir(), *FONT_DIRS], embedded)


def font_config():
    from weasyprint.text.fonts import FontConfiguration

    if getattr(_local, "font_config", None) is None:
        _local.font_config = FontConfiguration()
    return _local.font_config


def render_html(view: CertificateView, qr_uri: str, seal_uri: str | None) -> str:
    """The certificate as HTML, always in the default language (it is a Chinese document)."""
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        return render_template(
            "certificates/certificate.html",
            cert=view,
            title=view.title or _("Certificate of Completion"),
            created=to_user_timezone(view.issued_at).isoformat(timespec="seconds"),
            qr_uri=qr_uri,
            seal_uri=seal_uri,
        )


def render_pdf(view: CertificateView) -> bytes:
    """Render ``view`` to PDF bytes (A4 landscape, fonts embedded, PDF/A-3b by default).

    :raises RuntimeError: when the fetcher refused a resource (a bug in the template).
    """
    from weasyprint import HTML

    qr_uri = qr_data_uri(view.verify_url)
    seal_uri = seal_data_uri(view.seal_file)
    fetcher = make_fetcher({qr_uri} | ({seal_uri} if seal_uri else set()))
    html = render_html(view, qr_uri, seal_uri)
    document = HTML(string=html, base_url=stylesheet_dir().as_uri() + "/", url_fetcher=fetcher)
    pdf = document.write_pdf(
        font_config=font_config(),
        pdf_variant=current_app.config.get("CERT_PDF_VARIANT") or None,
        # A fixed identifier keeps renders of the same certificate byte-identical.
        pdf_identifier=hashlib.sha256(view.number.encode()).hexdigest()[:32].encode(),
    )
    if fetcher.refused:
        raise RuntimeError(f"certificate template loaded refused URLs: {fetcher.refused}")
    return pdf
