"""A course's question bank: who may manage it, the list, writing questions by key with
versions, and importing question files (a preview first, then a confirmed write).

Questions are written the way the course loader writes them (:mod:`lms.content.upsert`):
their content is :meth:`lms.content.spec.QuestionSpec.content`, hashed with
:func:`lms.versioning.content_hash`, so a question loaded from the course files and the same
question imported from a file are recognised as one, and a new version (with its
``question_versions`` row) is made only when the content changed.

An import is planned twice: for the preview, and again inside the write transaction on
confirm, against the bank as it is then; only the drafts read from the file are kept
between the two (server side, see :mod:`lms.storage`), never anything the browser sends
back except the numbers of the items to skip.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import String, cast, func, or_, select

from lms.access import may_see_keys
from lms.audit.service import record
from lms.auth.models import User
from lms.content.publish import publish_version
from lms.content.question_rules import CHOICE_TYPES, question_problems
from lms.content.spec import QuestionSpec
from lms.extensions import db
from lms.learning.models import Course, Lesson, Module
from lms.versioning import content_hash

from .formats.common import (
    Draft,
    normalise_key,
    type_label,
)
from .models import Difficulty, Question, QuestionStatus, QuestionType

DIFFICULTIES = tuple(d.value for d in Difficulty)
PER_PAGE = 50


def can_manage_bank(user: User, course: Course) -> bool:
    """Organizers, and trainers assigned to a cohort of the course, manage its bank (it holds
    the keys), unless they are taking the course themselves."""
    return may_see_keys(user, course.id)


# -- the list ---------------------------------------------------------------------------


@dataclass
class BankFilters:
    module_id: int | None = None
    qtype: str | None = None
    tag: str | None = None
    search: str = ""


@dataclass
class BankPage:
    """One page of the list, shaped for the ``pager`` macro."""

    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def _like(text: str) -> str:
    """``text`` for a LIKE pattern with ``/`` as the escape character."""
    return re.sub(r"([/%_])", r"/\1", text)


def bank_page(course: Course, filters: BankFilters, page: int = 1, per_page: int = PER_PAGE) -> BankPage:
    """The course's current questions matching ``filters``, by module and key: one query
    for the page and one for the count."""
    query = (
        select(
            Question.id,
            Question.key,
            Question.qtype,
            Question.stem,
            Question.version,
            Question.difficulty,
            Question.tags,
            Question.status,
            Module.title.label("module_title"),
        )
        .join(Module, Module.id == Question.module_id)
        .where(Question.course_id == course.id, Question.is_retired.is_(False))
    )
    if filters.module_id:
        query = query.where(Question.module_id == filters.module_id)
    if filters.qtype in {t.value for t in QuestionType}:
        query = query.where(Question.qtype == QuestionType(filters.qtype))
    if filters.tag:
        # Tags are a JSON list; its text holds each tag as json.dumps writes it.
        pattern = f"%{_like(json.dumps(filters.tag))}%"
        query = query.where(cast(Question.tags, String).like(pattern, escape="/"))
    if filters.search.strip():
        pattern = f"%{_like(filters.search.strip())}%"
        query = query.where(or_(Question.stem.ilike(pattern, escape="/"), Question.key.ilike(pattern, escape="/")))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    page = max(1, min(page, math.ceil(total / per_page) or 1))
    rows = db.session.execute(
        query.order_by(Module.position, Question.key).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return BankPage(items=rows, total=total, page=page, per_page=per_page)


def course_modules(course: Course) -> list[Module]:
    return db.session.scalars(
        select(Module).where(Module.course_id == course.id, Module.is_retired.is_(False)).order_by(Module.position)
    ).all()


def course_tags(course: Course) -> list[str]:
    """Every tag used by the course's current questions, sorted."""
    lists = db.session.scalars(
        select(Question.tags).where(Question.course_id == course.id, Question.is_retired.is_(False))
    )
    return sorted({tag for tags in lists for tag in tags or []})


def course_questions(course: Course) -> list[QuestionSpec]:
    """The course's current questions as plain data, by module and key (for exports)."""
    rows = db.session.execute(
        select(Question, Module.key, Lesson.key)
        .join(Module, Module.id == Question.module_id)
        .outerjoin(Lesson, Lesson.id == Question.lesson_id)
        .where(Question.course_id == course.id, Question.is_retired.is_(False))
        .order_by(Module.position, Question.key)
    ).all()
    return [_spec_of(q, module_key, lesson_key) for q, module_key, lesson_key in rows]


def _spec_of(q: Question, module_key: str, lesson_key: str | None) -> QuestionSpec:
    return QuestionSpec(
        key=q.key,
        qtype=str(q.qtype),
        stem=q.stem,
        options=list(q.options or []),
        answer=q.answer,
        explanation=q.explanation or "",
        lesson_key=lesson_key,
        difficulty=str(q.difficulty),
        tags=list(q.tags or []),
        module_key=module_key,
    )


