"""benchmark snapshots

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 22:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'benchmark_runs',
        sa.Column('app_id', sa.String(length=32), nullable=False),
        sa.Column('computed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('period_start', sa.Date(), nullable=True),
        sa.Column('period_end', sa.Date(), nullable=True),
        sa.Column('opted_out', sa.JSON(), nullable=False),
        sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['app_id'], ['apps.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('app_id'),
    )
    op.create_table(
        'benchmark_snapshots',
        sa.Column('app_id', sa.String(length=32), nullable=False),
        sa.Column('tenant_id', sa.String(length=200), nullable=False),
        sa.Column('groups', sa.JSON(), nullable=False),
        sa.Column('figures', sa.JSON(), nullable=False),
        sa.Column('bases', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['app_id'], ['apps.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('app_id', 'tenant_id'),
    )
    with op.batch_alter_table('apps', schema=None) as batch_op:
        batch_op.add_column(sa.Column('benchmark_k', sa.Integer(), server_default='5', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('apps', schema=None) as batch_op:
        batch_op.drop_column('benchmark_k')
    op.drop_table('benchmark_snapshots')
    op.drop_table('benchmark_runs')
