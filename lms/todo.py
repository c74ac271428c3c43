"""What a trainee has to do next: the items each domain contributes to the dashboard.

Each domain that has something due (a survey, a quiz, a certificate to download) exposes a
function ``due_items(user_id, cohort) -> list[DueItem]``; the home page collects them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class DueItem:
    kind: str  #: "survey", "quiz", "certificate", ... (a CSS hook and a sort key)
    title: str  #: already translated, shown as the link text
    url: str
    due_at: datetime | None = None  #: UTC; None when there is no deadline
    note: str = ""  #: one short translated line, e.g. "3 天后截止" or "已提交，可修改"


Provider = Callable[[int, object], list[DueItem]]
_providers: list[Provider] = []


def register(provider: Provider) -> Provider:
    """Add a domain's ``due_items`` (once, however many apps are created)."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def due_items(user_id: int, cohort) -> list[DueItem]:
    """Everything due for the trainee in the cohort, soonest deadline first."""
    items = [item for provider in _providers for item in provider(user_id, cohort)]
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(items, key=lambda item: item.due_at or far)
