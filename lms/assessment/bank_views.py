"""Question bank pages: the list, importing files (upload, preview, confirm) and exports.

Organizers, and trainers assigned to a cohort of the course, may use them. The preview of an
import is kept on the server under a random token (:mod:`lms.storage`); confirming posts
only the numbers of the items to skip.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from wtforms.fields.choices import SelectChoice

from lms.auth.models import Role
from lms.db import write_transaction
from lms.input_guard import bounded_int
from lms.learning.models import Course
from lms.learning.service import get_course
from lms.security import role_required
from lms.storage import discard_pending, load_pending, save_pending

from . import bank
from .bank_forms import BankFilterForm, BankImportForm, ImportConfirmForm
from .formats import FORMAT_NAMES, MAX_FILE_BYTES, FormatError, read_upload
from .formats.common import TYPE_LABELS, Draft
from .formats.gift import write_gift
from .formats.moodle_xml import write_moodle_xml
from .formats.spreadsheet import example_row, question_row, write_xlsx
from .import_preview import preview_items

bp = Blueprint("bank", __name__, url_prefix="/courses/<course_key>/bank")
PENDING = "question-import"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _course(course_key: str) -> Course:
    """The course, if the current user manages its bank; 404 or 403 otherwise."""
    course = get_course(course_key)
    if course is None:
        abort(404)
    if not bank.can_manage_bank(current_user, course):
        abort(403)
    return course


@bp.route("")
@role_required(Role.ORGANIZER, Role.TRAINER)
def list_questions(course_key: str):
    course = _course(course_key)
    modules = bank.course_modules(course)
    form = BankFilterForm(request.args)
    form.module.choices = [SelectChoice(0, _("All modules"))] + [SelectChoice(m.id, m.title) for m in modules]
    form.tag.choices = [SelectChoice("", _("All tags"))] + [SelectChoice(t, t) for t in bank.course_tags(course)]
    filters = bank.BankFilters(
        module_id=form.module.data or None,
        qtype=form.type.data or None,
        tag=form.tag.data or None,
        search=form.q.data or "",
    )
    page = bank.bank_page(course, filters, request.args.get("page", 1, type=bounded_int))
    return render_template(
        "bank/list.html",
        course=course,
        form=form,
        page=page,
        type_labels=TYPE_LABELS,
        args={"module": filters.module_id, "type": filters.qtype, "tag": filters.tag, "q": filters.search or None},
    )


def _module_choices(course: Course) -> list[SelectChoice]:
    return [SelectChoice(0, _("(none: every question names its module)"))] + [
        SelectChoice(m.id, f"{m.title} ({m.key})") for m in bank.course_modules(course)
    ]


@bp.route("/import", methods=["GET", "POST"])
@role_required(Role.ORGANIZER, Role.TRAINER)
def import_questions(course_key: str):
    course = _course(course_key)
    form = BankImportForm()
    form.module_id.choices = _module_choices(course)
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read(MAX_FILE_BYTES + 1)
        try:
            parsed = read_upload(upload.filename or "", data)
        except FormatError as error:
            form.file.errors.append(str(error))
        else:
            token = save_pending(
                PENDING,
                {
                    "actor_id": current_user.id,
                    "course_id": course.id,
                    "filename": (upload.filename or "")[:200],
                    "format": parsed.format,
                    "unit": parsed.unit,
                    "notes": parsed.notes,
                    "default_module_id": form.module_id.data or None,
                    "drafts": [d.to_json() for d in parsed.drafts],
                },
            )
            return redirect(url_for("bank.preview_import", course_key=course.key, token=token))
    return render_template("bank/import.html", course=course, form=form, max_mb=MAX_FILE_BYTES // (1024 * 1024))


def _pending(course: Course, token: str) -> dict | None:
    pending = load_pending(PENDING, token)
    if pending is None or pending.get("actor_id") != current_user.id or (pending.get("course_id") != course.id):
        return None
    return pending


def _all_module(course: Course, raw) -> int | None:
    """The module the preview was asked to put every question into, if it is one of the
    course's."""
    try:
        module_id = int(raw or 0)
    except (TypeError, ValueError):
        return None
    return module_id if any(m.id == module_id for m in bank.course_modules(course)) else None


def _planning(pending: dict, all_module: int | None) -> tuple[list[Draft], int | None]:
    """The drafts and default module to plan with; preview and confirm both use this.
    "Everything into this module" ignores the modules (Moodle categories) the file names."""
    drafts = [Draft.from_json(d) for d in pending["drafts"]]
    if all_module is None:
        return drafts, pending.get("default_module_id")
    for draft in drafts:
        draft.module = None
    return drafts, all_module


def _render_preview(
    course: Course,
    token: str,
    pending: dict,
    form: ImportConfirmForm,
    blocked: list[int] | None = None,
    all_module: int | None = None,
):
    drafts, default_module = _planning(pending, all_module)
    planned = bank.plan_import(course, drafts, default_module)
    modules = bank.course_modules(course)
    form.all_module.data = str(all_module or "")
    counts = {
        "new": sum(item.action == "create" for item in planned),
        "changed": sum(item.action in ("update", "replace") for item in planned),
        "replacing": sum(item.action == "replace" for item in planned),
        "same": sum(item.action in ("unchanged", "restore") for item in planned),
        "problems": sum(bool(item.problems) for item in planned),
    }
    skip = set(form.skip.data or []) if blocked is not None else set()
    replace = set(form.replace.data or []) if blocked is not None else set()
    return render_template(
        "bank/preview.html",
        course=course,
        token=token,
        pending=pending,
        planned=planned,
        items=preview_items(course, planned, drafts),
        counts=counts,
        modules=modules,
        all_module=next((m for m in modules if m.id == all_module), None),
        named_modules=any(d.module for d in drafts) or all_module is not None,
        form=form,
        skip=skip,
        replace=replace,
        blocked=set(blocked or ()),
        format_name=FORMAT_NAMES.get(pending["format"], pending["format"]),
    )


