"""The certificate PDF: Chinese text with embedded fonts, metadata, PDF/A, escaping, the
locked-down URL fetcher, the QR code, the seal, and storing the file once."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, date, datetime

import pytest
import segno
from PIL import Image
from pypdf import PdfReader

from lms.certificates import pdf as cert_pdf
from lms.certificates import service
from lms.certificates.documents import ensure_pdf, pdf_file
from lms.certificates.pdf import CertificateView, RefusedURL, SignatureLine, render_pdf
from lms.certificates.service import CertificateError
from lms.storage import storage_path
from tests import certificate_helpers
from tests.certificate_helpers import certificates, pdf_pages, pdf_text, png

URL = "https://peixun.example.cn/verify/AbCdEfGhIjKlMnOpQrStUvWxYz012345"

# fixtures shared by the certificate tests
cert_world = certificate_helpers.cert_world
requirements = certificate_helpers.requirements


def view(**changes) -> CertificateView:
    fields = {
        "title": "",
        "holder_name": "张三",
        "course_title": "教育帮扶政策培训",
        "cohort_name": "2026年秋季第一期",
        "credit_hours": 16,
        "starts_on": date(2026, 11, 2),
        "ends_on": date(2026, 11, 20),
        "issued_on": date(2026, 11, 21),
        "issued_at": datetime(2026, 11, 21, 2, 30, tzinfo=UTC),
        "issuer": "教育帮扶政策培训项目组",
        "number": "JYBF-2026-000123",
        "verify_url": URL,
        "course_code": "JYBF",
    }
    fields.update(changes)
    return CertificateView(**fields)


def fonts(data: bytes) -> list[tuple[str, bool]]:
    """(base font name, embedded?) for every font used on the pages."""
    found = []
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptors = [d.get_object()["/FontDescriptor"] for d in font.get("/DescendantFonts", [])]
            descriptors = descriptors or [font.get("/FontDescriptor")]
            embedded = all(
                d is not None and any(k in d.get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3"))
                for d in descriptors
            )
            found.append((str(font["/BaseFont"]), embedded))
    return found


def test_pdf_holds_the_chinese_name_number_and_link_in_embedded_fonts(app):
    with app.app_context():
        data = render_pdf(view(holder_name="𠮷龘张三"))
    text = pdf_text(data)
    assert "𠮷龘张三" in text  # rare characters too: Noto CJK covers them
    assert "JYBF-2026-000123" in text and URL in text
    assert "结业证书" in text and "共计16学时" in text and "2026年11月2日至2026年11月20日" in text
    used = fonts(data)
    assert used and all(embedded for _, embedded in used)
    assert any("Noto-Serif-CJK-SC" in name or "NotoSerifCJKsc" in name for name, _ in used), used
    assert pdf_pages(data) == 1


def test_pdf_metadata_and_pdf_a(app):
    with app.app_context():
        data = render_pdf(view())
    reader = PdfReader(io.BytesIO(data))
    meta = reader.metadata
    assert meta.title == "结业证书 JYBF-2026-000123"
    assert meta.author == "教育帮扶政策培训项目组"
    assert meta.subject == "教育帮扶政策培训 · 张三"
    assert "JYBF-2026-000123" in meta["/Keywords"]
    assert meta["/CreationDate"].startswith("D:20261121103000+08")  # issue time, Shanghai
    # PDF/A-3b: an output intent and XMP metadata declaring part 3, conformance B.
    root = reader.trailer["/Root"]
    assert "/OutputIntents" in root
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert "pdfaid:part" in xmp and "3" in xmp and "pdfaid:conformance" in xmp and "B" in xmp
    assert PdfReader(io.BytesIO(data)).pages[0].mediabox.width > PdfReader(io.BytesIO(data)).pages[0].mediabox.height


def test_renders_are_byte_identical(app):
    with app.app_context():
        assert render_pdf(view()) == render_pdf(view())


@pytest.mark.parametrize(
    "changes",
    [
        {"holder_name": "<img src=x onerror=alert(1)>"},
        {"holder_name": "阿卜杜热合曼·买买提艾力" * 5 + "阿卜杜热合曼·买"},  # 60 characters
        {
            "course_title": '教育帮扶<img src="http://evil.example/x.png"><link rel="attachment" href="file:///etc/passwd">'
            * 3
        },
        {"title": "乡村振兴教育帮扶骨干教师能力提升培训结业证书", "cohort_name": "二" * 120},
    ],
)
def test_user_text_is_escaped_and_the_certificate_stays_one_page(app, changes):
    with app.app_context():
        data = render_pdf(view(**changes))  # raises if anything tried to load an outside URL
    text = pdf_text(data)
    for value in changes.values():
        assert "".join(value.split())[:40] in text
    assert pdf_pages(data) == 1
    reader = PdfReader(io.BytesIO(data))
    assert "/EmbeddedFiles" not in str(reader.trailer["/Root"].get("/Names", {}))
    annotations = reader.pages[0].get("/Annots") or []
    assert not any("evil" in str(a.get_object()) for a in annotations)


def test_fetcher_refuses_everything_but_its_own_files(app):
    with app.app_context():
        qr = cert_pdf.qr_data_uri(URL)
        fetch = cert_pdf.make_fetcher({qr})
        css = (cert_pdf.stylesheet_dir() / "certificate.css").as_uri()
        assert b"A4 landscape" in fetch(css).read()
        assert fetch(qr).read().startswith(b"<?xml") or b"<svg" in fetch(qr).read()
        for url in (
            "http://127.0.0.1/x.png",
            "https://example.org/font.woff2",
            "file:///etc/passwd",
            (cert_pdf.stylesheet_dir() / ".." / ".." / "lms" / "config.py").resolve().as_uri(),
            "data:image/svg+xml;base64,PHN2Zy8+",  # not one we embedded
            "ftp://example.org/x",
        ):
            with pytest.raises(RefusedURL):
                fetch(url)
        assert len(fetch.refused) == 6


def test_qr_code_encodes_the_verification_url(app):
    with app.app_context():
        html = cert_pdf.render_html(view(), cert_pdf.qr_data_uri(URL), None)
    expected = segno.make(URL, error="m", micro=False)
    assert cert_pdf.qr_data_uri(URL) in html
    assert cert_pdf.qr_data_uri(URL) == expected.svg_data_uri(scale=4, border=0, dark="#000")
    assert expected.designator.endswith("-M")  # error correction M, scannable from paper


def test_seal_is_checked_by_content(app):
    with app.app_context():
        clean = service.check_seal(png())
        assert Image.open(io.BytesIO(clean)).format == "PNG"
        for bad, message in (
            (png(fmt="JPEG"), "PNG"),
            (b"\x89PNG\r\n\x1a\n" + b"not really", "PNG"),
            (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "PNG"),
            (png(size=(2100, 50)), "2000"),
            (b"\x89PNG" + b"0" * (512 * 1024), "512"),
        ):
            with pytest.raises(CertificateError, match=message):
                service.check_seal(bad)


def test_seal_and_signatures_are_printed(app):
    with app.app_context():
        seal = service.store_seal(service.check_seal(png()))
        plain = render_pdf(view())
        data = render_pdf(view(seal_file=seal, signatures=[SignatureLine("赵六", "项目负责人")]))
    assert "项目负责人赵六" in pdf_text(data) and "项目负责人" not in pdf_text(plain)
    assert image_count(PdfReader(io.BytesIO(data)).pages[0]["/Resources"]) >= 1, "the seal is embedded"
    assert image_count(PdfReader(io.BytesIO(plain)).pages[0]["/Resources"]) == 0


def image_count(resources) -> int:
    """Images in a resource dictionary, looking inside form XObjects (transparency groups)."""
    count = 0
    for xobject in (resources.get("/XObject") or {}).values():
        xobject = xobject.get_object()
        if xobject["/Subtype"] == "/Image":
            count += 1
        elif "/Resources" in xobject:
            count += image_count(xobject["/Resources"])
    return count


def test_pdf_is_stored_once_and_its_hash_recorded(app, cert_world, requirements):
    app.config["PUBLIC_BASE_URL"] = "https://peixun.example.cn"
    world = cert_world(names=["赵钱孙"])
    requirements(met=True)
    from lms.certificates.hooks import issue_if_eligible

    with app.app_context():
        cert = issue_if_eligible(world.trainees[0].id, world.cohort_id)
        digest = cert.pdf_sha256
        path = pdf_file(cert)
        data = path.read_bytes()
        assert hashlib.sha256(data).hexdigest() == cert.pdf_sha256 and len(data) == cert.pdf_size
        assert path.is_relative_to(storage_path("certificates"))
        assert ensure_pdf(cert.id).pdf_path == cert.pdf_path  # not rendered again
        assert "赵钱孙" in pdf_text(data) and cert.verify_url in pdf_text(data)
        # A lost file is rendered again only if it comes out identical to the recorded hash.
        path.unlink()
        assert hashlib.sha256(pdf_file(ensure_pdf(cert.id)).read_bytes()).hexdigest() == cert.pdf_sha256
    assert certificates(app)[0].pdf_sha256 == digest
