"""course structures: cohorts pinned to the lessons, quiz and hours they ran on; loaded_hash;
question status

Revision ID: c7a3e1d05f42
Revises: c3a1f0d2e9b7
Create Date: 2026-12-04 22:00:00

Existing courses get structure 1 from their current rows. Cohorts that have started are
pinned to it, so a later change reaches only cohorts that start after it.
Versioned items get ``loaded_hash``: the hash of their latest version loaded from files (so
an earlier browser edit is kept by the next load), or their current hash where no version
table says otherwise (quizzes, surveys).
"""


import os
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

import lms.db

revision = "c7a3e1d05f42"
down_revision = "c3a1f0d2e9b7"
branch_labels = None
depends_on = None

#: versioned tables and their version tables (None: no version table)
VERSIONED = {
    "modules": ("module_versions", "module_id"),
    "lessons": ("lesson_versions", "lesson_id"),
    "questions": ("question_versions", "question_id"),
    "survey_items": ("survey_item_versions", "item_id"),
    "quizzes": None,
    "surveys": None,
}


def upgrade():
    op.create_table(
        "course_structures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", lms.db.UTCDateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["course_id"], ["courses.id"], name=op.f("fk_course_structures_course_id_courses")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_course_structures_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_structures")),
        sa.UniqueConstraint("course_id", "number", name=op.f("uq_course_structures_course_id_number")),
    )
    with op.batch_alter_table("course_structures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_course_structures_course_id"), ["course_id"], unique=False)

    op.create_table(
        "structure_modules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("structure_id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=False),
        sa.Column("module_version", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("credit_hours", sa.Float(), nullable=False),
        sa.Column("prerequisites", sa.JSON(), nullable=False),
        sa.Column("quiz_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["module_id"], ["modules.id"], name=op.f("fk_structure_modules_module_id_modules")),
        sa.ForeignKeyConstraint(["quiz_id"], ["quizzes.id"], name=op.f("fk_structure_modules_quiz_id_quizzes")),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["course_structures.id"],
            name=op.f("fk_structure_modules_structure_id_course_structures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_structure_modules")),
        sa.UniqueConstraint("structure_id", "module_id", name=op.f("uq_structure_modules_structure_id_module_id")),
    )
    with op.batch_alter_table("structure_modules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_structure_modules_structure_id"), ["structure_id"], unique=False)

    op.create_table(
        "structure_lessons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("structure_id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=False),
        sa.Column("lesson_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["lesson_id"], ["lessons.id"], name=op.f("fk_structure_lessons_lesson_id_lessons")),
        sa.ForeignKeyConstraint(["module_id"], ["modules.id"], name=op.f("fk_structure_lessons_module_id_modules")),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["course_structures.id"],
            name=op.f("fk_structure_lessons_structure_id_course_structures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_structure_lessons")),
        sa.UniqueConstraint("structure_id", "lesson_id", name=op.f("uq_structure_lessons_structure_id_lesson_id")),
    )
    with op.batch_alter_table("structure_lessons", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_structure_lessons_structure_id"), ["structure_id"], unique=False)

    with op.batch_alter_table("cohorts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("structure_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_cohorts_structure_id_course_structures"), "course_structures", ["structure_id"], ["id"]
        )
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("module_pins", sa.JSON(), nullable=True))
    op.execute("UPDATE enrolments SET module_pins = '{}'")
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.alter_column("module_pins", existing_type=sa.JSON(), nullable=False)

    for table, versions in VERSIONED.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("loaded_hash", sa.String(length=64), nullable=False, server_default=""))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("loaded_hash", server_default=None)
        if versions is None:
            op.execute(f"UPDATE {table} SET loaded_hash = content_hash")
        else:
            version_table, fk = versions
            op.execute(
                f"UPDATE {table} SET loaded_hash = COALESCE((SELECT v.content_hash FROM {version_table} v "
                f"WHERE v.{fk} = {table}.id AND v.source = 'files' ORDER BY v.version DESC LIMIT 1), '')"
            )
    # question status: everything already in the bank stays drawable
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "status",
                sa.Enum("draft", "ready", name="questionstatus", native_enum=False, length=24),
                nullable=False,
                server_default="ready",
            )
        )
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.alter_column("status", server_default=None)
    _first_structures()


