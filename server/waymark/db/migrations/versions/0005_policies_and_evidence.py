"""policies and the evidence ledger

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 21:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'policy_versions',
        sa.Column('app_id', sa.String(length=32), nullable=False),
        sa.Column('policy_id', sa.String(length=64), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('tenant_id', sa.String(length=200), nullable=True),
        sa.Column('allow_decline', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('default_locale', sa.String(length=35), nullable=False),
        sa.Column('title', sa.JSON(), nullable=False),
        sa.Column('body', sa.JSON(), nullable=False),
        sa.Column('hashes', sa.JSON(), nullable=False),
        sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['app_id'], ['apps.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('app_id', 'policy_id', 'version'),
    )
    op.create_table(
        'policy_evidence',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('app_id', sa.String(length=32), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('request_id', sa.String(length=64), nullable=False),
        sa.Column('tenant_id', sa.String(length=200), nullable=True),
        sa.Column('visitor_id', sa.String(length=200), nullable=False),
        sa.Column('policy_id', sa.String(length=64), nullable=False),
        sa.Column('policy_version', sa.Integer(), nullable=False),
        sa.Column('locale', sa.String(length=35), nullable=False),
        sa.Column('text_hash', sa.String(length=64), nullable=False),
        sa.Column('decision', sa.String(length=16), nullable=False),
        sa.Column('method', sa.String(length=16), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('user_agent', sa.String(length=1000), nullable=True),
        sa.Column('prev_hash', sa.String(length=64), nullable=False),
        sa.Column('row_hash', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['app_id'], ['apps.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('app_id', 'seq', name='uq_policy_evidence_app_seq'),
        sa.UniqueConstraint('app_id', 'request_id', name='uq_policy_evidence_app_request'),
    )
    op.create_index('ix_policy_evidence_app_policy_visitor', 'policy_evidence',
                    ['app_id', 'policy_id', 'visitor_id'], unique=False)
    op.create_table(
        'policy_chain_heads',
        sa.Column('app_id', sa.String(length=32), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('last_hash', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['app_id'], ['apps.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('app_id'),
    )
    with op.batch_alter_table('erasures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('evidence_kept', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('erasures', schema=None) as batch_op:
        batch_op.drop_column('evidence_kept')
    op.drop_table('policy_chain_heads')
    op.drop_index('ix_policy_evidence_app_policy_visitor', table_name='policy_evidence')
    op.drop_table('policy_evidence')
    op.drop_table('policy_versions')
