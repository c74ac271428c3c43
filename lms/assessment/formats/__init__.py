"""Question files: Moodle GIFT, Moodle XML and the Excel template (XLSX or CSV).

:func:`read_upload` tells the format from the file's content and extension and reads it into
:class:`~.common.Draft` items; the writers turn a course's questions back into each format.
Nothing here touches the database.
"""

from __future__ import annotations

import logging

from flask_babel import lazy_gettext as _l

from .common import (
    MAX_FILE_BYTES,
    MAX_QUESTIONS,
    Draft,
    FormatError,
    ParsedFile,
    clean_drafts,
    controls_note,
    decode_text,
    encoding_notes,
)
from .gift import read_gift, write_gift
from .moodle_xml import read_moodle_xml, write_moodle_xml
from .spreadsheet import read_csv, read_xlsx

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_QUESTIONS",
    "Draft",
    "FormatError",
    "ParsedFile",
    "detect_format",
    "read_upload",
    "write_gift",
    "write_moodle_xml",
]

log = logging.getLogger(__name__)
EXTENSIONS = ("gift", "txt", "xml", "xlsx", "csv")
FORMAT_NAMES = {"gift": "GIFT", "moodle_xml": "Moodle XML", "xlsx": "Excel", "csv": "CSV"}


def detect_format(filename: str, data: bytes) -> str:
    """gift, moodle_xml, xlsx or csv: the content decides where it is unmistakable (a ZIP
    archive, an XML document), the extension otherwise.

    :raises FormatError: for an extension we do not read.
    """
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if extension == "xlsx" or data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if extension == "xls":
        return "xlsx"  # the reader explains that .xls must be saved as .xlsx
    if extension == "xml" or head.startswith((b"<?xml", b"<quiz")):
        return "moodle_xml"
    if extension == "csv":
        return "csv"
    if extension in ("gift", "txt", ""):
        return "gift"
    raise FormatError(_l("Upload a GIFT (.gift or .txt), Moodle XML (.xml), Excel (.xlsx) or CSV (.csv) file."))


def read_upload(filename: str, data: bytes) -> ParsedFile:
    """Read an uploaded question file into drafts.

    :raises FormatError: for an empty, oversized, damaged or unreadable file, with a
        message for the person who uploaded it.
    """
    if not data.strip():
        raise FormatError(_l("The file is empty."))
    if len(data) > MAX_FILE_BYTES:
        raise FormatError(
            _l("The file is larger than %(mb)d MB; split it into smaller files.", mb=MAX_FILE_BYTES // (1024 * 1024))
        )
    fmt = detect_format(filename, data)
    readers = {
        "xlsx": read_xlsx,
        "csv": read_csv,
        "moodle_xml": read_moodle_xml,
        "gift": lambda raw: read_gift(decode_text(raw, normalise=False)),
    }
    try:
        parsed = readers[fmt](data)
        # Every way in: no character XML forbids reaches the bank (see xml_safe).
        changed = clean_drafts(parsed.drafts)
        notes = encoding_notes(data) if fmt != "xlsx" else ([controls_note(changed)] if changed else [])
        parsed.notes = notes + parsed.notes
        return parsed
    except FormatError:
        raise
    except Exception as error:  # a reader's bug must not turn a bad file into a 500 page
        log.exception("question file %r (%s) could not be read", filename, fmt)
        raise FormatError(
            _l("The file could not be read. Check that it is a GIFT, Moodle XML or Excel question file.")
        ) from error