def _first_structures():
    """Structure 1 of every course from its current rows; started cohorts pinned to it."""
    conn = op.get_bind()
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    today = datetime.now(ZoneInfo(os.environ.get("LMS_TIMEZONE", "Asia/Shanghai"))).date()
    structures = sa.table(
        "course_structures",
        sa.column("id", sa.Integer),
        sa.column("course_id", sa.Integer),
        sa.column("number", sa.Integer),
        sa.column("source", sa.String),
        sa.column("created_at", sa.DateTime),
    )
    entries = sa.table(
        "structure_modules",
        sa.column("structure_id", sa.Integer),
        sa.column("module_id", sa.Integer),
        sa.column("module_version", sa.Integer),
        sa.column("position", sa.Integer),
        sa.column("credit_hours", sa.Float),
        sa.column("prerequisites", sa.JSON),
        sa.column("quiz_id", sa.Integer),
    )
    lessons = sa.table(
        "structure_lessons",
        sa.column("structure_id", sa.Integer),
        sa.column("module_id", sa.Integer),
        sa.column("lesson_id", sa.Integer),
        sa.column("position", sa.Integer),
    )
    modules_t = sa.table(
        "modules",
        sa.column("id", sa.Integer),
        sa.column("course_id", sa.Integer),
        sa.column("version", sa.Integer),
        sa.column("position", sa.Integer),
        sa.column("credit_hours", sa.Float),
        sa.column("prerequisites", sa.JSON),
        sa.column("is_retired", sa.Boolean),
    )
    lessons_t = sa.table(
        "lessons",
        sa.column("id", sa.Integer),
        sa.column("module_id", sa.Integer),
        sa.column("position", sa.Integer),
        sa.column("is_retired", sa.Boolean),
    )
    quizzes_t = sa.table(
        "quizzes",
        sa.column("id", sa.Integer),
        sa.column("module_id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("is_retired", sa.Boolean),
    )
    cohorts_t = sa.table(
        "cohorts",
        sa.column("course_id", sa.Integer),
        sa.column("starts_on", sa.Date),
        sa.column("structure_id", sa.Integer),
    )
    for (course_id,) in conn.execute(sa.text("SELECT id FROM courses")).all():
        modules = conn.execute(
            sa.select(modules_t)
            .where(modules_t.c.course_id == course_id, modules_t.c.is_retired.is_(False))
            .order_by(modules_t.c.position)
        ).all()
        if not modules:
            continue
        structure_id = conn.execute(
            structures.insert()
            .values(course_id=course_id, number=1, source="files", created_at=now)
            .returning(structures.c.id)
        ).scalar_one()
        for position, m in enumerate(modules):
            quiz_id = conn.execute(
                sa.select(quizzes_t.c.id).where(
                    quizzes_t.c.module_id == m.id,
                    quizzes_t.c.kind == "module_quiz",
                    quizzes_t.c.is_retired.is_(False),
                )
            ).scalar()
            conn.execute(
                entries.insert().values(
                    structure_id=structure_id,
                    module_id=m.id,
                    module_version=m.version,
                    position=position,
                    credit_hours=m.credit_hours or 0,
                    prerequisites=m.prerequisites or [],
                    quiz_id=quiz_id,
                )
            )
            rows = conn.execute(
                sa.select(lessons_t.c.id)
                .where(lessons_t.c.module_id == m.id, lessons_t.c.is_retired.is_(False))
                .order_by(lessons_t.c.position)
            ).all()
            for i, (lesson_id,) in enumerate(rows):
                conn.execute(
                    lessons.insert().values(structure_id=structure_id, module_id=m.id, lesson_id=lesson_id, position=i)
                )
        conn.execute(
            cohorts_t.update()
            .where(cohorts_t.c.course_id == course_id, cohorts_t.c.starts_on <= today)
            .values(structure_id=structure_id)
        )


def downgrade():
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.drop_column("status")
    for table in VERSIONED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("loaded_hash")
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.drop_column("module_pins")
    with op.batch_alter_table("cohorts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_cohorts_structure_id_course_structures"), type_="foreignkey")
        batch_op.drop_column("structure_id")
    with op.batch_alter_table("structure_lessons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_structure_lessons_structure_id"))
    op.drop_table("structure_lessons")
    with op.batch_alter_table("structure_modules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_structure_modules_structure_id"))
    op.drop_table("structure_modules")
    with op.batch_alter_table("course_structures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_course_structures_course_id"))
    op.drop_table("course_structures")
