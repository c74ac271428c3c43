"""Credited hours (学时) per trainee, behind a replaceable provider.

The learning domain owns the rules for crediting 学时. Until it provides them, the default
provider credits a module's ``credit_hours`` once the trainee has completed every current lesson
of it (from ``lesson_progress``). The lead replaces it at start-up with::

    set_hours_provider(lambda cohort: credited_hours_by_user(cohort))  # {user_id: hours}
"""

from __future__ import annotations

from collections.abc import Callable

from lms.cohorts.models import Cohort

from .progress import module_completions

HoursProvider = Callable[[Cohort], dict[int, float]]


def completed_module_hours(cohort: Cohort) -> dict[int, float]:
    """Σ credit_hours of the modules each member has completed (members with none omitted)."""
    return {row.user_id: float(row.hours or 0) for row in module_completions(cohort)}


_provider: HoursProvider = completed_module_hours


def set_hours_provider(provider: HoursProvider | None) -> None:
    """Use ``provider`` for every 学时 figure in the reports (None restores the default)."""
    global _provider
    _provider = provider or completed_module_hours


def hours_by_user(cohort: Cohort) -> dict[int, float]:
    return _provider(cohort)
