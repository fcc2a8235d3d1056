"""pending back-fills

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01 10:50:00

Migrations change the schema only; filling a new table from the rows already stored takes the
application's own code, which a migration must not import (it would change what an old migration
does whenever that code changes). So this table lists the back-fills still to run, and
``waymark db upgrade`` runs them right after the migrations (:mod:`waymark.upgrade`).

Each back-fill of migrations 0019 and 0020 is marked only when it is needed, decided from the rows:
its table is empty while the rows it is made from exist. An install that ran the earlier 0019 and
0020, which filled the tables themselves, has nothing marked.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

_STEP_TYPES = ('page', 'click', 'track', 'guide_seen', 'guide_step_advanced', 'guide_completed', 'guide_dismissed',
               'guide_snoozed')
"""The event types that can be steps, as the step projection read them when this migration was written."""

_NEEDED = {
    'steps': "NOT EXISTS (SELECT 1 FROM steps) AND EXISTS (SELECT 1 FROM events WHERE type IN ({types}))".format(
        types=', '.join(f"'{t}'" for t in _STEP_TYPES)),
    'guide_day_sketches': "NOT EXISTS (SELECT 1 FROM guide_day_sketches) AND EXISTS (SELECT 1 FROM guide_daily_stats)",
    'survey_day_tallies': "NOT EXISTS (SELECT 1 FROM survey_day_tallies) AND EXISTS (SELECT 1 FROM survey_answers)",
}
"""Each back-fill, and when it is needed."""


def upgrade() -> None:
    op.create_table(
        'pending_backfills',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('marked_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )
    for name, needed in _NEEDED.items():
        op.execute(f"INSERT INTO pending_backfills (name) SELECT '{name}' WHERE {needed}")


def downgrade() -> None:
    op.drop_table('pending_backfills')
