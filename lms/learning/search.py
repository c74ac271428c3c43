"""Searching a course's lessons in Chinese.

Chinese has no spaces between words, so word tokenizers do not work; trigram indexes do.
SQLite: an FTS5 table with the trigram tokenizer, kept in step with ``lessons`` by triggers.
PostgreSQL: pg_trgm's GIN index on ``lessons.search_text``. Trigrams answer terms of three or
more characters from the index; shorter terms (二字词 such as 帮扶) fall back to a LIKE scan of
the course's lessons, which is small. Snippets and highlighting are done here, the same way
on both databases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup, escape
from sqlalchemy import DDL, and_, event, func, or_, select, text

from lms.extensions import db

from .models import GlossaryTerm, Lesson, Module

MAX_TERMS = 5
MAX_TERM_LENGTH = 40
MAX_RESULTS = 50

SQLITE_DDL = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS lesson_fts USING fts5("
    "title, search_text, content='lessons', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS lessons_fts_insert AFTER INSERT ON lessons BEGIN "
    "INSERT INTO lesson_fts(rowid, title, search_text) "
    "VALUES (new.id, new.title, new.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS lessons_fts_delete AFTER DELETE ON lessons BEGIN "
    "INSERT INTO lesson_fts(lesson_fts, rowid, title, search_text) "
    "VALUES ('delete', old.id, old.title, old.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS lessons_fts_update AFTER UPDATE OF title, search_text "
    "ON lessons BEGIN "
    "INSERT INTO lesson_fts(lesson_fts, rowid, title, search_text) "
    "VALUES ('delete', old.id, old.title, old.search_text); "
    "INSERT INTO lesson_fts(rowid, title, search_text) "
    "VALUES (new.id, new.title, new.search_text); END",
    "INSERT INTO lesson_fts(lesson_fts) VALUES ('rebuild')",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS lessons_fts_update",
    "DROP TRIGGER IF EXISTS lessons_fts_delete",
    "DROP TRIGGER IF EXISTS lessons_fts_insert",
    "DROP TABLE IF EXISTS lesson_fts",
]
POSTGRES_DDL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS ix_lessons_search_trgm ON lessons USING gin (search_text gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS ix_lessons_title_trgm ON lessons USING gin (title gin_trgm_ops)",
]
POSTGRES_DROP = [
    "DROP INDEX IF EXISTS ix_lessons_title_trgm",
    "DROP INDEX IF EXISTS ix_lessons_search_trgm",
]
#: objects made by the statements above, which the models do not describe (for Alembic)
UNMODELLED = ("lesson_fts", "ix_lessons_search_trgm", "ix_lessons_title_trgm")


def create_search_index(connection) -> None:
    """Create the search index for the connection's database (used by migrations too)."""
    statements = SQLITE_DDL if connection.dialect.name == "sqlite" else POSTGRES_DDL
    for statement in statements:
        connection.execute(text(statement))


def drop_search_index(connection) -> None:
    statements = SQLITE_DROP if connection.dialect.name == "sqlite" else POSTGRES_DROP
    for statement in statements:
        connection.execute(text(statement))


