"""guide daily stats

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 22:20:00

Guide figures per guide × day × tenant × visitor, and the showings in progress (time on guide);
an index on ``daily_usage`` for the lift report's goal rows (its arms' units, not every row of the window).
The day rows are filled from the guide events already stored, so an existing install keeps its guide
history (time on guide starts with the events stored from now on: it needs each showing's start).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'guide_daily_stats',
        sa.Column('app_id', sa.String(length=32), nullable=False),
        sa.Column('guide_id', sa.String(length=64), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('tenant_id', sa.String(length=200), nullable=False),
        sa.Column('visitor_id', sa.String(length=200), nullable=False),
        sa.Column('seen', sa.Integer(), nullable=False),
        sa.Column('top_step', sa.Integer(), nullable=False),
        sa.Column('completed', sa.Integer(), nullable=False),
        sa.Column('dismissed', sa.Integer(), nullable=False),
        sa.Column('snoozed', sa.Integer(), nullable=False),
        sa.Column('anchor_missing', sa.Integer(), nullable=False),
        sa.Column('timed', sa.Integer(), nullable=False),
        sa.Column('timed_ms', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['app_id'], ['apps.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('app_id', 'guide_id', 'day', 'tenant_id', 'visitor_id'),
    )
    with op.batch_alter_table('guide_daily_stats', schema=None) as batch_op:
        batch_op.create_index('ix_guide_daily_stats_app_day',
                              ['app_id', 'day', 'guide_id', 'visitor_id', 'seen', 'completed'], unique=False)
        batch_op.create_index('ix_guide_daily_stats_app_visitor', ['app_id', 'visitor_id'], unique=False)
        batch_op.create_index('ix_guide_daily_stats_app_guide_visitor',
                              ['app_id', 'guide_id', 'visitor_id', 'day', 'seen'], unique=False)
    op.create_table(
        'guide_runs',
        sa.Column('app_id', sa.String(length=32), nullable=False),
        sa.Column('guide_id', sa.String(length=64), nullable=False),
        sa.Column('visitor_id', sa.String(length=200), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['app_id'], ['apps.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('app_id', 'guide_id', 'visitor_id'),
    )
    with op.batch_alter_table('guide_runs', schema=None) as batch_op:
        batch_op.create_index('ix_guide_runs_app_visitor', ['app_id', 'visitor_id'], unique=False)
    _backfill()
    with op.batch_alter_table('daily_usage', schema=None) as batch_op:
        batch_op.create_index('ix_daily_usage_goal', ['app_id', 'kind', 'key', 'visitor_id', 'day', 'tenant_id'],
                              unique=False)


_COUNT = "sum(CASE WHEN type = '{}' THEN 1 ELSE 0 END)"


def _backfill() -> None:
    dialect = op.get_bind().dialect.name
    day = "date(ts)" if dialect == "sqlite" else "CAST(timezone('UTC', ts) AS date)"
    counted = ", ".join(_COUNT.format(t) for t in ("guide_seen", "guide_completed", "guide_dismissed",
                                                    "guide_snoozed", "guide_anchor_missing"))
    op.execute(
        "INSERT INTO guide_daily_stats (app_id, guide_id, day, tenant_id, visitor_id, seen, completed, dismissed, "
        "snoozed, anchor_missing, top_step, timed, timed_ms) "
        f"SELECT app_id, guide_id, {day}, coalesce(tenant_id, ''), visitor_id, {counted}, "
        "max(CASE WHEN type IN ('guide_seen', 'guide_step_advanced') THEN coalesce(step, 0) ELSE -1 END), 0, 0 "
        "FROM events WHERE guide_id IS NOT NULL AND type IN ('guide_seen', 'guide_step_advanced', "
        "'guide_completed', 'guide_dismissed', 'guide_snoozed', 'guide_anchor_missing') "
        f"GROUP BY app_id, guide_id, {day}, coalesce(tenant_id, ''), visitor_id"
    )


def downgrade() -> None:
    with op.batch_alter_table('daily_usage', schema=None) as batch_op:
        batch_op.drop_index('ix_daily_usage_goal')
    with op.batch_alter_table('guide_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_guide_runs_app_visitor')
    op.drop_table('guide_runs')
    with op.batch_alter_table('guide_daily_stats', schema=None) as batch_op:
        batch_op.drop_index('ix_guide_daily_stats_app_guide_visitor')
        batch_op.drop_index('ix_guide_daily_stats_app_visitor')
        batch_op.drop_index('ix_guide_daily_stats_app_day')
    op.drop_table('guide_daily_stats')