@bp.route("/import/<token>")
@role_required(Role.ORGANIZER, Role.TRAINER)
def preview_import(course_key: str, token: str):
    course = _course(course_key)
    pending = _pending(course, token)
    if pending is None:
        flash(_("This import preview has expired or was already imported."), "error")
        return redirect(url_for("bank.import_questions", course_key=course.key))
    all_module = _all_module(course, request.args.get("module"))
    return _render_preview(course, token, pending, ImportConfirmForm(), all_module=all_module)


@bp.route("/import/<token>/confirm", methods=["POST"])
@role_required(Role.ORGANIZER, Role.TRAINER)
def confirm_import(course_key: str, token: str):
    course = _course(course_key)
    pending = _pending(course, token)
    if pending is None:
        flash(_("This import preview has expired or was already imported."), "error")
        return redirect(url_for("bank.import_questions", course_key=course.key))
    form = ImportConfirmForm()
    form.skip.choices = [SelectChoice(d["number"], str(d["number"])) for d in pending["drafts"]]
    form.replace.choices = form.skip.choices
    if not form.validate_on_submit():
        flash(_("The form could not be read; please review the preview and confirm again."), "error")
        return redirect(url_for("bank.preview_import", course_key=course.key, token=token))
    all_module = _all_module(course, form.all_module.data)
    drafts, default_module = _planning(pending, all_module)
    try:
        with write_transaction():
            result = bank.apply_import(
                current_user,
                course,
                drafts,
                default_module,
                set(form.skip.data or []),
                filename=pending["filename"],
                fmt=pending["format"],
                replace=set(form.replace.data or []),
            )
    except bank.ImportBlocked as blocked:
        if blocked.numbers:
            flash(
                _(
                    "%(n)d items still have problems. Fix them in the file and upload it again, "
                    "or tick them to be skipped.",
                    n=len(blocked.numbers),
                ),
                "error",
            )
        if blocked.replacing:
            flash(
                _(
                    "%(n)d items would replace a question with a different one: tick “Replace” for each "
                    "to confirm it, or skip it.",
                    n=len(blocked.replacing),
                ),
                "error",
            )
        return _render_preview(
            course, token, pending, form, blocked=blocked.numbers + blocked.replacing, all_module=all_module
        )
    except IntegrityError:
        flash(_("Someone else changed this question bank at the same time. Please confirm again."), "error")
        return redirect(url_for("bank.preview_import", course_key=course.key, token=token, module=all_module))
    discard_pending(PENDING, token)
    changes = result.changes
    flash(
        _(
            "Import done: %(created)d created, %(updated)d updated (new versions), "
            "%(unchanged)d unchanged, %(skipped)d skipped.",
            created=len(changes.created),
            updated=len(changes.updated),
            unchanged=len(changes.unchanged) + len(changes.restored),
            skipped=len(result.skipped),
        ),
        "success",
    )
    return redirect(url_for("bank.list_questions", course_key=course.key))


def _modules_and_labels(course: Course) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """The course's modules (key, title), and the label each gets in a spreadsheet: its
    title, or its key when two modules share the title."""
    modules = [(m.key, m.title) for m in bank.course_modules(course)]
    titles = [title for _key, title in modules]
    labels = {key: title if titles.count(title) == 1 else key for key, title in modules}
    return modules, labels


def _download(body: bytes | str, mimetype: str, filename: str):
    return (
        body,
        200,
        {
            "Content-Type": mimetype,
            "Content-Disposition": f"attachment; filename={filename}",
            "Cache-Control": "no-store",
        },
    )


@bp.route("/export.xlsx")
@role_required(Role.ORGANIZER, Role.TRAINER)
def export_xlsx(course_key: str):
    course = _course(course_key)
    modules, labels = _modules_and_labels(course)
    rows = [question_row(q, labels.get(q.module_key, q.module_key)) for q in bank.course_questions(course)]
    return _download(write_xlsx(rows, modules), XLSX, f"{course.key}-questions.xlsx")


@bp.route("/export.gift")
@role_required(Role.ORGANIZER, Role.TRAINER)
def export_gift(course_key: str):
    course = _course(course_key)
    text = write_gift(bank.course_questions(course), heading=f"{course.key}: {course.title}")
    return _download(text.encode("utf-8"), "text/plain; charset=utf-8", f"{course.key}-questions.gift")


@bp.route("/export.xml")
@role_required(Role.ORGANIZER, Role.TRAINER)
def export_xml(course_key: str):
    course = _course(course_key)
    return _download(
        write_moodle_xml(bank.course_questions(course)), "application/xml; charset=utf-8", f"{course.key}-questions.xml"
    )


@bp.route("/template.xlsx")
@role_required(Role.ORGANIZER, Role.TRAINER)
def download_template(course_key: str):
    course = _course(course_key)
    modules, _labels = _modules_and_labels(course)
    return _download(write_xlsx([example_row(modules)], modules), XLSX, "question-template.xlsx")
