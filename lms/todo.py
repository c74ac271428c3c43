"""What a trainee has to do next: the items each domain contributes to the dashboard.

Each domain that has something due (a survey, a quiz, a certificate to download) exposes a
function ``due_items(user_id, cohort) -> list[DueItem]``; the home page collects them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class DueItem:
    kind: str  #: "survey", "quiz", "certificate", ... (a CSS hook and a sort key)
    title: str  #: already translated, shown as the link text
    url: str
    due_at: datetime | None = None  #: UTC; None when there is no deadline
    note: str = ""  #: one short translated line, e.g. "3 天后截止" or "已提交，可修改"
