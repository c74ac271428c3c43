"""Bulk import of trainees from CSV or XLSX: parse and check every row, then write on confirm.

The preview is a plain list of :class:`ImportRow`; nothing touches the database until
:func:`apply_import`, which re-checks uniqueness inside the write transaction. Rows whose
phone or e-mail already belongs to an account are matched, not duplicated, so importing the
same file twice creates nobody the second time.
"""

from __future__ import annotations

import csv
import io
import secrets
from dataclasses import asdict, dataclass, field

from flask_babel import lazy_gettext as _l
from openpyxl import load_workbook
from sqlalchemy import or_, select

from lms.audit.service import record
from lms.extensions import db
from lms.input_guard import strip_control

from .models import Role, User
from .service import Profile, create_user
from .validators import normalize_email, normalize_phone

#: accepted column headings (Chinese or English) -> profile field
HEADINGS = {
    "姓名": "name",
    "name": "name",
    "手机": "phone",
    "手机号": "phone",
    "手机号码": "phone",
    "phone": "phone",
    "mobile": "phone",
    "邮箱": "email",
    "电子邮箱": "email",
    "email": "email",
    "e-mail": "email",
    "省": "province",
    "省份": "province",
    "province": "province",
    "市": "city",
    "城市": "city",
    "city": "city",
    "县": "county",
    "区县": "county",
    "县区": "county",
    "county": "county",
    "工作单位": "work_unit",
    "单位": "work_unit",
    "work unit": "work_unit",
    "work_unit": "work_unit",
    "职务": "position",
    "position": "position",
}
TEMPLATE_HEADINGS = ["姓名", "手机", "邮箱", "省", "市", "县", "工作单位", "职务"]
MAX_ROWS = 5000
#: columns read from an XLSX sheet (the template has 8); declared sizes beyond these are refused
MAX_COLUMNS = 64
MAX_DECLARED_ROWS = 2 * MAX_ROWS
MAX_DECLARED_COLUMNS = 1024
MAX_LENGTHS = {"name": 64, "province": 32, "city": 32, "county": 32, "work_unit": 128, "position": 64}
#: the column headings shown in messages about a field
FIELD_HEADINGS = {
    "name": "姓名",
    "province": "省",
    "city": "市",
    "county": "县",
    "work_unit": "工作单位",
    "position": "职务",
}


class ImportFileError(ValueError):
    """The file as a whole cannot be read (wrong type, no heading row, too many rows)."""


@dataclass
class ImportRow:
    line: int  #: the row number the organizer sees in the spreadsheet (heading = 1)
    values: dict
    problems: list[str] = field(default_factory=list)
    existing_user_id: int | None = None

    @property
    def is_new(self) -> bool:
        return not self.problems and self.existing_user_id is None


