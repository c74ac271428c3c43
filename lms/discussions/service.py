"""Posting, listing and moderating discussion threads."""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import joinedload

from lms.audit.service import record
from lms.auth.models import User
from lms.cohorts.models import Cohort, Enrolment, EnrolmentStatus
from lms.cohorts.service import can_view_cohort
from lms.content.markdown import render_markdown
from lms.extensions import db
from lms.learning.models import Lesson, LessonKind, Module

from .models import Post

MAX_BODY = 5000
PER_PAGE = 20
#: lessons with a thread of their own (every module has one too)
THREAD_KINDS = (LessonKind.CASE, LessonKind.DISCUSSION)


class DiscussionError(ValueError):
    """A post that cannot be accepted; the message is shown to the user."""


def is_member(user: User, cohort: Cohort) -> bool:
    return db.session.scalar(
        select(
            exists().where(
                Enrolment.cohort_id == cohort.id,
                Enrolment.user_id == user.id,
                Enrolment.status == EnrolmentStatus.ACTIVE,
            )
        )
    )


def can_moderate(user: User, cohort: Cohort) -> bool:
    """The cohort's trainers and organizers pin and hide posts."""
    return can_view_cohort(user, cohort)


def can_take_part(user: User, cohort: Cohort) -> bool:
    return can_moderate(user, cohort) or is_member(user, cohort)


def _thread(cohort: Cohort, module: Module, lesson: Lesson | None):
    lesson_clause = Post.lesson_id.is_(None) if lesson is None else Post.lesson_id == lesson.id
    return (Post.cohort_id == cohort.id) & (Post.module_id == module.id) & lesson_clause


def thread_page(
    cohort: Cohort,
    module: Module,
    lesson: Lesson | None,
    page: int,
    show_hidden: bool,
    viewer_id: int,
):
    """Top-level posts (pinned first, then newest) with their replies: two queries + count.

    Hidden posts are shown to moderators, and to their own author (marked as hidden).
    """
    visible = True if show_hidden else (Post.is_hidden.is_(False) | (Post.author_id == viewer_id))
    top = (
        select(Post)
        .options(joinedload(Post.author))
        .where(_thread(cohort, module, lesson), Post.parent_id.is_(None), visible)
        .order_by(Post.is_pinned.desc(), Post.created_at.desc(), Post.id.desc())
    )
    pagination = db.paginate(top, page=page, per_page=PER_PAGE, error_out=False)
    ids = [post.id for post in pagination.items]
    replies: dict[int, list[Post]] = {}
    if ids:
        for reply in db.session.scalars(
            select(Post)
            .options(joinedload(Post.author))
            .where(Post.parent_id.in_(ids), visible)
            .order_by(Post.created_at, Post.id)
        ):
            replies.setdefault(reply.parent_id, []).append(reply)
    return pagination, replies


def create_post(
    author: User,
    cohort: Cohort,
    module: Module,
    lesson: Lesson | None,
    body: str,
    parent_id: int | None = None,
) -> Post:
    body = body.strip()
    if not body:
        raise DiscussionError("empty")
    if len(body) > MAX_BODY:
        raise DiscussionError("too_long")
    if parent_id is not None:
        parent = db.session.get(Post, parent_id)
        same_thread = parent is not None and (
            parent.cohort_id,
            parent.module_id,
            parent.lesson_id,
            parent.parent_id,
        ) == (cohort.id, module.id, lesson.id if lesson else None, None)
        if not same_thread or parent.is_hidden:
            raise DiscussionError("bad_parent")
    rendered = render_markdown(body)  # images are dropped: no image URL map is given
    post = Post(
        cohort_id=cohort.id,
        module_id=module.id,
        lesson_id=lesson.id if lesson else None,
        parent_id=parent_id,
        author_id=author.id,
        body_markdown=body,
        body_html=rendered.html,
        is_staff_answer=can_moderate(author, cohort),
    )
    db.session.add(post)
    db.session.flush()
    return post


def moderate(actor: User, post: Post, action: str) -> None:
    """pin, unpin, hide or unhide a post (audited)."""
    if action == "pin":
        post.is_pinned = True
    elif action == "unpin":
        post.is_pinned = False
    elif action == "hide":
        post.is_hidden = True
    elif action == "unhide":
        post.is_hidden = False
    else:
        raise DiscussionError("bad_action")
    post.moderated_by_id = actor.id
    record(actor, f"discussion.{action}", post, cohort_id=post.cohort_id)
