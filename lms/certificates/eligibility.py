"""Who has earned a certificate: a registry of requirement checks, one per course rule.

A course's rules live in ``course.settings["certificate"]`` (see docs/course-format.md):
``required_modules`` (all, or a list of module keys), ``final_exam``, ``feedback`` and
``min_credit_hours``. Each rule the course demands is checked by the function registered
under the rule's name; the domains that own the data (learning, assessment, surveys)
register theirs, so this module knows no other domain's tables. A rule nobody has
registered a check for is *not met*, with a detail saying it cannot be checked yet: a
certificate is never issued on a rule nobody looked at.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lms.cohorts.models import Cohort
from lms.learning.models import Course


@dataclass(frozen=True)
class RequirementStatus:
    key: str  #: the rule's name, e.g. "final_exam"
    label: str  #: what the rule asks, translated
    met: bool
    detail: str = ""  #: one translated line: progress, or why it is not met


@dataclass(frozen=True)
class Eligibility:
    met: bool
    statuses: list[RequirementStatus] = field(default_factory=list)


Check = Callable[[int, Cohort], RequirementStatus]
CreditHoursSource = Callable[[int, Cohort], float]

#: The rules a course file may set, in the order they are shown, with their labels.
RULE_LABELS = {
    "required_modules": _l("Required modules completed"),
    "final_exam": _l("Final exam passed"),
    "feedback": _l("Course feedback form submitted"),
    "min_credit_hours": _l("Enough credit hours"),
}

_checks: dict[str, Check] = {}
_credit_hours_source: CreditHoursSource | None = None


def register_check(name: str, check: Check | None = None):
    """Register ``check`` for the rule ``name`` (replacing any earlier one).

    Usable as ``register_check("final_exam", fn)`` or as a decorator ``@register_check("x")``.
    """

    def add(fn: Check) -> Check:
        _checks[name] = fn
        return fn

    return add(check) if check is not None else add


def unregister_check(name: str) -> None:
    _checks.pop(name, None)


def registered_checks() -> dict[str, Check]:
    """A copy of the registry (tests save and restore it)."""
    return dict(_checks)


def restore_checks(saved: dict[str, Check]) -> None:
    _checks.clear()
    _checks.update(saved)


def certificate_rules(course: Course) -> dict:
    """The course's certificate settings with the format's defaults filled in."""
    rules = dict((course.settings or {}).get("certificate") or {})
    rules.setdefault("required_modules", "all")
    rules.setdefault("final_exam", False)
    rules.setdefault("feedback", False)
    rules.setdefault("min_credit_hours", 0)
    rules.setdefault("issuer", "")
    return rules


def required_rules(course: Course) -> list[str]:
    """The names of the rules this course demands, in display order."""
    rules = certificate_rules(course)
    names = []
    if rules["required_modules"] == "all" or rules["required_modules"]:
        names.append("required_modules")
    if rules["final_exam"]:
        names.append("final_exam")
    if rules["feedback"]:
        names.append("feedback")
    if float(rules["min_credit_hours"] or 0) > 0:
        names.append("min_credit_hours")
    return names


def evaluate(user_id: int, cohort: Cohort) -> Eligibility:
    """Check every rule of the cohort's course for the trainee; met only if all are met."""
    statuses = []
    for name in required_rules(cohort.course):
        check = _checks.get(name)
        if check is None:
            statuses.append(
                RequirementStatus(name, str(RULE_LABELS.get(name, name)), False, _("cannot be checked yet"))
            )
        else:
            statuses.append(check(user_id, cohort))
    return Eligibility(all(s.met for s in statuses), statuses)


def register_credit_hours_source(source: CreditHoursSource | None) -> None:
    """Set the function giving a trainee's credited 学时 (None: the course's total)."""
    global _credit_hours_source
    _credit_hours_source = source


def credited_hours(user_id: int, cohort: Cohort) -> float:
    """The 学时 to print on a certificate issued now."""
    if _credit_hours_source is not None:
        return float(_credit_hours_source(user_id, cohort))
    return float(cohort.course.credit_hours or 0)
