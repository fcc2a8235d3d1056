"""alerts webhooks

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 01:45:00

Reserved for alert rules, their firings and webhook deliveries; its tables come with the work that needs them.
"""

from __future__ import annotations

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
