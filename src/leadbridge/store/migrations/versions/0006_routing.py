"""routing decisions and counters

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'route_decision',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('person_id', sa.BigInteger(), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('territory', sa.String(length=80), nullable=True),
        sa.Column('rule', sa.String(length=120), nullable=True),
        sa.Column('team', sa.String(length=120), nullable=True),
        sa.Column('user_email', sa.String(length=255), nullable=True),
        sa.Column('queue', sa.String(length=120), nullable=True),
        sa.Column('explanation', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_route_decision_person', 'route_decision', ['person_id'], unique=False)
    op.create_table(
        'route_counter',
        sa.Column('team', sa.String(length=120), nullable=False),
        sa.Column('user_email', sa.String(length=255), nullable=False),
        sa.Column('total', sa.BigInteger(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('today', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('team', 'user_email'),
    )


def downgrade() -> None:
    op.drop_table('route_counter')
    op.drop_index('ix_route_decision_person', table_name='route_decision')
    op.drop_table('route_decision')
