"""Random row ids for tables whose insertion order must not be readable.

Survey responses, answers and participations (and suggestions) take ids drawn at random
instead of from a sequence. With sequential ids, the n-th anonymous response of a survey and
the n-th participation would belong to the same trainee, and an anonymous row's id placed
between two named rows' ids would date it to within minutes; random ids carry no order.

Ids are drawn from [2**30, 2**31): they fit PostgreSQL's 32-bit ``integer`` columns (the
existing schema) and stay clear of the small values a sequence would hand out if some other
code inserted rows without an id. Collisions (about one in a million per id with a thousand
rows) are checked before the insert; a race between two transactions drawing the same id at
the same moment ends in an IntegrityError, which callers treat as "try again".
"""

from __future__ import annotations

import secrets

from sqlalchemy import select

from lms.extensions import db

LOW, HIGH = 2**30, 2**31 - 1


def random_ids(model: type, count: int) -> list[int]:
    """``count`` distinct random ids not yet used in ``model``'s table."""
    ids: set[int] = set()
    while len(ids) < count:
        wanted = count - len(ids)
        drawn = {LOW + secrets.randbelow(HIGH - LOW) for _ in range(wanted)} - ids
        taken = set(db.session.scalars(select(model.id).where(model.id.in_(drawn))))
        ids |= drawn - taken
    return list(ids)[:count]


def assign_ids(objects: list) -> None:
    """Give each new object (all of one model) a random id before it is flushed."""
    if not objects:
        return
    for obj, new_id in zip(objects, random_ids(type(objects[0]), len(objects)), strict=True):
        obj.id = new_id
