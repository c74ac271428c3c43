"""The site's local date, as the application computes it, for tests that build or compare dates.

Cohort windows, survey days and certificate years are Asia/Shanghai days (LMS_TIMEZONE), which
differ from the machine's ``site_today()`` for eight hours of every UTC day. Tests use these
helpers, never ``site_today()``, so that they pass at any hour (CI proves it with --utc-clock).
"""

from __future__ import annotations

import os
from datetime import date, datetime
from zoneinfo import ZoneInfo

from lms.db import utcnow


def site_today() -> date:
    """Today in the site's time zone (the same default as ``lms.config``)."""
    return local_date(utcnow())


def local_date(moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(os.environ.get("LMS_TIMEZONE", "Asia/Shanghai"))).date()
