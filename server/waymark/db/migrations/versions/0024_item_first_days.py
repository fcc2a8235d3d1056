"""item first days

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-01 11:10:00

The first day each visitor (under each tenant) did each page, feature, track event and guide, from the daily
roll-up (:mod:`waymark.analytics.item_first_days`): signal reads one row per unit and thing instead of one per
unit, thing and day. The table only: the rows of a store's existing roll-up are made by the back-fill marked
here when there is any (run by ``waymark db upgrade``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

_NEEDED = ("NOT EXISTS (SELECT 1 FROM item_first_days) AND EXISTS (SELECT 1 FROM daily_usage "
           "WHERE kind IN ('page', 'feature', 'event', 'guide') AND count > 0)")
"""The kinds the table held when this migration was written."""


def upgrade() -> None:
    op.create_table(
        'item_first_days',
        sa.Column('app_id', sa.String(length=32), nullable=False),
        sa.Column('visitor_id', sa.String(length=200), nullable=False),
        sa.Column('tenant_id', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('first_day', sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(['app_id'], ['apps.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('app_id', 'visitor_id', 'tenant_id', 'kind', 'key'),
        sqlite_with_rowid=False,
    )
    op.create_index('ix_item_first_days_visitor', 'item_first_days',
                    ['app_id', 'visitor_id', 'first_day', 'tenant_id', 'kind', 'key'])
    op.create_index('ix_item_first_days_tenant', 'item_first_days',
                    ['app_id', 'tenant_id', 'first_day', 'visitor_id', 'kind', 'key'])
    op.execute(f"INSERT INTO pending_backfills (name) SELECT 'item_first_days' WHERE {_NEEDED}")


def downgrade() -> None:
    op.execute("DELETE FROM pending_backfills WHERE name = 'item_first_days'")
    op.drop_index('ix_item_first_days_tenant', table_name='item_first_days')
    op.drop_index('ix_item_first_days_visitor', table_name='item_first_days')
    op.drop_table('item_first_days')
