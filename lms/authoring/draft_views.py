"""Pages for drafts of lessons and modules: edit, preview, save, publish, discard.

One editor page serves four cases: a published item without a draft (its first save starts
the draft), a new item (its first save creates the draft), and a draft of either. A save that
loses a race re-displays the author's text next to the other author's, with a button that
saves over it (the form then carries the other's revision).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms.assessment.models import Quiz, QuizKind
from lms.auth.models import User
from lms.content.schema import PRE_TEST
from lms.content.structure import running_cohorts
from lms.db import write_transaction
from lms.extensions import db
from lms.input_guard import parse_id
from lms.learning.models import Course, Lesson, Module
from lms.security import role_required

from . import drafts, history
from .drafts import DraftConflict, DraftData, DraftProblems, StalePublished
from .forms import (
    ConfirmForm,
    ImageUploadForm,
    LessonDraftForm,
    ModuleDraftForm,
    choices,
)
from .improvement_hook import link_published_version, open_actions
from .models import ContentDraft, DraftKind
from .rendering import render_lesson
from .views import (
    STAFF,
    bp,
    course_or_404,
    draft_or_404,
    lesson_or_404,
    module_or_404,
    module_title,
    outline_url,
)


def _user_name(user_id: int | None) -> str:
    if user_id is None:
        return ""
    return db.session.scalar(select(User.name).where(User.id == user_id)) or ""


def _text(kind: DraftKind, title: str, body: str, details: dict) -> str:
    """What two authors' versions are compared by."""
    data = {"title": title, **details}
    if kind == DraftKind.LESSON:
        data["body_markdown"] = body
    return history.version_text(data)


def _data(form, kind: DraftKind) -> DraftData:
    return DraftData(
        title=(form.title.data or "").strip(),
        body_markdown=(form.body_markdown.data or "") if kind == DraftKind.LESSON else "",
        details=form.details(),
        key=(form.key.data or "").strip(),
    )


def _action_id(form) -> int | None:
    return parse_id((form.improvement_action.data or "").strip())


# -- the shared editor --------------------------------------------------------------------