def is_modelled(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic include_object: leave the search index (and FTS5 shadow tables) alone."""
    return not (name and name.startswith(UNMODELLED))


# db.create_all() (tests, first start) builds the index right after the lessons table.
for _statement in SQLITE_DDL:
    event.listen(Lesson.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRES_DDL:
    event.listen(Lesson.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql"))
for _statement in SQLITE_DROP:
    event.listen(Lesson.__table__, "before_drop", DDL(_statement).execute_if(dialect="sqlite"))


@dataclass
class Hit:
    lesson_key: str
    title: Markup
    module_title: str
    snippet: Markup
    score: int


def parse_query(query: str) -> list[str]:
    """Terms separated by spaces (full-width too), each at most 40 characters, at most 5."""
    terms = [t[:MAX_TERM_LENGTH] for t in re.split(r"\s+", query.replace("\u3000", " ")) if t]
    return list(dict.fromkeys(terms))[:MAX_TERMS]


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_lessons(course_id: int, query: str) -> list[Hit]:
    """Lessons of the course containing every term (in the title or text), best first."""
    terms = parse_query(query)
    if not terms:
        return []
    dialect = db.session.get_bind().dialect.name
    conditions = []
    stmt = (
        select(Lesson.key, Lesson.title, Lesson.search_text, Module.title.label("module_title"))
        .join(Module, Module.id == Lesson.module_id)
        .where(
            Lesson.course_id == course_id,
            Lesson.is_retired.is_(False),
            Module.is_retired.is_(False),
        )
    )
    long_terms = [t for t in terms if len(t) >= 3]
    if dialect == "sqlite" and long_terms:
        # FTS5 phrase syntax: a term in double quotes, inner quotes doubled
        match = " AND ".join('"' + t.replace('"', '""') + '"' for t in long_terms)
        fts = text("SELECT rowid FROM lesson_fts WHERE lesson_fts MATCH :match").bindparams(match=match)
        conditions.append(Lesson.id.in_(fts.columns(rowid=db.Integer)))
        terms_by_like = [t for t in terms if len(t) < 3]
    else:
        terms_by_like = terms
    like = Lesson.search_text.ilike if dialect == "postgresql" else Lesson.search_text.like
    title_like = Lesson.title.ilike if dialect == "postgresql" else Lesson.title.like
    for term in terms_by_like:
        conditions.append(or_(like(_like(term), escape="\\"), title_like(_like(term), escape="\\")))
    rows = db.session.execute(
        stmt.where(and_(*conditions)).order_by(Module.position, Lesson.position).limit(MAX_RESULTS)
    ).all()
    hits = []
    for row in rows:
        haystack = f"{row.title}\n{row.search_text}".casefold()
        score = sum(haystack.count(t.casefold()) for t in terms)
        score += 10 * sum(t.casefold() in row.title.casefold() for t in terms)
        hits.append(Hit(row.key, highlight(row.title, terms), row.module_title, snippet(row.search_text, terms), score))
    hits.sort(key=lambda h: -h.score)
    return hits


def search_glossary(course_id: int, query: str) -> list:
    terms = parse_query(query)
    if not terms:
        return []
    conditions = [
        or_(GlossaryTerm.term.contains(t, autoescape=True), GlossaryTerm.definition.contains(t, autoescape=True))
        for t in terms
    ]
    return db.session.execute(
        select(GlossaryTerm.term, GlossaryTerm.definition)
        .where(GlossaryTerm.course_id == course_id, and_(*conditions))
        .order_by(func.length(GlossaryTerm.term), GlossaryTerm.position)
        .limit(10)
    ).all()


def highlight(value: str, terms: list[str]) -> Markup:
    """The text, escaped, with every occurrence of a term wrapped in <mark>."""
    if not terms:
        return escape(value)
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.I)
    parts, last = [], 0
    for m in pattern.finditer(value):
        parts.append(escape(value[last : m.start()]))
        parts.append(Markup("<mark>") + escape(m.group(0)) + Markup("</mark>"))
        last = m.end()
    parts.append(escape(value[last:]))
    return Markup("").join(parts)


def snippet(value: str, terms: list[str], before: int = 30, after: int = 70) -> Markup:
    """A short passage around the first term found, highlighted."""
    folded = value.casefold()
    positions = [folded.find(t.casefold()) for t in terms]
    positions = [p for p in positions if p >= 0]
    start = max(0, min(positions) - before) if positions else 0
    end = min(len(value), (min(positions) if positions else 0) + after)
    text_part = value[start:end].replace("\n", " ")
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(value) else ""
    return escape(prefix) + highlight(text_part, terms) + escape(suffix)