# -- writing questions ------------------------------------------------------------------


@dataclass
class BankChanges:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)  #: content changed: a new version
    restored: list[str] = field(default_factory=list)  #: retired, back unchanged
    unchanged: list[str] = field(default_factory=list)


def save_questions(actor: User, course: Course, specs: list[QuestionSpec], source: str = "import") -> BankChanges:
    """Create or update questions of ``course`` by key; a question gets a new version (and
    a ``question_versions`` row) only when its content changed.

    The specs must be valid (see :func:`plan_import`): their module and lesson keys must
    name current modules and lessons of the course. Adds and flushes; never commits.
    """
    modules = {m.key: m for m in course_modules(course)}
    lessons = {
        lesson.key: lesson
        for lesson in db.session.scalars(
            select(Lesson).where(Lesson.course_id == course.id, Lesson.is_retired.is_(False))
        )
    }
    existing = {q.key: q for q in db.session.scalars(select(Question).where(Question.course_id == course.id))}
    changes = BankChanges()
    versioned: list[tuple[Question, dict]] = []
    for spec in specs:
        content = spec.content()
        digest = content_hash(content)
        columns = {
            "qtype": QuestionType(spec.qtype),
            "stem": spec.stem,
            "options": spec.options,
            "answer": spec.answer,
            "explanation": spec.explanation,
            "difficulty": Difficulty(spec.difficulty),
            "tags": spec.tags,
            "module_id": modules[spec.module_key].id,
            "lesson_id": lessons[spec.lesson_key].id if spec.lesson_key else None,
        }
        question = existing.get(spec.key)
        if question is None:
            question = Question(
                course_id=course.id,
                key=spec.key,
                version=1,
                content_hash=digest,
                is_retired=False,
                # a fresh import waits for a trainer to mark it ready before it is drawn
                status=QuestionStatus.DRAFT if source == "import" else QuestionStatus.READY,
                **columns,
            )
            db.session.add(question)
            existing[spec.key] = question
            changes.created.append(spec.key)
        elif question.content_hash != digest:
            _set(question, **columns, is_retired=False)
            question.version, question.content_hash = question.version + 1, digest
            changes.updated.append(spec.key)
        elif question.is_retired:
            question.is_retired = False
            changes.restored.append(spec.key)
            continue
        else:
            changes.unchanged.append(spec.key)
            continue
        versioned.append((question, content))
    db.session.flush()
    for question, content in versioned:
        publish_version(question, question.content_hash, content, source, actor, bump=False)
    return changes


def _set(obj, **values) -> None:
    """Set only the attributes that differ, so an equal value never causes an UPDATE."""
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)


# -- importing --------------------------------------------------------------------------


@dataclass
class PlannedItem:
    """What confirming would do with one question of the file, and why it cannot yet."""

    number: int
    line: int
    key: str | None
    #: create, update, replace (an update whose text is another question's), unchanged,
    #: restore, or "" when the item has problems
    action: str
    qtype: str | None
    stem: str
    module: str  #: the module's title, when it could be resolved
    problems: list[str]
    spec: QuestionSpec | None = None
    previous_stem: str = ""  #: replace only: the text in the bank now
    #: replace only: (kind, text) parts of the difference, kind "same", "del" or "ins"
    difference: list[tuple[str, str]] = field(default_factory=list)

    @property
    def type_label(self) -> str:
        return type_label(self.qtype)


class _Course:
    """The course's modules, lessons and questions, looked up the ways a file names them."""

    def __init__(self, course: Course):
        self.modules = course_modules(course)
        self.module_by_key = {m.key: m for m in self.modules}
        self.module_by_id = {m.id: m for m in self.modules}
        self.module_titles = Counter(m.title.strip() for m in self.modules)
        self.lessons = db.session.scalars(
            select(Lesson).where(Lesson.course_id == course.id, Lesson.is_retired.is_(False))
        ).all()
        self.lesson_by_id = {lesson.id: lesson for lesson in self.lessons}
        self.questions = {q.key: q for q in db.session.scalars(select(Question).where(Question.course_id == course.id))}

    def module(self, name: str) -> tuple[Module | None, str | None]:
        """The module named by key or title, or a problem."""
        name = name.strip()
        if name in self.module_by_key:
            return self.module_by_key[name], None
        matches = [m for m in self.modules if m.title.strip() == name]
        if len(matches) == 1:
            return matches[0], None
        if matches:
            return None, str(_l("Several modules are titled '%(name)s': give its key instead.", name=name))
        return None, str(_l("Unknown module '%(name)s': give the key or title of a module of this course.", name=name))

    def lesson(self, name: str, module: Module) -> tuple[Lesson | None, str | None]:
        name = name.strip()
        matches = [lesson for lesson in self.lessons if lesson.key == name] or [
            lesson for lesson in self.lessons if lesson.title.strip() == name
        ]
        if not matches:
            return None, str(_l("Unknown lesson '%(name)s'.", name=name))
        in_module = [lesson for lesson in matches if lesson.module_id == module.id]
        if not in_module:
            return None, str(_l("Lesson '%(name)s' is not in module '%(module)s'.", name=name, module=module.title))
        return in_module[0], None


