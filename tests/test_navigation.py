"""The main menu: each role's groups and links, every link opens for that role, and the
current section is marked (the desktop bar and the phone menu list the same links)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from tests.conftest import login

LEARNING = ["首页", "我的证书", "加入培训班", "意见箱"]
TEACHING = ["培训班", "阅卷", "课程编写"]
OVERSIGHT = ["评估报告", "持续改进台账"]
ADMINISTRATION = ["用户", "操作日志", "意见处理"]
ACCOUNT = ["个人信息", "退出登录"]


class NavReader(HTMLParser):
    """Reads one <nav> (found by its class): group labels, links and which one is current."""

    def __init__(self, nav_class: str):
        super().__init__()
        self.nav_class, self.depth, self.groups = nav_class, 0, []
        self.links: list[tuple[str, str, str | None]] = []  # (text, href, aria-current)
        self._text, self._link, self._label = None, None, False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.depth:
            self.depth += tag == "nav"
            if tag == "a":
                self._link, self._text = attrs, ""
            elif tag == "button":
                self._link, self._text = {"href": None}, ""
            elif tag == "span" and "nav-group-label" in (attrs.get("class") or ""):
                self._label, self._text = True, ""
        elif tag == "nav" and self.nav_class in (attrs.get("class") or "").split():
            self.depth = 1

    def handle_endtag(self, tag):
        if not self.depth:
            return
        if tag == "nav":
            self.depth -= 1
        elif tag in ("a", "button") and self._link is not None:
            self.links.append((self._text.strip(), self._link.get("href"), self._link.get("aria-current")))
            self._link = None
        elif tag == "span" and self._label:
            self.groups.append(self._text.strip())
            self._label = False

    def handle_data(self, data):
        if self.depth and self._text is not None:
            self._text += data


def read_nav(html: str, nav_class: str = "desktop-nav") -> NavReader:
    reader = NavReader(nav_class)
    reader.feed(html)
    return reader


def desktop_links(html: str) -> list[tuple[str, str, str | None]]:
    """The desktop bar's links, then 个人信息 / 退出登录 (beside the language switch)."""
    return read_nav(html).links + read_nav(html, "desktop-account").links


def labels(nav: NavReader) -> list[str]:
    return [text for text, _, _ in nav.links]


def details_nav(html: str) -> NavReader:
    """The phone menu's nav: the one inside <details class="menu">."""
    start = html.index('<details class="menu">')
    return read_nav(html[start : html.index("</details>", start)].replace("<nav ", '<nav class="phone" ', 1), "phone")


@pytest.mark.parametrize(
    ("roles", "groups", "expected"),
    [
        (("trainee",), ["学习"], LEARNING + ACCOUNT),
        (("trainer",), ["学习", "教学"], LEARNING + TEACHING + OVERSIGHT + ACCOUNT),
        (("organizer",), ["学习", "教学", "组织管理"], LEARNING + TEACHING + OVERSIGHT + ADMINISTRATION + ACCOUNT),
    ],
    ids=["trainee", "trainer", "organizer"],
)
def test_each_role_sees_its_groups_and_every_link_opens(client, make_user, roles, groups, expected):
    login(client, make_user(*roles))
    html = client.get("/").get_data(as_text=True)
    assert read_nav(html).groups == groups
    desktop = desktop_links(html)
    assert [text for text, _, _ in desktop] == expected
    phone = details_nav(html)
    assert phone.links == desktop and phone.groups == groups
    for text, href, _ in desktop:
        if href:  # 退出登录 is a POST form
            assert client.get(href).status_code == 200, text


def test_a_visitor_sees_log_in_and_register_only(client):
    nav = read_nav(client.get("/login").get_data(as_text=True))
    assert labels(nav) == ["登录", "注册"]
    assert [current for _, _, current in nav.links] == ["page", None]


def current(client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.get_data(as_text=True)
    marked = [text for text, _, aria in desktop_links(html) if aria == "page"]
    assert marked == [text for text, _, aria in details_nav(html).links if aria == "page"]
    return marked


def test_the_current_section_is_marked(client, make_user, make_cohort):
    organizer = make_user("organizer")
    cohort_id, _, _ = make_cohort(organizer_id=organizer.id)
    login(client, organizer)
    assert current(client, "/") == ["首页"]
    assert current(client, "/reports/") == ["评估报告"]
    assert current(client, "/admin/users/") == ["用户"]
    assert current(client, "/improvements/new") == ["持续改进台账"]
    assert current(client, f"/cohorts/{cohort_id}") == ["培训班"]
    assert current(client, f"/cohorts/{cohort_id}/surveys") == ["培训班"]  # a cohort's page, not 学习
    assert current(client, "/join") == ["加入培训班"]  # a named endpoint beats its blueprint
    assert current(client, "/suggestions/mine") == ["意见箱"]
    assert current(client, "/admin/suggestions") == ["意见处理"]
    assert current(client, "/profile/password") == ["个人信息"]
    assert current(client, "/certificates") == ["我的证书"]


def test_a_trainee_on_a_cohort_survey_page_is_in_learning(client, make_user, make_cohort, app):
    from lms.cohorts.models import Enrolment
    from lms.extensions import db

    trainee = make_user("trainee")
    cohort_id, _, _ = make_cohort()
    with app.app_context():
        db.session.add(Enrolment(cohort_id=cohort_id, user_id=trainee.id))
        db.session.commit()
    login(client, trainee)
    assert current(client, f"/cohorts/{cohort_id}/surveys") == ["首页"]  # no 培训班 link for a trainee
