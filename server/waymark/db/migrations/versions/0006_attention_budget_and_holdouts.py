"""attention budget and holdouts

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 21:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('apps', schema=None) as batch_op:
        batch_op.add_column(sa.Column('max_auto_guides_per_day', sa.Integer(), server_default='0', nullable=False))

    with op.batch_alter_table('visitors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_auto_guide_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('auto_guides_day', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('auto_guides_count', sa.Integer(), server_default='0', nullable=False))

    op.create_table('guide_holdouts',
    sa.Column('app_id', sa.String(length=32), nullable=False),
    sa.Column('guide_id', sa.String(length=64), nullable=False),
    sa.Column('visitor_id', sa.String(length=200), nullable=False),
    sa.Column('tenant_id', sa.String(length=200), nullable=True),
    sa.Column('held_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['app_id'], ['apps.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('app_id', 'guide_id', 'visitor_id')
    )


def downgrade() -> None:
    op.drop_table('guide_holdouts')
    with op.batch_alter_table('visitors', schema=None) as batch_op:
        batch_op.drop_column('auto_guides_count')
        batch_op.drop_column('auto_guides_day')
        batch_op.drop_column('last_auto_guide_id')
    with op.batch_alter_table('apps', schema=None) as batch_op:
        batch_op.drop_column('max_auto_guides_per_day')