def _check(draft: Draft) -> list[str]:
    """The rules every question meets: the one set the editor uses too."""
    problems = question_problems(
        draft.qtype,
        draft.stem,
        draft.options if draft.qtype in CHOICE_TYPES else [],
        _answer(draft),
        draft.difficulty or "medium",
        draft.tags or [],
    )
    if draft.problems:
        # the reader has said what is wrong with the answer or the type already
        problems.pop("qtype", None)
        if draft.answer in (None, [], [None]):
            problems.pop("answer", None)
    return list(problems.values())


def _answer(draft: Draft):
    """The answer in its stored form (duplicates dropped, letters in order)."""
    if draft.qtype == "multiple":
        return sorted(set(draft.answer))
    if draft.qtype == "fill_blank":
        return list(dict.fromkeys(a.strip() for a in draft.answer))
    if isinstance(draft.answer, str):
        return draft.answer.strip()
    return draft.answer


def plan_import(course: Course, drafts: list[Draft], default_module_id: int | None = None) -> list[PlannedItem]:
    """Resolve each draft against the course: its key, module and lesson, what confirming
    would do (create, update, unchanged) and every problem that blocks it."""
    bank = _Course(course)
    default = bank.module_by_id.get(default_module_id) if default_module_id else None
    planned: list[PlannedItem] = []
    keys_in_file: dict[str, int] = {}
    explicit = {normalise_key(d.key) for d in drafts if d.key}
    for draft in drafts:
        problems = list(draft.problems) + _check(draft)
        module, problem = None, None
        if draft.module:
            module, problem = bank.module(draft.module)
        elif default is not None:
            module = default
        elif draft.key and normalise_key(draft.key) in bank.questions:
            module = bank.module_by_id.get(bank.questions[normalise_key(draft.key)].module_id)
        else:
            problem = str(_l("No module: the file names none for this question and no default module was chosen."))
        if problem:
            problems.append(problem)
        key = _key(draft, keys_in_file, problems)
        item = PlannedItem(
            number=draft.number,
            line=draft.line,
            key=key,
            action="",
            qtype=draft.qtype,
            stem=draft.stem,
            module=module.title if module else (draft.module or ""),
            problems=problems,
        )
        planned.append(item)
        if problems or module is None:
            continue
        existing = bank.questions.get(key) if key else None
        lesson_key = _lesson_key(bank, draft, module, existing, problems)
        if problems:
            continue
        item.spec = QuestionSpec(
            key=key or "",
            qtype=draft.qtype,
            stem=draft.stem.strip(),
            options=[o.strip() for o in draft.options] if draft.qtype in ("single", "multiple") else [],
            answer=_answer(draft),
            explanation=draft.explanation.strip(),
            lesson_key=lesson_key,
            difficulty=draft.difficulty or (str(existing.difficulty) if existing else "medium"),
            tags=draft.tags if draft.tags is not None else (list(existing.tags) if existing else []),
            module_key=module.key,
        )
    _name_keyless(bank, planned, explicit | set(keys_in_file))
    for item in planned:
        if item.spec is not None:
            existing = bank.questions.get(item.spec.key)
            item.action = _action(existing, item.spec)
            if item.action == "update" and _is_another_question(existing.stem, item.spec.stem):
                item.action, item.previous_stem = "replace", existing.stem
                item.difference = _difference(existing.stem, item.spec.stem)
    return planned


#: below this similarity of the old and new text an update replaces the question with another
SMALL_EDIT = 0.6


def _is_another_question(old: str, new: str) -> bool:
    return difflib.SequenceMatcher(None, old, new, autojunk=False).ratio() < SMALL_EDIT


def _difference(old: str, new: str) -> list[tuple[str, str]]:
    parts = []
    for op, a1, a2, b1, b2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            parts.append(("same", old[a1:a2]))
            continue
        if a2 > a1:
            parts.append(("del", old[a1:a2]))
        if b2 > b1:
            parts.append(("ins", new[b1:b2]))
    return parts


def _key(draft: Draft, keys_in_file: dict[str, int], problems: list[str]) -> str | None:
    """The key a draft's title gives, unique in the file."""
    if not draft.key:
        return None
    key = normalise_key(draft.key)
    if key in keys_in_file:
        problems.append(str(_l("The key '%(key)s' is used again (first in item %(n)d).", key=key, n=keys_in_file[key])))
    else:
        keys_in_file[key] = draft.number
    return key


