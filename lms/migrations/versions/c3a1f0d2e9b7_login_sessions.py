"""login sessions: one row per sign-in (timeouts, logout, remembered devices)

Revision ID: c3a1f0d2e9b7
Revises: b6138de55a59
Create Date: 2026-12-04 22:30:00

Existing signed-in browsers (whose cookies carry no session token) are asked to log in again.
"""
from alembic import op
import sqlalchemy as sa

import lms.db


# revision identifiers, used by Alembic.
revision = 'c3a1f0d2e9b7'
down_revision = 'b6138de55a59'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('remember', sa.Boolean(), nullable=False),
    sa.Column('created_at', lms.db.UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', lms.db.UTCDateTime(), nullable=False),
    sa.Column('expires_at', lms.db.UTCDateTime(), nullable=False),
    sa.Column('ended_at', lms.db.UTCDateTime(), nullable=True),
    sa.Column('device', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_login_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_login_sessions_token_hash'))
    )
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_sessions_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_sessions_user_id'))
    op.drop_table('login_sessions')