class Editor:
    """One lesson or module editor page: what it edits and how it saves."""

    def __init__(
        self,
        course: Course,
        kind: DraftKind,
        *,
        draft: ContentDraft | None = None,
        target: Lesson | Module | None = None,
        module: Module | None = None,
        parent: ContentDraft | None = None,
    ):
        self.course, self.kind, self.draft = course, kind, draft
        self.target, self.module, self.parent = target, module, parent
        if draft is not None and draft.target_id is not None and target is None:
            model = Lesson if kind == DraftKind.LESSON else Module
            self.target = db.session.get(model, draft.target_id)
        if kind == DraftKind.LESSON and self.module is None:
            module_id = (
                self.target.module_id if self.target is not None else (draft.module_id if draft is not None else None)
            )
            self.module = db.session.get(Module, module_id) if module_id else None
        if draft is not None and draft.parent_draft_id and parent is None:
            self.parent = db.session.get(ContentDraft, draft.parent_draft_id)
        self.form = (LessonDraftForm if kind == DraftKind.LESSON else ModuleDraftForm)()
        self.form_action = request.path
        self.conflict: dict | None = None
        self.preview = None
        self.is_new = target is None and (draft is None or draft.target_id is None)

    @property
    def target_ref(self) -> str:
        """What the page edits, posted along so a vanished draft can still be told apart."""
        if self.target is not None:
            return f"{self.kind}:{self.target.id}"
        return f"new-{self.kind}:{self.course.key}"

    # -- filling the form ---------------------------------------------------------------

    def choices(self) -> None:
        form = self.form
        actions = open_actions(self.course)
        form.improvement_action.choices = choices([("", "—")] + [(str(i), label) for i, label in actions])
        self.has_actions = bool(actions)
        if self.kind == DraftKind.LESSON:
            form.module.choices = choices(_module_choices(self.course))
        else:
            form.prerequisites.choices = choices(_prerequisite_choices(self.course, self.target))

    def fill_from(self, source, details: dict, body: str = "") -> None:
        form = self.form
        form.title.data = source.title
        form.key.data = source.key
        if self.kind == DraftKind.LESSON:
            form.kind.data = str(details.get("kind") or "reading")
            form.minutes.data = details.get("minutes")
            form.body_markdown.data = body
        else:
            form.summary.data = details.get("summary") or ""
            form.objectives.data = "\n".join(details.get("objectives") or [])
            form.credit_hours.data = details.get("credit_hours")
            form.prerequisites.data = list(details.get("prerequisites") or [])

    # -- rendering ----------------------------------------------------------------------

    def render(self, status: int = 200):
        draft = self.draft
        published_diff = None
        if draft is not None and self.target is not None:
            published_diff = history.diff_lines(
                _text(
                    self.kind,
                    self.target.title,
                    getattr(self.target, "body_markdown", ""),
                    _published_details(self.kind, self.target),
                ),
                _text(self.kind, draft.title, draft.body_markdown, draft.details),
            )
        preview = self.preview
        if preview is None and self.kind == DraftKind.LESSON and draft is not None:
            preview = drafts.preview_draft(draft)
        template = "authoring/lesson_form.html" if self.kind == DraftKind.LESSON else ("authoring/module_form.html")
        return render_template(
            template,
            course=self.course,
            editor=self,
            form=self.form,
            draft=draft,
            target=self.target,
            module=self.module,
            parent=self.parent,
            preview=preview,
            problems=drafts.draft_problems(draft) if draft is not None else [],
            conflict=self.conflict,
            published_diff=published_diff,
            upload_form=ImageUploadForm(next=request.path),
            confirm=ConfirmForm(),
            updated_by=_user_name(draft.updated_by_id) if draft is not None else "",
            stale=(draft is not None and self.target is not None and self.target.version != draft.base_version),
        ), status

    def show_conflict(self, error: DraftConflict):
        """Keep the author's text; show the other's; let them save over it."""
        current = error.current
        form = self.form
        body = (form.body_markdown.data or "") if self.kind == DraftKind.LESSON else ""
        mine = _text(self.kind, form.title.data or "", body, form.details())
        self.preview_typed(_data(form, self.kind))  # the preview shows the author's own text
        if current is not None:
            theirs = _text(self.kind, current.title, current.body_markdown, current.details)
            self.draft = current
            form.revision.data = str(current.revision)
            self.form_action = url_for("authoring.edit_draft", draft_id=current.id)
            self.conflict = {
                "gone": False,
                "by": _user_name(current.updated_by_id),
                "at": current.updated_at,
                "other": current,
                "diff": history.diff_lines(theirs, mine),
            }
        else:
            self.draft = None
            form.revision.data = "0"
            if self.target is not None:
                db.session.refresh(self.target)
                form.base_version.data = str(self.target.version)
                endpoint = "authoring.edit_lesson" if self.kind == DraftKind.LESSON else ("authoring.edit_module")
                self.form_action = url_for(endpoint, **{f"{self.kind}_id": self.target.id})
            elif self.kind == DraftKind.LESSON:
                self.form_action = url_for("authoring.new_lesson", key=self.course.key)
            else:
                self.form_action = url_for("authoring.new_module", key=self.course.key)
            self.conflict = {"gone": True}
        return self.render(409)

    # -- handling a POST ----------------------------------------------------------------

    def handle(self):
        """Validate and act on the posted form; None when the page should be shown."""
        form = self.form
        action = request.form.get("action", "save")
        if not form.validate_on_submit():
            return None
        data = _data(form, self.kind)
        if action == "preview":
            self.preview_typed(data)
            return None
        if self.is_new and not self.draft and not data.key:
            form.key.errors.append(_("Give the new item a key."))
            return None
        try:
            with write_transaction():
                saved = self._save(data)
            draft_id, revision = saved.id, saved.revision
        except DraftConflict as error:
            return self.show_conflict(error)
        except DraftProblems as error:
            field = getattr(form, error.field or "", None)
            if field is not None:
                field.errors.extend(error.problems)
            else:
                for problem in error.problems:
                    flash(problem, "error")
            return None
        if action in ("publish", "publish_anyway"):
            return publish(
                self.course, self.kind, draft_id, revision, force=action == "publish_anyway", action_id=_action_id(form)
            )
        flash(_("Draft saved. Trainees see the published version until you publish."), "success")
        return redirect(url_for("authoring.edit_draft", draft_id=draft_id))

    def preview_typed(self, data: DraftData) -> None:
        """Render the text as typed (not as saved) for the preview pane."""
        if self.kind == DraftKind.LESSON:
            known = drafts.known_images(self.target) if isinstance(self.target, Lesson) else {}
            self.preview = render_lesson(self.course.key, data.body_markdown, known, data.details.get("kind"))

    def _save(self, data: DraftData) -> ContentDraft:
        form = self.form
        if self.draft is not None:
            return drafts.save_draft(current_user, self.draft.id, form.int_of(form.revision), data)
        if self.target is not None:
            target = db.session.get(type(self.target), self.target.id)
            return drafts.start_draft(current_user, target, data, form.int_of(form.base_version))
        module, parent = self.module, self.parent
        if self.kind == DraftKind.LESSON and self.draft is None:
            module, parent = _chosen_module(self.course, form.module.data)
            if module is None and parent is None:
                raise DraftProblems([_("Choose the module the lesson belongs to.")], field="module")
        return drafts.start_new_draft(current_user, self.course, self.kind, data, module=module, parent=parent)


