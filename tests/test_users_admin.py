"""Organizers' user management and the bulk import of trainees."""

from __future__ import annotations

import io

from openpyxl import Workbook
from sqlalchemy import func, select

from lms.audit.models import AuditEntry
from lms.auth.models import User
from lms.cohorts.models import Enrolment
from lms.extensions import db
from tests.conftest import PASSWORD, login

CSV = (
    "姓名,手机,邮箱,省,市,县,工作单位,职务\n"
    "张三,13800000001,,云南省,德宏州,芒市,芒市第一中学,教师\n"
    "李四,+86 138-0000-0002,lisi@example.org,云南省,德宏州,芒市,芒市教育体育局,科员\n"
    ",13800000003,,云南省,,,无名单位,\n"
    "王五,1234,,云南省,,,某单位,\n"
    "赵六,13800000001,,云南省,,,重复单位,\n"
    "钱七,,,云南省,,,某单位,\n"
)


def upload(client, data: bytes, filename: str, cohort_id: int = 0):
    return client.post(
        "/admin/users/import",
        data={"file": (io.BytesIO(data), filename), "cohort_id": str(cohort_id)},
        content_type="multipart/form-data",
    )


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(model.id)))


def test_import_preview_lists_every_problem_and_writes_nothing(app, client, make_user):
    login(client, make_user("organizer"))
    before = count(app, User)
    response = upload(client, CSV.encode("utf-8"), "trainees.csv")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "缺少姓名" in page  # row 4
    assert "手机号码格式有误：1234" in page  # row 5
    assert "与第2行重复" in page  # row 6 repeats row 2's phone
    assert "请填写手机号码或电子邮箱" in page  # row 7
    assert count(app, User) == before


def test_import_confirm_creates_accounts_once_and_enrols(app, client, make_user, make_cohort):
    organizer = make_user("organizer")
    cohort_id, _, _ = make_cohort(organizer_id=organizer.id)
    login(client, organizer)
    before = count(app, User)
    preview = upload(client, CSV.encode("utf-8"), "trainees.csv", cohort_id).headers["Location"]
    done = client.post(preview).get_data(as_text=True)
    assert "新建账号2个" in done
    assert count(app, User) == before + 2
    assert count(app, Enrolment) == 2
    with app.app_context():
        lisi = db.session.scalar(select(User).where(User.phone == "13800000002"))
        assert lisi.email == "lisi@example.org" and lisi.county == "芒市"
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.import"))
    # The same file again: both rows match existing accounts, nobody new.
    again = upload(client, CSV.encode("utf-8"), "trainees.csv", cohort_id).headers["Location"]
    client.post(again)
    assert count(app, User) == before + 2
    assert count(app, Enrolment) == 2
    # A used preview cannot be confirmed twice.
    assert client.post(preview).status_code == 302


def test_import_xlsx_and_gbk_csv(app, client, make_user):
    login(client, make_user("organizer"))
    book = Workbook()
    book.active.append(["姓名", "手机", "工作单位"])
    book.active.append(["孙八", 13800000009, "某县教育局"])
    data = io.BytesIO()
    book.save(data)
    client.post(upload(client, data.getvalue(), "list.xlsx").headers["Location"])
    gbk = "姓名,手机\n周九,13800000010\n".encode("gb18030")
    client.post(upload(client, gbk, "list.csv").headers["Location"])
    with app.app_context():
        names = set(db.session.scalars(select(User.name)))
    assert {"孙八", "周九"} <= names


def test_import_rejects_other_files_with_a_message(client, make_user):
    login(client, make_user("organizer"))
    page = upload(client, b"%PDF-1.4", "list.pdf").get_data(as_text=True)
    assert "请上传.csv或.xlsx格式的文件" in page
    page = upload(client, "手机\n13800000001\n".encode(), "list.csv").get_data(as_text=True)
    assert "第一行须为列标题" in page


def test_organizer_changes_roles_deactivates_and_resets(app, client, make_user):
    organizer = make_user("organizer")
    user = make_user("trainee", name="被管理者")
    login(client, organizer)
    assert "被管理者" in client.get("/admin/users/?q=被管理").get_data(as_text=True)
    client.post(f"/admin/users/{user.id}/roles", data={"trainee": "y", "trainer": "y"})
    with app.app_context():
        assert db.session.get(User, user.id).roles == {"trainee", "trainer"}
    page = client.post(f"/admin/users/{user.id}/reset-password").get_data(as_text=True)
    new_password = page.split("<code>")[1].split("</code>")[0]
    other = app.test_client()
    assert other.post("/login", data={"identifier": user.phone, "password": PASSWORD}).status_code == 200
    assert other.post("/login", data={"identifier": user.phone, "password": new_password}).status_code == 302
    client.post(f"/admin/users/{user.id}/active", data={"active": "0"})
    assert other.get("/profile").status_code == 302  # signed out at once
    with app.app_context():
        actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"user.set_roles", "user.reset_password", "user.deactivate"} <= actions
    audit = client.get("/admin/audit/").get_data(as_text=True)
    assert "user.deactivate" in audit
    assert new_password not in audit  # no secrets in the audit log


def test_organizer_cannot_lock_themselves_out(app, client, make_user):
    organizer = make_user("organizer")
    login(client, organizer)
    client.post(f"/admin/users/{organizer.id}/roles", data={"trainee": "y"})
    client.post(f"/admin/users/{organizer.id}/active", data={"active": "0"})
    with app.app_context():
        me = db.session.get(User, organizer.id)
        assert me.has_role("organizer") and me.is_active


def _xlsx_declaring(ref: str) -> bytes:
    """A small user list whose sheet claims the range ``ref`` (as a hostile file would)."""
    import re
    import zipfile

    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["姓名", "手机"])
    book.active.append(["张三", "13900001111"])
    plain = io.BytesIO()
    book.save(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            content = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="' + ref.encode() + b'"', content)
            dst.writestr(item, content)
    return out.getvalue()


def test_import_refuses_an_absurd_declared_range_before_reading(app, client, make_user):
    import tracemalloc

    from lms.auth.importing import read_table

    login(client, make_user("organizer"))
    data = _xlsx_declaring("A1:XFD6001")
    page = upload(client, data, "big.xlsx").get_data(as_text=True)
    assert "该工作表声明了 6001 行、16384 列" in page
    # a plausible declared range is read in bounded memory
    tracemalloc.start()
    table = read_table("ok.xlsx", _xlsx_declaring("A1:BL2000"))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert table == [["姓名", "手机"], ["张三", "13900001111"]]
    assert peak < 30 * 1024 * 1024
