"""Forms of the editor: lesson and module drafts, questions, authors, image uploads."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    FloatField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)
from wtforms.widgets import CheckboxInput, ListWidget

from lms.content.schema import LETTERS, MAX_OPTIONS, TITLE_LENGTH
from lms.input_guard import bounded_int, parse_id


def choices(pairs) -> list[SelectChoice]:
    """WTForms choices from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


LESSON_KIND_CHOICES = choices(
    [
        ("reading", _l("Reading")),
        ("case", _l("Case")),
        ("discussion", _l("Discussion")),
    ]
)
QUESTION_TYPE_CHOICES = choices(
    [
        ("single", _l("Single choice")),
        ("multiple", _l("Multiple choice")),
        ("true_false", _l("True or false")),
        ("fill_blank", _l("Fill in the blank")),
        ("short_answer", _l("Short answer")),
    ]
)
DIFFICULTY_CHOICES = choices([("easy", _l("Easy")), ("medium", _l("Medium")), ("hard", _l("Hard"))])
KEY_HINT = _l("Lower-case letters, digits and hyphens, starting with a letter; it never changes.")
_LIST_SPLIT = re.compile(r"[,，;；\s]+")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def lines(text: str | None) -> list[str]:
    """The non-empty lines of a text area, stripped."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def words(text: str | None) -> list[str]:
    """Tags typed as a list separated by commas or spaces, in order, each once."""
    seen: list[str] = []
    for word in _LIST_SPLIT.split(text or ""):
        if word and word not in seen:
            seen.append(word)
    return seen


class _DraftForm(FlaskForm):
    #: the draft revision the form was loaded from (0: no draft yet)
    revision = HiddenField(default="0")
    #: the published version the author started from
    base_version = HiddenField(default="0")
    key = StringField(_l("Key"), validators=[Optional(), Length(max=64)])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=TITLE_LENGTH)])

    def int_of(self, field) -> int:
        """The revision sent back (-1, matching none, when it is not one: it is compared in SQL)."""
        number = parse_id(str(field.data or 0).strip())
        return -1 if number is None else number


class LessonDraftForm(_DraftForm):
    module = SelectField(_l("Module"), validators=[Optional()])
    kind = SelectField(_l("Kind"), choices=LESSON_KIND_CHOICES, validators=[DataRequired()])
    minutes = IntegerField(_l("Estimated minutes"), validators=[InputRequired(), NumberRange(min=1, max=600)])
    body_markdown = TextAreaField(_l("Lesson text (Markdown)"), validators=[Length(max=200_000)])
    improvement_action = SelectField(
        _l("Improvement action"), validators=[Optional()], choices=[], validate_choice=False
    )

    def details(self) -> dict:
        return {"kind": self.kind.data, "minutes": self.minutes.data}


class ModuleDraftForm(_DraftForm):
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=5000)])
    objectives = TextAreaField(_l("Objectives, one per line"), validators=[Optional(), Length(max=5000)])
    credit_hours = FloatField(_l("Credit hours"), validators=[InputRequired(), NumberRange(min=0, max=1000)])
    prerequisites = MultiCheckboxField(_l("Prerequisites"), validators=[Optional()])
    improvement_action = SelectField(
        _l("Improvement action"), validators=[Optional()], choices=[], validate_choice=False
    )

    def details(self) -> dict:
        return {
            "summary": (self.summary.data or "").strip(),
            "objectives": lines(self.objectives.data),
            "credit_hours": self.credit_hours.data,
            "prerequisites": list(self.prerequisites.data or []),
        }


class PreviewForm(FlaskForm):
    """The live preview's request: Markdown in, sanitised HTML out."""

    course = StringField(validators=[DataRequired(), Length(max=64)])
    lesson_id = IntegerField(validators=[Optional()])
    kind = StringField(validators=[Optional(), Length(max=16)])
    body_markdown = TextAreaField(validators=[Length(max=200_000)])


class ImageUploadForm(FlaskForm):
    image = FileField(_l("Image file (PNG, JPEG, GIF or WebP, at most 2 MB)"))
    alt = StringField(_l("Description of the image"), validators=[Optional(), Length(max=200)])
    next = HiddenField()


