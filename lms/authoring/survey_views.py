"""The survey editor: a survey's items, each added, edited, moved or removed on its own."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms.db import write_transaction
from lms.extensions import db
from lms.learning.models import Module
from lms.security import role_required
from lms.surveys.models import Survey, SurveyItem, SurveyKind

from . import history, surveys
from .forms import ConfirmForm, MoveForm, SurveyItemForm, choices, lines
from .surveys import ItemConflict, ItemData, ItemProblems
from .views import STAFF, _editable, bp

#: where a problem about an item is shown in the form
_FIELD_OF = {
    "maximum": "maximum",
    "module": "module",
    "measure": "measure",
    "key": "key",
    "options": "options",
    "labels": "labels",
    "rows": "rows",
    "prompt": "prompt",
    "section": "section",
    "itype": "itype",
}


def _survey_or_404(survey_id: int):
    survey = db.session.get(Survey, survey_id)
    if survey is None or survey.is_retired:
        abort(404)
    return survey, _editable(survey.course_id)


def _item_or_404(item_id: int):
    item = db.session.get(SurveyItem, item_id)
    if item is None or item.is_retired:
        abort(404)
    survey, course = _survey_or_404(item.survey_id)
    return item, survey, course


def _prepare(form: SurveyItemForm, survey: Survey) -> None:
    modules = db.session.scalars(
        select(Module)
        .where(Module.course_id == survey.course_id, Module.is_retired.is_(False))
        .order_by(Module.position)
    ).all()
    form.module.choices = choices([("", "—")] + [(m.key, m.title) for m in modules])


def _data(form: SurveyItemForm, survey: Survey) -> ItemData:
    return ItemData(
        itype=form.itype.data,
        prompt=(form.prompt.data or "").strip(),
        section=(form.section.data or "").strip(),
        required=bool(form.required.data),
        options=lines(form.options.data),
        labels=lines(form.labels.data),
        rows=form.matrix_rows(),
        minimum=form.minimum.data,
        maximum=form.maximum.data,
        module_key=form.module.data or None,
        measure=(form.measure.data or None) if survey.kind == SurveyKind.NEEDS else None,
    )


def _fill(form: SurveyItemForm, data: ItemData) -> None:
    form.itype.data, form.prompt.data, form.section.data = data.itype, data.prompt, data.section
    form.required.data = data.required
    form.options.data = "\n".join(data.options)
    form.labels.data = "\n".join(data.labels)
    form.rows.data = "\n".join(f"{r['id']}: {r['label']}" for r in data.rows)
    form.minimum.data, form.maximum.data = data.minimum, data.maximum
    form.module.data, form.measure.data = data.module_key or "", data.measure or ""


def _render(survey, course, form, item=None, conflict=None, status=200):
    sections = list(dict.fromkeys(i.section for i in surveys.items(survey)))
    return render_template(
        "authoring/survey_item_form.html",
        survey=survey,
        course=course,
        form=form,
        item=item,
        sections=sections,
        conflict=conflict,
    ), status


@bp.route("/surveys/<int:survey_id>")
@role_required(*STAFF)
def edit_survey(survey_id: int):
    survey, course = _survey_or_404(survey_id)
    return render_template(
        "authoring/survey.html",
        survey=survey,
        course=course,
        items=surveys.items(survey),
        confirm=ConfirmForm(),
        move_form=MoveForm(),
    )


@bp.route("/surveys/<int:survey_id>/items/new", methods=["GET", "POST"])
@role_required(*STAFF)
def new_survey_item(survey_id: int):
    survey, course = _survey_or_404(survey_id)
    form = SurveyItemForm()
    _prepare(form, survey)
    if request.method == "GET":
        current = surveys.items(survey)
        form.section.data = request.args.get("section") or (current[-1].section if current else "")
    if form.validate_on_submit():
        try:
            with write_transaction():
                item = surveys.create_item(
                    current_user, db.session.get(Survey, survey.id), (form.key.data or "").strip(), _data(form, survey)
                )
        except ItemProblems as error:
            _show(form, error.problems)
        else:
            flash(_("Item %(key)s added to the survey.", key=item.key), "success")
            return redirect(url_for("authoring.edit_survey", survey_id=survey.id, _anchor=f"item-{item.id}"))
    return _render(survey, course, form)


def _show(form: SurveyItemForm, problems: dict[str, str]) -> None:
    for name, message in problems.items():
        getattr(form, _FIELD_OF.get(name, "prompt")).errors.append(message)


@bp.route("/survey-items/<int:item_id>/edit", methods=["GET", "POST"])
@role_required(*STAFF)
def edit_survey_item(item_id: int):
    item, survey, course = _item_or_404(item_id)
    form = SurveyItemForm()
    _prepare(form, survey)
    if request.method == "GET":
        _fill(form, surveys.data_of(item))
        form.version.data = str(item.version)
    if form.validate_on_submit():
        data = _data(form, survey)
        try:
            version = int(form.version.data or 0)
        except ValueError:
            version = -1
        try:
            with write_transaction():
                changed = surveys.update_item(current_user, item.id, version, data)
        except ItemConflict as error:
            form.version.data = str(error.item.version)
            conflict = {
                "version": error.item.version,
                "diff": history.diff_lines(
                    history.version_text(vars(surveys.data_of(error.item))), history.version_text(vars(data))
                ),
            }
            return _render(survey, course, form, item, conflict, 409)
        except ItemProblems as error:
            _show(form, error.problems)
        else:
            item = db.session.get(SurveyItem, item.id)
            flash(
                _("Item saved as version %(v)d.", v=item.version) if changed else _("Nothing had changed."),
                "success" if changed else "info",
            )
            return redirect(url_for("authoring.edit_survey", survey_id=survey.id, _anchor=f"item-{item.id}"))
    return _render(survey, course, form, item)


@bp.route("/survey-items/<int:item_id>/move", methods=["POST"])
@role_required(*STAFF)
def move_survey_item(item_id: int):
    item, survey, _course = _item_or_404(item_id)
    form = MoveForm()
    if form.validate_on_submit():
        with write_transaction():
            surveys.move_item(
                current_user, db.session.get(SurveyItem, item.id), -1 if form.direction.data == "up" else 1
            )
    return redirect(url_for("authoring.edit_survey", survey_id=survey.id, _anchor=f"item-{item_id}"))


@bp.route("/survey-items/<int:item_id>/remove", methods=["POST"])
@role_required(*STAFF)
def remove_survey_item(item_id: int):
    item, survey, _course = _item_or_404(item_id)
    if ConfirmForm().validate_on_submit():
        try:
            with write_transaction():
                surveys.retire_item(current_user, db.session.get(SurveyItem, item.id))
        except ItemProblems as error:
            flash(" ".join(error.problems.values()), "error")
        else:
            flash(_("Item removed from the survey. Answers already given are kept."), "success")
    return redirect(url_for("authoring.edit_survey", survey_id=survey.id))
