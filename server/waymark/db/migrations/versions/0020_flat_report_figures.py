"""flat report figures

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 05:40:00

The whole app's guide and survey figures kept per day, so a report's range reads a few rows per
day whatever the number of visitors: each guide-day's figures as sketches (``guide_day_sketches``),
and the survey answers counted per day by the day each was replaced by its visitor's next answer
(``survey_day_tallies``, ``survey_answers.replaced_at``). Both are filled from the rows already
stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from itertools import groupby
from typing import Any

import sqlalchemy as sa
from alembic import op

from waymark.clock import as_utc
from waymark.guidestats.sketches import day_figures, merged, visitor_set
from waymark.surveys.models import NEVER
from waymark.surveys.tallies import TalliedAnswer, deltas, replacements

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

_FIELDS = ("seen", "top_step", "completed", "dismissed", "snoozed", "anchor_missing", "timed", "timed_ms")
_BATCH = 2000


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
    _fill_guide_sketches()
    _fill_survey_tallies()


def _batches(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _fill_guide_sketches() -> None:
    conn = op.get_bind()
    stats = sa.table('guide_daily_stats', sa.column('app_id'), sa.column('guide_id'), sa.column('day', sa.Date()),
                     sa.column('visitor_id'), *(sa.column(f, sa.Integer()) for f in _FIELDS))
    sketches = sa.table('guide_day_sketches', *(sa.column(c) for c in (
        'app_id', 'guide_id', 'day', 'figure', 'count', 'sketch')))
    found = conn.execute(sa.select(stats.c.app_id, stats.c.guide_id, stats.c.day, stats.c.visitor_id,
                                   *(stats.c[f] for f in _FIELDS))
                         .order_by(stats.c.app_id, stats.c.guide_id, stats.c.day))

    def values() -> Iterator[dict[str, Any]]:
        for (app_id, guide, day), rows in groupby(found, key=lambda r: (r[0], r[1], r[2])):
            for name, (count, blob) in merged(day_figures((r[3], r[4:]) for r in rows), {}).items():
                yield {"app_id": app_id, "guide_id": guide, "day": day, "figure": name, "count": count,
                       "sketch": blob}

    for batch in _batches(values()):
        conn.execute(sketches.insert(), batch)


def _fill_survey_tallies() -> None:
    conn = op.get_bind()
    answers = sa.table('survey_answers', sa.column('app_id'), sa.column('id'), sa.column('guide_id'),
                       sa.column('kind'), sa.column('question'), sa.column('visitor_id'),
                       sa.column('ts', sa.DateTime(timezone=True)), sa.column('score'),
                       sa.column('choices', sa.JSON()), sa.column('comment'),
                       sa.column('replaced_at', sa.DateTime(timezone=True)))
    tallies = sa.table('survey_day_tallies', *(sa.column(c) for c in (
        'app_id', 'guide_id', 'question', 'day', 'until', 'item', 'count', 'sketch')))
    a = answers.c
    found = conn.execute(sa.select(a.app_id, a.id, a.guide_id, a.kind, a.question, a.visitor_id, a.ts, a.score,
                                   a.choices, a.comment)
                         .order_by(a.app_id, a.visitor_id, a.guide_id, a.question))
    counts: dict[tuple[str, str, str, date, date, str], int] = {}
    visitors: dict[tuple[str, str, date], set[str]] = {}
    replaced: list[dict[str, Any]] = []
    for (app_id, _, _, _), rows in groupby(found, key=lambda r: (r[0], r[5], r[2], r[4])):
        chain = [TalliedAnswer._make((*r[1:], None)) for r in rows]
        later = replacements(chain)
        for answer in chain:
            if later[answer.id] is not None:
                replaced.append({"answer_id": answer.id, "replaced": later[answer.id]})
            for (guide, question, day, until, item), n in deltas(answer, 1, later[answer.id]).items():
                key = (app_id, guide, question, day, until, item)
                counts[key] = counts.get(key, 0) + n
            visitors.setdefault((app_id, answer.guide_id, as_utc(answer.ts).date()), set()).add(answer.visitor_id)
    if replaced:
        conn.execute(answers.update().where(a.id == sa.bindparam('answer_id'))
                     .values(replaced_at=sa.bindparam('replaced')), replaced)
    values: list[dict[str, Any]] = [
        {"app_id": app, "guide_id": g, "question": q, "day": d, "until": u, "item": i, "count": n, "sketch": None}
        for (app, g, q, d, u, i), n in counts.items()]
    for (app_id, guide, day), who in visitors.items():
        count, blob = visitor_set(who, None)
        values.append({"app_id": app_id, "guide_id": guide, "question": "", "day": day, "until": NEVER,
                     "item": "visitors", "count": count, "sketch": blob})
    for batch in _batches(iter(values)):
        conn.execute(tallies.insert(), batch)


def downgrade() -> None:
    with op.batch_alter_table('survey_answers', schema=None) as batch_op:
        batch_op.drop_index('ix_survey_answers_latest')
        batch_op.drop_index('ix_survey_answers_app_visitor')
        batch_op.drop_column('replaced_at')
    op.drop_table('survey_day_tallies')
    op.drop_index('ix_guide_day_sketches_app_day', table_name='guide_day_sketches')
    op.drop_table('guide_day_sketches')
