"""Drafts of lessons and modules: start, save, publish, discard.

Saving is optimistic: a form carries the draft's ``revision`` and the save is one
``UPDATE ... WHERE revision = :posted``; when someone else saved in between, nothing is
written and :class:`DraftConflict` carries their draft, so the page can show both texts.
Publishing writes the published row exactly as the course loader would (same content hash,
same rendering), with a new version row whose ``source`` is ``editor``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from lms.assessment.models import Quiz, QuizKind
from lms.audit.service import record
from lms.auth.models import User
from lms.content.fields import KEY_PATTERN
from lms.content.publish import publish_version
from lms.content.schema import LESSON_KINDS, PRE_TEST, TITLE_LENGTH
from lms.content.spec import LessonSpec, ModuleSpec
from lms.content.structure import StructureChange, record_structure, snapshot_before_writing
from lms.db import utcnow
from lms.extensions import db
from lms.learning.models import (
    Course,
    Lesson,
    LessonKind,
    LessonVersion,
    Module,
    ModuleVersion,
)
from lms.versioning import content_hash

from .models import ContentDraft, DraftKind
from .rendering import normalize_body, render_lesson
from .service import AuthoringError

LESSON_DETAILS = ("kind", "minutes")
MODULE_DETAILS = ("summary", "objectives", "credit_hours", "prerequisites")


class DraftConflict(AuthoringError):
    """The draft changed (or was published or discarded) after the form was loaded.

    :ivar current: the draft as it is now, or None when it no longer exists.
    """

    def __init__(self, current: ContentDraft | None):
        super().__init__(_("Someone else changed this draft while you were editing it."))
        self.current = current


class DraftProblems(AuthoringError):
    """The draft cannot be published (or saved) as it is."""

    def __init__(self, problems: list[str], field: str | None = None):
        super().__init__(" ".join(problems))
        self.problems = problems
        self.field = field


class StalePublished(AuthoringError):
    """The published item has a newer version than the one the draft started from."""

    def __init__(self, published: int, base: int):
        super().__init__(
            _(
                "The published version changed after this draft was started (version %(base)d, "
                "now %(now)d). Compare them in the history, then publish anyway if you are sure.",
                base=base,
                now=published,
            )
        )
        self.published, self.base = published, base


@dataclass
class DraftData:
    """What an author typed: the title, the Markdown body (lessons), the other fields."""

    title: str
    body_markdown: str = ""
    details: dict = field(default_factory=dict)
    key: str = ""  #: new items only; a published item keeps its key


@dataclass
class PublishResult:
    item: Lesson | Module
    #: the new version row, or None when the draft did not change anything
    version: LessonVersion | ModuleVersion | None
    #: set by publish_draft when the course's structure changed (a lesson added, 学时 changed)
    structure: StructureChange | None = None


def find_draft(kind: DraftKind, target_id: int) -> ContentDraft | None:
    return db.session.scalar(
        select(ContentDraft).where(ContentDraft.target_kind == kind, ContentDraft.target_id == target_id)
    )


def fresh_draft(draft_id: int) -> ContentDraft | None:
    """The draft as the database holds it now (not as this session remembers it)."""
    return db.session.scalar(
        select(ContentDraft).where(ContentDraft.id == draft_id).execution_options(populate_existing=True)
    )


def _details(kind: DraftKind, details: dict) -> dict:
    names = LESSON_DETAILS if kind == DraftKind.LESSON else MODULE_DETAILS
    return {name: details.get(name) for name in names}


def _check_new_key(course: Course, kind: DraftKind, key: str, exclude: int | None = None):
    """A new item's key: well formed, and not used by an item or another new draft."""
    if not KEY_PATTERN.match(key or ""):
        raise DraftProblems(
            [_("Use lower-case letters, digits and hyphens, starting with a letter (at most 64 characters).")],
            field="key",
        )
    model = Lesson if kind == DraftKind.LESSON else Module
    taken = (
        db.session.scalar(select(model.id).where(model.course_id == course.id, model.key == key)) is not None
        or db.session.scalar(
            select(ContentDraft.id).where(
                ContentDraft.course_id == course.id,
                ContentDraft.target_kind == kind,
                ContentDraft.target_id.is_(None),
                ContentDraft.key == key,
                ContentDraft.id != (exclude or 0),
            )
        )
        is not None
    )
    if taken:
        raise DraftProblems(
            [_("The key “%(key)s” is already used in this course (perhaps by a retired item).", key=key)],
            field="key",
        )