def read_table(filename: str, data: bytes) -> list[list[str]]:
    """Rows of cell texts from a CSV (UTF-8 or GBK) or XLSX file.

    :raises ImportFileError: for other file types or unreadable content.
    """
    name = filename.lower()
    if name.endswith(".xlsx"):
        return _read_xlsx(data)
    if name.endswith(".csv"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ImportFileError(_l("The CSV file is not in UTF-8 or GBK encoding."))
        return [[strip_control(cell).strip() for cell in row] for row in csv.reader(io.StringIO(text))]
    raise ImportFileError(_l("Upload a .csv or .xlsx file."))


def _read_xlsx(data: bytes) -> list[list[str]]:
    """The sheet's rows, streamed and bounded: a few KB can declare A1:XFD1048576, and
    openpyxl pads every row to the declared width, so the declared range is checked first
    and at most MAX_COLUMNS columns and MAX_ROWS rows (plus the heading) are read."""
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise ImportFileError(_l("The XLSX file could not be read.")) from error
    try:
        sheet = book.active
        rows, columns = sheet.max_row or 0, sheet.max_column or 0
        if rows > MAX_DECLARED_ROWS or columns > MAX_DECLARED_COLUMNS:
            raise ImportFileError(
                _l(
                    "The sheet declares %(rows)d rows and %(columns)d columns; import at most %(n)d rows at a time.",
                    rows=rows,
                    columns=columns,
                    n=MAX_ROWS,
                )
            )
        table = []
        for row in sheet.iter_rows(max_col=min(columns, MAX_COLUMNS) or None, values_only=True):
            cells = ["" if cell is None else strip_control(str(cell)).strip() for cell in row]
            while cells and not cells[-1]:  # the padding up to the declared width
                cells.pop()
            if cells:
                table.append(cells)
                if len(table) > MAX_ROWS + 1:  # the declared size may lie: stop reading
                    raise ImportFileError(_l("Import at most %(n)d rows at a time.", n=MAX_ROWS))
        return table
    except ImportFileError:
        raise
    except Exception as error:
        raise ImportFileError(_l("The XLSX file could not be read.")) from error
    finally:
        book.close()


def parse_rows(table: list[list[str]]) -> list[ImportRow]:
    """Check every row of ``table`` (heading first) and attach its problems.

    :raises ImportFileError: when the heading row lacks a name column or the file is empty.
    """
    table = [row for row in table if any(cell for cell in row)]
    if not table:
        raise ImportFileError(_l("The file is empty."))
    columns = [HEADINGS.get(cell.strip().lower()) for cell in table[0]]
    if "name" not in columns:
        raise ImportFileError(_l("The first row must hold the column headings, including 姓名."))
    if len(table) - 1 > MAX_ROWS:
        raise ImportFileError(_l("Import at most %(n)d rows at a time.", n=MAX_ROWS))

    rows = []
    for number, cells in enumerate(table[1:], start=2):
        values = dict.fromkeys(("name", "phone", "email", *MAX_LENGTHS), "")
        for column, cell in zip(columns, cells, strict=False):
            if column:
                values[column] = cell
        rows.append(_check_row(number, values))
    _mark_duplicates_in_file(rows)
    _match_existing_accounts(rows)
    return rows


def _check_row(number: int, values: dict) -> ImportRow:
    row = ImportRow(line=number, values=values)
    if not values["name"]:
        row.problems.append(str(_l("Name is missing.")))
    if values["phone"]:
        phone = normalize_phone(values["phone"])
        if phone is None:
            row.problems.append(str(_l("Malformed mobile number: %(v)s", v=values["phone"])))
        values["phone"] = phone or values["phone"]
    if values["email"]:
        email = normalize_email(values["email"])
        if email is None:
            row.problems.append(str(_l("Malformed e-mail address: %(v)s", v=values["email"])))
        values["email"] = email or values["email"]
    if not values["phone"] and not values["email"]:
        row.problems.append(str(_l("Give a mobile number or an e-mail address.")))
    for name, limit in MAX_LENGTHS.items():
        if len(values[name]) > limit:
            row.problems.append(
                str(_l("%(field)s is longer than %(n)d characters.", field=FIELD_HEADINGS[name], n=limit))
            )
    return row


def _mark_duplicates_in_file(rows: list[ImportRow]) -> None:
    seen: dict[str, int] = {}
    for row in rows:
        for key in ("phone", "email"):
            value = row.values[key]
            if not value:
                continue
            if value in seen:
                row.problems.append(str(_l("Duplicate of row %(line)d (%(v)s).", line=seen[value], v=value)))
            else:
                seen[value] = row.line


def _match_existing_accounts(rows: list[ImportRow]) -> None:
    phones = {r.values["phone"] for r in rows if r.values["phone"]}
    emails = {r.values["email"] for r in rows if r.values["email"]}
    if not phones and not emails:
        return
    found = db.session.execute(
        select(User.id, User.phone, User.email).where(or_(User.phone.in_(phones), User.email.in_(emails)))
    ).all()
    by_phone = {p: i for i, p, _ in found if p}
    by_email = {e: i for i, _, e in found if e}
    for row in rows:
        ids = {by_phone.get(row.values["phone"]), by_email.get(row.values["email"])} - {None}
        if len(ids) > 1:
            row.problems.append(str(_l("The phone and the e-mail belong to two different accounts.")))
        elif ids:
            row.existing_user_id = ids.pop()


def rows_to_json(rows: list[ImportRow]) -> list[dict]:
    return [asdict(row) for row in rows]


def rows_from_json(data: list[dict]) -> list[ImportRow]:
    return [ImportRow(**item) for item in data]


@dataclass
class ImportResult:
    created: list[tuple[User, str]]  #: new accounts with their one-time passwords
    matched: list[User]
    skipped: int


def apply_import(actor: User, rows: list[ImportRow]) -> ImportResult:
    """Create the new accounts among ``rows`` (trainee role) and return them with passwords.

    Rows with problems are skipped. Uniqueness is checked again here, so a file imported
    twice, or two organizers importing at once, never creates a duplicate account.
    """
    _match_existing_accounts(rows)  # the database may have changed since the preview
    created, matched, skipped = [], [], 0
    for row in rows:
        if row.problems:
            skipped += 1
        elif row.existing_user_id is not None:
            matched.append(db.session.get(User, row.existing_user_id))
        else:
            password = secrets.token_urlsafe(9)
            profile = Profile(**{k: v or None if k in ("phone", "email") else v for k, v in row.values.items()})
            created.append((create_user(profile, password, {Role.TRAINEE}), password))
    record(actor, "user.import", None, created=len(created), matched=len(matched), skipped=skipped)
    return ImportResult(created=created, matched=matched, skipped=skipped)


def template_csv() -> bytes:
    """A blank import template with the heading row and one example row."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(TEMPLATE_HEADINGS)
    writer.writerow(["张三", "13800000000", "", "云南省", "德宏州", "芒市", "芒市教育体育局", "干部"])
    return out.getvalue().encode("utf-8-sig")
