"""Editing a survey's items: add, edit (a new SurveyItemVersion), move, remove (retire).

The rules are the course format's (docs/course-format.md, "Surveys"), and an item's content
and hash come from :class:`lms.content.spec.SurveyItemSpec`, as when loaded from files. As
there, an item's position and section are layout: moving it makes no new version. Removed
items are retired, never deleted: answers point at them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select

from lms.audit.service import record
from lms.auth.models import User
from lms.content.fields import KEY_PATTERN
from lms.content.publish import publish_version
from lms.content.schema import ITEM_TYPES, MEASURES, TITLE_LENGTH
from lms.content.spec import SurveyItemSpec
from lms.extensions import db
from lms.learning.models import Module
from lms.surveys.models import (
    ItemType,
    Survey,
    SurveyItem,
    SurveyKind,
)
from lms.versioning import content_hash

from .service import AuthoringError

CHOICE_TYPES = ("single", "multiple")


@dataclass
class ItemData:
    itype: str
    prompt: str
    section: str
    required: bool = True
    options: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)  #: [{"id", "label"}]
    minimum: float | None = None
    maximum: float | None = None
    module_key: str | None = None
    measure: str | None = None

    def spec(self) -> dict:
        """The item's type-specific settings, shaped as the loader stores them."""
        spec: dict = {}
        if self.itype in CHOICE_TYPES:
            spec["options"] = list(self.options)
        if self.itype in ("likert", "matrix") and self.labels:
            spec["labels"] = list(self.labels)
        if self.itype == "matrix":
            spec["rows"] = [dict(r) for r in self.rows]
        if self.itype == "number":
            for name, value in (("min", self.minimum), ("max", self.maximum)):
                if value is not None:
                    spec[name] = float(value)
        return spec


class ItemProblems(AuthoringError):
    def __init__(self, problems: dict[str, str]):
        super().__init__(" ".join(problems.values()))
        self.problems = problems


class ItemConflict(AuthoringError):
    def __init__(self, item: SurveyItem):
        super().__init__(
            _("Someone else saved this item (now version %(v)d) while you were editing it.", v=item.version)
        )
        self.item = item


def items(survey: Survey, retired: bool = False) -> list[SurveyItem]:
    query = select(SurveyItem).where(SurveyItem.survey_id == survey.id)
    if not retired:
        query = query.where(SurveyItem.is_retired.is_(False))
    return db.session.scalars(query.order_by(SurveyItem.position, SurveyItem.id)).all()


def data_of(item: SurveyItem) -> ItemData:
    spec = item.spec or {}
    module_key = db.session.scalar(select(Module.key).where(Module.id == item.module_id)) if item.module_id else None
    return ItemData(
        itype=str(item.itype),
        prompt=item.prompt,
        section=item.section,
        required=item.is_required,
        options=list(spec.get("options") or []),
        labels=list(spec.get("labels") or []),
        rows=list(spec.get("rows") or []),
        minimum=spec.get("min"),
        maximum=spec.get("max"),
        module_key=module_key,
        measure=item.measure,
    )


def item_problems(survey: Survey, data: ItemData) -> dict[str, str]:
    """Every rule the item breaks, by form field (empty when it may be saved)."""
    problems: dict[str, str] = {}
    if data.itype not in ITEM_TYPES:
        return {"itype": _("Choose the item type.")}
    if not data.prompt.strip():
        problems["prompt"] = _("The question must not be empty.")
    if not data.section.strip() or len(data.section) > TITLE_LENGTH:
        problems["section"] = _("Give the section a title of at most 200 characters.")
    if data.itype in CHOICE_TYPES and (len(data.options) < 2 or len(set(data.options)) != len(data.options)):
        problems["options"] = _("Give at least 2 different options, one per line.")
    if data.labels and (data.itype not in ("likert", "matrix") or len(data.labels) != 5):
        problems["labels"] = _("Scale labels are exactly 5 lines, for likert and matrix items.")
    if data.itype == "matrix":
        ids = [r["id"] for r in data.rows]
        if (
            not data.rows
            or len(set(ids)) != len(ids)
            or not all(KEY_PATTERN.match(i) and r["label"] for i, r in zip(ids, data.rows, strict=True))
        ):
            problems["rows"] = _(
                "Give at least one row as “id: label”, each id different (lower-case letters, digits and hyphens)."
            )
    if data.itype == "number" and None not in (data.minimum, data.maximum) and (data.minimum > data.maximum):
        problems["maximum"] = _("The largest value is less than the smallest.")
    if (
        data.module_key
        and db.session.scalar(
            select(Module.id).where(
                Module.course_id == survey.course_id,
                Module.key == data.module_key,
                Module.is_retired.is_(False),
            )
        )
        is None
    ):
        problems["module"] = _("Choose a module of this course.")
    if data.measure:
        if survey.kind != SurveyKind.NEEDS or data.measure not in MEASURES:
            problems["measure"] = _("Only items of the needs survey measure need or confidence.")
        elif not data.module_key:
            problems["measure"] = _("An item that measures need or confidence needs its module.")
    return problems