def _lesson_key(
    bank: _Course, draft: Draft, module: Module, existing: Question | None, problems: list[str]
) -> str | None:
    if draft.lesson:
        lesson, problem = bank.lesson(draft.lesson, module)
        if problem:
            problems.append(problem)
            return None
        return lesson.key
    if draft.lesson is None and existing is not None and existing.lesson_id:
        lesson = bank.lesson_by_id.get(existing.lesson_id)
        if lesson is not None and lesson.module_id == module.id:
            return lesson.key  # the file does not say: keep the lesson it had
    return None


def _name_keyless(bank: _Course, planned: list[PlannedItem], taken: set[str]) -> None:
    """Give keyless questions a key: the key of an identical question already in the bank
    (each bank question answers one item of the file, so importing a file with repeated
    questions twice adds nothing), or of the same question earlier in this file, else
    ``<module>-q<n>``."""
    identical: dict[str, list[str]] = {}
    for q in sorted(bank.questions.values(), key=lambda q: q.id):
        if not q.is_retired:
            module = bank.module_by_id.get(q.module_id)
            lesson = bank.lesson_by_id.get(q.lesson_id) if q.lesson_id else None
            if module is not None:
                spec = _spec_of(q, module.key, lesson.key if lesson else None)
                identical.setdefault(_without_key(spec), []).append(q.key)
    in_bank = set(bank.questions)
    counters: Counter[str] = Counter()
    in_file: dict[str, str] = {}
    for item in planned:
        if item.spec is None or item.spec.key:
            continue
        content = _without_key(item.spec)
        match = next((k for k in identical.get(content, []) if k not in taken), None)
        if match:
            key = match
        elif content in in_file:
            key = in_file[content]  # the same question twice in one file is one question
        else:
            prefix = item.spec.module_key[:56]
            while True:
                counters[prefix] += 1
                key = f"{prefix}-q{counters[prefix]}"
                if key not in taken and key not in in_bank:
                    break
        taken.add(key)
        in_file.setdefault(content, key)
        item.key = item.spec.key = key


def _without_key(spec: QuestionSpec) -> str:
    return content_hash(spec.content() | {"key": None})


def _action(existing: Question | None, spec: QuestionSpec) -> str:
    if existing is None:
        return "create"
    if existing.content_hash != content_hash(spec.content()):
        return "update"
    return "restore" if existing.is_retired else "unchanged"


@dataclass
class ImportResult:
    changes: BankChanges
    skipped: list[int]  #: numbers of the items skipped


class ImportBlocked(ValueError):
    """Some items still have problems and were not ticked to be skipped, or would replace a
    question with another and were not ticked to be replaced."""

    def __init__(self, numbers: list[int], replacing: list[int] | None = None):
        super().__init__(f"items with problems: {numbers}; replacing unconfirmed: {replacing}")
        self.numbers = numbers
        self.replacing = replacing or []


def apply_import(
    actor: User,
    course: Course,
    drafts: list[Draft],
    default_module_id: int | None,
    skip: set[int],
    filename: str = "",
    fmt: str = "",
    replace: set[int] | frozenset = frozenset(),
) -> ImportResult:
    """Write the drafts not skipped, after planning them again against the bank as it is
    now; records the import in the audit log. Only items with problems can be skipped.

    :param replace: numbers of the items confirmed to replace a question whose text differs
        beyond a small edit (each such item needs it, or to be skipped).
    :raises ImportBlocked: when an item that is not skipped has problems, or would replace a
        question without its own confirmation; nothing is written.
    """
    # One import of a course at a time (PostgreSQL; SQLite's BEGIN IMMEDIATE already is).
    db.session.execute(select(Course.id).where(Course.id == course.id).with_for_update())
    planned = plan_import(course, drafts, default_module_id)
    asked = set(skip)
    # only items with problems, or that would replace another question, can be skipped
    skip = {item.number for item in planned if (item.problems or item.action == "replace") and item.number in asked}
    blocked = [item.number for item in planned if item.problems and item.number not in skip]
    replacing = [item.number for item in planned if item.action == "replace" and item.number not in replace | skip]
    if blocked or replacing:
        raise ImportBlocked(blocked, replacing)
    chosen = [item.spec for item in planned if item.number not in skip and item.spec is not None]
    changes = save_questions(actor, course, chosen, source="import")
    skipped = sorted(item.number for item in planned if item.number in skip)
    record(
        actor,
        "question.import",
        course,
        filename=filename[:200],
        format=fmt,
        created=len(changes.created),
        updated=len(changes.updated),
        restored=len(changes.restored),
        unchanged=len(changes.unchanged),
        skipped=len(skipped),
    )
    return ImportResult(changes=changes, skipped=skipped)
