"""sync bases: per record, the last value of each synced field both systems agreed on

Revision ID: 0012
Revises: 0008
Create Date: 2026-12-01 22:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sync_base',
    sa.Column('object', sa.String(length=40), nullable=False),
    sa.Column('record_id', sa.BigInteger(), nullable=False),
    sa.Column('crm_object', sa.String(length=80), nullable=False),
    sa.Column('base', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('object', 'record_id')
    )


def downgrade() -> None:
    op.drop_table('sync_base')
