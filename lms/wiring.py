"""How the domains talk to each other, in one place.

Domains do not import each other's services to react to events; they expose hook lists and
``due_items`` providers, and this module connects them when the app is created. Registering
is idempotent, so creating many apps (tests) registers each function once.
"""
from __future__ import annotations

from lms import todo


def connect_domains() -> None:
    from lms.assessment import results as assessment
    from lms.surveys import service as surveys

    # the dashboard's "to do" list
    todo.register(assessment.due_items)
    todo.register(surveys.due_items)
