"""route decisions keep the write batch that applied them

Revision ID: 0011
Revises: 0006
Create Date: 2026-12-02 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('route_decision', schema=None) as batch_op:
        batch_op.add_column(sa.Column('batch_id', sa.BigInteger(), nullable=True))
        batch_op.create_index('ix_route_decision_batch', ['batch_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('route_decision', schema=None) as batch_op:
        batch_op.drop_index('ix_route_decision_batch')
        batch_op.drop_column('batch_id')