def _published_details(kind: DraftKind, item) -> dict:
    if kind == DraftKind.LESSON:
        return {"kind": str(item.kind), "minutes": item.minutes}
    return {
        "summary": item.summary,
        "objectives": list(item.objectives or []),
        "credit_hours": item.credit_hours,
        "prerequisites": list(item.prerequisites or []),
    }


def _module_choices(course: Course) -> list[tuple[str, str]]:
    """Published modules ("m<id>") and new modules still in draft ("d<id>")."""
    modules = db.session.execute(
        select(Module.id, Module.title)
        .where(Module.course_id == course.id, Module.is_retired.is_(False))
        .order_by(Module.position, Module.id)
    ).all()
    new = db.session.execute(
        select(ContentDraft.id, ContentDraft.title)
        .where(
            ContentDraft.course_id == course.id,
            ContentDraft.target_kind == DraftKind.MODULE,
            ContentDraft.target_id.is_(None),
        )
        .order_by(ContentDraft.id)
    ).all()
    return [(f"m{m.id}", m.title) for m in modules] + [
        (f"d{d.id}", _("%(title)s (new module, draft)", title=d.title)) for d in new
    ]


def _chosen_module(course: Course, value: str | None):
    """The published module or new module draft chosen in the form, or (None, None)."""
    value = value or ""
    number = parse_id(value[1:])
    if value[:1] in ("m", "d") and number is not None:
        if value[0] == "m":
            module = db.session.get(Module, number)
            if module is not None and module.course_id == course.id and not module.is_retired:
                return module, None
        else:
            parent = db.session.get(ContentDraft, number)
            if (
                parent is not None
                and parent.course_id == course.id
                and parent.is_new
                and parent.target_kind == DraftKind.MODULE
            ):
                return None, parent
    return None, None


def _prerequisite_choices(course: Course, module: Module | None) -> list[tuple[str, str]]:
    """Earlier modules (all of them for a new module), and the pre-test if there is one."""
    modules = db.session.scalars(
        select(Module)
        .where(Module.course_id == course.id, Module.is_retired.is_(False))
        .order_by(Module.position, Module.id)
    ).all()
    if module is not None:
        modules = [m for m in modules if (m.position, m.id) < (module.position, module.id)]
    result = []
    if (
        db.session.scalar(
            select(Quiz.id).where(Quiz.course_id == course.id, Quiz.kind == QuizKind.PRE_TEST, Quiz.live())
        )
        is not None
    ):
        result.append((PRE_TEST, _("The pre-test")))
    return result + [(m.key, m.title) for m in modules]


def publish(course: Course, kind: DraftKind, draft_id: int, revision: int, force: bool, action_id: int | None):
    """Publish a saved draft and go back to the outline (or to the draft, if refused)."""
    draft_url = url_for("authoring.edit_draft", draft_id=draft_id)
    try:
        with write_transaction():
            result = drafts.publish_draft(current_user, draft_id, revision, force)
            if result.version is not None:
                link_published_version(action_id, str(kind), result.version.id, current_user)
    except DraftConflict as error:
        flash(str(error), "error")
        return redirect(draft_url if error.current is not None else outline_url(course))
    except (StalePublished, DraftProblems) as error:
        problems = error.problems if isinstance(error, DraftProblems) else [str(error)]
        flash(_("Not published yet: %(problems)s", problems=" ".join(problems)), "error")
        return redirect(draft_url)
    if result.version is None:
        flash(_("Nothing had changed: the published version stays as it was."), "info")
    else:
        flash(_("Published: trainees now see version %(v)d.", v=result.version.version), "success")
    if result.structure is not None and running_cohorts(course):
        return redirect(url_for("authoring.course_structure", key=course.key))
    return redirect(outline_url(course, f"{kind}-{result.item.id}"))


# -- routes -------------------------------------------------------------------------------


@bp.route("/lessons/<int:lesson_id>/edit", methods=["GET", "POST"])
@role_required(*STAFF)
def edit_lesson(lesson_id: int):
    lesson, course = lesson_or_404(lesson_id)
    existing = drafts.find_draft(DraftKind.LESSON, lesson.id)
    if request.method == "GET" and existing is not None:
        return redirect(url_for("authoring.edit_draft", draft_id=existing.id))
    editor = Editor(course, DraftKind.LESSON, target=lesson)
    editor.choices()
    if request.method == "GET":
        editor.fill_from(lesson, _published_details(DraftKind.LESSON, lesson), lesson.body_markdown)
        editor.form.base_version.data = str(lesson.version)
    return editor.handle() or editor.render()


