"""events visitor ts index

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-02 03:20:00

A visitor's events by time from one index: "the visitor's last guide_seen" (the explain page) and the like
are answered from it whatever statistics the planner holds. With the index on ``(app_id, visitor_id)`` alone,
sampled statistics (``PRAGMA analysis_limit``, as SQLite advises for ``PRAGMA optimize``) made SQLite walk the
app's whole ``(app_id, ts)`` index backwards instead: minutes on a 10 M-event store.
"""

from __future__ import annotations

from alembic import op

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_events_app_visitor_ts', 'events', ['app_id', 'visitor_id', 'ts'])
    op.drop_index('ix_events_app_visitor', table_name='events')


def downgrade() -> None:
    op.create_index('ix_events_app_visitor', 'events', ['app_id', 'visitor_id'])
    op.drop_index('ix_events_app_visitor_ts', table_name='events')
