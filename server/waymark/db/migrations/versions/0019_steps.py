"""steps

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 05:50:00

The step projection funnels and paths read (:mod:`waymark.analytics.steps`): one row per stored event and
page, feature, track event or guide step it is. The rows of the events already stored are made here,
with the app's current pages and features and the same naming as ingestion (which is why this
migration imports it), before the indexes are built.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from waymark.analytics.rules import RuleBook
from waymark.analytics.steps import STEP_TYPES, epoch_second, event_steps

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

_CHUNK = 20_000
_KNOWN = 100_000


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
    _backfill()
    op.create_index('ix_steps_app_step_second', 'steps',
                    ['app_id', 'step', 'second', 'visitor_id', 'tenant_id', 'event_id'])
    op.create_index('ix_steps_app_label_second', 'steps',
                    ['app_id', 'label', 'second', 'event_id', 'visitor_id', 'step', 'tenant_id'])
    op.create_index('ix_steps_app_visitor', 'steps', ['app_id', 'visitor_id'])


_EVENTS = sa.table(
    'events', sa.column('id', sa.BigInteger()), sa.column('app_id', sa.String()), sa.column('type', sa.String()),
    sa.column('name', sa.String()), sa.column('guide_id', sa.String()), sa.column('url', sa.Text()),
    sa.column('props', sa.JSON()), sa.column('visitor_id', sa.String()), sa.column('tenant_id', sa.String()),
    sa.column('ts', sa.DateTime(timezone=True)),
)
_STEPS = sa.table(
    'steps', sa.column('app_id'), sa.column('event_id'), sa.column('step'), sa.column('second'),
    sa.column('visitor_id'), sa.column('tenant_id'), sa.column('label', sa.Boolean()),
)


def _book(connection: sa.Connection, app_id: str) -> RuleBook:
    pages: Sequence[Any] = connection.execute(sa.text(
        "SELECT id, rule FROM page_definitions WHERE app_id = :app_id ORDER BY id"), {"app_id": app_id}).all()
    features: Sequence[Any] = connection.execute(sa.text(
        "SELECT id, selector, page FROM feature_definitions WHERE app_id = :app_id ORDER BY id"),
        {"app_id": app_id}).all()
    return RuleBook.compile(app_id, (), [(i, _decoded(r)) for i, r in pages],
                            [(i, s, _decoded(p)) for i, s, p in features])


def _decoded(value: Any) -> Any:
    """A JSON column read through plain SQL: text on SQLite, decoded already by some drivers."""
    return json.loads(value) if isinstance(value, str) else value


def _backfill() -> None:
    """Every stored event's step rows, an app at a time, in stored order."""
    connection = op.get_bind()
    e = _EVENTS.c
    apps: Sequence[Any] = connection.execute(sa.text("SELECT id FROM apps ORDER BY id")).all()
    for (app_id,) in apps:
        book = _book(connection, app_id)
        query = (sa.select(e.id, e.type, e.name, e.guide_id, e.url,
                           sa.case((e.type == 'click', sa.cast(e.props, sa.Text)), else_=sa.null()).label('props'),
                           e.visitor_id, e.tenant_id, e.ts)
                 .where(e.app_id == app_id, e.type.in_(STEP_TYPES)).order_by(e.id).limit(_CHUNK))
        known: dict[tuple[Any, ...], list[tuple[str, bool]]] = {}
        after = 0
        while True:
            rows: Sequence[Any] = connection.execute(query.where(e.id > after)).all()
            if not rows:
                break
            made = []
            for event_id, kind, name, guide, url, props, visitor, tenant, ts in rows:
                found = known.get((kind, name, guide, url, props))
                if found is None:  # they repeat a lot: each distinct one is matched (and its props read) once
                    if len(known) >= _KNOWN:
                        known.clear()
                    element = json.loads(props).get('element') if props else None
                    found = known[(kind, name, guide, url, props)] = event_steps(book, kind, name, guide, url, element)
                if found:
                    second = epoch_second(ts)
                    made += [{'app_id': app_id, 'event_id': event_id, 'step': step, 'second': second,
                              'visitor_id': visitor, 'tenant_id': tenant, 'label': label} for step, label in found]
            if made:
                connection.execute(_STEPS.insert(), made)
            after = rows[-1][0]


def downgrade() -> None:
    op.drop_index('ix_steps_app_visitor', table_name='steps')
    op.drop_index('ix_steps_app_label_second', table_name='steps')
    op.drop_index('ix_steps_app_step_second', table_name='steps')
    op.drop_table('steps')
