"""behaviour steps

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 01:45:00

Reserved for the step projection funnels and paths read; its tables come with the work that needs them.
"""

from __future__ import annotations

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
