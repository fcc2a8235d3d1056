"""daily summaries

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 22:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'summary_marks',
        sa.Column('app_id', sa.String(length=32), nullable=False),
        sa.Column('part', sa.String(length=8), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('tenant_id', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(['app_id'], ['apps.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('app_id', 'part', 'day', 'tenant_id'),
    )
    op.create_table(
        'app_days',
        sa.Column('app_id', sa.String(length=32), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('visitors', sa.Integer(), nullable=False),
        sa.Column('count', sa.BigInteger(), nullable=False),
        sa.Column('ms', sa.BigInteger(), nullable=False),
        sa.Column('new_visitors', sa.Integer(), nullable=False),
        sa.Column('sketch', sa.LargeBinary(), nullable=True),
        sa.Column('wau', sa.Integer(), nullable=True),
        sa.Column('mau', sa.Integer(), nullable=True),
        sa.Column('days_hist', sa.JSON(), nullable=True),
        sa.Column('bands', sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(['app_id'], ['apps.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('app_id', 'day', 'kind', 'key'),
    )
    op.create_table(
        'tenant_days',
        sa.Column('app_id', sa.String(length=32), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('tenant_id', sa.String(length=200), nullable=False),
        sa.Column('dau', sa.Integer(), nullable=False),
        sa.Column('wau', sa.Integer(), nullable=False),
        sa.Column('mau', sa.Integer(), nullable=False),
        sa.Column('events', sa.BigInteger(), nullable=False),
        sa.Column('ms', sa.BigInteger(), nullable=False),
        sa.Column('new_visitors', sa.Integer(), nullable=False),
        sa.Column('active_days', sa.Integer(), nullable=False),
        sa.Column('days_hist', sa.JSON(), nullable=False),
        sa.Column('cum_dau_mau', sa.Float(), nullable=False),
        sa.Column('cum_wau_mau', sa.Float(), nullable=False),
        sa.Column('cum_days', sa.Integer(), nullable=False),
        sa.Column('cum_dau', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['app_id'], ['apps.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('app_id', 'day', 'tenant_id'),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table('tenant_days', schema=None) as batch_op:
        batch_op.create_index('ix_tenant_days_app_tenant_day', ['app_id', 'tenant_id', 'day'], unique=False)
        batch_op.create_index('ix_tenant_days_sums', ['app_id', 'day', 'tenant_id', 'cum_dau_mau', 'cum_wau_mau',
                                                      'cum_days', 'cum_dau', 'mau', 'active_days'], unique=False)
    # Every app's existing roll-ups are summarised by the next refresh: mark each day that has any.
    op.execute(
        "INSERT INTO summary_marks (app_id, part, day, tenant_id) "
        "SELECT DISTINCT app_id, 'day', day, '' FROM daily_usage WHERE kind = 'active'"
    )
    op.execute(
        "INSERT INTO summary_marks (app_id, part, day, tenant_id) "
        "SELECT app_id, 'tenant', min(day), tenant_id FROM daily_usage WHERE kind = 'active' "
        "GROUP BY app_id, tenant_id"
    )


def downgrade() -> None:
    with op.batch_alter_table('tenant_days', schema=None) as batch_op:
        batch_op.drop_index('ix_tenant_days_sums')
        batch_op.drop_index('ix_tenant_days_app_tenant_day')
    op.drop_table('tenant_days')
    op.drop_table('app_days')
    op.drop_table('summary_marks')
