"""A seeded SQLite benchmark store copied whole into PostgreSQL, so the same analyses can be timed on both.

Every table of the schema is copied (events, the roll-ups and daily tables, definitions, visitors, tenants,
users …), in one transaction, with ``COPY`` (asyncpg's ``copy_records_to_table``) from rows read straight from
the SQLite file, opened read-only. Values are turned into what PostgreSQL's column wants only where SQLite
keeps them as text or integers (timestamps, days, booleans); JSON goes across as its text. The big tables'
indexes are built after their rows are in, serial ids go on from the copied maximum, and the copy is vacuumed
and analysed. A database already holding the store's number of events is reused as it is.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import click
from sqlalchemy.engine import make_url

from waymark.upgrade.run import upgrade

__all__ = ["copy_store", "database_url_for"]

_CHUNK = 50_000
_BIG = 100_000
"""Tables of at least this many rows get their indexes built after the copy rather than during it."""


def _timestamp(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_CONVERT: dict[str, Callable[[Any], Any]] = {
    "timestamptz": _timestamp,
    "date": date.fromisoformat,
    "bool": bool,
}
"""PostgreSQL column type → how SQLite's stored value becomes its Python value (other types pass as they are)."""


def _dsn(url: str) -> str:
    """A SQLAlchemy ``postgresql+asyncpg://`` URL as a plain DSN asyncpg connects with."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def database_url_for(base_url: str, size: int) -> str:
    """The database that holds the copy of the ``size``-event store: the base URL's name, ``_`` and the size
    (each size keeps its own copy, so a rerun copies nothing)."""
    url = make_url(base_url)
    return url.set(database=f"{url.database}_{size}").render_as_string(hide_password=False)


async def _ensure_database(base_url: str, url: str) -> None:
    name = make_url(url).database
    # the server's own database: the base URL's may not exist (it only names the copies)
    conn = await asyncpg.connect(_dsn(make_url(base_url).set(database="postgres").render_as_string(False)))
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _columns(conn: asyncpg.Connection) -> dict[str, list[tuple[str, str]]]:
    """Every table of the schema but Alembic's, with its (column, type) in order."""
    rows = await conn.fetch(
        "SELECT c.table_name, c.column_name, c.udt_name FROM information_schema.columns c "
        "JOIN information_schema.tables t USING (table_schema, table_name) "
        "WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' AND c.table_name <> 'alembic_version' "
        "ORDER BY c.table_name, c.ordinal_position")
    tables: dict[str, list[tuple[str, str]]] = {}
    for row in rows:
        tables.setdefault(row["table_name"], []).append((row["column_name"], row["udt_name"]))
    return tables


def _converted(rows: Iterable[Sequence[Any]], converters: list[tuple[int, Callable[[Any], Any]]]
               ) -> list[Sequence[Any]]:
    if not converters:
        return list(rows)
    out: list[Sequence[Any]] = []
    for row in rows:
        values = list(row)
        for at, convert in converters:
            if values[at] is not None:
                values[at] = convert(values[at])
        out.append(tuple(values))
    return out


async def _chunks(source: sqlite3.Connection, table: str, columns: list[tuple[str, str]],
                  advance: Callable[[int], None]) -> AsyncIterator[Sequence[Any]]:
    converters = [(at, _CONVERT[kind]) for at, (_, kind) in enumerate(columns) if kind in _CONVERT]
    names = ", ".join(f'"{name}"' for name, _ in columns)
    cursor = source.execute(f'SELECT {names} FROM "{table}"')
    while rows := cursor.fetchmany(_CHUNK):
        for row in _converted(rows, converters):
            yield row
        advance(len(rows))


async def _without_indexes(conn: asyncpg.Connection, table: str) -> list[str]:
    """Drop the table's indexes (its primary key and unique constraints too, unless a foreign key needs them);
    the statements that put them back, for after the copy: building an index once beats growing it row by row."""
    constraints = await conn.fetch(
        "SELECT c.conname, pg_get_constraintdef(c.oid) AS definition FROM pg_constraint c "
        "WHERE c.conrelid = $1::regclass AND c.contype IN ('p', 'u') "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.confrelid = c.conrelid)",
        f'"{table}"')
    indexes = await conn.fetch(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public' AND i.tablename = $1 "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = format('%I', i.indexname)::regclass)",
        table)
    for name, _ in constraints:
        await conn.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        await conn.execute(f'DROP INDEX "{name}"')
    return ([f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}' for name, definition in constraints]
            + [definition for _, definition in indexes])


async def _copy(path: Path, conn: asyncpg.Connection) -> None:
    tables = await _columns(conn)
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        counts = {table: int(source.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]) for table in tables}
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")  # rows arrive in no FK order
            await conn.execute("SET LOCAL maintenance_work_mem = '512MB'")
            await conn.execute("TRUNCATE " + ", ".join(f'"{table}"' for table in tables))
            with click.progressbar(length=sum(counts.values()), label=f"copying {path.name} to PostgreSQL",
                                   show_pos=True, width=30) as bar:
                for table, columns in tables.items():
                    if not counts[table]:
                        continue
                    rebuild = await _without_indexes(conn, table) if counts[table] >= _BIG else []
                    await conn.copy_records_to_table(table, records=_chunks(source, table, columns, bar.update),
                                                     columns=[name for name, _ in columns])
                    for statement in rebuild:
                        await conn.execute(statement)
            for table, column in await conn.fetch(
                    "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' "
                    "AND pg_get_serial_sequence(quote_ident(table_name), column_name) IS NOT NULL"):
                await conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'), "
                    f'coalesce(max("{column}"), 0) + 1, false) FROM "{table}"')
    finally:
        source.close()
    await conn.execute("VACUUM (ANALYZE)")  # as autovacuum would leave it: statistics, and index-only scans


async def _copy_when_needed(path: Path, url: str, events: int) -> None:
    conn = await asyncpg.connect(_dsn(url))
    try:
        held = await conn.fetchval("SELECT count(*) FROM events")
        if held == events:
            print(f"{events:>12,} events: reusing {make_url(url).database} (PostgreSQL)")
            return
        await _copy(path, conn)
    finally:
        await conn.close()


def copy_store(path: Path, events: int, base_url: str) -> str:
    """The URL of a PostgreSQL database holding the store at ``path`` (``events`` events), copied there first
    unless it already holds them. Call outside an event loop (the migration runs its own)."""
    url = database_url_for(base_url, events)
    asyncio.run(_ensure_database(base_url, url))
    upgrade(url)
    asyncio.run(_copy_when_needed(path, url, events))
    return url