class AuthorsForm(FlaskForm):
    trainer_ids = MultiCheckboxField(
        _l("Trainers who may edit this course"), coerce=bounded_int, validators=[Optional()]
    )


class StructureForm(FlaskForm):
    cohort_ids = MultiCheckboxField(_l("Running cohorts that get the change"), coerce=int, validators=[Optional()])


class MoveForm(FlaskForm):
    direction = SelectField(choices=choices([("up", "up"), ("down", "down")]))


class ConfirmForm(FlaskForm):
    """A bare CSRF-protected POST (with the draft revision it was shown with)."""

    revision = HiddenField(default="0")

    def int_of_revision(self) -> int:
        number = parse_id(str(self.revision.data or 0).strip())
        return -1 if number is None else number


class QuestionForm(FlaskForm):
    version = HiddenField(default="0")
    key = StringField(_l("Question id"), validators=[Optional(), Length(max=64)])
    module = SelectField(_l("Module"), validators=[Optional()])
    qtype = SelectField(_l("Question type"), choices=QUESTION_TYPE_CHOICES, validators=[DataRequired()])
    stem = TextAreaField(_l("Question text"), validators=[DataRequired(), Length(max=5000)])
    option_a = StringField(_l("Option A"), validators=[Optional(), Length(max=1000)])
    option_b = StringField(_l("Option B"), validators=[Optional(), Length(max=1000)])
    option_c = StringField(_l("Option C"), validators=[Optional(), Length(max=1000)])
    option_d = StringField(_l("Option D"), validators=[Optional(), Length(max=1000)])
    option_e = StringField(_l("Option E"), validators=[Optional(), Length(max=1000)])
    option_f = StringField(_l("Option F"), validators=[Optional(), Length(max=1000)])
    answer_single = SelectField(
        _l("Correct option"), validators=[Optional()], choices=choices([("", "—")] + [(c, c) for c in LETTERS])
    )
    answer_multiple = MultiCheckboxField(
        _l("Correct options"), validators=[Optional()], choices=choices([(c, c) for c in LETTERS])
    )
    answer_true_false = SelectField(
        _l("Correct answer"),
        validators=[Optional()],
        choices=choices([("", "—"), ("true", _l("True")), ("false", _l("False"))]),
    )
    answer_text = TextAreaField(
        _l("Accepted answers (one per line) or reference answer"),
        validators=[Optional(), Length(max=5000)],
    )
    explanation = TextAreaField(_l("Explanation"), validators=[Optional(), Length(max=5000)])
    lesson = SelectField(_l("Lesson it tests"), validators=[Optional()])
    difficulty = SelectField(_l("Difficulty"), choices=DIFFICULTY_CHOICES, default="medium")
    tags = StringField(_l("Tags, separated by commas"), validators=[Optional(), Length(max=500)])
    ready = BooleanField(_l("Ready: may be drawn into trainees' attempts"))

    OPTION_FIELDS = tuple(f"option_{c.lower()}" for c in LETTERS[:MAX_OPTIONS])

    def options(self) -> tuple[list[str], bool]:
        """The options filled in, and whether they were filled from A without gaps."""
        texts = [(getattr(self, name).data or "").strip() for name in self.OPTION_FIELDS]
        filled = [t for t in texts if t]
        last = max((i for i, t in enumerate(texts) if t), default=-1)
        return filled, len(filled) == last + 1

    def answer(self):
        """The answer in its stored form for the chosen type (None when not given)."""
        qtype = self.qtype.data
        if qtype == "single":
            return self.answer_single.data or None
        if qtype == "multiple":
            return sorted(set(self.answer_multiple.data or [])) or None
        if qtype == "true_false":
            return {"true": True, "false": False}.get(self.answer_true_false.data or "")
        if qtype == "fill_blank":
            return lines(self.answer_text.data) or None
        return (self.answer_text.data or "").strip() or None

    def set_answer(self, qtype: str, answer) -> None:
        """Fill the answer fields from a stored answer."""
        if qtype == "single":
            self.answer_single.data = answer
        elif qtype == "multiple":
            self.answer_multiple.data = list(answer or [])
        elif qtype == "true_false":
            self.answer_true_false.data = "true" if answer else "false"
        elif qtype == "fill_blank":
            self.answer_text.data = "\n".join(answer or [])
        else:
            self.answer_text.data = answer or ""


