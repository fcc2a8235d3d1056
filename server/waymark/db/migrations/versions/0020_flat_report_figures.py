"""flat report figures

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 05:40:00

The whole app's guide and survey figures kept per day, so a report's range reads a few rows per
day whatever the number of visitors: each guide-day's figures as sketches (``guide_day_sketches``),
and the survey answers counted per day by the day each was replaced by its visitor's next answer
(``survey_day_tallies``, ``survey_answers.replaced_at``). The tables only: they are filled from the rows
already stored by the application right after the migrations (marked by migration 0021, run by
``waymark db upgrade``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'guide_day_sketches',
        sa.Column('app_id', sa.String(length=32), nullable=False),
        sa.Column('guide_id', sa.String(length=64), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('figure', sa.String(length=16), nullable=False),
        sa.Column('count', sa.BigInteger(), nullable=False),
        sa.Column('sketch', sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(['app_id'], ['apps.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('app_id', 'guide_id', 'day', 'figure'),
    )
    op.create_index('ix_guide_day_sketches_app_day', 'guide_day_sketches', ['app_id', 'day', 'figure'])
    op.create_table(
        'survey_day_tallies',
        sa.Column('app_id', sa.String(length=32), nullable=False),
        sa.Column('guide_id', sa.String(length=64), nullable=False),
        sa.Column('question', sa.String(length=64), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('until', sa.Date(), nullable=False),
        sa.Column('item', sa.String(length=80), nullable=False),
        sa.Column('count', sa.BigInteger(), nullable=False),
        sa.Column('sketch', sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(['app_id'], ['apps.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('app_id', 'guide_id', 'question', 'day', 'until', 'item'),
    )
    with op.batch_alter_table('survey_answers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('replaced_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_survey_answers_app_visitor',
                              ['app_id', 'visitor_id', 'guide_id', 'question', 'ts'], unique=False)
        batch_op.create_index('ix_survey_answers_latest', ['app_id', 'guide_id', 'kind', 'ts', 'replaced_at',
                                                           'tenant_id', 'visitor_id', 'score'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('survey_answers', schema=None) as batch_op:
        batch_op.drop_index('ix_survey_answers_latest')
        batch_op.drop_index('ix_survey_answers_app_visitor')
        batch_op.drop_column('replaced_at')
    op.drop_table('survey_day_tallies')
    op.drop_index('ix_guide_day_sketches_app_day', table_name='guide_day_sketches')
    op.drop_table('guide_day_sketches')
