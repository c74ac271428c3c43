"""Breakdown dimensions: region (省 / 省市 / 省市县), work unit and position of the trainee."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from lms.auth.models import User


@dataclass(frozen=True)
class Dimension:
    key: str
    label: object
    attributes: tuple[str, ...]  #: User columns, most general first

    def columns(self) -> list:
        return [getattr(User, name) for name in self.attributes]

    def key_of(self, row) -> tuple:
        return tuple(getattr(row, name) for name in self.attributes)

    def label_of(self, row) -> str:
        parts = [getattr(row, name) or "" for name in self.attributes]
        return " ".join(p for p in parts if p) or "—"


DIMENSIONS: dict[str, Dimension] = {
    d.key: d
    for d in (
        Dimension("province", _l("Province"), ("province",)),
        Dimension("city", _l("City"), ("province", "city")),
        Dimension("county", _l("County"), ("province", "city", "county")),
        Dimension("work_unit", _l("Work unit"), ("work_unit",)),
        Dimension("position", _l("Position"), ("position",)),
    )
}
DEFAULT_DIMENSION = "province"


def dimension(key: str | None) -> Dimension:
    return DIMENSIONS.get(key or DEFAULT_DIMENSION, DIMENSIONS[DEFAULT_DIMENSION])
