"""path days

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-01 19:10:00

Paths' day projection (:mod:`waymark.behaviour.path_days`): visitors' sessions per tenant and day, the days built,
and the days whose label rows changed since. Triggers on ``steps`` mark the day of every label row inserted,
changed or deleted, whatever writes it; the days a store already holds are marked here, and each worker's
periodic job builds them (until then, paths read those days' label rows as before).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

_MARK = ("INSERT INTO path_day_stale (app_id, day) "
         "SELECT DISTINCT app_id, CAST(second / 86400 AS INTEGER) FROM steps WHERE label")

def _sqlite_mark(row: str) -> str:
    """SQLite: mark the day of trigger row ``row`` (``NEW`` or ``OLD``)."""
    return f"INSERT OR IGNORE INTO path_day_stale (app_id, day) VALUES ({row}.app_id, {row}.second / 86400);"


_SQLITE_TRIGGERS = (
    f"CREATE TRIGGER path_day_stale_insert AFTER INSERT ON steps WHEN NEW.label BEGIN {_sqlite_mark('NEW')} END",
    f"CREATE TRIGGER path_day_stale_delete AFTER DELETE ON steps WHEN OLD.label BEGIN {_sqlite_mark('OLD')} END",
    "CREATE TRIGGER path_day_stale_update AFTER UPDATE ON steps WHEN OLD.label OR NEW.label BEGIN "
    f"{_sqlite_mark('OLD')} {_sqlite_mark('NEW')} END",
)


def _mark_days_of(rows: str) -> str:
    """PL/pgSQL: mark the days of the label rows in the transition table ``rows``. Days already marked are
    skipped without a lock, so concurrent ingestion does not queue on one row."""
    return f"""
        INSERT INTO path_day_stale (app_id, day)
        SELECT DISTINCT r.app_id, CAST(r.second / 86400 AS INTEGER) FROM {rows} r
        WHERE r.label AND NOT EXISTS (SELECT 1 FROM path_day_stale s
                                      WHERE s.app_id = r.app_id AND s.day = CAST(r.second / 86400 AS INTEGER))
        ORDER BY 1, 2 ON CONFLICT DO NOTHING;"""


_POSTGRES_FUNCTION = f"""
CREATE FUNCTION path_day_stale_mark() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN{_mark_days_of("new_rows")}
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN{_mark_days_of("old_rows")}
    END IF;
    RETURN NULL;
END $$
"""

_POSTGRES_TRIGGERS = (
    "CREATE TRIGGER path_day_stale_insert AFTER INSERT ON steps REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION path_day_stale_mark()",
    "CREATE TRIGGER path_day_stale_delete AFTER DELETE ON steps REFERENCING OLD TABLE AS old_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION path_day_stale_mark()",
    "CREATE TRIGGER path_day_stale_update AFTER UPDATE ON steps REFERENCING OLD TABLE AS old_rows "
    "NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION path_day_stale_mark()",
)


def upgrade() -> None:
    op.create_table(
        'path_days',
        sa.Column('app_id', sa.String(length=32), nullable=False),
        sa.Column('day', sa.Integer(), nullable=False),
        sa.Column('part', sa.Integer(), nullable=False),
        sa.Column('tenant_id', sa.String(length=200), nullable=True),
        sa.Column('visitors', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['app_id'], ['apps.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('app_id', 'day', 'part'),
    )
    op.create_table(
        'path_day_builds',
        sa.Column('app_id', sa.String(length=32), nullable=False),
        sa.Column('day', sa.Integer(), nullable=False),
        sa.Column('mixed', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['app_id'], ['apps.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('app_id', 'day'),
    )
    op.create_table(
        'path_day_stale',
        sa.Column('app_id', sa.String(length=32), nullable=False),
        sa.Column('day', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['app_id'], ['apps.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('app_id', 'day'),
    )
    op.execute(_MARK)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_POSTGRES_FUNCTION)
        for statement in _POSTGRES_TRIGGERS:
            op.execute(statement)
    else:
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    for name in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER path_day_stale_{name}" + (
            " ON steps" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION path_day_stale_mark()")
    op.drop_table('path_day_stale')
    op.drop_table('path_day_builds')
    op.drop_table('path_days')