class QuizSettingsForm(FlaskForm):
    version = HiddenField(default="0")
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=TITLE_LENGTH)])
    time_limit_minutes = IntegerField(
        _l("Time limit (minutes; empty for untimed)"), validators=[Optional(), NumberRange(min=1, max=1440)]
    )
    max_attempts = IntegerField(
        _l("Attempts allowed (empty for unlimited)"), validators=[Optional(), NumberRange(min=1, max=100)]
    )
    pass_mark = IntegerField(_l("Pass mark (%)"), validators=[InputRequired(), NumberRange(min=0, max=100)])
    shuffle_questions = BooleanField(_l("Shuffle the questions"))
    shuffle_options = BooleanField(_l("Shuffle the options"))
    parallel_to = SelectField(_l("Parallel form of"), validators=[Optional()], choices=[], validate_choice=False)


class NewQuizForm(FlaskForm):
    """A new quiz: where it goes (its kind and module), its title, how it gets its questions."""

    place = SelectField(_l("Kind and place"), validators=[DataRequired()], validate_choice=False)
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=TITLE_LENGTH)])
    questions = RadioField(
        _l("Questions"),
        choices=choices(
            [
                ("fixed", _l("A fixed list: the same questions for everyone")),
                ("draw", _l("A random draw from the question bank, by module")),
            ]
        ),
        default="fixed",
        validators=[DataRequired()],
    )


class QuizVersionForm(FlaskForm):
    """Publish or discard a draft quiz (with the version the page showed)."""

    version = HiddenField(default="0")


class QuizItemsForm(FlaskForm):
    """One change to a quiz's fixed list."""

    version = HiddenField(default="0")
    op = SelectField(choices=choices([(o, o) for o in ("add", "remove", "up", "down", "replace")]))
    question = StringField(validators=[DataRequired(), Length(max=64)])
    other = StringField(validators=[Optional(), Length(max=64)])


SURVEY_ITEM_TYPE_CHOICES = choices(
    [
        ("likert", _l("5-point scale (likert)")),
        ("single", _l("Single choice")),
        ("multiple", _l("Multiple choice")),
        ("rating10", _l("0-10 recommendation scale")),
        ("matrix", _l("Matrix of 5-point scales")),
        ("number", _l("Number")),
        ("text", _l("Free text")),
    ]
)


class SurveyItemForm(FlaskForm):
    version = HiddenField(default="0")
    key = StringField(_l("Item id"), validators=[Optional(), Length(max=64)])
    section = StringField(_l("Section"), validators=[DataRequired(), Length(max=TITLE_LENGTH)])
    itype = SelectField(_l("Item type"), choices=SURVEY_ITEM_TYPE_CHOICES)
    prompt = TextAreaField(_l("Question"), validators=[DataRequired(), Length(max=2000)])
    required = BooleanField(_l("An answer is required"), default=True)
    options = TextAreaField(
        _l("Options, one per line (single and multiple choice)"), validators=[Optional(), Length(max=5000)]
    )
    labels = TextAreaField(
        _l("Scale labels, 5 lines from lowest to highest (optional)"), validators=[Optional(), Length(max=2000)]
    )
    rows = TextAreaField(_l("Matrix rows, one per line as “id: label”"), validators=[Optional(), Length(max=5000)])
    minimum = FloatField(_l("Smallest value (optional)"), validators=[Optional()])
    maximum = FloatField(_l("Largest value (optional)"), validators=[Optional()])
    module = SelectField(_l("Module it is about (optional)"), validators=[Optional()])
    measure = SelectField(
        _l("Needs survey: what it measures"),
        validators=[Optional()],
        choices=choices([("", "—"), ("need", _l("Need")), ("confidence", _l("Confidence"))]),
    )

    def matrix_rows(self) -> list[dict]:
        rows = []
        for line in lines(self.rows.data):
            row_id, _sep, label = line.replace("：", ":").partition(":")
            rows.append({"id": row_id.strip(), "label": label.strip()})
        return rows
