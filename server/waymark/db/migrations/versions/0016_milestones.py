"""milestones

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 01:45:00

Reserved for product-qualified tenant milestones and flags; its tables come with the work that needs them.
"""

from __future__ import annotations

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
