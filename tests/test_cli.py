"""The `flask lms` commands."""

from __future__ import annotations

from sqlalchemy import func, select

from lms.auth.models import User
from lms.cohorts.models import Cohort
from lms.extensions import db


def test_create_user_command(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "lms",
            "create-user",
            "--name",
            "管理员",
            "--phone",
            "13500000000",
            "--role",
            "organizer",
            "--password",
            "a-long-password",
        ],
    )
    assert result.exit_code == 0, result.output
    again = runner.invoke(
        args=["lms", "create-user", "--name", "重复", "--phone", "13500000000", "--password", "a-long-password"]
    )
    assert again.exit_code != 0 and "该手机号码已注册" in again.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.phone == "13500000000"))
        assert user.roles == {"organizer"} and user.check_password("a-long-password")


def test_import_users_command(app, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("姓名,手机\n甲,13500000001\n乙,bad\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["lms", "import-users", str(path), "--yes"])
    assert result.exit_code == 0, result.output
    assert "row 3" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 1


def test_demo_data_is_created_once(app, make_course):
    make_course()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["lms", "demo"])
    second = runner.invoke(args=["lms", "demo"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert "demo-pass" in first.output and "trainee@demo.lms" in first.output
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 3
        assert db.session.scalar(select(func.count(Cohort.id))) == 1
        code = db.session.scalar(select(Cohort.enrol_code))
    assert code in first.output and code in second.output
