"""lexicon

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 01:45:00

Reserved for the lexicon (event names and properties seen, statuses, blocked-event counts);
its tables come with the work that needs them.
"""

from __future__ import annotations

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
