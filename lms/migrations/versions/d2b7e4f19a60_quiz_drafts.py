"""quiz drafts: a quiz made in the browser stays a draft until its author publishes it

Revision ID: d2b7e4f19a60
Revises: c3f1a9d27e15
Create Date: 2026-12-05 06:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd2b7e4f19a60'
down_revision = 'c3f1a9d27e15'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('quizzes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_draft', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('quizzes', schema=None) as batch_op:
        batch_op.drop_column('is_draft')
