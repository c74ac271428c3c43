"""The main menu: which links each role sees, in which group, and which one is current.

Rendered twice by ``templates/_nav.html``: inside the folded ``<details>`` menu on phones and as
an always-visible bar on wider screens. Both read the same groups, so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .auth.models import Role


@dataclass(frozen=True)
class Link:
    label: object  #: a lazy translation
    endpoint: str
    #: what counts as this link's section: "blueprint" or "blueprint.endpoint"
    sections: tuple[str, ...] = ()


@dataclass(frozen=True)
class Entry:
    label: str
    url: str
    current: bool


@dataclass(frozen=True)
class Group:
    label: str
    entries: tuple[Entry, ...]


HOME = Link(
    _l("Home"),
    "learning.home",
    ("learning", "discussions", "assessment", "surveys", "certificates.download_certificate"),
)
MY_CERTIFICATES = Link(_l("My certificates"), "certificates.my_certificates", ("certificates.my_certificates",))
JOIN = Link(_l("Join a cohort"), "cohorts.join", ("cohorts.join", "cohorts.join_by_link"))
SUGGESTION_BOX = Link(
    _l("Suggestion box"), "suggestions.new_suggestion", ("suggestions.new_suggestion", "suggestions.my_suggestions")
)
COHORTS = Link(
    _l("Cohorts"),
    "cohorts.list_cohorts",
    (
        "cohorts",
        "surveys",
        "discussions",
        "learning.cohort_progress",
        "learning.member_record",
        "assessment.list_cohort_attempts",
        "assessment.export_cohort_attempts",
        "certificates",
    ),
)
GRADING = Link(
    _l("Grading"),
    "assessment.grading_queue",
    ("assessment.grading_queue", "assessment.grade_item", "assessment.regrade_question"),
)
AUTHORING = Link(_l("Course authoring"), "authoring.list_courses", ("authoring", "bank"))
REPORTS = Link(_l("Reports"), "reports.index", ("reports",))
LEDGER = Link(_l("Improvement ledger"), "improvement.list_actions", ("improvement",))
USERS = Link(_l("Users"), "users.list_users", ("users",))
AUDIT = Link(_l("Audit log"), "audit.list_entries", ("audit",))
SUGGESTIONS_RECEIVED = Link(
    _l("Suggestions received"),
    "suggestions.list_suggestions",
    ("suggestions.list_suggestions", "suggestions.show_suggestion"),
)
PROFILE = Link(_l("Profile"), "auth.profile", ("auth.profile", "auth.change_password"))
LOG_IN = Link(_l("Log in"), "auth.login", ("auth.login",))
REGISTER = Link(_l("Register"), "auth.register", ("auth.register",))


@dataclass(frozen=True)
class Menu:
    groups: tuple[Group, ...]
    profile: Entry | None  #: shown beside 退出登录, outside the groups


def menu_groups(user) -> list[tuple[object, list[Link]]]:
    """The groups of links ``user`` may follow (labels still lazy); deny by default."""
    if not user.is_authenticated:
        return [(None, [LOG_IN, REGISTER])]
    groups = [(_l("Learning"), [HOME, MY_CERTIFICATES, JOIN, SUGGESTION_BOX])]
    teaching = [COHORTS, GRADING, AUTHORING]
    oversight = [REPORTS, LEDGER]
    if user.has_role(Role.ORGANIZER):
        groups += [(_l("Teaching"), teaching), (_l("Administration"), [*oversight, USERS, AUDIT, SUGGESTIONS_RECEIVED])]
    elif user.has_role(Role.TRAINER):
        groups += [(_l("Teaching"), teaching + oversight)]
    return groups


def current_link(links: list[Link], endpoint: str | None) -> Link | None:
    """The link whose section ``endpoint`` belongs to: a named endpoint wins over a blueprint,
    and among blueprints a later (more specialised) group wins over 学习."""
    if not endpoint:
        return None
    for link in links:
        if endpoint in link.sections:
            return link
    blueprint = endpoint.split(".", 1)[0]
    for link in reversed(links):
        if blueprint in link.sections:
            return link
    return None


def main_menu() -> Menu:
    """The current user's menu for the current request, ready to render."""
    groups = menu_groups(current_user)
    account = [PROFILE] if current_user.is_authenticated else []
    current = current_link([link for _, links in groups for link in links] + account, request.endpoint)

    def entry(link: Link) -> Entry:
        return Entry(str(link.label), url_for(link.endpoint), link is current)

    return Menu(
        groups=tuple(Group(str(label) if label else "", tuple(map(entry, links))) for label, links in groups),
        profile=entry(PROFILE) if account else None,
    )


def init_navigation(app: Flask) -> None:
    app.jinja_env.globals["main_menu"] = main_menu