def _add(draft: ContentDraft) -> ContentDraft:
    """Insert a draft; a concurrent draft of the same item wins and becomes a conflict."""
    try:
        with db.session.begin_nested():
            db.session.add(draft)
            db.session.flush()
    except IntegrityError:
        raise DraftConflict(find_draft(draft.target_kind, draft.target_id)) from None
    return draft


def start_draft(
    actor: User,
    target: Lesson | Module,
    data: DraftData,
    base_version: int,
) -> ContentDraft:
    """Start a draft of a published lesson or module with the author's first save.

    :param base_version: the version the author's form showed.
    :raises DraftConflict: when the item already has a draft (someone started one).
    """
    kind = DraftKind.LESSON if isinstance(target, Lesson) else DraftKind.MODULE
    existing = find_draft(kind, target.id)
    if existing is not None:
        raise DraftConflict(existing)
    draft = ContentDraft(
        course_id=target.course_id,
        target_kind=kind,
        target_id=target.id,
        key=target.key,
        title=data.title,
        body_markdown=normalize_body(data.body_markdown),
        details=_details(kind, data.details),
        base_version=base_version,
        revision=1,
        created_by_id=actor.id,
        updated_by_id=actor.id,
    )
    return _add(draft)


def start_new_draft(
    actor: User,
    course: Course,
    kind: DraftKind,
    data: DraftData,
    module: Module | None = None,
    parent: ContentDraft | None = None,
) -> ContentDraft:
    """Start a new module, or a new lesson in a published module or in a new module's draft.

    :raises DraftProblems: when the key is malformed or taken.
    """
    _check_new_key(course, kind, data.key)
    draft = ContentDraft(
        course_id=course.id,
        target_kind=kind,
        target_id=None,
        key=data.key,
        module_id=module.id if module is not None else None,
        parent_draft_id=parent.id if parent is not None else None,
        title=data.title,
        body_markdown=normalize_body(data.body_markdown),
        details=_details(kind, data.details),
        base_version=0,
        revision=1,
        created_by_id=actor.id,
        updated_by_id=actor.id,
    )
    return _add(draft)


