"""``waymark db upgrade``: the migrations, then each pending back-fill in a transaction of its own.

Each back-fill deletes its mark in the transaction that does its work, so a crash leaves it pending
and the next upgrade does it again from the start, and an upgrade run twice does nothing the second
time. Until none is pending, :func:`check_upgraded` refuses the database as a missing migration is
refused.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from waymark.db import migrate
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.migrate import NotMigrated, check_migrated
from waymark.db.models import App, PendingBackfill
from waymark.upgrade.backfills import BACKFILLS, Advance, Backfill

__all__ = ["check_upgraded", "pending_backfills", "run_pending", "upgrade"]


def upgrade(database_url: str, *, progress: bool = False) -> list[str]:
    """Bring the database to the newest migration and run every pending back-fill; returns the back-fills run.

    Safe to run again; run it before starting workers. ``progress`` shows a bar per back-fill on the terminal.
    """
    migrate.upgrade(database_url)
    return asyncio.run(run_pending(database_url, progress=progress))


async def pending_backfills(database_url: str) -> list[str]:
    """The names of the back-fills marked and not run yet (the database must be at the newest migration)."""
    engine = create_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            return list((await session.scalars(select(PendingBackfill.name).order_by(PendingBackfill.name))).all())
    finally:
        await engine.dispose()


async def check_upgraded(database_url: str) -> None:
    """Raise :class:`~waymark.db.migrate.NotMigrated` unless every migration and every back-fill has run."""
    await check_migrated(database_url)
    names = await pending_backfills(database_url)
    if names:
        raise NotMigrated(f"the database has back-fills pending ({', '.join(names)}): run `waymark db upgrade` first")


async def run_pending(database_url: str, *, progress: bool = False) -> list[str]:
    """Run every pending back-fill, in the order of :data:`~waymark.upgrade.backfills.BACKFILLS`; returns those run."""
    marked = set(await pending_backfills(database_url))
    unknown = marked - {b.name for b in BACKFILLS}
    if unknown:
        raise RuntimeError(f"back-fills marked pending that this version does not know: {', '.join(sorted(unknown))}")
    engine = create_engine(database_url)
    try:
        maker = make_sessionmaker(engine)
        return [b.name for b in BACKFILLS if b.name in marked and await _run(maker, b, progress)]
    finally:
        await engine.dispose()


async def _run(maker: async_sessionmaker[AsyncSession], backfill: Backfill, progress: bool) -> bool:
    """One back-fill over every app, in one transaction with the deletion of its mark; False if another upgrade
    ran it meanwhile."""
    async with maker() as session, session.begin():
        # The mark goes first: the row lock (PostgreSQL) or the write lock (SQLite) keeps a concurrent upgrade out.
        taken = await session.execute(delete(PendingBackfill).where(PendingBackfill.name == backfill.name))
        if not taken.rowcount:  # type: ignore[attr-defined]  # DML gives a CursorResult, typed Result
            return False
        apps = list((await session.scalars(select(App.id).order_by(App.id))).all())
        sizes = [await backfill.size(session, app_id) for app_id in apps]
        with _progress(progress, sum(sizes), f"back-fill {backfill.name}") as advance:
            for app_id in apps:
                await backfill.fill(session, app_id, advance)
    return True


@contextmanager
def _progress(shown: bool, total: int, label: str) -> Iterator[Advance]:
    if not shown:
        yield lambda _n: None
        return
    with click.progressbar(length=total, label=label, show_pos=True) as bar:
        yield bar.update

