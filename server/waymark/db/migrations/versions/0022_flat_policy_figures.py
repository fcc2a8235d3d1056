"""flat policy figures

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-01 11:00:00

The whole-app policy page and the chain check at a cost that does not grow with the store:

- ``policy_decision_days``: each policy version's decisions counted per UTC day, as changes in visitors'
  latest decisions, kept by the ledger as it appends; ``policy_chain_heads.tallied_seq`` says up to where.
  Evidence stored before this migration is counted by the back-fill ``policy_decision_days``, marked pending
  here when some chain holds decisions and run by ``waymark db upgrade``; until then the pages read the
  evidence as before.
- ``policy_chain_checks``: how far each app's chain was last verified, so a page verifies what was appended since.
- ``ix_daily_usage_active_tenant``: a page of tenants' ``active`` roll-up rows, partial and covering.

Tables and an index only: nothing here reads the stored rows but to decide whether the back-fill is needed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

_ACTIVE = sa.text("kind = 'active' AND key = ''")


def upgrade() -> None:
    op.create_table(
        'policy_decision_days',
        sa.Column('app_id', sa.String(length=32), nullable=False),
        sa.Column('policy_id', sa.String(length=64), nullable=False),
        sa.Column('policy_version', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('accepted', sa.BigInteger(), nullable=False),
        sa.Column('declined', sa.BigInteger(), nullable=False),
        sa.Column('withdrawn', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['app_id'], ['apps.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('app_id', 'policy_id', 'policy_version', 'day'),
    )
    op.create_table(
        'policy_chain_checks',
        sa.Column('app_id', sa.String(length=32), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('last_hash', sa.String(length=64), nullable=False),
        sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('full_checked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['app_id'], ['apps.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('app_id'),
    )
    with op.batch_alter_table('policy_chain_heads') as batch_op:
        batch_op.add_column(sa.Column('tallied_seq', sa.Integer(), server_default=sa.text('0'), nullable=False))
    op.create_index('ix_daily_usage_active_tenant', 'daily_usage',
                    ['app_id', 'tenant_id', 'visitor_id', 'day', 'kind', 'key'],
                    sqlite_where=_ACTIVE, postgresql_where=_ACTIVE)
    op.execute("INSERT INTO pending_backfills (name) SELECT 'policy_decision_days' "
               "WHERE EXISTS (SELECT 1 FROM policy_chain_heads WHERE tallied_seq < seq)")


def downgrade() -> None:
    op.drop_index('ix_daily_usage_active_tenant', table_name='daily_usage')
    with op.batch_alter_table('policy_chain_heads') as batch_op:
        batch_op.drop_column('tallied_seq')
    op.drop_table('policy_chain_checks')
    op.drop_table('policy_decision_days')