def save_draft(actor: User, draft_id: int, revision: int, data: DraftData) -> ContentDraft:
    """Save the author's text over revision ``revision`` of the draft.

    :raises DraftConflict: when the draft is no longer at ``revision`` (or is gone).
    :raises DraftProblems: when a new item's key is malformed or taken.
    """
    draft = db.session.get(ContentDraft, draft_id)
    if draft is None:
        raise DraftConflict(None)
    key = draft.key
    if draft.is_new:
        key = data.key
        _check_new_key(db.session.get(Course, draft.course_id), draft.target_kind, key, draft.id)
    result = db.session.execute(
        update(ContentDraft)
        .where(ContentDraft.id == draft_id, ContentDraft.revision == revision)
        .values(
            key=key,
            title=data.title,
            body_markdown=normalize_body(data.body_markdown),
            details=_details(draft.target_kind, data.details),
            revision=ContentDraft.revision + 1,
            updated_by_id=actor.id,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    current = fresh_draft(draft_id)
    if result.rowcount != 1:
        raise DraftConflict(current)
    return current


def _locked(draft_id: int, revision: int) -> ContentDraft:
    draft = db.session.scalar(
        select(ContentDraft)
        .where(ContentDraft.id == draft_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if draft is None or draft.revision != revision:
        raise DraftConflict(draft)
    return draft


def discard_draft(actor: User, draft_id: int, revision: int) -> None:
    """Delete a draft (and the lesson drafts of a new module); the published item stays.

    :raises DraftConflict: when the draft changed since the author saw it.
    """
    draft = _locked(draft_id, revision)
    for child in _children(draft):
        db.session.delete(child)
    db.session.flush()  # the children first: the database would cascade them otherwise
    db.session.delete(draft)
    db.session.flush()
    record(actor, "authoring.discard_draft", None, draft=draft_id, kind=str(draft.target_kind), key=draft.key)


def _children(draft: ContentDraft) -> list[ContentDraft]:
    return db.session.scalars(
        select(ContentDraft).where(ContentDraft.parent_draft_id == draft.id).order_by(ContentDraft.id)
    ).all()


# -- checks -------------------------------------------------------------------------------


def _title_problems(draft: ContentDraft) -> list[str]:
    title = (draft.title or "").strip()
    if not title:
        return [_("The title must not be empty.")]
    if len(title) > TITLE_LENGTH:
        return [_("The title is longer than %(n)d characters.", n=TITLE_LENGTH)]
    return []


def known_images(lesson: Lesson | None) -> dict[str, str]:
    """src -> SHA-256 of the images the lesson's published version links to."""
    if lesson is None:
        return {}
    data = db.session.scalar(
        select(LessonVersion.data).where(LessonVersion.lesson_id == lesson.id, LessonVersion.version == lesson.version)
    )
    return dict((data or {}).get("images") or {})


def _lesson_parts(course: Course, draft: ContentDraft, lesson: Lesson | None):
    """The problems of a lesson draft and its rendering."""
    problems = _title_problems(draft)
    kind = draft.details.get("kind")
    minutes = draft.details.get("minutes")
    if kind not in LESSON_KINDS:
        problems.append(_("Choose the kind of lesson."))
    if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes < 1:
        problems.append(_("The estimated minutes must be a whole number of at least 1."))
    checked = render_lesson(course.key, draft.body_markdown, known_images(lesson), kind)
    return problems + checked.problems, checked


def _module_problems(course: Course, draft: ContentDraft, module: Module | None) -> list[str]:
    problems = _title_problems(draft)
    d = draft.details
    hours = d.get("credit_hours")
    if not isinstance(hours, (int, float)) or isinstance(hours, bool) or hours < 0:
        problems.append(_("The credit hours must be a number of at least 0."))
        hours = None
    objectives = d.get("objectives") or []
    if len(set(objectives)) != len(objectives) or not all(o.strip() for o in objectives):
        problems.append(_("Each objective must be a different, non-empty line."))
    others = db.session.scalars(
        select(Module)
        .where(
            Module.course_id == course.id,
            Module.is_retired.is_(False),
            Module.id != (module.id if module else 0),
        )
        .order_by(Module.position, Module.id)
    ).all()
    if module is None:
        earlier = [m.key for m in others]  # a new module comes last
    else:
        earlier = [m.key for m in others if (m.position, m.id) < (module.position, module.id)]
    for prerequisite in d.get("prerequisites") or []:
        if prerequisite == PRE_TEST:
            has_pre_test = (
                db.session.scalar(
                    select(Quiz.id).where(
                        Quiz.course_id == course.id,
                        Quiz.kind == QuizKind.PRE_TEST,
                        Quiz.live(),
                    )
                )
                is not None
            )
            if not has_pre_test:
                problems.append(_("The prerequisite “pre-test” needs a pre-test in the course."))
        elif prerequisite not in earlier:
            problems.append(_("The prerequisite “%(key)s” must be an earlier module.", key=prerequisite))
    if hours is not None:
        total = sum(m.credit_hours for m in others) + hours
        if total > course.credit_hours + 1e-9:
            problems.append(
                _(
                    "The modules' credit hours would add up to %(total)g, more than the course's %(course)g.",
                    total=total,
                    course=course.credit_hours,
                )
            )
    return problems


def draft_problems(draft: ContentDraft) -> list[str]:
    """What stops the draft from being published now (shown on the draft's page)."""
    course = db.session.get(Course, draft.course_id)
    if draft.target_kind == DraftKind.LESSON:
        lesson = db.session.get(Lesson, draft.target_id) if draft.target_id else None
        return _lesson_parts(course, draft, lesson)[0]
    module = db.session.get(Module, draft.target_id) if draft.target_id else None
    problems = _module_problems(course, draft, module)
    if module is None and not _children(draft):
        problems.append(_("A new module needs at least one lesson: add one before publishing."))
    return problems


def preview_draft(draft: ContentDraft):
    """The draft's lesson body rendered as trainees would see it, with its problems."""
    course = db.session.get(Course, draft.course_id)
    lesson = db.session.get(Lesson, draft.target_id) if draft.target_id else None
    return render_lesson(course.key, draft.body_markdown, known_images(lesson), draft.details.get("kind"))


# -- publishing ---------------------------------------------------------------------------


def publish_draft(actor: User, draft_id: int, revision: int, force: bool = False) -> PublishResult:
    """Publish a draft: write the lesson or module trainees see, as a new version.

    :param force: publish even though the published item changed after the draft started.
    :raises DraftConflict: when the draft changed since the author saw it.
    :raises DraftProblems: when the content breaks a rule of the course format.
    :raises StalePublished: when the published item changed and ``force`` is false.
    """
    draft = _locked(draft_id, revision)
    course = db.session.get(Course, draft.course_id)
    snapshot_before_writing(course)
    if draft.target_kind == DraftKind.LESSON:
        if draft.parent_draft_id is not None:
            raise DraftProblems(
                [_("This lesson belongs to a new module: publishing the module publishes its lessons with it.")]
            )
        result = _publish_lesson(actor, course, draft, force)
    else:
        result = _publish_module(actor, course, draft, force)
    db.session.delete(draft)
    db.session.flush()
    # new structures reach cohorts that start later; running ones move only when chosen
    result.structure = record_structure(course, "editor", actor.id)
    return result


def _next_position(model, *where) -> int:
    highest = db.session.scalar(select(func.max(model.position)).where(*where))
    return 0 if highest is None else highest + 1


def _publish_lesson(
    actor: User,
    course: Course,
    draft: ContentDraft,
    force: bool,
    module: Module | None = None,
) -> PublishResult:
    lesson = None
    if draft.target_id is not None:
        lesson = db.session.scalar(select(Lesson).where(Lesson.id == draft.target_id).with_for_update())
        if lesson is None or lesson.is_retired:
            raise DraftProblems([_("The lesson no longer exists: it was removed from the course files.")])
        if lesson.version != draft.base_version and not force:
            raise StalePublished(lesson.version, draft.base_version)
        module = db.session.get(Module, lesson.module_id)
    else:
        if module is None:
            module = db.session.get(Module, draft.module_id)
            if module is None or module.is_retired:
                raise DraftProblems([_("The module of this lesson no longer exists.")])
        _check_new_key(course, DraftKind.LESSON, draft.key, draft.id)
    problems, checked = _lesson_parts(course, draft, lesson)
    if problems:
        raise DraftProblems(problems)
    title, kind, minutes = draft.title.strip(), draft.details["kind"], draft.details["minutes"]
    body = normalize_body(draft.body_markdown)
    spec = LessonSpec(
        draft.key,
        title,
        kind,
        minutes,
        body,
        module_key=module.key,
        images=checked.images,
        body_html=checked.rendered.html,
        toc=checked.rendered.toc,
        search_text=f"{title}\n{checked.rendered.text}",
    )
    digest = content_hash(spec.content())
    if lesson is not None and digest == lesson.content_hash:
        return PublishResult(lesson, None)
    if lesson is None:
        lesson = Lesson(
            course_id=course.id,
            module_id=module.id,
            key=draft.key,
            version=0,
            position=_next_position(Lesson, Lesson.module_id == module.id, Lesson.is_retired.is_(False)),
        )
        db.session.add(lesson)
    lesson.title, lesson.kind, lesson.minutes = title, LessonKind(kind), minutes
    lesson.body_markdown, lesson.body_html = body, spec.body_html
    lesson.toc, lesson.search_text = spec.toc, spec.search_text
    lesson.is_retired = False
    row = publish_version(lesson, digest, spec.snapshot(), "editor", actor)
    record(actor, "authoring.publish_lesson", lesson, version=lesson.version)
    return PublishResult(lesson, row)


def _publish_module(
    actor: User,
    course: Course,
    draft: ContentDraft,
    force: bool,
) -> PublishResult:
    module = None
    if draft.target_id is not None:
        module = db.session.scalar(select(Module).where(Module.id == draft.target_id).with_for_update())
        if module is None or module.is_retired:
            raise DraftProblems([_("The module no longer exists: it was removed from the course files.")])
        if module.version != draft.base_version and not force:
            raise StalePublished(module.version, draft.base_version)
    else:
        _check_new_key(course, DraftKind.MODULE, draft.key, draft.id)
    problems = _module_problems(course, draft, module)
    children = _children(draft) if module is None else []
    if module is None and not children:
        problems.append(_("A new module needs at least one lesson: add one before publishing."))
    if problems:
        raise DraftProblems(problems)
    d = draft.details
    spec = ModuleSpec(
        draft.key,
        draft.title.strip(),
        (d.get("summary") or "").strip(),
        list(d.get("objectives") or []),
        float(d["credit_hours"]),
        list(d.get("prerequisites") or []),
    )
    digest = content_hash(spec.content())
    if module is not None and digest == module.content_hash:
        return PublishResult(module, None)
    if module is None:
        module = Module(
            course_id=course.id,
            key=draft.key,
            version=0,
            position=_next_position(Module, Module.course_id == course.id, Module.is_retired.is_(False)),
        )
        db.session.add(module)
    module.title, module.summary, module.objectives = spec.title, spec.summary, spec.objectives
    module.credit_hours, module.prerequisites = spec.credit_hours, spec.prerequisites
    module.is_retired = False
    row = publish_version(module, digest, spec.content(), "editor", actor)
    record(actor, "authoring.publish_module", module, version=module.version)
    for child in children:
        try:
            _publish_lesson(actor, course, child, force, module=module)
        except DraftProblems as error:
            raise DraftProblems(
                [_("Lesson “%(title)s”: %(problem)s", title=child.title, problem=p) for p in error.problems]
            ) from None
        db.session.delete(child)
        db.session.flush()  # before the module's draft, which the database would cascade
    return PublishResult(module, row)
