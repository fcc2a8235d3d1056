"""evidence tenant index

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 02:05:00

One tenant's policy evidence in chain order, read from an index rather than by scanning the app's chain.
"""

from __future__ import annotations

from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_policy_evidence_app_tenant_seq', 'policy_evidence', ['app_id', 'tenant_id', 'seq'])


def downgrade() -> None:
    op.drop_index('ix_policy_evidence_app_tenant_seq', table_name='policy_evidence')
