"""milestones

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 01:45:00

Product-qualified tenants: milestones per app, each tenant's flag per milestone, every change of a flag
(the queue the webhook reads) and the app's CRM id field.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'milestones',
        sa.Column('app_id', sa.String(length=32), nullable=False),
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('definition', sa.JSON(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['app_id'], ['apps.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('app_id', 'id'),
    )
    op.create_table(
        'milestone_flags',
        sa.Column('app_id', sa.String(length=32), nullable=False),
        sa.Column('milestone_id', sa.String(length=64), nullable=False),
        sa.Column('tenant_id', sa.String(length=200), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('became_true_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('became_false_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['app_id'], ['apps.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('app_id', 'milestone_id', 'tenant_id'),
    )
    with op.batch_alter_table('milestone_flags', schema=None) as batch_op:
        batch_op.create_index('ix_milestone_flags_app_tenant', ['app_id', 'tenant_id'], unique=False)
    op.create_table(
        'milestone_changes',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('app_id', sa.String(length=32), nullable=False),
        sa.Column('tenant_id', sa.String(length=200), nullable=False),
        sa.Column('milestone_id', sa.String(length=64), nullable=False),
        sa.Column('change', sa.String(length=16), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['app_id'], ['apps.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('milestone_changes', schema=None) as batch_op:
        batch_op.create_index('ix_milestone_changes_app_tenant', ['app_id', 'tenant_id', 'id'], unique=False)
        batch_op.create_index('ix_milestone_changes_pending', ['delivered_at', 'id'], unique=False)
    op.create_table(
        'milestone_settings',
        sa.Column('app_id', sa.String(length=32), nullable=False),
        sa.Column('crm_field', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['app_id'], ['apps.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('app_id'),
    )


def downgrade() -> None:
    op.drop_table('milestone_settings')
    with op.batch_alter_table('milestone_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_milestone_changes_pending')
        batch_op.drop_index('ix_milestone_changes_app_tenant')
    op.drop_table('milestone_changes')
    with op.batch_alter_table('milestone_flags', schema=None) as batch_op:
        batch_op.drop_index('ix_milestone_flags_app_tenant')
    op.drop_table('milestone_flags')
    op.drop_table('milestones')
