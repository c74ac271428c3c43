"""What learning tells the certificate rules: modules done and 学时 credited.

Registered as certificate requirement checks in ``lms/wiring.py``.
"""

from __future__ import annotations

from flask_babel import gettext as _

from lms.certificates.eligibility import RULE_LABELS, RequirementStatus, certificate_rules
from lms.cohorts.models import Cohort
from lms.i18n import format_hours

from .standing import course_standing


def required_modules_status(user_id: int, cohort: Cohort) -> RequirementStatus:
    rules = certificate_rules(cohort.course)
    standing = course_standing(user_id, cohort.course, cohort.id)
    wanted = rules["required_modules"]
    modules = [m for m in standing.modules if wanted == "all" or m.module.key in wanted]
    done = sum(1 for m in modules if m.is_done)
    return RequirementStatus(
        "required_modules",
        str(RULE_LABELS["required_modules"]),
        done == len(modules),
        _("%(done)d of %(total)d modules done", done=done, total=len(modules)),
    )


def credit_hours_status(user_id: int, cohort: Cohort) -> RequirementStatus:
    needed = float(certificate_rules(cohort.course)["min_credit_hours"] or 0)
    got = course_standing(user_id, cohort.course, cohort.id).credited_hours
    return RequirementStatus(
        "min_credit_hours",
        str(RULE_LABELS["min_credit_hours"]),
        got + 1e-9 >= needed,
        _("%(got)s of %(needed)s credit hours", got=format_hours(got), needed=format_hours(needed)),
    )


def credited_hours(user_id: int, cohort: Cohort) -> float:
    """The 学时 printed on the certificate: what the trainee has been credited."""
    return course_standing(user_id, cohort.course, cohort.id).credited_hours
