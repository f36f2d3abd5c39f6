"""dedupe pairs and merge events

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'dedupe_pair',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('object', sa.String(length=40), nullable=False),
        sa.Column('a_id', sa.BigInteger(), nullable=False),
        sa.Column('b_id', sa.BigInteger(), nullable=False),
        sa.Column('score', sa.Float(), nullable=False),
        sa.Column('rule', sa.String(length=80), nullable=False),
        sa.Column('detail', sa.Text(), nullable=True),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('found_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decided_by', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('object', 'a_id', 'b_id', name='uq_dedupe_pair'),
    )
    op.create_index('ix_dedupe_pair_status', 'dedupe_pair', ['status'], unique=False)
    op.create_table(
        'merge_event',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('object', sa.String(length=40), nullable=False),
        sa.Column('winner_id', sa.BigInteger(), nullable=False),
        sa.Column('loser_ids', sa.Text(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('auto', sa.Boolean(), nullable=False),
        sa.Column('actor', sa.Text(), nullable=True),
        sa.Column('merged_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('snapshot', sa.Text(), nullable=False),
        sa.Column('crm_action', sa.Text(), nullable=True),
        sa.Column('undone_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('undone_by', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_merge_event_winner', 'merge_event', ['object', 'winner_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_merge_event_winner', table_name='merge_event')
    op.drop_table('merge_event')
    op.drop_index('ix_dedupe_pair_status', table_name='dedupe_pair')
    op.drop_table('dedupe_pair')
