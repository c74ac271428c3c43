"""credit rule settings (organizers' 学时 rule per course and per cohort)

Revision ID: c3f1a9d27e15
Revises: c7a3e1d05f42
Create Date: 2026-12-04 22:40:00

"""
from alembic import op
import sqlalchemy as sa

import lms.db


# revision identifiers, used by Alembic.
revision = 'c3f1a9d27e15'
down_revision = 'c7a3e1d05f42'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('credit_rule_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=True),
    sa.Column('rule', sa.JSON(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', lms.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_credit_rule_settings_cohort_id_cohorts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_credit_rule_settings_course_id_courses')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_credit_rule_settings_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_rule_settings'))
    )
    with op.batch_alter_table('credit_rule_settings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_rule_settings_course_id'), ['course_id'], unique=False)
        batch_op.create_index('uq_credit_rule_cohort', ['cohort_id'], unique=True)
        batch_op.create_index('uq_credit_rule_course', ['course_id'], unique=True, sqlite_where=sa.text('cohort_id IS NULL'), postgresql_where=sa.text('cohort_id IS NULL'))


def downgrade():
    with op.batch_alter_table('credit_rule_settings', schema=None) as batch_op:
        batch_op.drop_index('uq_credit_rule_course', sqlite_where=sa.text('cohort_id IS NULL'), postgresql_where=sa.text('cohort_id IS NULL'))
        batch_op.drop_index('uq_credit_rule_cohort')
        batch_op.drop_index(batch_op.f('ix_credit_rule_settings_course_id'))

    op.drop_table('credit_rule_settings')
