"""stored texts (notes and field lists that many rows repeat); no single-column campaign index on
memberships (the campaign + person index serves it)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 14:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('stored_text',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('campaign_member', schema=None) as batch_op:
        batch_op.drop_index('ix_campaign_member_campaign_id')


def downgrade() -> None:
    with op.batch_alter_table('campaign_member', schema=None) as batch_op:
        batch_op.create_index('ix_campaign_member_campaign_id', ['campaign_id'], unique=False)
    op.drop_table('stored_text')
