"""Report thresholds, overridable in the app config (``app.config[NAME]``).

Item flags follow Moodle's guidance on quiz statistics: a facility index above 90 % is too
easy, below 20 % too hard, and a discrimination index below 20 % (0.2) separates strong and
weak trainees too little to be worth the question's place in the test.
"""

from __future__ import annotations

import os

from flask import current_app

DEFAULTS: dict[str, float | int] = {
    #: anonymous survey results are never shown for fewer respondents than this
    "SURVEY_MIN_GROUP": 5,
    #: facility index (0-1) above which an item is flagged "too easy"
    "REPORTS_FACILITY_HIGH": 0.90,
    #: facility index (0-1) below which an item is flagged "too hard"
    "REPORTS_FACILITY_LOW": 0.20,
    #: discrimination index (item-rest correlation) below which an item is flagged
    "REPORTS_DISCRIMINATION_LOW": 0.20,
    #: items answered fewer times than this are not flagged (their figures are noise)
    "REPORTS_FLAG_MIN_N": 5,
    #: days without activity after which a trainee counts as inactive (overview default)
    "REPORTS_INACTIVE_DAYS": 7,
    #: a module whose mean satisfaction (1-5) is below this is flagged on the health card
    "REPORTS_SATISFACTION_LOW": 3.5,
    #: a module whose mean need (1-5) is at least this is flagged as a high-demand need
    "REPORTS_NEED_HIGH": 4.0,
}


def setting(name: str):
    """A report setting: the app config's value, else the ``LMS_<NAME>`` environment variable
    (converted to the default's type), else the default."""
    if name in current_app.config:
        return current_app.config[name]
    default = DEFAULTS[name]
    raw = os.environ.get(f"LMS_{name}")
    if raw is None:
        return default
    try:
        return type(default)(raw)
    except ValueError:
        return default