@bp.route("/modules/<int:module_id>/edit", methods=["GET", "POST"])
@role_required(*STAFF)
def edit_module(module_id: int):
    module, course = module_or_404(module_id)
    existing = drafts.find_draft(DraftKind.MODULE, module.id)
    if request.method == "GET" and existing is not None:
        return redirect(url_for("authoring.edit_draft", draft_id=existing.id))
    editor = Editor(course, DraftKind.MODULE, target=module)
    editor.choices()
    if request.method == "GET":
        editor.fill_from(module, _published_details(DraftKind.MODULE, module))
        editor.form.base_version.data = str(module.version)
    return editor.handle() or editor.render()


@bp.route("/courses/<key>/lessons/new", methods=["GET", "POST"])
@role_required(*STAFF)
def new_lesson(key: str):
    course = course_or_404(key)
    editor = Editor(course, DraftKind.LESSON)
    editor.choices()
    if request.method == "GET":
        editor.form.module.data = request.args.get("module", "")
        editor.form.kind.data = "reading"
        editor.form.minutes.data = 15
    return editor.handle() or editor.render()


@bp.route("/courses/<key>/modules/new", methods=["GET", "POST"])
@role_required(*STAFF)
def new_module(key: str):
    course = course_or_404(key)
    editor = Editor(course, DraftKind.MODULE)
    editor.choices()
    if request.method == "GET":
        editor.form.credit_hours.data = 0
    return editor.handle() or editor.render()


def _vanished_draft():
    """A save of a draft that was published or discarded meanwhile: keep the author's text."""
    ref_kind, _sep, ref = (request.form.get("target") or "").partition(":")
    if ref_kind in ("lesson", "module") and parse_id(ref) is not None:
        kind = DraftKind(ref_kind)
        target, course = (lesson_or_404 if kind == DraftKind.LESSON else module_or_404)(parse_id(ref))
        editor = Editor(course, kind, target=target)
    elif ref_kind in ("new-lesson", "new-module"):
        editor = Editor(course_or_404(ref), DraftKind(ref_kind.removeprefix("new-")))
    else:
        abort(404)
    editor.choices()
    if not editor.form.validate_on_submit():
        return editor.render()
    return editor.show_conflict(DraftConflict(None))


@bp.route("/drafts/<int:draft_id>", methods=["GET", "POST"])
@role_required(*STAFF)
def edit_draft(draft_id: int):
    if request.method == "POST" and db.session.get(ContentDraft, draft_id) is None:
        return _vanished_draft()
    draft, course = draft_or_404(draft_id)
    editor = Editor(course, draft.target_kind, draft=draft)
    editor.choices()
    if request.method == "GET":
        editor.fill_from(draft, draft.details, draft.body_markdown)
        editor.form.revision.data = str(draft.revision)
        editor.form.base_version.data = str(draft.base_version)
    return editor.handle() or editor.render()


@bp.route("/drafts/<int:draft_id>/discard", methods=["POST"])
@role_required(*STAFF)
def discard_draft(draft_id: int):
    _draft, course = draft_or_404(draft_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return redirect(url_for("authoring.edit_draft", draft_id=draft_id))
    try:
        with write_transaction():
            drafts.discard_draft(current_user, draft_id, form.int_of_revision())
    except DraftConflict as error:
        flash(_("Someone else changed this draft meanwhile; it was not discarded."), "error")
        if error.current is not None:
            return redirect(url_for("authoring.edit_draft", draft_id=draft_id))
        return redirect(outline_url(course))
    flash(_("Draft discarded. The published version is unchanged."), "success")
    return redirect(outline_url(course))


@bp.route("/drafts/<int:draft_id>/preview")
@role_required(*STAFF)
def preview_draft(draft_id: int):
    """The lesson draft as trainees will see it once published."""
    draft, course = draft_or_404(draft_id)
    if draft.target_kind != DraftKind.LESSON:
        abort(404)
    module_id = draft.module_id
    if draft.target_id is not None:
        module_id = db.session.scalar(select(Lesson.module_id).where(Lesson.id == draft.target_id))
    module_name = (
        module_title(module_id)
        if module_id
        else (db.session.get(ContentDraft, draft.parent_draft_id).title if draft.parent_draft_id else "")
    )
    return render_template(
        "authoring/lesson_preview.html",
        course=course,
        draft=draft,
        module_name=module_name,
        preview=drafts.preview_draft(draft),
    )
