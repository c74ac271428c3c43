"""Loading questions and attempts for an acting user: the key is staff's, never a taker's."""

from __future__ import annotations

from lms.access import AccessDenied, NotFound, may_see_keys
from lms.auth.models import User
from lms.extensions import db

from .models import Question


def load_question_for(user: User, question_id: int, action: str = "review") -> Question:
    """The question, when ``user`` may see its key (``review``) or regrade it (``regrade``).

    Both need the course's staff (organizers, trainers of one of its cohorts) who are not
    taking the course themselves.

    :raises NotFound: no such question.
    :raises AccessDenied: any other user.
    """
    question = db.session.get(Question, question_id)
    if question is None:
        raise NotFound(question_id)
    check_question(user, question, action)
    return question


def check_question(user: User, question: Question, action: str = "review") -> None:
    """:raises AccessDenied: unless ``user`` may ``action`` (review, regrade) ``question``."""
    if action not in ("review", "regrade") or not may_see_keys(user, question.course_id):
        raise AccessDenied(action)
