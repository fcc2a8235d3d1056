"""cohorts

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 01:45:00

Saved behavioural cohorts and their members. Members are indexed by visitor, which is how delivery
reads them (one lookup beside the visitor's guide states).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'cohorts',
        sa.Column('app_id', sa.String(length=32), nullable=False),
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('rule', sa.JSON(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('refreshed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('size', sa.Integer(), server_default='0', nullable=False),
        sa.ForeignKeyConstraint(['app_id'], ['apps.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('app_id', 'id'),
    )
    op.create_table(
        'cohort_members',
        sa.Column('app_id', sa.String(length=32), nullable=False),
        sa.Column('cohort_id', sa.String(length=64), nullable=False),
        sa.Column('visitor_id', sa.String(length=200), nullable=False),
        sa.Column('since', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['app_id'], ['apps.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('app_id', 'cohort_id', 'visitor_id'),
    )
    with op.batch_alter_table('cohort_members', schema=None) as batch_op:
        batch_op.create_index('ix_cohort_members_app_visitor', ['app_id', 'visitor_id', 'cohort_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('cohort_members', schema=None) as batch_op:
        batch_op.drop_index('ix_cohort_members_app_visitor')
    op.drop_table('cohort_members')
    op.drop_table('cohorts')
