"""steps

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 05:50:00

The step projection funnels and paths read (:mod:`waymark.analytics.steps`): one row per stored event and
page, feature, track event or guide step it is. The table only: the rows of events stored before it are
made by the application right after the migrations (marked by migration 0021, run by ``waymark db upgrade``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'steps',
        sa.Column('app_id', sa.String(length=32), nullable=False),
        sa.Column('event_id', sa.BigInteger(), nullable=False),
        sa.Column('step', sa.String(length=210), nullable=False),
        sa.Column('second', sa.BigInteger(), nullable=False),
        sa.Column('visitor_id', sa.String(length=200), nullable=False),
        sa.Column('tenant_id', sa.String(length=200), nullable=True),
        sa.Column('label', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['app_id'], ['apps.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('app_id', 'event_id', 'step'),
        sqlite_with_rowid=False,
    )
    op.create_index('ix_steps_app_step_second', 'steps',
                    ['app_id', 'step', 'second', 'visitor_id', 'tenant_id', 'event_id'])
    op.create_index('ix_steps_app_label_second', 'steps',
                    ['app_id', 'label', 'second', 'event_id', 'visitor_id', 'step', 'tenant_id'])
    op.create_index('ix_steps_app_visitor', 'steps', ['app_id', 'visitor_id'])


def downgrade() -> None:
    op.drop_index('ix_steps_app_visitor', table_name='steps')
    op.drop_index('ix_steps_app_label_second', table_name='steps')
    op.drop_index('ix_steps_app_step_second', table_name='steps')
    op.drop_table('steps')
