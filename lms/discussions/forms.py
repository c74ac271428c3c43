from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from .service import MAX_BODY


class PostForm(FlaskForm):
    body = TextAreaField(
        _l("Your post"),
        validators=[
            DataRequired(_l("Please write something first.")),
            Length(max=MAX_BODY, message=_l("At most %(max)d characters.")),
        ],
        description=_l("Plain text or simple Markdown (bold, lists, links)."),
    )
    parent_id = HiddenField(validators=[Optional(), Regexp(r"^\d{1,12}$")])
