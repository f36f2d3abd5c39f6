"""standards: email flags and suggestion on people, data standard issues on companies

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-01 19:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_flags', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('email_suggestion', sa.Text(), nullable=True))
    with op.batch_alter_table('company', schema=None) as batch_op:
        batch_op.add_column(sa.Column('data_invalid', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('data_issues', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('company', schema=None) as batch_op:
        batch_op.drop_column('data_issues')
        batch_op.drop_column('data_invalid')
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_column('email_suggestion')
        batch_op.drop_column('email_flags')
