"""daily usage ref index

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-01 10:50:00

One page's, feature's, event's or activity's roll-up rows over a range of days, from the index alone.
"""

from __future__ import annotations

from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_daily_usage_ref', 'daily_usage',
                    ['app_id', 'kind', 'key', 'day', 'tenant_id', 'visitor_id', 'count'])


def downgrade() -> None:
    op.drop_index('ix_daily_usage_ref', table_name='daily_usage')
