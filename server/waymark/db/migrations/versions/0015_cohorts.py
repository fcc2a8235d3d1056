"""cohorts

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 01:45:00

Reserved for saved behavioural cohorts and their members; its tables come with the work that needs them.
"""

from __future__ import annotations

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