def _module_id(survey: Survey, key: str | None) -> int | None:
    if not key:
        return None
    return db.session.scalar(select(Module.id).where(Module.course_id == survey.course_id, Module.key == key))


def _version_row(actor: User, item: SurveyItem, spec: SurveyItemSpec, survey: Survey) -> None:
    data = spec.content() | {"survey": survey.key}
    publish_version(item, content_hash(data), data, "editor", actor)


def _spec(key: str, data: ItemData) -> SurveyItemSpec:
    return SurveyItemSpec(
        key, data.itype, data.prompt.strip(), data.required, data.spec(), data.module_key or None, data.measure or None
    )


def create_item(actor: User, survey: Survey, key: str, data: ItemData) -> SurveyItem:
    """Add an item at the end of its section (or of the survey, for a new section).

    :raises ItemProblems: when the key or the item breaks a rule.
    """
    problems = item_problems(survey, data)
    if not KEY_PATTERN.match(key or ""):
        problems["key"] = _(
            "Use lower-case letters, digits and hyphens, starting with a letter (at most 64 characters)."
        )
    elif (
        db.session.scalar(select(SurveyItem.id).where(SurveyItem.survey_id == survey.id, SurveyItem.key == key))
        is not None
    ):
        problems["key"] = _("The id “%(key)s” is already used in this survey (perhaps by a removed item).", key=key)
    if problems:
        raise ItemProblems(problems)
    current = items(survey)
    in_section = [i for i in current if i.section == data.section.strip()]
    position = (
        (in_section[-1].position + 1)
        if in_section
        else (
            (db.session.scalar(select(func.max(SurveyItem.position)).where(SurveyItem.survey_id == survey.id)) or 0) + 1
        )
    )
    for later in current:
        if later.position >= position:
            later.position += 1
    spec = _spec(key, data)
    item = SurveyItem(
        survey_id=survey.id,
        key=key,
        position=position,
        section=data.section.strip(),
        itype=ItemType(data.itype),
        prompt=spec.prompt,
        is_required=data.required,
        spec=spec.spec,
        module_id=_module_id(survey, data.module_key),
        measure=spec.measure,
        version=0,
        content_hash="",
    )
    db.session.add(item)
    _version_row(actor, item, spec, survey)
    record(actor, "authoring.create_survey_item", item, survey=survey.key, key=key)
    return item


def update_item(actor: User, item_id: int, version: int, data: ItemData) -> bool:
    """Save an item: a new version when its content changed; False when nothing did.

    :raises ItemConflict: when the item is no longer at ``version``.
    :raises ItemProblems: when the item breaks a rule.
    """
    item = db.session.scalar(
        select(SurveyItem).where(SurveyItem.id == item_id).with_for_update().execution_options(populate_existing=True)
    )
    if item.version != version:
        raise ItemConflict(item)
    survey = db.session.get(Survey, item.survey_id)
    problems = item_problems(survey, data)
    if problems:
        raise ItemProblems(problems)
    spec = _spec(item.key, data)
    moved = item.section != data.section.strip()
    item.section = data.section.strip()  # layout: no new version
    if content_hash(spec.content() | {"survey": survey.key}) == item.content_hash:
        db.session.flush()
        return moved
    item.itype, item.prompt, item.is_required = ItemType(data.itype), spec.prompt, data.required
    item.spec, item.measure = spec.spec, spec.measure
    item.module_id = _module_id(survey, data.module_key)
    _version_row(actor, item, spec, survey)
    record(actor, "authoring.update_survey_item", item, version=item.version)
    return True


def move_item(actor: User, item: SurveyItem, direction: int) -> bool:
    """Swap an item with its neighbour; across a section boundary it joins that section."""
    current = db.session.scalars(
        select(SurveyItem)
        .where(SurveyItem.survey_id == item.survey_id, SurveyItem.is_retired.is_(False))
        .order_by(SurveyItem.position, SurveyItem.id)
        .with_for_update()
    ).all()
    index = next(i for i, row in enumerate(current) if row.id == item.id)
    other = index + direction
    if not 0 <= other < len(current):
        return False
    neighbour = current[other]
    if neighbour.section != current[index].section:
        current[index].section = neighbour.section  # step into the next section first
    else:
        for position, row in enumerate(current):
            row.position = position
        current[index].position, neighbour.position = other, index
    db.session.flush()
    record(actor, "authoring.move_survey_item", current[index], direction=direction)
    return True


def retire_item(actor: User, item: SurveyItem) -> None:
    """Remove an item from the form; it stays in the database (answers point at it).

    :raises ItemProblems: when it is the survey's last item.
    """
    if len(items(db.session.get(Survey, item.survey_id))) <= 1:
        raise ItemProblems({"item": _("A survey needs at least one item.")})
    item.is_retired = True
    db.session.flush()
    record(actor, "authoring.retire_survey_item", item)
