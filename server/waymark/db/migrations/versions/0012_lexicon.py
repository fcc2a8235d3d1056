"""lexicon

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 01:45:00

The lexicon (data dictionary): track event names and their property names seen per app, each event's
status (visible, hidden, blocked) and description, and the events dropped per blocked name and day.
Filled from the track events already stored, so an existing install starts with its dictionary.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'lexicon_events',
        sa.Column('app_id', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('first_seen', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_seen', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status', sa.String(length=8), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['app_id'], ['apps.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('app_id', 'name'),
    )
    op.create_table(
        'lexicon_properties',
        sa.Column('app_id', sa.String(length=32), nullable=False),
        sa.Column('event_name', sa.String(length=200), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('first_seen', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_seen', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['app_id'], ['apps.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('app_id', 'event_name', 'name'),
    )
    op.create_table(
        'blocked_event_days',
        sa.Column('app_id', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('count', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['app_id'], ['apps.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('app_id', 'name', 'day'),
    )
    # Names already stored (property names are learnt from events stored from now on: reading every
    # stored event's JSON keys would make the upgrade as slow as a full scan of the properties).
    op.execute(
        "INSERT INTO lexicon_events (app_id, name, first_seen, last_seen, status, description) "
        "SELECT app_id, name, min(ts), max(ts), 'visible', '' FROM events "
        "WHERE type = 'track' AND name IS NOT NULL GROUP BY app_id, name"
    )


def downgrade() -> None:
    op.drop_table('blocked_event_days')
    op.drop_table('lexicon_properties')
    op.drop_table('lexicon_events')
